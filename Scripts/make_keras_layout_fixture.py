#!/usr/bin/env python3
"""Writes Fixtures/keras/functional-weights-layout.json: the groups and datasets of the
`.weights.h5` that Keras 3 writes for a notebook whose encoder and decoder are
functional sub-models (encoder = keras.Model(x, z), decoder = keras.Model(z_in, y),
autoencoder = keras.Model(x, decoder(encoder(x)))), latent 16. Needs Keras 3 and h5py;
not run by CI:

    Benchmarks/.venv-peers/bin/python Scripts/make_keras_layout_fixture.py

Scripts/test_keras_convert.py checks that `aemodel2keras.py --layout functional` writes
exactly this structure (without Keras); the weights themselves were checked by loading
such a file into that model with load_weights (identical weights and outputs).
"""

import json
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import h5py  # noqa: E402
import keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_keras_fixtures as mk  # noqa: E402

LATENT = 16


def structure(path):
    """[(name, dataset shape or the `name` attribute of a group)], sorted by name."""
    out = []
    with h5py.File(path, "r") as h5:
        h5.visititems(lambda n, o: out.append(
            [n, list(o.shape) if isinstance(o, h5py.Dataset) else o.attrs.get("name")]))
    return sorted(out, key=lambda e: e[0])


def main():
    inputs = keras.Input((32, 32, 3))
    z = inputs
    for layer in mk.encoder_layers(LATENT):
        z = layer(z)
    encoder = keras.Model(inputs, z, name="encoder")
    latent_in = keras.Input((LATENT,))
    y = latent_in
    for layer in mk.decoder_layers():
        y = layer(y)
    decoder = keras.Model(latent_in, y, name="decoder")
    x = keras.Input((32, 32, 3))
    autoencoder = keras.Model(x, decoder(encoder(x)), name="autoencoder")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "functional.weights.h5")
        autoencoder.save_weights(path)
        entries = structure(path)
    out = os.path.join(os.path.dirname(HERE), "Fixtures", "keras", "functional-weights-layout.json")
    with open(out, "w") as f:
        # One entry a line: a reviewable diff.
        lines = ",\n  ".join(json.dumps(e) for e in entries)
        f.write(f'{{"kerasVersion": "{keras.__version__}", "latentDim": {LATENT}, "entries": [\n  {lines}\n]}}\n')
    print(f"{out}: {len(entries)} entries (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
