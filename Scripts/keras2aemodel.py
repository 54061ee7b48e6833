#!/usr/bin/env python3
"""keras2aemodel: a Keras model of the reference SVHN autoencoder -> model bundle.

    python3 Scripts/keras2aemodel.py MODEL.keras|MODEL.h5 [-o OUT.aemodel] [--force] [--weights f32|f16]

Reads a Keras 3 `.keras` file (a zip of config.json and model.weights.h5) or a
legacy HDF5 `.h5` file (Keras 2 or 3 `model.save("m.h5")`), with h5py and numpy
only (no TensorFlow). The model may be the notebook's single Sequential or an
autoencoder made of encoder and decoder sub-models; any latent size. Checks it is
the reference architecture (refusing, with the first layer that differs, when it
is not) and writes a bundle following Specs/model-bundle.md, recording the
source file, its SHA-256 and its format under the metadata key `source` (1.3).
Weights that are NaN or infinite are refused (naming the tensor), and so is a
TensorFlow SavedModel folder (with what to do: save the model as .keras or .h5).
Errors are one line on standard error and exit status 1; the output is written
atomically and never over an existing file without --force.
"""

import argparse
import hashlib
import io
import json
import os
import re
import sys
import zipfile
from datetime import datetime, timezone

try:
    import h5py
    import numpy as np
except ImportError as missing:
    sys.exit(f"keras2aemodel: needs numpy and h5py ({missing}); on Debian/Ubuntu: apt-get install python3-numpy python3-h5py")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aemodel_bundle  # noqa: E402
import keras_reference as ref  # noqa: E402

TOOL = {"name": "keras2aemodel", "version": "0.1.0"}
# Format 1.3 adds the metadata key `source` (Specs/model-bundle.md, 5.8).
MINOR_VERSION = 3
CONTAINERS = ("Sequential", "Functional", "Model")


class KerasFileError(Exception):
    """A file that is not a readable Keras model; the message is one line."""


def snake_case(name):
    """Keras's `naming.to_snake_case`, which names layers inside model.weights.h5."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class KerasModel:
    """A Keras model flattened to its layers: [(class name, config, [weights])],
    with the input shape when the file records one."""

    def __init__(self):
        self.layers = []
        self.input_shape = None
        self.input_name = "input"
        self.keras_version = None

    def note_input(self, config):
        shape = config.get("batch_shape") or config.get("batch_input_shape")
        if shape is not None and self.input_shape is None:
            self.input_shape = list(shape[1:])
            self.input_name = config.get("name", "input")


def _sublayers(node):
    config = node.get("config")
    layers = config.get("layers") if isinstance(config, dict) else config  # Keras 2.2: a list
    if not isinstance(layers, list):
        raise KerasFileError(f"model class {node.get('class_name')} has no layer list "
                             "(subclassed models are not supported; save a Sequential or functional model)")
    return layers


def _flatten(node, model, on_layer, path=""):
    """Walks the config tree in layer order, sub-models included, calling
    on_layer(class name, config, path of the layer inside model.weights.h5)."""
    used = {}
    for layer in _sublayers(node):
        if not isinstance(layer, dict) or "class_name" not in layer:
            raise KerasFileError("malformed model config: a layer without class_name")
        cls, config = layer["class_name"], layer.get("config") or {}
        # Keras 3 addresses a layer in model.weights.h5 by its class, numbered in order.
        generic = snake_case(cls)
        used[generic] = used.get(generic, -1) + 1
        if used[generic]:
            generic += f"_{used[generic]}"
        inner = f"{path}/layers/{generic}"
        if cls == "InputLayer":
            model.note_input(config)
        elif cls in CONTAINERS:
            _flatten(layer, model, on_layer, inner)
        else:
            model.note_input(config)  # Keras 2 Sequential: batch_input_shape on the first layer
            on_layer(cls, config, inner)


def read_keras_v3(data):
    """A Keras 3 `.keras` zip: config.json for the architecture, model.weights.h5 for
    the weights, addressed as Keras's saving_lib addresses them."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = set(archive.namelist())
    for needed in ("config.json", "model.weights.h5"):
        if needed not in names:
            raise KerasFileError(f"the .keras archive has no {needed}")
    config = json.loads(archive.read("config.json"))
    model = KerasModel()
    if "metadata.json" in names:
        model.keras_version = json.loads(archive.read("metadata.json")).get("keras_version")
    with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as h5:
        def on_layer(cls, cfg, path):
            group = h5.get(path.lstrip("/") + "/vars")
            weights = []
            if group is not None:
                keys = sorted(group.keys(), key=lambda k: int(k) if k.isdigit() else 1 << 30)
                weights = [np.asarray(group[k]) for k in keys]
            model.layers.append((cls, cfg, weights))
        if config.get("class_name") not in CONTAINERS:
            raise KerasFileError(f"model class {config.get('class_name')} is not a Sequential or functional model")
        _flatten(config, model, on_layer, path="")
    return model


