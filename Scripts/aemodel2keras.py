#!/usr/bin/env python3
"""aemodel2keras: a model bundle of the reference autoencoder -> Keras 3 files.

    python3 Scripts/aemodel2keras.py MODEL.aemodel -o OUT.keras|OUT.weights.h5 \\
        [--layout sequential|autoencoder] [--force]

`OUT.weights.h5` is what `model.load_weights(...)` of the reference Keras model
reads; `OUT.keras` is a whole model for `keras.models.load_model(...)`. The layout
must be the Keras model's: `sequential` (default) is the notebook's single
Sequential of all 17 layers, `autoencoder` a functional model of two Sequential
sub-models, encoder and decoder (keras.Model(x, decoder(encoder(x)))), and
`functional` the same with encoder and decoder built as functional models
(encoder = keras.Model(x, z), decoder = keras.Model(z_in, y)): `.weights.h5` only,
since `keras.models.load_model` of a `.keras` file in another layout gives the same
network. Needs h5py and numpy only. Float16 bundles are widened to float32 (exactly).
"""

import argparse
import io
import json
import os
import sys
import zipfile
from datetime import datetime, timezone

try:
    import h5py  # and numpy, which h5py needs
except ImportError as missing:
    sys.exit(f"aemodel2keras: needs numpy and h5py ({missing}); on Debian/Ubuntu: apt-get install python3-numpy python3-h5py")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aemodel_bundle  # noqa: E402
import keras_reference as ref  # noqa: E402
from keras2aemodel import snake_case  # noqa: E402

LAYOUTS = ("sequential", "autoencoder", "functional")
KERAS_VERSION = "3.0.0"  # the oldest Keras that reads these files (saving_lib layout)


class ConversionError(Exception):
    """A bundle that cannot become a Keras model; the message is one line."""


def reference_weights(metadata, tensors, path):
    """(latent, {layer name: [kernel, bias] in Keras layout}) of a reference-model bundle."""
    arch = metadata.get("architecture", {})
    if arch.get("family") != ref.FAMILY:
        raise ConversionError(f"{path}: family {arch.get('family')!r} is not {ref.FAMILY!r}")
    latent = arch.get("latentDim")
    if not isinstance(latent, int) or latent <= 0:
        raise ConversionError(f"{path}: invalid latentDim {latent!r}")
    layers = ref.reference_layers(latent)
    recorded = arch.get("layers", [])
    for i, layer in enumerate(layers):
        if i >= len(recorded) or recorded[i] != layer.metadata():
            name = recorded[i].get("name") if i < len(recorded) and isinstance(recorded[i], dict) else layer.name
            raise ConversionError(f"{path}: not the reference architecture at layer {name}")
    if len(recorded) != len(layers):
        raise ConversionError(f"{path}: not the reference architecture: {len(recorded)} layers")
    weights = {}
    for layer in layers:
        arrays = []
        for parameter, shape in zip(("kernel", "bias"), layer.weight_shapes):
            name = f"{layer.name}/{parameter}"
            if name not in tensors or list(tensors[name][1].shape) != shape:
                raise ConversionError(f"{path}: tensor {name} is missing or not of shape {shape}")
            arrays.append(ref.bundle_to_keras(layer.kind, parameter, tensors[name][1]))
        weights[layer.name] = arrays
    return latent, weights


# MARK: - model.weights.h5, as Keras 3's saving_lib writes it

def _write_container(group, layers, weights, vars_name, input_name=None):
    """`layers` ([Ref]) of one Sequential at `group`: layers/<class, numbered>/vars/<i>;
    with `input_name`, of a functional model, whose InputLayer is among its layers."""
    group.create_group("vars").attrs["name"] = vars_name
    if input_name is not None:
        group.create_group("layers/input_layer/vars").attrs["name"] = input_name
    used = {}
    for layer in layers:
        generic = snake_case(layer.kind)
        used[generic] = used.get(generic, -1) + 1
        if used[generic]:
            generic += f"_{used[generic]}"
        vars_group = group.create_group(f"layers/{generic}/vars")
        vars_group.attrs["name"] = layer.name
        for i, array in enumerate(weights.get(layer.name, [])):
            vars_group.create_dataset(str(i), data=array)


def weights_h5(latent, weights, layout):
    """The bytes of a Keras 3 `.weights.h5` for `layout`."""
    layers = ref.reference_layers(latent)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        if layout == "sequential":
            _write_container(h5, layers, weights, "autoencoder")
        elif layout == "autoencoder":
            h5.create_group("vars").attrs["name"] = "autoencoder"
            h5.create_group("layers/input_layer/vars").attrs["name"] = "input_layer"
            _write_container(h5.create_group("layers/sequential"),
                             [l for l in layers if l.part == "encoder"], weights, "encoder")
            _write_container(h5.create_group("layers/sequential_1"),
                             [l for l in layers if l.part == "decoder"], weights, "decoder")
        else:
            # Keras 3 names the sub-models by class (functional, functional_1); each
            # lists its own InputLayer.
            h5.create_group("vars").attrs["name"] = "autoencoder"
            h5.create_group("layers/input_layer/vars").attrs["name"] = "input_layer_2"
            _write_container(h5.create_group("layers/functional"),
                             [l for l in layers if l.part == "encoder"], weights, "encoder", "input_layer")
            _write_container(h5.create_group("layers/functional_1"),
                             [l for l in layers if l.part == "decoder"], weights, "decoder", "input_layer_1")
    return buffer.getvalue()


