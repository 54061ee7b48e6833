#!/usr/bin/env python3
"""Writes Fixtures/keras/: the reference autoencoder built in Keras with seeded
weights, its outputs on 8 fixed images, the bundle converted from it, and small
models of the wrong architecture. Needs TensorFlow/Keras 3 and h5py; not run by CI:

    Benchmarks/.venv-peers/bin/python Scripts/make_keras_fixtures.py

The Swift tests (Tests/ToolTests/Keras/*.swift) use what it writes without
TensorFlow: KerasParityTests compares our network with Keras's outputs, and
KerasConverterTests runs the converters on the committed Keras files.
"""

import hashlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # CPU only: the reference numbers

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Scripts"))
import aemodel2keras  # noqa: E402
import keras2aemodel  # noqa: E402

OUT = os.path.join(ROOT, "Fixtures", "keras")
LATENT = 16
SEED = 6
SVHN = os.path.join(ROOT, "..", "shared", "datasets", "svhn", "cropped_subset")
EPOCHS = 3


def encoder_layers(latent):
    return [
        layers.Conv2D(32, (3, 3), activation="relu", padding="same"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu", padding="same"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(128, (3, 3), activation="relu", padding="same"), layers.MaxPooling2D((2, 2)),
        layers.Flatten(), layers.Dense(latent),
    ]


def decoder_layers():
    return [
        layers.Dense(2048, activation="relu"), layers.Reshape((4, 4, 128)),
        layers.Conv2DTranspose(128, (3, 3), activation="relu", padding="same"), layers.UpSampling2D((2, 2)),
        layers.Conv2DTranspose(64, (3, 3), activation="relu", padding="same"), layers.UpSampling2D((2, 2)),
        layers.Conv2DTranspose(32, (3, 3), activation="relu", padding="same"), layers.UpSampling2D((2, 2)),
        layers.Conv2D(3, (3, 3), activation="sigmoid", padding="same"),
    ]


def notebook_model(latent):
    """The notebook's single Sequential."""
    return keras.Sequential([keras.Input(shape=(32, 32, 3))] + encoder_layers(latent) + decoder_layers(),
                            name="autoencoder")


def two_part_model(latent):
    """The same network as encoder and decoder sub-models."""
    encoder = keras.Sequential([keras.Input(shape=(32, 32, 3))] + encoder_layers(latent), name="encoder")
    decoder = keras.Sequential([keras.Input(shape=(latent,))] + decoder_layers(), name="decoder")
    x = keras.Input(shape=(32, 32, 3))
    return keras.Model(x, decoder(encoder(x)), name="autoencoder"), encoder, decoder


def seeded_weights(model, rng):
    """Keras's (seeded) Glorot kernels, nonzero biases so the bias layout is tested too,
    then a short training run as in the notebook (Adam, MSE, batch 128) on the SVHN
    training crops when the shared data are there, so outputs span the pixel range."""
    for layer in model.layers:
        if layer.weights:
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.uniform(-0.1, 0.1, bias.shape).astype(np.float32)])
    train = os.path.join(SVHN, "train_images.npy")
    if os.path.exists(train):
        x = np.load(train).astype(np.float32) / np.float32(255)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        model.fit(x, x, batch_size=128, epochs=EPOCHS, shuffle=True, verbose=2)


def fixed_inputs(rng):
    """8 images (uint8): 4 SVHN test crops when the shared data are there (else noise),
    2 of seeded noise, one black, one white."""
    test = os.path.join(SVHN, "test_images.npy")
    if os.path.exists(test):
        svhn = np.load(test)[[0, 1, 2, 3]]
    else:
        svhn = rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    noise = rng.integers(0, 256, (2, 32, 32, 3), dtype=np.uint8)
    return np.concatenate([svhn, noise, np.zeros((1, 32, 32, 3), np.uint8), np.full((1, 32, 32, 3), 255, np.uint8)])


