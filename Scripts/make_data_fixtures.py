#!/usr/bin/env python3
"""Writes the small data-source test fixtures under Fixtures/data/ (committed).

Run from the repository root:  python3 Scripts/make_data_fixtures.py
Needs numpy and scipy. Output is deterministic (fixed seed; the MAT header's
creation date is overwritten with a fixed text).

  images.npy               4 random uint8 images, shape (4, 32, 32, 3): the ground truth
  images_v2.npy            the same, .npy format version 2.0
  images_plain.mat         X = images as 32x32x3x4 (MATLAB order) + y, uncompressed (miMATRIX)
  images_compressed.mat    the same, zlib-compressed (miCOMPRESSED)
  images_double.mat        the first 2 images as class double (miDOUBLE data), uncompressed
  images_bigendian.mat     X uint8 + y in a big-endian ("MI") MAT v5 file (hand-written;
                           scipy writes only native order), with small data elements
  single_image.mat         X = the first image as 32x32x3 (MATLAB drops the trailing 1)
  wrong_dims.mat           X uint8 28x28x1x5
  no_x.mat                 variables y and Z, no X
  int16.mat                X of class int16 (1 image)
  normalised.mat           X double in [0, 1] (1 image)
  v73.mat                  the first 600 bytes of a MAT v7.3 file: text header, version
                           0x0200, then the HDF5 signature at offset 512
  float32.npy              float32 (1, 32, 32, 3)
  fortran.npy              uint8 (4, 32, 32, 3) in Fortran order
  wrong_shape.npy          uint8 (4, 28, 28, 3)
  labels.npy               the images' digits, uint8 (4,): 1, 0, 3, 7 (the MAT files' y
                           is 1, 10, 3, 7: SVHN writes zero as 10)
  labels_int64_be.npy      the same as big-endian int64 (4, 1), zero written as 10
  labels_bad.npy           int16 (4,) with an 11, which names no digit
  labels_short.npy         uint8 (3,): one label short
  svhn_photos/             a tiny SVHN format-1 folder: digit_boxes.csv, train/1.png,
                           train/2.png (24x20, smaller than a crop), test/1.png (solid
                           magenta: must never appear in crops) ; test/2.png is named in
                           the CSV but deliberately absent.
"""
import os
import struct
import zlib

import numpy as np
import scipy.io

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "data")


def fixed_header(path):
    """Replace the creation date in a scipy MAT header so the file is reproducible."""
    with open(path, "r+b") as f:
        text = b"MATLAB 5.0 MAT-file Platform: posix, Created on: (fixture)"
        f.write(text.ljust(116, b" "))


def savemat(name, variables, compress):
    path = os.path.join(ROOT, name)
    scipy.io.savemat(path, variables, do_compression=compress, oned_as="column")
    fixed_header(path)


def mat_be_element(mtype, payload):
    """A big-endian MAT data element, padded to 8 bytes; small format when <= 4 bytes."""
    if 0 < len(payload) <= 4:
        return struct.pack(">HH", len(payload), mtype) + payload.ljust(4, b"\0")
    pad = (-len(payload)) % 8
    return struct.pack(">II", mtype, len(payload)) + payload + b"\0" * pad


def mat_be_matrix(name, array, mx_class, mi_type, dtype):
    flags = mat_be_element(6, struct.pack(">II", mx_class, 0))
    dims = mat_be_element(5, struct.pack(">%di" % array.ndim, *array.shape))
    nm = mat_be_element(1, name.encode())
    data = mat_be_element(mi_type, array.flatten(order="F").astype(dtype).tobytes())
    body = flags + dims + nm + data
    return struct.pack(">II", 14, len(body)) + body


def write_bigendian_mat(path, x, y):
    text = b"MATLAB 5.0 MAT-file, big-endian fixture".ljust(116, b" ")
    header = text + b"\0" * 8 + struct.pack(">H", 0x0100) + b"MI"
    body = mat_be_matrix("y", y, 9, 2, ">u1") + mat_be_matrix("X", x, 9, 2, ">u1")
    with open(path, "wb") as f:
        f.write(header + body)


def write_v73_header(path):
    text = (b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: (fixture) "
            b"HDF5 schema 1.00 .").ljust(116, b" ")
    header = text + b"\0" * 8 + struct.pack("<H", 0x0200) + b"IM"
    body = header.ljust(512, b"\0") + b"\x89HDF\r\n\x1a\n" + b"\0" * 80
    with open(path, "wb") as f:
        f.write(body)


