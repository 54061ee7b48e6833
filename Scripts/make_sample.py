"""Writes Fixtures/samples/house-number.png: a 96x64 synthetic 'house number' (two
seven-segment digits on a shaded wall), the image the README's quick start encodes.
Made by this script (numpy + zlib only), not taken from any data set.
Run from the repository root: python3 Scripts/make_sample.py"""
import struct, zlib
import numpy as np

W, H = 96, 64
y, x = np.mgrid[0:H, 0:W].astype(np.float64)
img = np.stack([150 + 40 * x / W, 110 + 30 * y / H, 80 + 20 * (x + y) / (W + H)], axis=-1)
img += 6 * np.sin(x / 3.0)[..., None]  # a little brick texture

SEGMENTS = {"4": "bcfg", "2": "abdeg"}
def segment_boxes(ox, oy, w=18, h=36, t=5):
    return {"a": (ox, oy, ox + w, oy + t), "b": (ox + w - t, oy, ox + w, oy + h // 2),
            "c": (ox + w - t, oy + h // 2, ox + w, oy + h), "d": (ox, oy + h - t, ox + w, oy + h),
            "e": (ox, oy + h // 2, ox + t, oy + h), "f": (ox, oy, ox + t, oy + h // 2),
            "g": (ox, oy + h // 2 - t // 2, ox + w, oy + h // 2 + t // 2 + 1)}
for digit, ox in (("4", 24), ("2", 54)):
    boxes = segment_boxes(ox, 14)
    for s in SEGMENTS[digit]:
        x0, y0, x1, y1 = boxes[s]
        img[y0:y1, x0:x1] = (245, 240, 225)

pixels = np.clip(np.round(img), 0, 255).astype(np.uint8)
raw = b"".join(b"\x00" + pixels[r].tobytes() for r in range(H))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
open("Fixtures/samples/house-number.png", "wb").write(png)
