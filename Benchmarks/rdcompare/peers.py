"""The peer codecs (Pillow): JPEG 4:2:0 and 4:4:4, WebP and AVIF, each over a grid of
qualities and at the quality whose size is nearest to one of our files.

Settings (fixed here so that every run is the same comparison):
  * JPEG: libjpeg-turbo through Pillow, RGB, optimize=True (optimised Huffman tables),
    subsampling=2 (4:2:0, Pillow's default) or 0 (4:4:4); quality 1..100 (0 is 1).
  * WebP: libwebp lossy, method=6 (slowest, smallest); quality 0..100.
  * AVIF: pillow-avif-plugin (or Pillow's own AVIF where the plugin is missing), libavif
    with its default encoder (aom), speed=6 (the plugin's documented default; 0 is the
    slowest and smallest, 10 the fastest), its default 4:2:0; quality 0..100.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from . import metrics

AVIF_SPEED = 6
# name -> (Pillow format, save options, lowest quality)
CODECS = {
    "JPEG 4:2:0": ("JPEG", dict(optimize=True, subsampling=2), 1),
    "JPEG 4:4:4": ("JPEG", dict(optimize=True, subsampling=0), 1),
    "WebP": ("WEBP", dict(method=6), 0),
    "AVIF": ("AVIF", dict(speed=AVIF_SPEED), 0),
}
DEFAULT_GRID = (0, 2, 5, 8, 12, 16, 20, 30, 40, 50, 65, 80, 95)


def avif_support():
    """(available, description). Loads pillow-avif-plugin when installed (it registers
    the AVIF format in Pillow), else falls back on Pillow's built-in AVIF."""
    from PIL import features

    try:
        import pillow_avif  # noqa: F401  (registers AVIF)
        from pillow_avif import _avif

        Image.init()
        return True, "pillow-avif-plugin %s, libavif %s (%s)" % (
            pillow_avif.__version__, _avif.libavif_version, _avif.codec_versions())
    except ImportError:
        pass
    if features.check("avif"):
        return True, "Pillow's built-in AVIF, libavif %s" % features.version("avif")
    return False, "AVIF: neither pillow-avif-plugin nor Pillow's built-in AVIF is available"


def versions() -> str:
    from PIL import __version__, features

    turbo = features.version("libjpeg_turbo") if features.check_feature("libjpeg_turbo") else None
    return "Pillow %s, libjpeg %s%s, libwebp %s" % (
        __version__, features.version("jpg"), " (libjpeg-turbo %s)" % turbo if turbo else "",
        features.version("webp"))


def grid_for(codec: str, grid) -> list[int]:
    """The grid's qualities, those under the codec's lowest replaced by the lowest."""
    return sorted({max(CODECS[codec][2], q) for q in grid})


def encode(img: Image.Image, codec: str, q: int) -> bytes:
    fmt, options, _ = CODECS[codec]
    buf = io.BytesIO()
    img.save(buf, fmt, quality=q, **options)
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as d:
        return np.asarray(d.convert("RGB"), dtype=np.uint8)


class PeerImage:
    """One image under one peer codec: encodings and their metrics, each made once."""

    def __init__(self, orig: np.ndarray, codec: str, with_msssim: bool):
        self.orig, self.codec, self.with_msssim = orig, codec, with_msssim
        self.img = Image.fromarray(orig, "RGB")
        self.data: dict[int, bytes] = {}
        self.scores: dict[int, tuple] = {}

    def size(self, q: int) -> int:
        if q not in self.data:
            self.data[q] = encode(self.img, self.codec, q)
        return len(self.data[q])

    def measure(self, q: int):
        """(bytes, psnr, msssim or None) at quality q."""
        if q not in self.scores:
            self.size(q)
            dec = decode(self.data[q])
            ms = metrics.msssim(self.orig, dec) if self.with_msssim else None
            self.scores[q] = (len(self.data[q]), metrics.psnr(self.orig, dec), ms)
        return self.scores[q]

    def nearest_quality(self, target: int) -> int:
        """Quality whose size is nearest to target bytes: bisection on the size (which
        rises with quality up to small wiggles), then every quality within +-3 of the
        bracket; the nearest size wins, ties go to the smaller file, then the lower q."""
        qmin = CODECS[self.codec][2]
        lo, hi = qmin, 100  # the smallest q with size >= target lies in [lo, hi]
        if self.size(hi) < target:
            lo = hi
        while lo < hi:
            mid = (lo + hi) // 2
            if self.size(mid) >= target:
                hi = mid
            else:
                lo = mid + 1
        for q in range(max(qmin, lo - 3), min(100, lo + 3) + 1):
            self.size(q)
        return min(self.data, key=lambda q: (abs(len(self.data[q]) - target), len(self.data[q]), q))
