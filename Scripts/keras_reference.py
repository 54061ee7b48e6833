"""The reference SVHN autoencoder as Keras describes it, and how its weights map to
a model bundle.

`reference_layers(latent)` lists the layers of README.md's "The model" (the same
list, names included, as Sources/AENet/Models/ReferenceModel.swift); `check_layer`
compares one Keras layer config with one of them; `KERAS_TO_BUNDLE` states, per
layer kind, how a Keras weight array becomes a bundle tensor.
"""

import numpy as np

IMAGE_SHAPE = [32, 32, 3]
FAMILY = "reference-svhn"


class ArchitectureError(Exception):
    """The Keras model is not the reference architecture; the message names the layer."""


class Ref:
    """One layer of the reference model, in bundle terms (Specs/model-bundle.md 5.3)."""

    def __init__(self, name, kind, part, input_shape, output_shape, activation=None, units=None):
        self.name, self.kind, self.part = name, kind, part
        self.input_shape, self.output_shape = input_shape, output_shape
        self.activation = activation
        self.units = units  # filters (convolutions) or units (Dense)

    @property
    def weight_shapes(self):
        """Keras's (and the bundle's) kernel and bias shapes; [] for layers without weights."""
        cin, cout = self.input_shape[-1], self.output_shape[-1]
        if self.kind == "Conv2D":
            return [[3, 3, cin, cout], [cout]]          # HWIO
        if self.kind == "Conv2DTranspose":
            return [[3, 3, cout, cin], [cout]]          # HWOI
        if self.kind == "Dense":
            return [[cin, cout], [cout]]                # [in, out]
        return []

    def metadata(self):
        entry = {"name": self.name, "kind": self.kind, "part": self.part,
                 "inputShape": self.input_shape, "outputShape": self.output_shape,
                 "parameters": [f"{self.name}/{p}" for p in ("kernel", "bias")[:len(self.weight_shapes)]]}
        if self.activation:
            entry["activation"] = self.activation
        return entry


def reference_layers(latent):
    """Every layer in order, encoder first; names follow Keras's automatic naming."""
    E, D = "encoder", "decoder"
    return [
        Ref("conv2d", "Conv2D", E, [32, 32, 3], [32, 32, 32], "relu", 32),
        Ref("max_pooling2d", "MaxPooling2D", E, [32, 32, 32], [16, 16, 32]),
        Ref("conv2d_1", "Conv2D", E, [16, 16, 32], [16, 16, 64], "relu", 64),
        Ref("max_pooling2d_1", "MaxPooling2D", E, [16, 16, 64], [8, 8, 64]),
        Ref("conv2d_2", "Conv2D", E, [8, 8, 64], [8, 8, 128], "relu", 128),
        Ref("max_pooling2d_2", "MaxPooling2D", E, [8, 8, 128], [4, 4, 128]),
        Ref("flatten", "Flatten", E, [4, 4, 128], [2048]),
        # The latent Dense is linear (an unbounded code), the decoder's is ReLU.
        Ref("dense", "Dense", E, [2048], [latent], "linear", latent),
        Ref("dense_1", "Dense", D, [latent], [2048], "relu", 2048),
        Ref("reshape", "Reshape", D, [2048], [4, 4, 128]),
        Ref("conv2d_transpose", "Conv2DTranspose", D, [4, 4, 128], [4, 4, 128], "relu", 128),
        Ref("up_sampling2d", "UpSampling2D", D, [4, 4, 128], [8, 8, 128]),
        Ref("conv2d_transpose_1", "Conv2DTranspose", D, [8, 8, 128], [8, 8, 64], "relu", 64),
        Ref("up_sampling2d_1", "UpSampling2D", D, [8, 8, 64], [16, 16, 64]),
        Ref("conv2d_transpose_2", "Conv2DTranspose", D, [16, 16, 64], [16, 16, 32], "relu", 32),
        Ref("up_sampling2d_2", "UpSampling2D", D, [16, 16, 32], [32, 32, 32]),
        Ref("conv2d_3", "Conv2D", D, [32, 32, 32], [32, 32, 3], "sigmoid", 3),
    ]


def parameter_count(latent):
    return sum(int(np.prod(s)) for layer in reference_layers(latent) for s in layer.weight_shapes)


# Keras stores Conv2D kernels HWIO, Conv2DTranspose kernels HWOI and Dense kernels
# [in, out]. The bundle spec (section 5.3) chose the same layouts, so every kernel
# maps with the identity permutation; the table says so explicitly, and
# Tests/ToolTests/Keras/KerasParityTests.swift shows that the result computes what
# Keras computes (a wrong permutation of a square 3x3x128x128 kernel would keep
# its shape but not its outputs).
KERAS_TO_BUNDLE = {
    "Conv2D": {"kernel": (0, 1, 2, 3), "bias": (0,)},
    "Conv2DTranspose": {"kernel": (0, 1, 2, 3), "bias": (0,)},
    "Dense": {"kernel": (0, 1), "bias": (0,)},
}


def keras_to_bundle(kind, parameter, array):
    """A Keras weight array as the bundle's tensor of the same name (float32, C order)."""
    return np.ascontiguousarray(np.transpose(np.asarray(array, dtype=np.float32), KERAS_TO_BUNDLE[kind][parameter]))