def png_bytes(rgb):
    """A minimal 8-bit RGB PNG (filter 0 on every row)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\0" + rgb[r].astype(np.uint8).tobytes() for r in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def photo(w, h, seed):
    """A smooth photo-like test image whose green channel stays >= 100 (never magenta)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    r = 40 + 200 * xx / max(1, w - 1)
    g = 100 + 120 * yy / max(1, h - 1)
    b = 60 + 80 * ((xx + yy) % 7) / 6
    img = np.stack([r, g, b], axis=-1) + rng.integers(0, 10, size=(h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def write_svhn_photos():
    base = os.path.join(ROOT, "svhn_photos")
    os.makedirs(os.path.join(base, "train"), exist_ok=True)
    os.makedirs(os.path.join(base, "test"), exist_ok=True)
    with open(os.path.join(base, "train", "1.png"), "wb") as f:
        f.write(png_bytes(photo(48, 40, 1)))
    with open(os.path.join(base, "train", "2.png"), "wb") as f:
        f.write(png_bytes(photo(24, 20, 2)))
    magenta = np.zeros((40, 40, 3), np.uint8)
    magenta[..., 0] = 255
    magenta[..., 2] = 255
    with open(os.path.join(base, "test", "1.png"), "wb") as f:
        f.write(png_bytes(magenta))
    rows = [
        "split,image,digit,label,left,top,width,height,image_width,image_height",
        "test,1,1,5,4,4,20,30,40,40",
        "train,1,1,1,5,6,12,20,48,40",
        "train,1,2,9,17,7,14,22,48,40",
        "test,2,1,3,0,0,10,10,40,40",
        "train,2,1,4,-1,2,9,15,24,20",
        "train,1,3,0,30,10,16,25,48,40",
        "test,1,2,7,20,4,15,30,40,40",
    ]
    with open(os.path.join(base, "digit_boxes.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")


def main():
    os.makedirs(ROOT, exist_ok=True)
    rng = np.random.default_rng(20260511)
    images = rng.integers(0, 256, size=(4, 32, 32, 3), dtype=np.uint8)
    x = np.ascontiguousarray(np.transpose(images, (1, 2, 3, 0)))  # X(r, c, ch, i)
    y = np.array([[1], [10], [3], [7]], dtype=np.uint8)

    np.save(os.path.join(ROOT, "images.npy"), images)
    with open(os.path.join(ROOT, "images_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, images, version=(2, 0))
    savemat("images_plain.mat", {"X": x, "y": y}, False)
    savemat("images_compressed.mat", {"X": x, "y": y}, True)
    savemat("images_double.mat", {"y": y[:2].astype(np.float64), "X": x[..., :2].astype(np.float64)}, False)
    write_bigendian_mat(os.path.join(ROOT, "images_bigendian.mat"), x, y)
    savemat("single_image.mat", {"X": x[:, :, :, 0]}, True)
    savemat("wrong_dims.mat", {"X": rng.integers(0, 256, size=(28, 28, 1, 5), dtype=np.uint8)}, True)
    savemat("no_x.mat", {"y": y, "Z": np.zeros((2, 2), np.uint8)}, True)
    savemat("int16.mat", {"X": x[..., :1].astype(np.int16)}, True)
    savemat("normalised.mat", {"X": x[..., :1].astype(np.float64) / 255.0}, True)
    write_v73_header(os.path.join(ROOT, "v73.mat"))

    np.save(os.path.join(ROOT, "float32.npy"), images[:1].astype(np.float32))
    np.save(os.path.join(ROOT, "fortran.npy"), np.asfortranarray(images))
    np.save(os.path.join(ROOT, "wrong_shape.npy"), images[:, :28, :28, :])
    np.save(os.path.join(ROOT, "labels.npy"), np.array([1, 0, 3, 7], np.uint8))
    np.save(os.path.join(ROOT, "labels_int64_be.npy"), y.astype(">i8"))
    np.save(os.path.join(ROOT, "labels_bad.npy"), np.array([1, 0, 11, 7], np.int16))
    np.save(os.path.join(ROOT, "labels_short.npy"), np.array([1, 0, 3], np.uint8))

    write_svhn_photos()

    # Self-checks with scipy's own reader.
    for name in ["images_plain.mat", "images_compressed.mat", "images_bigendian.mat"]:
        loaded = scipy.io.loadmat(os.path.join(ROOT, name))["X"]
        assert (np.transpose(loaded, (3, 0, 1, 2)) == images).all(), name
    print("fixtures written to", os.path.normpath(ROOT))


if __name__ == "__main__":
    main()
