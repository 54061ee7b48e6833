#!/usr/bin/env python3
"""Rate-distortion comparison: our codec (aeenc/aedec) vs. JPEG and WebP at the same size.

Not part of CI. Run it from anywhere after ``swift build -c release``:

    python3 Benchmarks/rd_compare.py                  # 200 SVHN test crops + 24 Kodak photos
    python3 Benchmarks/rd_compare.py --svhn 1952      # every SVHN test crop
    python3 Benchmarks/rd_compare.py --svhn 20 --kodak 3   # quick smoke test

What it does
------------
1. Needs numpy and Pillow. If ``import PIL`` fails it creates (once) a virtual
   environment at ``--venv`` (default ``/tmp/aecodec-venv-rd``, outside the
   checkout), pip-installs Pillow (and numpy if missing) from PyPI and re-runs
   itself with that interpreter.
2. Image sets (``--data``, default ``../shared/datasets`` next to the checkout):
     * SVHN: the first ``--svhn N`` (default 200, 1952 = all) crops of
       ``svhn/cropped_subset/test_images.npy`` (uint8 N x 32 x 32 x 3), written
       as PNGs to a temporary folder;
     * Kodak: the first ``--kodak N`` (default 24 = all) ``kodak/kodim*.png``.
3. Ours: for each built-in model (svhn-64, svhn-16) and latent format (float16,
   and 8-bit through the model's quantisation table: ``--bits 8``) every image
   of a set goes through ``aeenc FOLDER -o FOLDER --model M --bits B --force --quiet``
   and ``aedec FOLDER -o FOLDER --model M --force --quiet`` (one invocation per
   set, model and format). bytes = size of the .ael file.
4. Peers: for each image and each of our four sizes, JPEG (Pillow, RGB,
   ``optimize=True``, default 4:2:0 subsampling) and WebP (Pillow, RGB,
   ``method=6``) at the quality in 1..100 whose file size is nearest to our
   file's size for that image. The quality is found by bisection on the file
   size (which rises with quality, up to small wiggles) and then every quality
   within +-3 of the bracket is tried too; the nearest size wins (ties: the
   smaller file). At the bottom the peers cannot always get as small as ours
   (quality 1 is then used and the row says so).
5. PSNR over RGB: pixels/255, MSE over all values of all three channels,
   10*log10(1/MSE), computed here with numpy from the original and the decoded
   image. bits per pixel = 8*bytes/(w*h).

Outputs: a per-set table of averages (mean bytes, mean bpp, mean per-image PSNR)
and plain statements of where we lose or win, on standard output;
``Benchmarks/results/rd.csv`` (one row per image, codec and target model) and
``Benchmarks/results/rd.svg`` (bpp vs PSNR, one panel per set, one colour per
codec; small dots per image, big markers and lines for the averages).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# (model, latent bits) in the order the tables list them; the label names the row.
TARGETS = (("svhn-64", 16), ("svhn-64", 8), ("svhn-16", 16), ("svhn-16", 8))
LABELS = tuple(m if b == 16 else m + " 8-bit" for m, b in TARGETS)
PEERS = ("JPEG", "WebP")
REEXEC_GUARD = "AECODEC_RD_IN_VENV"


# ---------------------------------------------------------------- environment

def ensure_pillow(venv: Path) -> None:
    """Re-run this script under a venv with Pillow when Pillow is missing."""
    try:
        import numpy  # noqa: F401
        import PIL  # noqa: F401
        return
    except ImportError:
        pass
    if os.environ.get(REEXEC_GUARD):
        sys.exit("rd_compare: Pillow/numpy still missing inside the venv %s" % venv)
    py = venv / "bin" / "python"
    if not py.exists():
        print("rd_compare: creating venv %s" % venv, flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    probe = subprocess.run([str(py), "-c", "import numpy"], capture_output=True)
    want = ["pillow"] + ([] if probe.returncode == 0 else ["numpy"])
    probe = subprocess.run([str(py), "-c", "import PIL"], capture_output=True)
    if probe.returncode != 0 or "numpy" in want:
        print("rd_compare: pip install %s into %s" % (" ".join(want), venv), flush=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q"] + want, check=True)
    env = dict(os.environ, **{REEXEC_GUARD: "1"})
    os.execve(str(py), [str(py), str(Path(__file__).resolve())] + sys.argv[1:], env)


# ---------------------------------------------------------------- measuring

def load_rgb(path):
    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def psnr(a, b) -> float:
    import numpy as np

    d = a.astype(np.float64) / 255.0 - b.astype(np.float64) / 255.0
    mse = float(np.mean(d * d))
    return float("inf") if mse == 0 else 10.0 * math.log10(1.0 / mse)


def peer_encode(img, codec: str, q: int) -> bytes:
    buf = io.BytesIO()
    if codec == "JPEG":
        img.save(buf, "JPEG", quality=q, optimize=True)
    else:
        img.save(buf, "WEBP", quality=q, method=6)
    return buf.getvalue()


def nearest_quality(img, codec: str, target: int, cache: dict):
    """Quality in 1..100 whose encoded size is nearest to target bytes."""

    def size(q):
        if q not in cache:
            cache[q] = peer_encode(img, codec, q)
        return len(cache[q])

    lo, hi = 1, 100  # smallest q with size >= target lies in [lo, hi]
    if size(hi) < target:
        lo = hi
    while lo < hi:
        mid = (lo + hi) // 2
        if size(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    for q in range(max(1, lo - 3), min(100, lo + 3) + 1):
        size(q)
    return min(cache, key=lambda q: (abs(len(cache[q]) - target), len(cache[q]), q))


def peer_job(args):
    """For one image: JPEG and WebP at each target size. Runs in a worker."""
    from PIL import Image

    path, targets = args
    orig = load_rgb(path)
    img = Image.fromarray(orig, "RGB")
    out = []
    for codec in PEERS:
        cache: dict = {}
        for model, target in targets:
            q = nearest_quality(img, codec, target, cache)
            data = cache[q]
            with Image.open(io.BytesIO(data)) as d:
                dec = __import__("numpy").asarray(d.convert("RGB"))
            out.append((model, codec, q, len(data), psnr(orig, dec)))
    return out


def run_tool(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("rd_compare: %s failed (%d):\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))


def measure_set(name, pngs, bindir: Path, work: Path, jobs: int):
    """pngs: every .png of one folder, which aeenc gets whole. Rows: dicts with set, image, w, h, target, codec, quality, bytes, bpp, psnr."""
    rows = []
    origs = {p.stem: load_rgb(p) for p in pngs}
    ours = {}  # (stem, label) -> bytes
    for (model, bits), label in zip(TARGETS, LABELS):
        ael = work / name / label.replace(" ", "-") / "ael"
        dec = work / name / label.replace(" ", "-") / "png"
        run_tool([str(bindir / "aeenc"), str(pngs[0].parent), "-o", str(ael), "--model", model, "--bits", str(bits),
                  "--force", "--quiet"])
        run_tool([str(bindir / "aedec"), str(ael), "-o", str(dec), "--model", model, "--force", "--quiet"])
        for p in pngs:
            o = origs[p.stem]
            h, w = o.shape[:2]
            nbytes = (ael / (p.stem + ".ael")).stat().st_size
            ours[(p.stem, label)] = nbytes
            rows.append(dict(set=name, image=p.name, width=w, height=h, target=label,
                             codec="ours", quality="", bytes=nbytes, bpp=8.0 * nbytes / (w * h),
                             psnr=psnr(o, load_rgb(dec / (p.stem + ".png")))))
        print("  %s: ours %s done" % (name, label), flush=True)
    tasks = [(str(p), [(t, ours[(p.stem, t)]) for t in LABELS]) for p in pngs]
    with ProcessPoolExecutor(max_workers=jobs) as ex:
        results = list(ex.map(peer_job, tasks, chunksize=max(1, len(tasks) // (4 * jobs))))
    for p, res in zip(pngs, results):
        h, w = origs[p.stem].shape[:2]
        for model, codec, q, nbytes, db in res:
            rows.append(dict(set=name, image=p.name, width=w, height=h, target=model,
                             codec=codec, quality=q, bytes=nbytes, bpp=8.0 * nbytes / (w * h), psnr=db))
    print("  %s: JPEG/WebP done" % name, flush=True)
    return rows


# ---------------------------------------------------------------- reporting

def averages(rows):
    """{(set, target, codec): (n, mean bytes, mean bpp, mean psnr, n at q=1 still larger)}"""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["set"], r["target"], r["codec"]), []).append(r)
    ours = {(r["set"], r["image"], r["target"]): r["bytes"] for r in rows if r["codec"] == "ours"}
    out = {}
    for k, g in groups.items():
        n = len(g)
        floor = sum(1 for r in g if r["quality"] == 1 and r["bytes"] > ours[(r["set"], r["image"], r["target"])])
        out[k] = (n, sum(r["bytes"] for r in g) / n, sum(r["bpp"] for r in g) / n,
                  sum(r["psnr"] for r in g) / n, floor)
    return out


def report(rows, sets) -> str:
    avg = averages(rows)
    lines = ["Averages per set (mean bytes, mean bits per pixel, mean per-image PSNR over RGB).",
             "Ours = float16 latents, and 8-bit latents (aeenc --bits 8) through each model's quantisation table.",
             "JPEG/WebP rows: quality chosen per image for the size nearest to ours with that model.", ""]
    head = "| set | size of | codec | images | bytes | bpp | PSNR dB | note |"
    for s in sets:
        lines += ["%s:" % s, "", head, "|---|---|---|---:|---:|---:|---:|---|"]
        for m in LABELS:
            for c in ("ours",) + PEERS:
                k = (s, m, c)
                if k not in avg:
                    continue
                n, b, bpp, db, floor = avg[k]
                label = "ours (%s)" % m if c == "ours" else c
                note = "%d/%d images larger than ours even at q=1" % (floor, n) if floor else ""
                lines.append("| %s | %s | %s | %d | %.1f | %.3f | %.2f | %s |" % (s, m, label, n, b, bpp, db, note))
        lines.append("")
    lines += ["Where we lose / win (same-size comparison, mean over images):", ""]
    for s in sets:
        for m in LABELS:
            if (s, m, "ours") not in avg:
                continue
            _, ob, obpp, odb, _ = avg[(s, m, "ours")]
            for c in PEERS:
                _, pb, pbpp, pdb, floor = avg[(s, m, c)]
                diff = pdb - odb
                size = "at %.0f%% of our size" % (100.0 * pb / ob)
                if floor:
                    size += "; for %d images even quality 1 is larger than ours" % floor
                if floor:
                    size += " - not a same-size comparison, %s cannot get as small as ours" % c
                if diff > 0:
                    lines.append("- %s: %s beats ours (%s) by %.2f dB (%.2f vs %.2f dB, %s)."
                                 % (s, c, m, diff, pdb, odb, size))
                else:
                    lines.append("- %s: ours (%s) beats %s by %.2f dB (%.2f vs %.2f dB; %s %s)."
                                 % (s, m, c, -diff, odb, pdb, c, size))
    return "\n".join(lines) + "\n"


def write_csv(rows, path: Path):
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["set", "image", "width", "height", "target_model", "codec", "quality", "bytes", "bpp", "psnr_db"])
        for r in rows:
            w.writerow([r["set"], r["image"], r["width"], r["height"], r["target"], r["codec"], r["quality"],
                        r["bytes"], "%.5f" % r["bpp"], "%.4f" % r["psnr"]])


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
    return out, step


def write_svg(rows, sets, path: Path):
    colours = {"ours": "#d62728", "JPEG": "#1f77b4", "WebP": "#2ca02c"}
    marks = dict(zip(LABELS, ("circle", "diamond", "square", "triangle")))
    avg = averages(rows)
    pw, ph, ml, mr, mt, mb = 460, 340, 60, 20, 40, 50
    width = len(sets) * (pw + ml + mr)
    height = ph + mt + mb + 40
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">'
           % (width, height), '<rect width="100%" height="100%" fill="white"/>']
    for i, s in enumerate(sets):
        srows = [r for r in rows if r["set"] == s and math.isfinite(r["psnr"])]
        xs = [r["bpp"] for r in srows]
        ys = [r["psnr"] for r in srows]
        x0, x1 = 0.0, max(xs) * 1.05
        y0, y1 = math.floor(min(ys)) - 1, math.ceil(max(ys)) + 1
        ox = i * (pw + ml + mr) + ml
        X = lambda v: ox + (v - x0) / (x1 - x0) * pw  # noqa: E731
        Y = lambda v: mt + ph - (v - y0) / (y1 - y0) * ph  # noqa: E731
        out.append('<text x="%g" y="%d" font-size="14" font-weight="bold">%s (%d images)</text>'
                   % (ox, mt - 15, s, len({r["image"] for r in srows})))
        out.append('<rect x="%g" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>' % (ox, mt, pw, ph))
        xt, _ = nice_ticks(x0, x1)
        yt, _ = nice_ticks(y0, y1)
        for t in xt:
            out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (X(t), mt, X(t), mt + ph))
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%g</text>' % (X(t), mt + ph + 16, t))
        for t in yt:
            out.append('<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"/>' % (ox, Y(t), ox + pw, Y(t)))
            out.append('<text x="%g" y="%.1f" text-anchor="end">%g</text>' % (ox - 5, Y(t) + 4, t))
        out.append('<text x="%g" y="%d" text-anchor="middle">bits per pixel</text>' % (ox + pw / 2, mt + ph + 34))
        out.append('<text transform="translate(%g,%g) rotate(-90)" text-anchor="middle">PSNR (dB, RGB)</text>'
                   % (ox - 42, mt + ph / 2))
        for r in srows:  # per-image dots
            out.append('<circle cx="%.1f" cy="%.1f" r="1.8" fill="%s" fill-opacity="0.25"/>'
                       % (X(r["bpp"]), Y(r["psnr"]), colours[r["codec"]]))
        for c in ("ours",) + PEERS:  # averages: a line through the four points, smallest files first
            pts = sorted((avg[(s, m, c)][2], avg[(s, m, c)][3], m) for m in LABELS if (s, m, c) in avg)
            out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>'
                       % (" ".join("%.1f,%.1f" % (X(a), Y(b)) for a, b, _ in pts), colours[c]))
            for a, b, m in pts:
                if marks[m] == "circle":
                    out.append('<circle cx="%.1f" cy="%.1f" r="5" fill="%s" stroke="black"/>' % (X(a), Y(b), colours[c]))
                elif marks[m] == "diamond":
                    out.append('<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s" stroke="black"/>'
                               % (X(a), Y(b) - 6, X(a) + 6, Y(b), X(a), Y(b) + 6, X(a) - 6, Y(b), colours[c]))
                elif marks[m] == "triangle":
                    out.append('<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s" stroke="black"/>'
                               % (X(a), Y(b) - 6, X(a) + 6, Y(b) + 5, X(a) - 6, Y(b) + 5, colours[c]))
                else:
                    out.append('<rect x="%.1f" y="%.1f" width="9" height="9" fill="%s" stroke="black"/>'
                               % (X(a) - 4.5, Y(b) - 4.5, colours[c]))
    # legend
    lx, ly = ml, height - 14
    for c in ("ours",) + PEERS:
        out.append('<circle cx="%d" cy="%d" r="5" fill="%s"/><text x="%d" y="%d">%s</text>'
                   % (lx, ly - 4, colours[c], lx + 9, ly, c))
        lx += 70
    out.append('<text x="%d" y="%d">means at the size of: svhn-64 (circle), svhn-64 8-bit (diamond), '
               'svhn-16 (square), svhn-16 8-bit (triangle); small dots: single images</text>' % (lx, ly))
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "datasets",
                    help="datasets folder (default: ../shared/datasets next to the checkout)")
    ap.add_argument("--svhn", type=int, default=200, help="SVHN test crops to use (default 200; 1952 = all)")
    ap.add_argument("--kodak", type=int, default=24, help="Kodak photos to use (default 24 = all)")
    ap.add_argument("--bin", type=Path, default=REPO / ".build" / "release", help="folder with aeenc/aedec")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="folder for rd.csv and rd.svg")
    ap.add_argument("--venv", type=Path, default=Path("/tmp/aecodec-venv-rd"),
                    help="venv to create/use when Pillow is missing (default /tmp/aecodec-venv-rd)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes for JPEG/WebP")
    a = ap.parse_args()
    ensure_pillow(a.venv)
    import numpy as np
    from PIL import Image

    for tool in ("aeenc", "aedec"):
        if not (a.bin / tool).exists():
            sys.exit("rd_compare: %s missing; run `swift build -c release` first" % (a.bin / tool))
    work = Path(tempfile.mkdtemp(prefix="aecodec-rd-"))
    try:
        rows, sets = [], []
        if a.svhn > 0:
            npy = a.data / "svhn" / "cropped_subset" / "test_images.npy"
            arr = np.load(npy, mmap_mode="r")
            if arr.dtype != np.uint8 or arr.shape[1:] != (32, 32, 3):
                sys.exit("rd_compare: %s: expected uint8 N x 32 x 32 x 3, got %s %s" % (npy, arr.dtype, arr.shape))
            n = min(a.svhn, arr.shape[0])
            folder = work / "svhn-in"
            folder.mkdir()
            pngs = []
            for i in range(n):
                p = folder / ("svhn%04d.png" % i)
                Image.fromarray(np.ascontiguousarray(arr[i]), "RGB").save(p)
                pngs.append(p)
            name = "SVHN"
            print("SVHN: %d test crops" % n, flush=True)
            rows += measure_set(name, pngs, a.bin, work, a.jobs)
            sets.append(name)
        if a.kodak > 0:
            pngs = sorted((a.data / "kodak").glob("kodim*.png"))[: a.kodak]
            if not pngs:
                sys.exit("rd_compare: no kodim*.png under %s" % (a.data / "kodak"))
            folder = work / "kodak-in"
            folder.mkdir()
            for p in pngs:
                shutil.copyfile(p, folder / p.name)
            pngs = [folder / p.name for p in pngs]
            print("Kodak: %d photos" % len(pngs), flush=True)
            rows += measure_set("Kodak", pngs, a.bin, work, a.jobs)
            sets.append("Kodak")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    a.out.mkdir(parents=True, exist_ok=True)
    write_csv(rows, a.out / "rd.csv")
    write_svg(rows, sets, a.out / "rd.svg")
    text = report(rows, sets)
    print()
    print(text)
    (a.out / "rd-summary.md").write_text(text)
    print("wrote %s, %s, %s" % (a.out / "rd.csv", a.out / "rd.svg", a.out / "rd-summary.md"))


if __name__ == "__main__":
    main()