# MARK: - config.json, as Keras 3 serializes the reference model

def _layer_config(layer):
    c = {"name": layer.name, "trainable": True, "dtype": "float32"}
    if layer.kind in ("Conv2D", "Conv2DTranspose"):
        c.update(filters=layer.units, kernel_size=[3, 3], strides=[1, 1], padding="same",
                 data_format="channels_last", dilation_rate=[1, 1], activation=layer.activation, use_bias=True)
        if layer.kind == "Conv2D":
            c["groups"] = 1
    elif layer.kind == "Dense":
        c.update(units=layer.units, activation=layer.activation, use_bias=True)
    elif layer.kind == "MaxPooling2D":
        c.update(pool_size=[2, 2], strides=[2, 2], padding="valid", data_format="channels_last")
    elif layer.kind == "Flatten":
        c["data_format"] = "channels_last"
    elif layer.kind == "Reshape":
        c["target_shape"] = layer.output_shape
    elif layer.kind == "UpSampling2D":
        c.update(size=[2, 2], data_format="channels_last", interpolation="nearest")
    return {"module": "keras.layers", "class_name": layer.kind, "config": c, "registered_name": None,
            "build_config": {"input_shape": [None] + layer.input_shape}}


def _input_config(name, shape):
    return {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
            "config": {"batch_shape": [None] + shape, "dtype": "float32", "sparse": False, "name": name}}


def _sequential(name, layers):
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": name, "trainable": True, "dtype": "float32",
                       "layers": [_input_config(f"{name}_input", layers[0].input_shape)]
                       + [_layer_config(l) for l in layers]},
            "build_config": {"input_shape": [None] + layers[0].input_shape}}


def _tensor(shape, source):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": [None] + shape, "dtype": "float32", "keras_history": [source, 0, 0]}}


def model_config(latent, layout):
    layers = ref.reference_layers(latent)
    if layout == "sequential":
        return _sequential("autoencoder", layers)
    encoder = _sequential("encoder", [l for l in layers if l.part == "encoder"])
    decoder = _sequential("decoder", [l for l in layers if l.part == "decoder"])
    inputs = dict(_input_config("input_layer", ref.IMAGE_SHAPE), name="input_layer", inbound_nodes=[])
    encoder.update(name="encoder", inbound_nodes=[{"args": [_tensor(ref.IMAGE_SHAPE, "input_layer")], "kwargs": {}}])
    decoder.update(name="decoder", inbound_nodes=[{"args": [_tensor([latent], "encoder")], "kwargs": {}}])
    return {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": {"name": "autoencoder", "trainable": True, "layers": [inputs, encoder, decoder],
                       "input_layers": ["input_layer", 0, 0], "output_layers": ["decoder", 0, 0]},
            "build_config": {"input_shape": None}}


def keras_archive(latent, weights, layout):
    """The bytes of a `.keras` file: metadata.json, config.json, model.weights.h5."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", json.dumps({
            "keras_version": KERAS_VERSION,
            "date_saved": datetime.now(timezone.utc).strftime("%Y-%m-%d@%H:%M:%S")}))
        z.writestr("config.json", json.dumps(model_config(latent, layout)))
        z.writestr("model.weights.h5", weights_h5(latent, weights, layout))
    return buffer.getvalue()


def convert(path, output, layout="sequential", force=False):
    metadata, tensors, fingerprint, _ = aemodel_bundle.read(path)
    latent, weights = reference_weights(metadata, tensors, path)
    if output.endswith(".weights.h5"):
        data = weights_h5(latent, weights, layout)
    elif output.endswith(".keras"):
        if layout == "functional":
            raise ConversionError(f"{output}: --layout functional writes .weights.h5 files (for load_weights); "
                                  "for keras.models.load_model write a .keras file with --layout autoencoder")
        data = keras_archive(latent, weights, layout)
    else:
        raise ConversionError(f"{output}: the output must end in .keras or .weights.h5")
    aemodel_bundle.write_atomically(data, output, force)
    return latent, fingerprint


def main(argv=None):
    parser = argparse.ArgumentParser(prog="aemodel2keras", description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="model bundle (.aemodel) of the reference architecture")
    parser.add_argument("-o", "--output", help="OUT.keras or OUT.weights.h5 (default: INPUT with .keras)")
    parser.add_argument("--layout", choices=LAYOUTS, default="sequential",
                        help="the Keras model's structure (default: sequential)")
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    output = args.output or os.path.splitext(args.input)[0] + ".keras"
    try:
        latent, fingerprint = convert(args.input, output, args.layout, args.force)
    except (aemodel_bundle.BundleError, ConversionError) as e:
        return fail(str(e))
    except (OSError, ValueError) as e:
        return fail(f"{output}: {e}")
    if not args.quiet:
        print(f"{args.input} -> {output}: latent {latent}, layout {args.layout}, fingerprint {fingerprint}")
    return 0


def fail(message):
    print("aemodel2keras: " + " ".join(message.split()), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