def bundle_to_keras(kind, parameter, array):
    """The inverse of `keras_to_bundle`."""
    return np.ascontiguousarray(np.transpose(np.asarray(array, dtype=np.float32),
                                             np.argsort(KERAS_TO_BUNDLE[kind][parameter])))


# MARK: - Checking a Keras layer config against the reference

def _pair(value):
    """Keras writes 3, (3, 3) or [3, 3] for a 2-D size."""
    if value is None:
        return None
    return [int(v) for v in value] if isinstance(value, (list, tuple)) else [int(value)] * 2


def _activation(value):
    """Keras writes "relu", None, or (serialized) {"class_name": ..., "config": "relu"}."""
    if value is None:
        return "linear"
    if isinstance(value, dict):
        inner = value.get("config")
        value = inner if isinstance(inner, str) else (inner or {}).get("name", value.get("class_name"))
    return str(value).lower()


def describe(class_name, config):
    """'conv2d_5' (Conv2D), for messages."""
    return f"'{config.get('name', '?')}' ({class_name})"


def check_layer(index, class_name, config, ref):
    """Raises ArchitectureError when Keras layer number `index` (1-based) differs from `ref`."""
    where = f"layer {index} {describe(class_name, config)}"
    if class_name != ref.kind:
        raise ArchitectureError(f"{where} is a {class_name} where the reference has {ref.kind} '{ref.name}'")

    def expect(what, found, wanted):
        if found != wanted:
            raise ArchitectureError(f"{where}: {what} {found}, the reference has {wanted}")

    fmt = config.get("data_format") or "channels_last"
    if class_name in ("Conv2D", "Conv2DTranspose"):
        expect("filters", config.get("filters"), ref.units)
        expect("kernel size", _pair(config.get("kernel_size")), [3, 3])
        expect("strides", _pair(config.get("strides", 1)), [1, 1])
        expect("padding", config.get("padding", "valid"), "same")
        expect("dilation rate", _pair(config.get("dilation_rate", 1)), [1, 1])
        expect("groups", config.get("groups", 1), 1)
        expect("activation", _activation(config.get("activation")), ref.activation)
        expect("use_bias", config.get("use_bias", True), True)
        expect("data format", fmt, "channels_last")
        if class_name == "Conv2DTranspose":
            expect("output padding", config.get("output_padding"), None)
    elif class_name == "Dense":
        if ref.name != "dense":  # the latent Dense may have any number of units
            expect("units", config.get("units"), ref.units)
        expect("activation", _activation(config.get("activation")), ref.activation)
        expect("use_bias", config.get("use_bias", True), True)
    elif class_name == "MaxPooling2D":
        expect("pool size", _pair(config.get("pool_size", 2)), [2, 2])
        expect("strides", _pair(config.get("strides")) or _pair(config.get("pool_size", 2)), [2, 2])
        # 'same' and 'valid' agree on the reference's even sizes (32, 16, 8).
        if config.get("padding", "valid") not in ("valid", "same"):
            expect("padding", config.get("padding"), "valid")
        expect("data format", fmt, "channels_last")
    elif class_name == "Flatten":
        expect("data format", fmt, "channels_last")
    elif class_name == "Reshape":
        expect("target shape", [int(v) for v in config.get("target_shape", [])], ref.output_shape)
    elif class_name == "UpSampling2D":
        expect("size", _pair(config.get("size", 2)), [2, 2])
        expect("interpolation", config.get("interpolation", "nearest"), "nearest")
        expect("data format", fmt, "channels_last")


def check_model(layers):
    """Checks the flattened Keras layers [(class_name, config, weights)] against the
    reference; returns the latent size. The first layer that differs is named."""
    dense = [c for n, c, _ in layers if n == "Dense"]
    latent = dense[0].get("units") if dense else None
    if not isinstance(latent, int) or latent <= 0:
        latent = 1  # the mismatch is reported at the first layer that differs
    refs = reference_layers(latent)
    for i, ((class_name, config, weights), ref) in enumerate(zip(layers, refs), start=1):
        check_layer(i, class_name, config, ref)
        shapes = [list(w.shape) for w in weights]
        if shapes != ref.weight_shapes:
            raise ArchitectureError(f"layer {i} {describe(class_name, config)}: weights of shapes {shapes}, "
                                    f"the reference has {ref.weight_shapes}")
    if len(layers) < len(refs):
        nxt = refs[len(layers)]
        raise ArchitectureError(f"the model ends after {len(layers)} layers; the reference continues "
                                f"with {nxt.kind} '{nxt.name}'")
    if len(layers) > len(refs):
        class_name, config, _ = layers[len(refs)]
        raise ArchitectureError(f"layer {len(refs) + 1} {describe(class_name, config)} is extra: "
                                f"the reference ends after {len(refs)} layers")
    return latent


def check_input_shape(shape, name):
    """`shape` is the model's per-image input shape when the file records one."""
    if shape is not None and list(shape) != IMAGE_SHAPE:
        raise ArchitectureError(f"input '{name}': shape {list(shape)}, the reference takes {IMAGE_SHAPE}")
