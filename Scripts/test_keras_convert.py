"""Unit tests of the Keras converters (numpy and h5py, no TensorFlow):

    python3 -m unittest discover -s Scripts -p 'test_keras*.py'

Run by Tests/ToolTests/Keras/KerasConverterTests.swift. The spec's own reader (Appendix
A of Specs/model-bundle.md, taken from the document) checks what the writer writes.
"""

import io
import json
import os
import re
import struct
import sys
import tempfile
import unittest
import warnings
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import aemodel2keras  # noqa: E402
import aemodel_bundle  # noqa: E402
import keras2aemodel  # noqa: E402
import keras_reference as ref  # noqa: E402

FIXTURES = os.path.join(ROOT, "Fixtures", "keras")
KERAS = os.path.join(FIXTURES, "reference-16.keras")
LEGACY = os.path.join(FIXTURES, "reference-16-autoencoder.h5")


def spec_reader():
    """`read_bundle` of the spec's Appendix A, executed from the document itself."""
    with open(os.path.join(ROOT, "Specs", "model-bundle.md"), encoding="utf-8") as f:
        text = f.read()
    code = re.search(r"## Appendix A.*?```python\n(.*?)```", text, re.S).group(1)
    scope = {"__name__": "appendix_a"}
    warnings.simplefilter("ignore", ResourceWarning)  # the short reader leaves its file to the GC
    exec(code, scope)
    return scope["read_bundle"]


def h5_arrays(data):
    """Every dataset of an HDF5 file's bytes, by path."""
    out = {}
    with h5py.File(io.BytesIO(data), "r") as h5:
        h5.visititems(lambda name, obj: out.__setitem__(name, np.asarray(obj)) if isinstance(obj, h5py.Dataset) else None)
    return out


class KerasConvertTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_kernel_layouts_are_the_specs_and_convert_both_ways(self):
        # Specs/model-bundle.md 5.3: Conv2D HWIO, Conv2DTranspose HWOI, Dense [in, units].
        layers = {l.name: l for l in ref.reference_layers(16)}
        self.assertEqual(layers["conv2d_1"].weight_shapes, [[3, 3, 32, 64], [64]])
        self.assertEqual(layers["conv2d_transpose_1"].weight_shapes, [[3, 3, 64, 128], [64]])
        self.assertEqual(layers["dense"].weight_shapes, [[2048, 16], [16]])
        self.assertEqual(layers["dense_1"].weight_shapes, [[16, 2048], [2048]])
        rng = np.random.default_rng(1)
        for kind, shape in (("Conv2D", (3, 3, 4, 5)), ("Conv2DTranspose", (3, 3, 5, 4)), ("Dense", (6, 7))):
            keras = rng.standard_normal(shape).astype(np.float32)
            bundle = ref.keras_to_bundle(kind, "kernel", keras)
            self.assertTrue(bundle.flags["C_CONTIGUOUS"])
            self.assertEqual(bundle.shape, keras.shape)
            np.testing.assert_array_equal(ref.bundle_to_keras(kind, "kernel", bundle), keras)
            # An element at distinct indices (0, 1, 2, 3): with the shape check above this
            # fails for any other permutation, even one swapping the two 3x3 axes.
            index = tuple(range(len(shape)))
            self.assertEqual(bundle[index], keras[index])
            self.assertNotEqual(keras[index], keras[tuple(reversed(index[:2])) + index[2:]])
        self.assertEqual(ref.parameter_count(64), 598_211)
        self.assertEqual(ref.parameter_count(16), 401_555)

    def test_written_bundle_follows_the_spec(self):
        out = self.path("m.aemodel")
        fingerprint, latent = keras2aemodel.convert(KERAS, out)
        with open(out, "rb") as f:
            b = f.read()
        metadata, weights, spec_fingerprint = spec_reader()(out)
        self.assertEqual(spec_fingerprint, fingerprint)
        self.assertEqual(latent, 16)
        self.assertEqual(metadata["source"]["format"], "keras-v3")
        self.assertEqual(struct.unpack_from("<HHI", b, 8), (1, 3, 96))
        moff, mlen, toff, tlen, doff, dlen, count = struct.unpack_from("<QQQQQQI", b, 24)
        self.assertEqual((moff, toff, doff + dlen), (96, moff + mlen, len(b)))
        self.assertEqual((mlen % 8, doff % 64, doff, count), (0, 0, toff + tlen, 18))
        self.assertTrue(b[moff:moff + mlen].rstrip(b" ").endswith(b"}"))
        self.assertEqual(list(weights), [f"{l.name}/{p}" for l in ref.reference_layers(16)
                                         for p in ("kernel", "bias")[:len(l.weight_shapes)]])
        # The tensors are Keras's arrays, unchanged.
        with zipfile.ZipFile(KERAS) as z:
            keras = h5_arrays(z.read("model.weights.h5"))
        np.testing.assert_array_equal(weights["conv2d_transpose_1/kernel"], keras["layers/conv2d_transpose_1/vars/0"])
        np.testing.assert_array_equal(weights["dense/bias"], keras["layers/dense/vars/1"])
        np.testing.assert_array_equal(weights["conv2d_3/kernel"], keras["layers/conv2d_3/vars/0"])

    def test_keras_to_bundle_to_keras_gives_identical_arrays(self):
        bundle = self.path("m.aemodel")
        keras2aemodel.convert(KERAS, bundle)
        with zipfile.ZipFile(KERAS) as z:
            original = h5_arrays(z.read("model.weights.h5"))
        back = self.path("back.keras")
        aemodel2keras.convert(bundle, back, "sequential")
        with zipfile.ZipFile(back) as z:
            again = h5_arrays(z.read("model.weights.h5"))
        self.assertEqual(sorted(again), sorted(original))
        for name, array in original.items():
            self.assertEqual(again[name].dtype, np.float32)
            np.testing.assert_array_equal(again[name], array, err_msg=name)

        # The legacy file's encoder/decoder layout, through a .weights.h5.
        keras2aemodel.convert(LEGACY, bundle, force=True)
        aemodel2keras.convert(bundle, self.path("back.weights.h5"), "autoencoder")
        with open(self.path("back.weights.h5"), "rb") as f:
            written = h5_arrays(f.read())
        with open(LEGACY, "rb") as f:
            legacy = [a for n, a in sorted(h5_arrays(f.read()).items())]
        self.assertEqual(len(written), len(legacy))
        self.assertEqual(sorted(a.tobytes() for a in written.values()), sorted(a.tobytes() for a in legacy))

    def test_keras2_legacy_h5_layout_converts_too(self):
        # Keras 2 (tf.keras) names weights "<layer>/kernel:0" and writes batch_input_shape;
        # rewrite the Keras 3 legacy fixture that way and expect the same bundle.
        keras2 = self.path("keras2.h5")
        with h5py.File(LEGACY, "r") as a, h5py.File(keras2, "w") as b:
            config = a.attrs["model_config"]
            config = config.decode() if isinstance(config, bytes) else config
            b.attrs["model_config"] = config.replace('"batch_shape"', '"batch_input_shape"').encode()
            b.attrs["keras_version"] = b"2.15.0"
            weights = b.create_group("model_weights")
            weights.attrs["layer_names"] = a["model_weights"].attrs["layer_names"]
            for top in a["model_weights"].attrs["layer_names"]:
                top = top.decode() if isinstance(top, bytes) else str(top)
                source, group, names = a["model_weights"][top], weights.create_group(top), []
                for name in source.attrs["weight_names"]:
                    name = name.decode() if isinstance(name, bytes) else str(name)
                    renamed = "/".join(name.split("/")[-2:]) + ":0"
                    group.create_dataset(renamed, data=source[name][()])
                    names.append(renamed.encode())
                group.attrs["weight_names"] = names
        fingerprint, latent = keras2aemodel.convert(keras2, self.path("k2.aemodel"))
        committed = aemodel_bundle.read(os.path.join(FIXTURES, "reference-16.aemodel"))[2]
        self.assertEqual((fingerprint, latent), (committed, 16))
        metadata = aemodel_bundle.read(self.path("k2.aemodel"))[0]
        self.assertEqual(metadata["source"]["kerasVersion"], "2.15.0")
        self.assertEqual(metadata["source"]["format"], "keras-h5")

    def test_float16_weights_round_to_nearest(self):
        out = self.path("m16.aemodel")
        fp16, _ = keras2aemodel.convert(KERAS, out, weights="f16")
        fp32, _ = keras2aemodel.convert(KERAS, self.path("m32.aemodel"))
        self.assertNotEqual(fp16, fp32)
        _, w16, _ = spec_reader()(out)
        _, w32, _ = spec_reader()(self.path("m32.aemodel"))
        for name in w32:
            np.testing.assert_array_equal(w16[name], w32[name].astype(np.float16).astype(np.float32))

    def test_architecture_check_names_the_first_difference(self):
        model = keras2aemodel.read_keras(KERAS)[0]
        cases = [
            (0, "activation", "tanh", "layer 1 '{}' (Conv2D): activation tanh, the reference has relu"),
            (7, "activation", "relu", "layer 8 '{}' (Dense): activation relu, the reference has linear"),
            (8, "units", 1024, "layer 9 '{}' (Dense): units 1024, the reference has 2048"),
            (10, "padding", "valid", "layer 11 '{}' (Conv2DTranspose): padding valid, the reference has same"),
            (11, "interpolation", "bilinear", "layer 12 '{}' (UpSampling2D): interpolation bilinear, "
                                              "the reference has nearest"),
        ]
        for index, key, value, message in cases:
            layers = [(c, dict(cfg), w) for c, cfg, w in model.layers]
            layers[index][1][key] = value
            with self.assertRaises(ref.ArchitectureError) as caught:
                ref.check_model(layers)
            self.assertEqual(str(caught.exception), message.format(layers[index][1]["name"]))
        with self.assertRaises(ref.ArchitectureError) as caught:
            ref.check_model(model.layers[:-1])
        self.assertEqual(str(caught.exception), "the model ends after 16 layers; the reference continues with Conv2D 'conv2d_3'")
        self.assertEqual(ref.check_model(model.layers), 16)

    def test_bundle_reader_refuses_damage(self):
        out = self.path("m.aemodel")
        keras2aemodel.convert(KERAS, out)
        with open(out, "rb") as f:
            good = f.read()
        damaged = bytearray(good)
        damaged[-5] ^= 1
        for data, message in ((good[:1000], "truncated: expected"), (bytes(damaged), "checksum mismatch in tensor data"),
                              (b"hello", "not a model bundle")):
            with self.assertRaises(aemodel_bundle.BundleError) as caught:
                aemodel_bundle.decode(data, "x")
            self.assertIn(message, str(caught.exception))

    def test_functional_layout_is_the_structure_keras_writes(self):
        # Fixtures/keras/functional-weights-layout.json: what Keras 3 itself wrote for a
        # notebook with functional encoder and decoder (Scripts/make_keras_layout_fixture.py).
        with open(os.path.join(FIXTURES, "functional-weights-layout.json")) as f:
            expected = json.load(f)["entries"]
        bundle = self.path("m.aemodel")
        keras2aemodel.convert(KERAS, bundle)
        out = self.path("f.weights.h5")
        aemodel2keras.convert(bundle, out, "functional")
        written = []
        with h5py.File(out, "r") as h5:
            h5.visititems(lambda n, o: written.append(
                [n, list(o.shape) if isinstance(o, h5py.Dataset) else o.attrs.get("name")]))
        self.assertEqual(sorted(written, key=lambda e: e[0]), expected)
        # The arrays are the Sequential file's, moved under functional/functional_1.
        with zipfile.ZipFile(KERAS) as z:
            original = h5_arrays(z.read("model.weights.h5"))
        with open(out, "rb") as f:
            arrays = h5_arrays(f.read())
        np.testing.assert_array_equal(arrays["layers/functional/layers/dense/vars/0"], original["layers/dense/vars/0"])
        np.testing.assert_array_equal(arrays["layers/functional_1/layers/conv2d/vars/0"], original["layers/conv2d_3/vars/0"])
        # A .keras file in this layout is refused, saying what to write instead.
        with self.assertRaises(aemodel2keras.ConversionError) as caught:
            aemodel2keras.convert(bundle, self.path("f.keras"), "functional")
        self.assertIn("--layout autoencoder", str(caught.exception))

    def test_non_finite_weights_are_refused_naming_the_tensor(self):
        for bad in (np.nan, np.inf):
            broken = self.path("broken.keras")
            with zipfile.ZipFile(KERAS) as z, zipfile.ZipFile(broken, "w") as out:
                for item in z.infolist():
                    data = z.read(item.filename)
                    if item.filename == "model.weights.h5":
                        buffer = io.BytesIO(data)
                        with h5py.File(buffer, "r+") as h5:
                            h5["layers/conv2d_1/vars/1"][3] = bad
                        data = buffer.getvalue()
                    out.writestr(item, data)
            with self.assertRaises(keras2aemodel.KerasFileError) as caught:
                keras2aemodel.convert(broken, self.path("out.aemodel"), force=True)
            self.assertEqual(str(caught.exception), "conv2d_1/bias holds 1 NaN or infinite value (the training "
                             "diverged?): such a model cannot code images; retrain it or use an earlier checkpoint")
            self.assertFalse(os.path.exists(self.path("out.aemodel")))

    def test_folders_are_refused_saying_what_to_do(self):
        saved = self.path("saved")
        os.makedirs(os.path.join(saved, "variables"))
        open(os.path.join(saved, "saved_model.pb"), "wb").close()
        with self.assertRaises(keras2aemodel.KerasFileError) as caught:
            keras2aemodel.read_keras(saved)
        self.assertIn("is a TensorFlow SavedModel folder", str(caught.exception))
        self.assertIn("model.save('model.keras')", str(caught.exception))
        with self.assertRaises(keras2aemodel.KerasFileError) as caught:
            keras2aemodel.read_keras(self.tmp.name)
        self.assertEqual(str(caught.exception), "is a folder, not a Keras model file (.keras or .h5)")


if __name__ == "__main__":
    unittest.main()
