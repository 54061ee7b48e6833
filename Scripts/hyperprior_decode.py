#!/usr/bin/env python3
"""An independent decoder of a conv-hyperprior latent file's symbols, written from the specs alone:
Specs/latent-file.md (section 12: the 2.x file and, in 12.2, the hyperprior's stream: z's symbols,
the scales by the fixed-order hyper-synthesis, y's symbols under the tables the scales pick),
Specs/model-bundle.md (section 6b: the family's layers, entropy tables and scale table) and
Specs/range-coder.md (through Scripts/range_decode.py's decoder).

Usage: hyperprior_decode.py MODEL.aemodel FILE.ael

Prints {"z": [...], "y": [...]}: the hyper-latent's and the latent's symbols in stream order (the
latent's values are its symbols). Exits with status 1 and a message on a file it cannot decode.
Needs numpy (float32 arithmetic: every product and sum below is rounded to float32, in the order
the spec gives, one output channel per array lane).
"""
import json
import math
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aemodel_bundle as ab  # noqa: E402
from range_decode import Damaged, Decoder, check_table  # noqa: E402


def varint(b, at):
    value, shift = 0, 0
    for i in range(5):
        byte = b[at + i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at + i + 1
        shift += 7
    raise Damaged("varint longer than 5 bytes")


def read_latent_file(b):
    """(fingerprint prefix, width, height, stream) of a 2.x latent file (section 12.1)."""
    if b[:4] != b"\x89AEL" or b[4] >> 4 != 2:
        raise Damaged("not a 2.x latent file")
    if zlib.crc32(b[:-4]) != int.from_bytes(b[-4:], "little"):
        raise Damaged("CRC mismatch")
    fingerprint = b[5:13]
    width, at = varint(b, 13)
    height, at = varint(b, at)
    flags = b[at + 1]
    at += 2
    if flags & 2:
        n, at = varint(b, at)
        at += n
    if flags & 1:
        n, at = varint(b, at)
        at += n
    return fingerprint, width, height, b[at:-4]


def same_padding_top(small, big, kernel, stride):
    """TensorFlow's 'same' padding before the first row of a convolution from `big` rows to `small`."""
    return max((small - 1) * stride + kernel - big, 0) // 2


def fixed_order_layer(x, kernel, bias, stride, transposed):
    """One hyper-synthesis layer (section 12.2): [H, W, Cin] float32 to its output, then ReLU."""
    h, w, cin = x.shape
    k = kernel.shape[0]
    cout = kernel.shape[2] if transposed else kernel.shape[3]
    oh, ow = (h * stride, w * stride) if transposed else ((h + stride - 1) // stride, (w + stride - 1) // stride)
    # The padding of the forward convolution between the larger and the smaller grid.
    pad_top = same_padding_top(h, oh, k, stride) if transposed else same_padding_top(oh, h, k, stride)
    pad_left = same_padding_top(w, ow, k, stride) if transposed else same_padding_top(ow, w, k, stride)
    out = np.zeros((oh, ow, cout), np.float32)
    zero = np.float32(0)
    for y in range(oh):
        for xo in range(ow):
            acc = bias.astype(np.float32).copy()
            for i in range(k):
                for j in range(k):
                    if transposed:
                        if (y + pad_top - i) % stride or (xo + pad_left - j) % stride:
                            continue
                        r, c = (y + pad_top - i) // stride, (xo + pad_left - j) // stride
                    else:
                        r, c = y * stride + i - pad_top, xo * stride + j - pad_left
                    inside = 0 <= r < h and 0 <= c < w
                    for ch in range(cin):
                        value = x[r, c, ch] if inside else zero
                        weights = kernel[i, j, :, ch] if transposed else kernel[i, j, ch, :]
                        acc = (acc + (value * weights).astype(np.float32)).astype(np.float32)
            out[y, xo] = np.maximum(acc, zero)
    return out


def decode(bundle_path, file_path):
    metadata, tensors, fingerprint, _ = ab.read(bundle_path)
    with open(file_path, "rb") as f:
        prefix, width, height, stream = read_latent_file(f.read())
    if prefix.hex() != fingerprint[:16]:
        raise Damaged("the file names another model")
    arch = metadata["architecture"]
    if arch.get("family") != "conv-hyperprior":
        raise Damaged("not a conv-hyperprior model")
    cdf = tensors["entropy/cdf"][1].astype(np.int64)
    lengths = tensors["entropy/cdf_length"][1].astype(np.int64)
    offsets = tensors["entropy/offset"][1].astype(np.int64)
    medians = tensors["entropy/median"][1].astype(np.float32)
    scales = tensors["entropy/scale"][1].astype(np.float32)
    tables = [{"cdf": [int(v) for v in cdf[t, :lengths[t]]], "offset": int(offsets[t])} for t in range(len(lengths))]
    for table in tables:
        check_table(table)
    n = len(tables) - len(scales)
    m = tensors["analysis_conv3/bias"][1].shape[0]
    lh, lw = math.ceil(height / 16), math.ceil(width / 16)
    zh, zw = math.ceil(math.ceil(lh / 2) / 2), math.ceil(math.ceil(lw / 2) / 2)

    decoder = Decoder(stream, False)
    z = [decoder.value(tables[i % n]) for i in range(zh * zw * n)]
    zhat = (np.array(z, np.float32).reshape(zh, zw, n) + medians[:n]).astype(np.float32)
    x = zhat
    for name, stride, transposed in (("hyper_synthesis_conv0", 2, True), ("hyper_synthesis_conv1", 2, True),
                                     ("hyper_synthesis_conv2", 1, False)):
        x = fixed_order_layer(x, tensors[name + "/kernel"][1], tensors[name + "/bias"][1], stride, transposed)
    s = x[:lh, :lw, :m].reshape(-1)
    indexes = [next((j for j, t in enumerate(scales) if v <= t), len(scales) - 1) for v in s]
    y = [decoder.value(tables[n + j]) for j in indexes]
    decoder.finish()
    return z, y


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    try:
        z, y = decode(argv[1], argv[2])
    except (Damaged, ab.BundleError, KeyError, IndexError) as error:
        print("hyperprior_decode.py: %s" % error, file=sys.stderr)
        return 1
    print(json.dumps({"z": z, "y": y}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
