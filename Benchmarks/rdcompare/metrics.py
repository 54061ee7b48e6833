"""PSNR and MS-SSIM over RGB, in numpy.

MS-SSIM is the 5-scale index of Wang, Simoncelli and Bovik (2003): an 11-tap Gaussian
window (sigma 1.5) applied without padding ("valid"), K1 = 0.01, K2 = 0.03, data range
255, the weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333); the contrast-structure term at
scales 1 to 4 and the full SSIM at scale 5, each clamped at 0 before the power, computed
per channel and averaged over R, G and B. Between scales a 2x2 average, where an odd side
is zero-padded by one pixel on both sides first, exactly as pytorch_msssim (the package
CompressAI's evaluation uses) does, so that the figures are comparable; on even sides
(every Kodak scale) it is the plain 2x2 mean. `self_check` compares it with pytorch_msssim.
"""

from __future__ import annotations

import math

import numpy as np

WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
WINDOW, SIGMA = 11, 1.5
K1, K2, DATA_RANGE = 0.01, 0.03, 255.0
# After 4 halvings the smallest side must still hold one window: sides above 160 pixels
# (pytorch_msssim's own assertion).
MIN_SIDE = (WINDOW - 1) * 2 ** (len(WEIGHTS) - 1) + 1


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR over all values of all three channels, pixels scaled to [0, 1]."""
    d = a.astype(np.float64) / 255.0 - b.astype(np.float64) / 255.0
    mse = float(np.mean(d * d))
    return float("inf") if mse == 0 else 10.0 * math.log10(1.0 / mse)


def msssim_db(value: float) -> float:
    """MS-SSIM as decibels, -10*log10(1 - value), the scale CompressAI plots it on."""
    return float("inf") if value >= 1.0 else -10.0 * math.log10(1.0 - value)


def _gaussian() -> np.ndarray:
    x = np.arange(WINDOW, dtype=np.float64) - WINDOW // 2
    g = np.exp(-(x * x) / (2.0 * SIGMA * SIGMA))
    return g / g.sum()


_G = _gaussian()


def _filter_valid(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Separable Gaussian over the last two axes, no padding (output shrinks by WINDOW-1).
    scipy's correlate1d, cropped to where the window lies inside the image (5x faster
    than numpy slices)."""
    from scipy.ndimage import correlate1d

    r = WINDOW // 2
    y = correlate1d(x, g, axis=-2, mode="constant")[..., r:-r, :]
    return correlate1d(y, g, axis=-1, mode="constant")[..., r:-r]


def _ssim_cs(x: np.ndarray, y: np.ndarray, g: np.ndarray):
    """Per-channel mean SSIM and mean contrast-structure term; x, y: C x H x W float64."""
    c1, c2 = (K1 * DATA_RANGE) ** 2, (K2 * DATA_RANGE) ** 2
    mu1, mu2, xx, yy, xy = _filter_valid(np.stack([x, y, x * x, y * y, x * y]), g)
    mu1_sq, mu2_sq, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    cs_map = (2.0 * (xy - mu12) + c2) / ((xx - mu1_sq) + (yy - mu2_sq) + c2)
    ssim_map = (2.0 * mu12 + c1) / (mu1_sq + mu2_sq + c1) * cs_map
    return ssim_map.mean(axis=(-2, -1)), cs_map.mean(axis=(-2, -1))


def _halve(x: np.ndarray) -> np.ndarray:
    """2x2 average; an odd side is zero-padded by one on both sides first (as avg_pool2d
    with padding 1 and count_include_pad, in pytorch_msssim)."""
    ph, pw = x.shape[-2] % 2, x.shape[-1] % 2
    if ph or pw:
        x = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    x = x[:, :h, :w]
    return 0.25 * (x[:, 0::2, 0::2] + x[:, 1::2, 0::2] + x[:, 0::2, 1::2] + x[:, 1::2, 1::2])


def msssim(a: np.ndarray, b: np.ndarray, window: np.ndarray = _G):
    """MS-SSIM of two uint8 H x W x 3 images, or None when a side is under MIN_SIDE."""
    if min(a.shape[0], a.shape[1]) < MIN_SIDE:
        return None
    x = np.moveaxis(a.astype(np.float64), -1, 0)
    y = np.moveaxis(b.astype(np.float64), -1, 0)
    value = np.ones(x.shape[0])
    for i, w in enumerate(WEIGHTS):
        ssim, cs = _ssim_cs(x, y, window)
        if i < len(WEIGHTS) - 1:
            value *= np.maximum(cs, 0.0) ** w
            x, y = _halve(x), _halve(y)
        else:
            value *= np.maximum(ssim, 0.0) ** w
    return float(value.mean())


def self_check(pairs):
    """Compare msssim with pytorch_msssim.ms_ssim on (name, a, b) uint8 pairs, both in
    float64. pytorch_msssim builds its Gaussian window in float32, which alone makes
    differences near 1e-7 (the window's sum is not exactly 1); each line also gives ours
    with that very window, which agrees to rounding.
    Returns (lines to print, passed): under 1e-5, and under 1e-12 with its window.
    Raises ImportError when pytorch_msssim (or torch) is missing."""
    import torch
    from pytorch_msssim import ms_ssim
    from pytorch_msssim.ssim import _fspecial_gauss_1d

    w32 = _fspecial_gauss_1d(WINDOW, SIGMA).flatten().double().numpy()  # its float32 window
    lines, worst, worst32 = [], 0.0, 0.0
    for name, a, b in pairs:
        ours, ours32 = msssim(a, b), msssim(a, b, w32)
        ta = torch.from_numpy(np.moveaxis(a, -1, 0)[None].astype(np.float64))
        tb = torch.from_numpy(np.moveaxis(b, -1, 0)[None].astype(np.float64))
        ref = float(ms_ssim(ta, tb, data_range=255, size_average=True))
        worst, worst32 = max(worst, abs(ours - ref)), max(worst32, abs(ours32 - ref))
        lines.append("  %-40s %dx%d  ours %.8f  pytorch_msssim %.8f  diff %.1e  (float32 window: diff %.1e)"
                     % (name, a.shape[1], a.shape[0], ours, ref, abs(ours - ref), abs(ours32 - ref)))
    ok = worst < 1e-5 and worst32 < 1e-12
    lines.append("largest difference %.1e (float32 window: %.1e): %s" % (
        worst, worst32, "PASS (under 1e-5, and 1e-12 with its window)" if ok else "FAIL"))
    return lines, ok
