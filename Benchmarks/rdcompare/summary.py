"""The markdown summary: per set our points, the peers' curves, the same-size comparison,
the peers' quality at our sizes, BD-rates, and plain statements of where we win or lose."""

from __future__ import annotations

import math

from . import curves

METRIC_NAMES = {"psnr": "PSNR dB", "msssim": "MS-SSIM dB"}


def _f(v, fmt="%.2f", none="-"):
    return none if v is None or (isinstance(v, float) and math.isnan(v)) else fmt % v


def _pct(v):
    return "-" if v is None else "%+.1f%%" % v


class SetView:
    """One set's means, grouped the ways the tables read them."""

    def __init__(self, name, rows, peers, lowest):
        self.name = name
        self.peers = peers
        srows = [r for r in rows if r["set"] == name]
        self.ours = curves.means(srows, "ours")
        self.grid = curves.means(srows, "grid")
        self.same = curves.means(srows, "same-size")
        self.floors = curves.floor_counts(srows, lowest)
        self.has_msssim = any(m.msssim is not None for m in self.ours + self.grid)
        self.metrics = ["psnr"] + (["msssim"] if self.has_msssim else [])
        self.curve_names = list(dict.fromkeys(m.codec for m in self.ours))

    def curve(self, codec):
        return sorted([m for m in self.ours if m.codec == codec], key=lambda m: m.bytes)

    def peer_front(self, peer, metric):
        return curves.front([m for m in self.grid if m.codec == peer], metric)

    def ours_front(self, codec, metric):
        return curves.front(self.curve(codec), metric)


def point_table(v: SetView) -> list[str]:
    lines = ["Our points (means over images):", "",
             "| curve | point | images | bytes | bpp | PSNR dB | MS-SSIM | MS-SSIM dB |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for c in v.curve_names:
        for m in v.curve(c):
            lines.append("| %s | %s | %d | %.1f | %.4f | %.2f | %s | %s |" % (
                c, m.target, m.n, m.bytes, m.bpp, m.psnr, _f(m.msssim, "%.4f"), _f(m.msssim_db)))
    return lines + [""]


def grid_table(v: SetView) -> list[str]:
    cell = "bpp, PSNR" + (", MS-SSIM dB" if v.has_msssim else "")
    lines = ["Peer curves (means over images at each quality; cells: %s):" % cell, "",
             "| quality | " + " | ".join(v.peers) + " |", "|---:|" + "---:|" * len(v.peers)]
    qs = sorted({m.quality for m in v.grid})
    by = {(m.codec, m.quality): m for m in v.grid}
    for q in qs:
        cells = []
        for p in v.peers:
            m = by.get((p, q))
            if m is None:
                cells.append("")
            else:
                cells.append("%.3f, %.2f" % (m.bpp, m.psnr) + (", %s" % _f(m.msssim_db) if v.has_msssim else ""))
        lines.append("| %s | %s |" % (q, " | ".join(cells)))
    return lines + [""]


def same_size_table(v: SetView) -> list[str]:
    lines = ["Per image at the size nearest ours (each peer's quality chosen per image; means):", "",
             "| size of | codec | images | bytes | bpp | PSNR dB | MS-SSIM | note |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for c in v.curve_names:
        for o in v.curve(c):
            lines.append("| %s | ours | %d | %.1f | %.4f | %.2f | %s |  |"
                         % (o.target, o.n, o.bytes, o.bpp, o.psnr, _f(o.msssim, "%.4f")))
            for p in v.peers:
                ms = [m for m in v.same if m.codec == p and m.target == o.target]
                if not ms:
                    continue
                m = ms[0]
                floor = v.floors.get((v.name, p, o.target), 0)
                note = "%d/%d images larger than ours even at the lowest quality" % (floor, m.n) if floor else ""
                lines.append("| %s | %s | %d | %.1f | %.4f | %.2f | %s | %s |"
                             % (o.target, p, m.n, m.bytes, m.bpp, m.psnr, _f(m.msssim, "%.4f"), note))
    return lines + [""]


def _at_size_cell(v, peer, o, metric):
    front = v.peer_front(peer, metric)
    val, where = curves.at_size(front, o.bytes, metric)
    if where == "below":
        return "cannot reach (smallest %.0f B)" % front[0].bytes
    if where == "above":
        return "above its grid (largest %.0f B)" % front[-1].bytes
    if where == "none":
        return "-"
    return "%.2f (%+.2f)" % (val, val - o.metric(metric))


def at_size_table(v: SetView, metric: str) -> list[str]:
    lines = ["%s of each peer at our mean size, read on its curve (pchip in log bytes over the grid's "
             "upper envelope); in brackets the peer minus ours:" % METRIC_NAMES[metric], "",
             "| point | bytes | ours | " + " | ".join(v.peers) + " |", "|---|---:|---:|" + "---|" * len(v.peers)]
    for c in v.curve_names:
        for o in v.curve(c):
            if o.metric(metric) is None:
                continue
            lines.append("| %s | %.1f | %.2f | %s |" % (o.target, o.bytes, o.metric(metric),
                                                        " | ".join(_at_size_cell(v, p, o, metric) for p in v.peers)))
    return lines + [""]


def bd_rows(v: SetView):
    """[(curve, n points, peer, metric, BD)] for every curve of 2 or more points."""
    out = []
    for c in v.curve_names:
        for metric in v.metrics:
            test = v.ours_front(c, metric)
            if len(v.curve(c)) < 2:
                continue
            for p in v.peers:
                out.append((c, len(test), p, metric, curves.bd(v.peer_front(p, metric), test, metric)))
    return out


def bd_table(v: SetView, rows) -> list[str]:
    lines = ["BD-rate of our curves against each peer (bjontegaard %s, over the overlapping range of the "
             "quality metric; negative: ours needs fewer bits for the same quality), and BD of the metric "
             "over the overlapping range of log bpp (positive: ours better):" % curves.BD_METHOD, "",
             "| curve | points | vs | metric | BD-rate | over | BD-metric | note |", "|---|---:|---|---|---:|---|---:|---|"]
    if not rows:
        return lines[:1] + ["", "(no curve of ours with 2 or more points in this set)", ""]
    for c, n, p, metric, b in rows:
        over = "" if b.rate is None else "%.2f-%.2f dB (%.0f%% of ours)" % (b.lo, b.hi, 100 * b.share)
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s |" % (
            c, n, p, METRIC_NAMES[metric], _pct(b.rate), over, _f(b.psnr, "%+.2f dB"),
            "; ".join(x for x in (b.note, b.metric_note) if x)))
    return lines + [""]