def read_legacy_h5(data):
    """A legacy HDF5 model (`model.save("m.h5")`): model_config for the architecture,
    model_weights/<layer>/ with its `weight_names` for the weights."""
    with h5py.File(io.BytesIO(data), "r") as h5:
        if "model_config" not in h5.attrs:
            if "layer_names" in h5.attrs or "layers" in h5:
                raise KerasFileError("holds weights only, no model config: save the whole model "
                                     "(model.save('m.keras') or model.save('m.h5'))")
            raise KerasFileError("not a Keras model file (no model_config)")
        raw = h5.attrs["model_config"]
        config = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
        if config.get("class_name") not in CONTAINERS:
            raise KerasFileError(f"model class {config.get('class_name')} is not a Sequential or functional model")
        model = KerasModel()
        version = h5.attrs.get("keras_version")
        model.keras_version = version.decode() if isinstance(version, bytes) else version
        weights_root = h5["model_weights"] if "model_weights" in h5 else None
        if weights_root is None:
            raise KerasFileError("no model_weights group")

        def names_of(group):
            return [n.decode("utf-8") if isinstance(n, bytes) else str(n) for n in group.attrs.get("weight_names", [])]

        # Weight names end in "<layer>/<kernel|bias>[:0]"; a top-level entry (a layer
        # or a whole sub-model) holds the weights of every layer inside it.
        for top in _sublayers(config):
            cls, top_config = top["class_name"], top.get("config") or {}
            top_name = top_config.get("name") or top.get("name")
            group = weights_root.get(top_name) if top_name is not None else None
            available = names_of(group) if group is not None else []

            def on_layer(cls, cfg, _path, group=group, available=available):
                name = cfg.get("name")
                mine = [w for w in available if len(w.split("/")) >= 2 and w.split("/")[-2] == name]
                model.layers.append((cls, cfg, [np.asarray(group[w]) for w in mine]))

            if cls == "InputLayer":
                model.note_input(top_config)
            elif cls in CONTAINERS:
                _flatten(top, model, on_layer, path=top_name)
            else:
                model.note_input(top_config)
                on_layer(cls, top_config, top_name)
    return model


SAVED_MODEL_HELP = ("convert the model to a .keras or .h5 file first: in Python with TensorFlow, "
                    "model = tf.keras.models.load_model(FOLDER) (Keras 2; with Keras 3, rebuild the model and "
                    "load its weights), then model.save('model.keras') or model.save('model.h5')")


def read_keras(path):
    """(model, format name) of the Keras file at `path`."""
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "saved_model.pb")):
            raise KerasFileError("is a TensorFlow SavedModel folder, which this converter cannot read (it needs "
                                 "TensorFlow); " + SAVED_MODEL_HELP)
        raise KerasFileError("is a folder, not a Keras model file (.keras or .h5)")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise KerasFileError(f"cannot read: {e.strerror or e}") from None
    if data[:4] == b"PK\x03\x04":
        return read_keras_v3(data), "keras-v3", data
    if data[:8] == b"\x89HDF\r\n\x1a\n":
        return read_legacy_h5(data), "keras-h5", data
    if len(data) == 0:
        raise KerasFileError("empty file")
    raise KerasFileError("neither a Keras 3 .keras archive nor an HDF5 .h5 file")


