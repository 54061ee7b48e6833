#!/usr/bin/env python3
"""Rate-distortion comparison: our codec (aeenc/aedec) against JPEG, WebP and AVIF.

Not part of CI. Run it from anywhere after ``swift build -c release``:

    python3 Benchmarks/rd_compare.py                          # 200 SVHN crops + 24 Kodak photos, built-ins
    python3 Benchmarks/rd_compare.py --svhn 20 --kodak 2      # quick smoke test
    python3 Benchmarks/rd_compare.py --svhn 0 --ours "photo=photo-l0130.aemodel" \\
        --ours "photo=photo-l0067.aemodel"                    # one curve of two photo models on Kodak
    python3 Benchmarks/rd_compare.py --self-check             # MS-SSIM against pytorch_msssim

Our targets (``--ours SPEC``, repeatable; default: every built-in model in every latent
form it writes):

    SPEC = [NAME=]AEENC-ARGS[;AEDEC-ARGS]

AEENC-ARGS are aeenc options (shell words; a first word without '-' is the model, short for
``--model WORD``: a built-in name or a .aemodel file). Without ``--latent``/``--bits`` there
is one point per form the model writes (coded, f16, u8: found by encoding a probe image);
``-q A-B`` or ``-q A,B,...`` gives one point per quality level. Points with the same NAME
and form make one curve, "NAME FORM"; NAME defaults to the model's family. aedec gets
``--model MODEL``; text after ';' replaces that. Examples:
``--ours svhn-64``, ``--ours "rd=--model x.aemodel --latent coded"``,
``--ours "photo=--model photo -q 1-6"``, ``--ours "t=m.aemodel --latent coded;--model-path ."``.

Per set, model/level and form: one ``aeenc FOLDER -o OUT --force --quiet ARGS`` and one
``aedec OUT -o DEC --force --quiet ARGS``. The peers (Pillow; settings in rdcompare/peers.py)
are measured per image over a grid of qualities (means give their curves) and at the
quality nearest each of our file sizes. PSNR over RGB and MS-SSIM (5 scales, numpy;
rdcompare/metrics.py) per image; means over images; BD-rates with the bjontegaard package.

Outputs in --out: rd.csv.gz (per image, gzipped), rd-curves.csv (means), rd.svg, rd-summary.md.
Needs numpy, Pillow, scipy and bjontegaard (AVIF and, for --self-check, pytorch_msssim
optional): when the running Python lacks one, the script re-runs itself in the --venv
(default Benchmarks/.venv-peers, shared with peers.py), creating it and pip-installing
what is missing if needed.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
REEXEC_GUARD = "AECODEC_RD_IN_VENV"
REQUIRED = (("numpy", "numpy"), ("PIL", "pillow"), ("scipy", "scipy"), ("bjontegaard", "bjontegaard"))


# ---------------------------------------------------------------- environment

def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _avif_here() -> bool:
    if _importable("pillow_avif"):
        return True
    if not _importable("PIL"):
        return False
    from PIL import features

    return bool(features.check("avif"))


def _venv_lacks(py: Path, modules) -> list[str]:
    return [m for m in modules if subprocess.run([str(py), "-c", "import " + m], capture_output=True).returncode]


def ensure_env(venv: Path, self_check: bool) -> None:
    """Re-run this script under venv's Python when a required package (or an optional one
    the venv has) is missing here; create the venv and pip-install the required packages
    (and try pillow-avif-plugin) when it does not exist and they are missing."""
    missing = [pkg for mod, pkg in REQUIRED if not _importable(mod)]
    optional_missing = (not _avif_here()) or (self_check and not _importable("pytorch_msssim"))
    inside = os.environ.get(REEXEC_GUARD) or Path(sys.prefix).resolve() == venv.resolve()
    if inside or not (missing or optional_missing):
        if missing:
            sys.exit("rd_compare: %s missing in %s" % (", ".join(missing), sys.prefix))
        return
    py = venv / "bin" / "python"
    if not py.exists():
        if not missing:
            return  # only optional packages missing, and no venv to look in: go on without them
        print("rd_compare: creating venv %s" % venv, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    lacking = [pkg for mod, pkg in REQUIRED if mod in _venv_lacks(py, [m for m, _ in REQUIRED])]
    if lacking:
        print("rd_compare: pip install %s into %s" % (" ".join(lacking), venv), flush=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q"] + lacking, check=True)
        if _venv_lacks(py, ["pillow_avif"]):
            r = subprocess.run([str(py), "-m", "pip", "install", "-q", "pillow-avif-plugin"])
            if r.returncode:
                print("rd_compare: pillow-avif-plugin did not install; Pillow's own AVIF, if any, is used", flush=True)
    env = dict(os.environ, **{REEXEC_GUARD: "1"})
    os.execve(str(py), [str(py), str(Path(__file__).resolve())] + sys.argv[1:], env)


# ---------------------------------------------------------------- our codec

def run_tool(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("rd_compare: %s failed (%d):\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr))


def run_ours(set_name, folder: Path, pngs, points, bindir: Path, work: Path):
    """One aeenc and one aedec per point over the set's folder. {stem: [(curve, point,
    level, bytes, decoded png)]}."""
    out: dict = {p.stem: [] for p in pngs}
    for i, pt in enumerate(points):
        ael, dec = work / set_name / ("p%d" % i) / "ael", work / set_name / ("p%d" % i) / "png"
        t = time.time()
        run_tool([str(bindir / "aeenc"), str(folder), "-o", str(ael), "--force", "--quiet"] + pt.enc_args)
        run_tool([str(bindir / "aedec"), str(ael), "-o", str(dec), "--force", "--quiet"] + pt.dec_args)
        total = 0
        for p in pngs:
            nbytes = (ael / (p.stem + ".ael")).stat().st_size
            total += nbytes
            out[p.stem].append((pt.curve, pt.label, pt.level, nbytes, str(dec / (p.stem + ".png"))))
        print("  %s: ours %s: %.1f bytes per image (%.0f s)" % (set_name, pt.label, total / len(pngs), time.time() - t),
              flush=True)
    return out


# ---------------------------------------------------------------- image sets

def svhn_set(data: Path, n: int, folder: Path):
    import numpy as np
    from PIL import Image

    npy = data / "svhn" / "cropped_subset" / "test_images.npy"
    arr = np.load(npy, mmap_mode="r")
    if arr.dtype != np.uint8 or arr.shape[1:] != (32, 32, 3):
        sys.exit("rd_compare: %s: expected uint8 N x 32 x 32 x 3, got %s %s" % (npy, arr.dtype, arr.shape))
    pngs = []
    for i in range(min(n, arr.shape[0])):
        p = folder / ("svhn%04d.png" % i)
        Image.fromarray(np.ascontiguousarray(arr[i]), "RGB").save(p)
        pngs.append(p)
    return pngs


def copied_set(files, folder: Path):
    pngs = []
    for f in files:
        shutil.copyfile(f, folder / f.name)
        pngs.append(folder / f.name)
    return pngs


# ---------------------------------------------------------------- outputs

def fmt(v, spec):
    return "" if v is None else spec % v


def write_rows(rows, path: Path):
    """Gzipped CSV: the peers' quality grid makes it ~10 MB on the 1,952 SVHN crops."""
    import gzip

    with gzip.open(path, "wt", newline="") as f:
        w = csv.writer(f)
        w.writerow(["set", "image", "width", "height", "kind", "codec", "target", "level", "quality", "bytes",
                    "bpp", "psnr_db", "msssim"])
        for r in rows:
            w.writerow([r["set"], r["image"], r["width"], r["height"], r["kind"], r["codec"], r["target"], r["level"],
                        r["quality"], r["bytes"], "%.5f" % r["bpp"], "%.4f" % r["psnr"], fmt(r["msssim"], "%.6f")])