def statements(v: SetView, bds) -> list[str]:
    out = []
    for c in v.curve_names:
        for o in v.curve(c):
            for p in v.peers:
                front = v.peer_front(p, "psnr")
                val, where = curves.at_size(front, o.bytes, "psnr")
                head = "- %s: %s (%.0f B, %.3f bpp, %.2f dB)" % (v.name, o.target, o.bytes, o.bpp, o.psnr)
                if where == "below":
                    s = front[0]
                    verdict = ("ours is both smaller and %.2f dB better" % (o.psnr - s.psnr) if o.psnr >= s.psnr
                               else "%s is %.2f dB better at %.0f%% of our size" % (p, s.psnr - o.psnr, 100 * s.bytes / o.bytes))
                    out.append("%s: %s cannot make files this small (its smallest, quality %s: %.0f B, %.2f dB); %s."
                               % (head, p, s.quality, s.bytes, s.psnr, verdict))
                elif where == "above":
                    out.append("%s: larger than %s's largest grid point (%.0f B); not compared." % (head, p, front[-1].bytes))
                elif val is not None:
                    who = "ours wins" if o.psnr >= val else "%s wins" % p
                    out.append("%s: %s at the same mean size %.2f dB: %s by %.2f dB." % (head, p, val, who, abs(o.psnr - val)))
    for c, n, p, metric, b in bds:
        if b.rate is not None:
            word = "fewer" if b.rate < 0 else "more"
            out.append("- %s: curve %s (%d points) against %s on %s: BD-rate %+.1f%% (ours needs %.0f%% %s bits for the "
                       "same quality, over %.2f-%.2f dB%s)." % (v.name, c, n, p, METRIC_NAMES[metric], b.rate, abs(b.rate),
                                                          word, b.lo, b.hi, "; " + b.note if b.note else ""))
        else:
            extra = "; over the bpp range both cover, ours is %+.2f dB against it" % b.psnr if b.psnr is not None else ""
            out.append("- %s: curve %s against %s on %s: no BD-rate (%s)%s." % (v.name, c, p, METRIC_NAMES[metric],
                                                                               b.note, extra))
    return out


def render(sets, rows, peers, lowest, header_lines) -> str:
    lines = list(header_lines)
    for name, note in sets:
        v = SetView(name, rows, peers, lowest)
        n = len({r["image"] for r in rows if r["set"] == name})
        lines += ["## %s (%d image%s)" % (name, n, "" if n == 1 else "s"), ""]
        if note:
            lines += [note, ""]
        lines += point_table(v) + grid_table(v) + same_size_table(v)
        for metric in v.metrics:
            lines += at_size_table(v, metric)
        bds = bd_rows(v)
        lines += bd_table(v, bds)
        lines += ["Where we win / lose:", ""] + statements(v, bds) + [""]
    return "\n".join(lines) + "\n"
