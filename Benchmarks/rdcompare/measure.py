"""One image's rows: our decoded files measured, and each peer over the quality grid and
at the quality nearest each of our sizes. Runs in a worker process."""

from __future__ import annotations

from PIL import Image
import numpy as np

from . import metrics, peers


def load_rgb(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def image_job(job) -> list[dict]:
    """job: (set, png path, [(curve, point, level, bytes, decoded png)], peer names, grid,
    with_msssim). Returns the rows (see curves.py) for this image."""
    set_name, path, ours, peer_names, grid, with_msssim = job
    orig = load_rgb(path)
    h, w = orig.shape[:2]
    with_msssim = with_msssim and min(h, w) >= metrics.MIN_SIDE
    base = dict(set=set_name, image=path.rsplit("/", 1)[-1], width=w, height=h)
    rows = []
    for curve, point, level, nbytes, decoded in ours:
        dec = load_rgb(decoded)
        rows.append(dict(base, kind="ours", codec=curve, target=point, level=level, quality="", bytes=nbytes,
                         bpp=8.0 * nbytes / (w * h), psnr=metrics.psnr(orig, dec),
                         msssim=metrics.msssim(orig, dec) if with_msssim else None))
    for codec in peer_names:
        pi = peers.PeerImage(orig, codec, with_msssim)
        for q in peers.grid_for(codec, grid):
            nbytes, db, ms = pi.measure(q)
            rows.append(dict(base, kind="grid", codec=codec, target="", level="", quality=q, bytes=nbytes,
                             bpp=8.0 * nbytes / (w * h), psnr=db, msssim=ms))
        for _, point, _, target, _ in ours:
            q = pi.nearest_quality(target)
            nbytes, db, ms = pi.measure(q)
            rows.append(dict(base, kind="same-size", codec=codec, target=point, level="", quality=q, bytes=nbytes,
                             bpp=8.0 * nbytes / (w * h), psnr=db, msssim=ms))
    return rows