def write_means(rows, path: Path):
    from rdcompare import curves

    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["set", "kind", "codec", "target", "level", "quality", "images", "bytes", "bpp", "psnr_db",
                    "msssim", "msssim_db"])
        for kind in ("ours", "grid", "same-size"):
            for m in curves.means(rows, kind):
                w.writerow([m.set, m.kind, m.codec, m.target, m.level, m.quality, m.n, "%.2f" % m.bytes,
                            "%.5f" % m.bpp, "%.4f" % m.psnr, fmt(m.msssim, "%.6f"), fmt(m.msssim_db, "%.4f")])


# ---------------------------------------------------------------- main

def self_check(a) -> int:
    import numpy as np
    from PIL import Image

    from rdcompare import metrics, peers
    from rdcompare.measure import load_rgb

    files = sorted((a.data / "kodak").glob("kodim*.png"))[:3]
    if not files:
        print("rd_compare: no kodim*.png under %s for the self-check" % (a.data / "kodak"))
        return 1
    pairs, rng = [], np.random.default_rng(0)
    for f, (codec, q) in zip(files, (("JPEG 4:2:0", 10), ("WebP", 30), ("JPEG 4:4:4", 50))):
        o = load_rgb(f)
        pairs.append(("%s %s q=%d" % (f.stem, codec, q), o, peers.decode(peers.encode(Image.fromarray(o), codec, q))))
    o = load_rgb(files[0])[:333, :501]
    noisy = np.clip(o.astype(int) + rng.integers(-30, 31, o.shape), 0, 255).astype(np.uint8)
    pairs.append(("%s 501x333 crop + noise (odd sides)" % files[0].stem, o, noisy))
    try:
        lines, ok = metrics.self_check(pairs)
    except ImportError as e:
        print("rd_compare: self-check skipped: pytorch_msssim/torch not importable (%s)" % e)
        return 2
    print("MS-SSIM self-check against pytorch_msssim.ms_ssim (data_range 255, default window and weights):")
    print("\n".join(lines))
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "datasets",
                    help="datasets folder (default: ../shared/datasets next to the checkout)")
    ap.add_argument("--svhn", type=int, default=200, help="SVHN test crops (default 200; 1952 = all; 0 skips)")
    ap.add_argument("--kodak", type=int, default=24, help="Kodak photos (default 24 = all; 0 skips)")
    ap.add_argument("--folder", action="append", default=[], metavar="NAME=DIR",
                    help="another set: every .png in DIR (repeatable)")
    ap.add_argument("--ours", action="append", default=[], metavar="SPEC",
                    help="one of our targets (repeatable; see below). Default: every built-in model")
    ap.add_argument("--peers", default="JPEG 4:2:0,JPEG 4:4:4,WebP,AVIF",
                    help="peer codecs, comma-separated (default all four)")
    ap.add_argument("--grid", default=",".join(str(q) for q in (0, 2, 5, 8, 12, 16, 20, 30, 40, 50, 65, 80, 95)),
                    help="peer qualities for the curves (default %(default)s; JPEG's 0 is 1)")
    ap.add_argument("--no-msssim", action="store_true", help="skip MS-SSIM (faster)")
    ap.add_argument("--bin", type=Path, default=REPO / ".build" / "release", help="folder with aeenc/aedec/aeinfo")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="output folder (default Benchmarks/results)")
    ap.add_argument("--venv", type=Path, default=HERE / ".venv-peers",
                    help="venv to run in when packages are missing (default Benchmarks/.venv-peers)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="worker processes for the peers and metrics, and aeenc/aedec --threads (default: all cores)")
    ap.add_argument("--self-check", action="store_true",
                    help="compare the MS-SSIM code with pytorch_msssim on a few Kodak images and exit")
    a = ap.parse_args()
    ensure_env(a.venv, a.self_check)
    sys.path.insert(0, str(HERE))
    if a.self_check:
        sys.exit(self_check(a))

    from rdcompare import curves, metrics, peers, plot, specs, summary
    from rdcompare.measure import image_job

    for tool in ("aeenc", "aedec", "aeinfo"):
        if not (a.bin / tool).exists():
            sys.exit("rd_compare: %s missing; run `swift build -c release` first" % (a.bin / tool))
    notes = []
    avif_ok, avif_desc = peers.avif_support()
    peer_names = [p.strip() for p in a.peers.split(",") if p.strip()]
    for p in peer_names:
        if p not in peers.CODECS:
            sys.exit("rd_compare: unknown peer %r (known: %s)" % (p, ", ".join(peers.CODECS)))
    if "AVIF" in peer_names and not avif_ok:
        peer_names.remove("AVIF")
        notes.append("AVIF skipped: " + avif_desc)
    grid = sorted({int(q) for q in a.grid.split(",")})
    jobs = max(1, a.jobs)
    work = Path(tempfile.mkdtemp(prefix="aecodec-rd-"))
    try:
        family_cache: dict = {}

        def family(model):
            if model not in family_cache:
                family_cache[model] = specs.model_family(model, a.bin, REPO)
            return family_cache[model]

        probe = specs.make_prober(a.bin, work)
        try:
            spec_texts = a.ours or specs.default_specs(a.bin)
            points = [pt for s in spec_texts for pt in specs.parse(s, jobs, probe, family)]
        except specs.SpecError as e:
            sys.exit("rd_compare: --ours: %s" % e)
        labels = [p.label for p in points]
        dupes = sorted({x for x in labels if labels.count(x) > 1})
        if dupes:
            sys.exit("rd_compare: two --ours give the point %s; give them names (NAME=...)" % ", ".join(dupes))
        print("ours: " + "; ".join("%s [%s]" % (p.label, p.curve) for p in points), flush=True)

        sets_files = []
        if a.svhn > 0:
            (work / "svhn-in").mkdir()
            sets_files.append(("SVHN", work / "svhn-in", svhn_set(a.data, a.svhn, work / "svhn-in")))
        if a.kodak > 0:
            files = sorted((a.data / "kodak").glob("kodim*.png"))[: a.kodak]
            if not files:
                sys.exit("rd_compare: no kodim*.png under %s" % (a.data / "kodak"))
            (work / "kodak-in").mkdir()
            sets_files.append(("Kodak", work / "kodak-in", copied_set(files, work / "kodak-in")))
        for spec in a.folder:
            name, _, d = spec.partition("=")
            files = sorted(Path(d).glob("*.png"))
            if not name or not files:
                sys.exit("rd_compare: --folder %s: expected NAME=DIR with .png files" % spec)
            (work / ("folder-" + name)).mkdir()
            sets_files.append((name, work / ("folder-" + name), copied_set(files, work / ("folder-" + name))))

        rows, sets = [], []
        from PIL import Image

        for name, folder, pngs in sets_files:
            print("%s: %d image%s" % (name, len(pngs), "" if len(pngs) == 1 else "s"), flush=True)
            ours = run_ours(name, folder, pngs, points, a.bin, work)
            sides = []
            for p in pngs:
                with Image.open(p) as im:
                    sides.append(min(im.size))
            note = ""
            if a.no_msssim:
                note = "MS-SSIM not measured (--no-msssim)."
            elif min(sides) < metrics.MIN_SIDE:
                note = ("MS-SSIM not measured for %d of %d images: the 5 scales need sides of at least %d pixels "
                        "(these are %d)." % (sum(s < metrics.MIN_SIDE for s in sides), len(sides), metrics.MIN_SIDE,
                                             min(sides)))
            tasks = [(name, str(p), ours[p.stem], peer_names, grid, not a.no_msssim) for p in pngs]
            t = time.time()
            if jobs == 1:
                results = [image_job(job) for job in tasks]
            else:
                with ProcessPoolExecutor(max_workers=jobs) as ex:
                    results = list(ex.map(image_job, tasks, chunksize=max(1, len(tasks) // (8 * jobs))))
            for r in results:
                rows += r
            print("  %s: metrics and %s done (%.0f s)" % (name, ", ".join(peer_names), time.time() - t), flush=True)
            sets.append((name, note))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lowest = lambda codec: peers.CODECS[codec][2]  # noqa: E731
    header = [
        "# Rate-distortion: ours against %s" % ", ".join(peer_names), "",
        "`%s` (%s UTC)." % (" ".join(["python3", "Benchmarks/rd_compare.py"] + [shlex.quote(x) for x in sys.argv[1:]]),
                            time.strftime("%Y-%m-%d %H:%M", time.gmtime())), "",
        "- Ours: " + "; ".join("`%s` = aeenc %s" % (p.label, " ".join(p.enc_args)) for p in points) + ".",
        "- Peers: %s. JPEG: optimize=True, subsampling 4:2:0 or 4:4:4. WebP: method=6. %s" % (
            peers.versions(), ("AVIF: speed=%d, 4:2:0, %s." % (peers.AVIF_SPEED, avif_desc))
            if "AVIF" in peer_names else ""),
        "- Grid of qualities for the peer curves: %s (JPEG's 0 is 1). Same-size rows: per image the quality whose "
        "file is nearest ours (ties: the smaller file)." % ", ".join(map(str, grid)),
        "- PSNR over RGB (pixels/255, MSE over all values) per image; MS-SSIM: 5 scales, Gaussian window 11, "
        "sigma 1.5, the standard weights, per channel and averaged over RGB (numpy; `--self-check` compares it "
        "with pytorch_msssim); MS-SSIM dB = -10*log10(1 - mean MS-SSIM). Means over images of bytes, bpp, PSNR "
        "and MS-SSIM; bpp = 8*bytes/(width*height).",
        "- BD-rates: bjontegaard package, %s interpolation, over the overlapping range of the quality metric "
        "(rate in log bpp); each curve is first reduced to its upper envelope (points that beat every smaller "
        "one)." % curves.BD_METHOD,
    ] + ["- " + n for n in notes] + [""]
    views = [summary.SetView(name, rows, peer_names, lowest) for name, _ in sets]
    a.out.mkdir(parents=True, exist_ok=True)
    write_rows(rows, a.out / "rd.csv.gz")
    write_means(rows, a.out / "rd-curves.csv")
    plot.write_svg(views, a.out / "rd.svg")
    text = summary.render(sets, rows, peer_names, lowest, header)
    (a.out / "rd-summary.md").write_text(text)
    print()
    print(text)
    print("wrote %s, %s, %s, %s" % (a.out / "rd.csv.gz", a.out / "rd-curves.csv", a.out / "rd.svg",
                                    a.out / "rd-summary.md"))


if __name__ == "__main__":
    main()