def wrong_models():
    """Small models a converter must refuse: (file name, model, first differing layer)."""
    first = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(16, (3, 3), activation="relu", padding="same", name="conv2d"),
        layers.MaxPooling2D((2, 2), name="max_pooling2d"),
        layers.Flatten(name="flatten"), layers.Dense(4, name="dense"),
    ], name="wrong_filters")
    missing = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(32, (3, 3), activation="relu", padding="same", name="conv2d"),
        layers.Conv2D(8, (3, 3), activation="relu", padding="same", name="conv2d_1"),
        layers.GlobalAveragePooling2D(name="global_average_pooling2d"), layers.Dense(4, name="dense"),
    ], name="missing_pool")
    return [("wrong-first-conv16.keras", first), ("missing-maxpool.h5", missing)]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    model = notebook_model(LATENT)
    seeded_weights(model, rng)
    two_part, encoder, decoder = two_part_model(LATENT)
    weights, n = model.get_weights(), len(encoder.get_weights())
    encoder.set_weights(weights[:n])
    decoder.set_weights(weights[n:])

    images = fixed_inputs(rng)
    x = images.astype(np.float32) / np.float32(255)
    latents = encoder.predict(x, verbose=0)
    reconstructions = decoder.predict(latents, verbose=0)
    whole = model.predict(x, verbose=0)
    assert np.abs(whole - reconstructions).max() < 1e-6

    files = {
        "keras": os.path.join(OUT, f"reference-{LATENT}.keras"),
        "h5": os.path.join(OUT, f"reference-{LATENT}-autoencoder.h5"),
        "bundle": os.path.join(OUT, f"reference-{LATENT}.aemodel"),
    }
    # The notebook's Sequential, Keras 3 format; saved from an uncompiled copy so the
    # file holds no optimizer state (a third of the size; the converter ignores it anyway).
    plain = notebook_model(LATENT)
    plain.set_weights(model.get_weights())
    plain.save(files["keras"])
    two_part.save(files["h5"])          # encoder + decoder sub-models, legacy HDF5
    np.save(os.path.join(OUT, "inputs.npy"), images)
    np.save(os.path.join(OUT, "latents.npy"), latents.astype(np.float32))
    np.save(os.path.join(OUT, "reconstructions.npy"), reconstructions.astype(np.float32))
    for name, wrong in wrong_models():
        wrong.save(os.path.join(OUT, name))

    # The committed bundle is the converter's output; both Keras files give its fingerprint.
    fingerprint, _ = keras2aemodel.convert(files["keras"], files["bundle"], force=True)
    scratch = os.path.join(OUT, ".scratch.aemodel")
    fp_h5, _ = keras2aemodel.convert(files["h5"], scratch, force=True)
    os.unlink(scratch)
    assert fp_h5 == fingerprint, (fp_h5, fingerprint)

    # And back: Keras loads what aemodel2keras writes, in both layouts, and computes the same.
    back = {}
    for layout, target in (("sequential", notebook_model(LATENT)), ("autoencoder", two_part_model(LATENT)[0])):
        for ext in ("keras", "weights.h5"):
            path = os.path.join(OUT, f".back.{ext}")
            aemodel2keras.convert(files["bundle"], path, layout, force=True)
            if ext == "keras":
                loaded = keras.models.load_model(path)
            else:
                target.load_weights(path)
                loaded = target
            os.unlink(path)
            back[f"{layout} {ext}"] = float(np.abs(loaded.predict(x, verbose=0) - whole).max())
            assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), model.get_weights()))
    assert max(back.values()) == 0.0, back

    summary = {
        "latentDim": LATENT, "seed": SEED, "fingerprint": fingerprint,
        "keras": keras.__version__, "backend": keras.backend.backend(),
        "tensorflow": __import__("tensorflow").__version__,
        "inputs": "SVHN test crops 0-3 (or noise), 2 seeded noise, black, white; x = pixels / 255 (float32)",
        "kerasReloadMaxDifference": back,
        "sha256": {os.path.basename(p): sha256(p) for p in sorted(os.path.join(OUT, f) for f in os.listdir(OUT))
                   if not os.path.basename(p).startswith(".") and not p.endswith((".json", ".md"))},
    }
    with open(os.path.join(OUT, "fixtures.json"), "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(summary, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
