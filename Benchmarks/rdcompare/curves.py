"""From per-image rows to curves: means per point, the upper envelope a curve is read on,
BD-rates (the bjontegaard package) and a peer's quality at one of our sizes.

Rows are dicts: set, image, width, height, kind ('ours', 'grid' or 'same-size'), codec
(our curve or the peer), target (our point; for same-size rows the point whose size was
matched), level, quality, bytes, bpp, psnr, msssim (None where not measured).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

from . import metrics

BD_METHOD = "pchip"  # bjontegaard's piecewise cubic Hermite interpolation (monotone)
SMALL_OVERLAP = 0.5  # below this share of our curve's quality range a BD-rate gets a warning


@dataclass
class Mean:
    set: str
    kind: str
    codec: str
    target: str
    level: str
    quality: object
    n: int
    bytes: float
    bpp: float
    psnr: float
    msssim: object  # float or None

    @property
    def msssim_db(self):
        return None if self.msssim is None else metrics.msssim_db(self.msssim)

    def metric(self, name: str):
        return self.psnr if name == "psnr" else self.msssim_db


def means(rows, kind: str) -> list[Mean]:
    """Mean bytes, bpp, PSNR and MS-SSIM over images, per (set, codec, target, level, and
    for the grid quality; same-size rows mix the qualities chosen per image)."""
    groups: dict = {}
    for r in rows:
        if r["kind"] == kind:
            q = r["quality"] if kind == "grid" else ""
            groups.setdefault((r["set"], r["codec"], r["target"], r["level"], q), []).append(r)
    out = []
    for (s, codec, target, level, q), g in groups.items():
        n = len(g)
        ms = [r["msssim"] for r in g]
        out.append(Mean(s, kind, codec, target, level, q, n, sum(r["bytes"] for r in g) / n,
                        sum(r["bpp"] for r in g) / n, sum(r["psnr"] for r in g) / n,
                        None if any(v is None for v in ms) else sum(ms) / n))
    return out


def floor_counts(rows, lowest) -> dict:
    """{(set, codec, target): images where even the codec's lowest quality was larger than our file}."""
    ours = {(r["set"], r["image"], r["target"]): r["bytes"] for r in rows if r["kind"] == "ours"}
    out: dict = {}
    for r in rows:
        if r["kind"] == "same-size":
            k = (r["set"], r["codec"], r["target"])
            out[k] = out.get(k, 0) + (r["quality"] == lowest(r["codec"]) and
                                      r["bytes"] > ours[(r["set"], r["image"], r["target"])])
    return out


def front(points: list[Mean], metric: str) -> list[Mean]:
    """The points in order of size that beat every smaller one on the metric: the curve
    that interpolation reads (drops the wiggles of a quality grid at tiny sizes)."""
    pts = [p for p in points if p.metric(metric) is not None and math.isfinite(p.metric(metric))]
    out, best = [], -math.inf
    for p in sorted(pts, key=lambda p: (p.bytes, -p.metric(metric))):
        if p.metric(metric) > best:
            out.append(p)
            best = p.metric(metric)
    return out


@dataclass
class BD:
    rate: object  # percent, or None
    psnr: object  # metric difference at equal rate, or None
    lo: float
    hi: float
    share: float  # the overlap as a fraction of our curve's quality range
    note: str  # about the BD-rate
    metric_note: str = ""  # about the BD of the metric


def bd(anchor: list[Mean], test: list[Mean], metric: str) -> BD:
    """BD-rate of test against anchor (negative: test needs fewer bits for the same
    quality), by bjontegaard with pchip over the overlapping range of the metric, and the
    BD of the metric over the overlapping range of log-rate. Both curves are fronts."""
    import bjontegaard

    if len(test) < 2 or len(anchor) < 2:
        return BD(None, None, math.nan, math.nan, 0.0, "needs 2 points on each curve")
    ar, am = [p.bpp for p in anchor], [p.metric(metric) for p in anchor]
    tr, tm = [p.bpp for p in test], [p.metric(metric) for p in test]
    lo, hi = max(min(am), min(tm)), min(max(am), max(tm))
    share = max(0.0, hi - lo) / (max(tm) - min(tm))
    rate = delta = None
    notes, metric_note = [], ""
    if 0 < share < SMALL_OVERLAP:
        notes.append("the overlap is only %.0f%% of our range: read with care" % (100 * share))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hi > lo:
            rate = float(bjontegaard.bd_rate(ar, am, tr, tm, method=BD_METHOD,
                                             require_matching_points=False, min_overlap=0))
        else:
            notes.append("no overlap in quality (ours %.2f-%.2f, peer %.2f-%.2f)" % (min(tm), max(tm), min(am), max(am)))
        if max(min(ar), min(tr)) < min(max(ar), max(tr)):
            delta = float(bjontegaard.bd_psnr(ar, am, tr, tm, method=BD_METHOD,
                                              require_matching_points=False, min_overlap=0))
        else:
            metric_note = "no overlap in rate"
    return BD(rate, delta, lo, hi, share, "; ".join(notes), metric_note)


def at_size(peer: list[Mean], nbytes: float, metric: str):
    """The peer's metric at nbytes mean bytes, read on its front (pchip in log bytes):
    (value, None), or (None, 'below') / (None, 'above') outside the grid's sizes."""
    from scipy.interpolate import PchipInterpolator

    if not peer:
        return None, "none"
    if nbytes < peer[0].bytes:
        return None, "below"
    if nbytes > peer[-1].bytes:
        return None, "above"
    if len(peer) == 1:
        return peer[0].metric(metric), None
    f = PchipInterpolator([math.log(p.bytes) for p in peer], [p.metric(metric) for p in peer])
    return float(f(math.log(nbytes))), None