def bundle_of(model, source, weights="f32"):
    """The metadata and [(name, code, array)] of the bundle for a checked Keras model."""
    ref.check_input_shape(model.input_shape, model.input_name)
    latent = ref.check_model(model.layers)
    code = aemodel_bundle.FLOAT16 if weights == "f16" else aemodel_bundle.FLOAT32
    tensors = []
    for (cls, _config, arrays), layer in zip(model.layers, ref.reference_layers(latent)):
        for parameter, array in zip(("kernel", "bias"), arrays):
            values = ref.keras_to_bundle(cls, parameter, array)
            bad = np.size(values) - int(np.count_nonzero(np.isfinite(values)))
            if bad:
                raise KerasFileError(f"{layer.name}/{parameter} holds {bad} NaN or infinite value"
                                     f"{'s' if bad > 1 else ''} (the training diverged?): such a model cannot code "
                                     "images; retrain it or use an earlier checkpoint")
            if code == aemodel_bundle.FLOAT16:
                big = np.abs(values[np.isfinite(values)])
                if big.size and big.max() > aemodel_bundle.FLOAT16_MAX:
                    raise KerasFileError(f"{layer.name}/{parameter} exceeds the float16 range; use --weights f32")
            tensors.append((f"{layer.name}/{parameter}", code, values))
    metadata = {
        "kind": "model",
        "architecture": {
            "family": ref.FAMILY, "inputShape": ref.IMAGE_SHAPE, "latentDim": latent,
            "hiddenActivation": "relu", "parameterCount": ref.parameter_count(latent),
            "layers": [layer.metadata() for layer in ref.reference_layers(latent)],
        },
        "normalization": {"scale": 255, "offset": 0, "layout": "NHWC", "channels": "RGB"},
        "tool": TOOL,
        "createdAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": source,
    }
    return metadata, tensors


def convert(path, output, force=False, weights="f32"):
    """Converts the Keras file at `path` into a bundle at `output`; returns its fingerprint."""
    model, fmt, data = read_keras(path)
    source = {"file": os.path.basename(path), "sha256": hashlib.sha256(data).hexdigest(), "format": fmt}
    if model.keras_version:
        source["kerasVersion"] = str(model.keras_version)
    metadata, tensors = bundle_of(model, source, weights)
    aemodel_bundle.write_atomically(aemodel_bundle.encode(metadata, tensors, MINOR_VERSION), output, force)
    return aemodel_bundle.fingerprint(tensors), metadata["architecture"]["latentDim"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="keras2aemodel", description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="Keras model: .keras (Keras 3) or .h5 (legacy HDF5)")
    parser.add_argument("-o", "--output", help="bundle to write (default: INPUT with .aemodel)")
    parser.add_argument("--force", action="store_true", help="replace an existing output")
    parser.add_argument("--weights", choices=("f32", "f16"), default="f32", help="stored weight type")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    output = args.output or os.path.splitext(args.input)[0] + ".aemodel"
    try:
        fp, latent = convert(args.input, output, args.force, args.weights)
    except aemodel_bundle.BundleError as e:
        return fail(str(e))
    except ref.ArchitectureError as e:
        return fail(f"{args.input}: not the reference architecture: {e}")
    except KerasFileError as e:
        return fail(f"{args.input}: {e}")
    except zipfile.BadZipFile as e:
        return fail(f"{args.input}: damaged or truncated .keras archive ({e})")
    except (OSError, KeyError, ValueError, TypeError, AttributeError, UnicodeDecodeError) as e:
        # h5py reports truncated or damaged HDF5 data as OSError/KeyError.
        return fail(f"{args.input}: damaged or truncated Keras file ({type(e).__name__}: {e})")
    if not args.quiet:
        print(f"{args.input} -> {output}: latent {latent}, fingerprint {fp}")
    return 0


def fail(message):
    print("keras2aemodel: " + " ".join(message.split()), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
