"""The SVG: one panel per set, bits per pixel against PSNR (and a second row against
MS-SSIM in dB for the sets that have it); a line per peer through its grid's means and
a line per curve of ours through its points (labelled)."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

PEER_COLOURS = {"JPEG 4:2:0": "#1f77b4", "JPEG 4:4:4": "#17becf", "WebP": "#2ca02c", "AVIF": "#9467bd"}
OUR_COLOURS = ("#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f")
PW, PH, ML, MR, MT, MB = 460, 340, 60, 20, 40, 50


def nice_ticks(lo, hi, n=5):
    span = max(hi - lo, 1e-9)
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw), default=10 * mag)
    t = math.floor(lo / step) * step
    out = []
    while t <= hi + 1e-9:
        if t >= lo - 1e-9:
            out.append(round(t, 10))
        t += step
    return out


def _panel(out, ox, oy, title, lines, metric_label, pid):
    """lines: [(name, colour, [(bpp, y, label)], is_ours)]."""
    ours = [p for _, _, pts, o in lines if o for p in pts]
    peers_min = [min(p[0] for p in pts) for _, _, pts, o in lines if not o and pts]
    every = [p for _, _, pts, _ in lines for p in pts]
    if not every:
        return
    x1 = max(p[0] for p in every)
    if ours:  # keep our region readable: up to 2.5x our largest rate, or 1.5x the smallest peer point
        x1 = min(x1, max(2.5 * max(p[0] for p in ours), 1.5 * max(peers_min or [0])))
    x0 = 0.0
    vis = [p for p in every if p[0] <= x1 * 1.0001]
    y0, y1 = math.floor(min(p[1] for p in vis)) - 1, math.ceil(max(p[1] for p in vis)) + 1
    X = lambda v: ox + (v - x0) / (x1 - x0) * PW  # noqa: E731
    Y = lambda v: oy + PH - (v - y0) / (y1 - y0) * PH  # noqa: E731
    out.append('<text x="%g" y="%d" font-size="14" font-weight="bold">%s</text>' % (ox, oy - 15, escape(title)))
    out.append('<clipPath id="c%s"><rect x="%g" y="%d" width="%d" height="%d"/></clipPath>' % (pid, ox, oy, PW, PH))
    out.append('<rect x="%g" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>' % (ox, oy, PW, PH))
    for t in nice_ticks(x0, x1):
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (X(t), oy, X(t), oy + PH))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%g</text>' % (X(t), oy + PH + 16, t))
    for t in nice_ticks(y0, y1):
        out.append('<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"/>' % (ox, Y(t), ox + PW, Y(t)))
        out.append('<text x="%g" y="%.1f" text-anchor="end">%g</text>' % (ox - 5, Y(t) + 4, t))
    out.append('<text x="%g" y="%d" text-anchor="middle">bits per pixel</text>' % (ox + PW / 2, oy + PH + 34))
    out.append('<text transform="translate(%g,%g) rotate(-90)" text-anchor="middle">%s</text>'
               % (ox - 42, oy + PH / 2, metric_label))
    out.append('<g clip-path="url(#c%s)">' % pid)
    k = 0
    for name, colour, pts, is_ours in lines:
        pts = sorted(pts)
        dy = -6 if k % 2 == 0 else 15  # labels of alternate curves of ours above / below their points
        k += is_ours
        out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="%s"/>'
                   % (" ".join("%.1f,%.1f" % (X(a), Y(b)) for a, b, _ in pts), colour, 2.5 if is_ours else 1.5))
        for a, b, label in pts:
            out.append('<circle cx="%.1f" cy="%.1f" r="%s" fill="%s" stroke="%s"/>'
                       % (X(a), Y(b), 5 if is_ours else 2.5, colour, "black" if is_ours else colour))
            if is_ours and label:
                out.append('<text x="%.1f" y="%.1f" font-size="10">%s</text>' % (X(a) + 7, Y(b) + dy, escape(label)))
    out.append("</g>")


def write_svg(views, path, metric_labels=(("psnr", "PSNR (dB, RGB)"), ("msssim", "MS-SSIM (dB)"))):
    """views: summary.SetView per set (their means)."""
    our_names = list(dict.fromkeys(c for v in views for c in v.curve_names))
    ours_colour = {c: OUR_COLOURS[i % len(OUR_COLOURS)] for i, c in enumerate(our_names)}
    rows = [(m, lab) for m, lab in metric_labels if any(m in v.metrics for v in views)]
    width = max(1, len(views)) * (PW + ML + MR)
    legend = [(n, c) for n, c in PEER_COLOURS.items() if any(n in v.peers for v in views)]
    legend += [(c, ours_colour[c]) for c in our_names]
    legend_rows, x = 1, ML  # lay the legend out first to know its height
    for name, _ in legend:
        w = 30 + 7 * len(name)
        if x + w > width and x > ML:
            legend_rows, x = legend_rows + 1, ML
        x += w
    height = len(rows) * (PH + MT + MB + 10) + 20 + 18 * legend_rows
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">'
           % (width, height), '<rect width="100%" height="100%" fill="white"/>']
    for r, (metric, label) in enumerate(rows):
        oy = MT + r * (PH + MT + MB + 10)
        for i, v in enumerate(views):
            if metric not in v.metrics:
                ox = i * (PW + ML + MR) + ML
                out.append('<text x="%g" y="%d" fill="#666">%s: %s not measured (see rd-summary.md)</text>'
                           % (ox, oy + PH / 2, escape(v.name), escape(label)))
                continue
            lines = []
            for p in v.peers:
                pts = [(m.bpp, m.metric(metric), "") for m in v.grid if m.codec == p and m.metric(metric) is not None]
                lines.append((p, PEER_COLOURS.get(p, "#333"), pts, False))
            for c in v.curve_names:
                pts = [(m.bpp, m.metric(metric), m.target.rsplit(" ", 1)[0]) for m in v.curve(c)
                       if m.metric(metric) is not None]
                lines.append((c, ours_colour[c], pts, True))
            n = max([m.n for m in v.ours + v.grid] or [0])
            _panel(out, i * (PW + ML + MR) + ML, oy, "%s (%d image%s): %s" % (v.name, n, "" if n == 1 else "s", label),
                   lines, label,
                   "%d_%d" % (r, i))
    lx, ly = ML, height - 18 * legend_rows + 4
    for name, colour in legend:
        w = 30 + 7 * len(name)
        if lx + w > width and lx > ML:
            lx, ly = ML, ly + 18
        out.append('<circle cx="%d" cy="%d" r="5" fill="%s"/><text x="%d" y="%d">%s</text>'
                   % (lx, ly - 4, colour, lx + 9, ly, escape(name)))
        lx += w
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")
