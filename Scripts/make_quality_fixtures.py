"""Writes Fixtures/quality/: pairs of small PNG images (an original and a distorted copy,
made here from numpy's seeded legacy generator, no data set) and values.json, their
SSIM and MS-SSIM as pytorch_msssim computes them, and their PSNR. QualityMetricTests
checks the Swift metrics (Sources/AEBase/SSIM.swift, MSSSIM.swift) against these values.

pytorch_msssim (and torch) are the independent implementation: ssim() and ms_ssim() with
their defaults (window 11, sigma 1.5, K1 0.01, K2 0.03, the standard five weights),
data_range 255, size_average=True (the mean over the channels), on float64 tensors; a
gray image is one channel. MS-SSIM is null for images under 161 pixels a side, which
pytorch_msssim refuses.

Two values of each: "ssim" and "msssim" pass pytorch_msssim the Gaussian window in
float64 (win=, the definition's weights exp(-x^2/4.5) / their sum), "...Float32Window"
are its plain defaults, whose window is built in float32: its weights sum to 1 only
within about 3e-8, which shifts the local variances by about 6e-8 times the squared
local mean, and SSIM by up to about 1e-5 on these images. A third opinion,
Benchmarks/rdcompare/metrics.py's numpy MS-SSIM (float64 window), must agree with the
float64-window value within 1e-12.

Run from the repository root with a Python that has numpy, torch and pytorch_msssim
(e.g. the peers' venv: Benchmarks/.venv-peers/bin/python Scripts/make_quality_fixtures.py).
"""
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch
import pytorch_msssim
from pytorch_msssim import ms_ssim, ssim

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Benchmarks"))
from rdcompare import metrics as numpy_metrics  # noqa: E402

OUT = "Fixtures/quality"


def write_png(path, pixels):
    """8-bit gray (H x W) or RGB (H x W x 3), no filter, zlib level 9."""
    h, w = pixels.shape[:2]
    color_type = 0 if pixels.ndim == 2 else 2
    raw = b"".join(b"\x00" + pixels[r].tobytes() for r in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def scene(rng, h, w, channels):
    """A photo-like picture: gradients, waves at several scales, a few flat boxes, grain."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for c in range(channels):
        p = 90 + 60 * x / w + 40 * y / h
        p += 25 * np.sin(x / (3 + 2 * c)) * np.cos(y / 7.0) + 15 * np.sin((x + 2 * y) / 19.0)
        planes.append(p)
    img = np.stack(planes, axis=-1)
    for _ in range(6):
        y0, x0 = rng.randint(0, h - 4), rng.randint(0, w - 4)
        img[y0:y0 + rng.randint(4, max(5, h // 3)), x0:x0 + rng.randint(4, max(5, w // 3))] = rng.randint(0, 256, channels)
    img += rng.normal(0, 4, img.shape)
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    return img[..., 0] if channels == 1 else img


def blur(img):
    """3 x 3 box blur (edges replicated)."""
    f = img.astype(np.float64)
    pad = [(1, 1), (1, 1)] + ([(0, 0)] if img.ndim == 3 else [])
    p = np.pad(f, pad, mode="edge")
    h, w = img.shape[:2]
    return sum(p[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)) / 9


def clip8(f):
    return np.clip(np.round(f), 0, 255).astype(np.uint8)


def pairs():
    rng = np.random.RandomState(20261130)
    a = scene(rng, 176, 192, 3)
    yield "even-rgb", a, clip8(blur(a) + rng.normal(0, 6, a.shape)), "3x3 blur and noise (sigma 6); even sides"
    a = scene(rng, 173, 167, 3)
    yield "odd-rgb", a, clip8(a + rng.normal(0, 20, a.shape)), "noise (sigma 20); odd sides at several scales"
    a = scene(rng, 161, 161, 1)
    yield "gray-161", a, (a // 16 * 16 + 8).astype(np.uint8), "16 gray levels; the smallest size with 5 scales"
    a = scene(rng, 164, 170, 3)
    b = a.copy()
    b[..., 2] = 255 - a[..., 2]
    yield "inverted-blue", a, b, "blue inverted: negative SSIM, MS-SSIM clamped at 0 in that channel"
    a = scene(rng, 32, 32, 3)
    yield "digit-rgb-32", a, clip8(blur(a)), "3x3 blur; too small for MS-SSIM"
    a = scene(rng, 11, 13, 3)
    yield "tiny-rgb-13x11", a, clip8(a + rng.normal(0, 10, a.shape)), "one window row; no MS-SSIM"


def window64(channels):
    """The 11-tap Gaussian (sigma 1.5) in float64, shaped as pytorch_msssim's win."""
    x = np.arange(11, dtype=np.float64) - 5
    g = np.exp(-(x * x) / (2 * 1.5 * 1.5))
    return torch.from_numpy(g / g.sum()).reshape(1, 1, 1, 11).repeat(channels, 1, 1, 1)


def tensor(img):
    t = torch.from_numpy(img.astype(np.float64))
    return (t[None, None] if img.ndim == 2 else t.permute(2, 0, 1)[None]).contiguous()


def main():
    os.makedirs(OUT, exist_ok=True)
    records = []
    for name, a, b, what in pairs():
        ref, dist = f"{name}-reference.png", f"{name}-distorted.png"
        write_png(os.path.join(OUT, ref), a)
        write_png(os.path.join(OUT, dist), b)
        h, w = a.shape[:2]
        ta, tb = tensor(a), tensor(b)
        win = window64(ta.shape[1])
        s = float(ssim(ta, tb, data_range=255, size_average=True, win=win))
        s32 = float(ssim(ta, tb, data_range=255, size_average=True))
        m = m32 = None
        if min(h, w) >= numpy_metrics.MIN_SIDE:
            m = float(ms_ssim(ta, tb, data_range=255, size_average=True, win=win))
            m32 = float(ms_ssim(ta, tb, data_range=255, size_average=True))
            rgb = (lambda x: np.stack([x] * 3, axis=-1)) if a.ndim == 2 else (lambda x: x)
            third = numpy_metrics.msssim(rgb(a), rgb(b))
            assert abs(third - m) < 1e-12, f"{name}: pytorch_msssim {m} and numpy {third} disagree"
        mse = float(np.mean((a.astype(np.float64) / 255 - b.astype(np.float64) / 255) ** 2))
        records.append({"name": name, "reference": ref, "distorted": dist, "width": w, "height": h,
                        "channels": 1 if a.ndim == 2 else 3, "what": what,
                        "ssim": s, "msssim": m, "ssimFloat32Window": s32, "msssimFloat32Window": m32, "mse": mse, "psnr": 10 * np.log10(1 / mse)})
        print(f"{name:16s} {w}x{h}  SSIM {s:.10f} (float32 window {s32:.10f})  MS-SSIM {m} (float32 window {m32})")
    doc = {"generator": "Scripts/make_quality_fixtures.py",
           "implementation": f"pytorch_msssim {getattr(pytorch_msssim, '__version__', '?')}, torch {torch.__version__},"
                             f" numpy {np.__version__}; float64 tensors, data_range 255, size_average=True",
           "pairs": records}
    with open(os.path.join(OUT, "values.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
