"""Our targets as data: `--ours SPEC` strings become points (one aeenc/aedec run per image
folder each), grouped into curves.

    SPEC = [NAME=]AEENC-ARGS[;AEDEC-ARGS]

AEENC-ARGS are aeenc's own options, split like a shell line (after `aeenc FOLDER -o OUT`);
a first word without a leading '-' is the model, short for `--model WORD` (a built-in name
or a .aemodel path). Then:
  * without --latent/--bits: one point per latent form the model writes, found by
    encoding a small probe image with `--latent coded`, `f16` and `u8`;
  * `-q A-B` or `-q A,B,...` (also --quality): one point per level, run with `-q N`;
  * `--threads` defaults to the script's --jobs.
aedec gets `--model MODEL` (when the spec names one) and `--threads`; text after a ';'
replaces that (e.g. `;--model-path models/`).
NAME (no spaces) names the curve; the points of one NAME and latent form make one curve, called
"NAME FORM". Without NAME: the model's family (from `aeinfo --json` of the bundle, for a
built-in the file in Sources/CModels/models/), or "ours" when it cannot be read.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

FORMS = ("coded", "f16", "u8")
BITS_FORM = {"16": "f16", "8": "u8"}


class SpecError(Exception):
    pass


@dataclass
class Point:
    """One of our rate points: a curve name, a label, the aeenc and aedec arguments."""

    curve: str
    label: str
    form: str
    level: str
    enc_args: list = field(default_factory=list)
    dec_args: list = field(default_factory=list)


def builtin_models(bindir: Path) -> list[str]:
    """Names listed by `aeinfo --models` (lines '  NAME  latent ...')."""
    r = subprocess.run([str(bindir / "aeinfo"), "--models"], capture_output=True, text=True)
    if r.returncode != 0:
        raise SpecError("aeinfo --models failed: %s" % r.stderr.strip())
    return [m.group(1) for m in re.finditer(r"^\s+(\S+)\s+latent", r.stdout, re.M)]


def model_family(model: str, bindir: Path, repo: Path):
    """The bundle's architecture family, or None when there is no file to read."""
    path = Path(model)
    if not path.suffix == ".aemodel":
        path = repo / "Sources" / "CModels" / "models" / (model + ".aemodel")
    if not path.is_file():
        return None
    r = subprocess.run([str(bindir / "aeinfo"), str(path), "--json"], capture_output=True, text=True)
    try:
        return json.loads(r.stdout)["metadata"]["architecture"]["family"]
    except (ValueError, KeyError, TypeError):
        return None


def _option(args: list, names) -> int:
    """Index of the first of names among args (also as --name=value), or -1."""
    for i, a in enumerate(args):
        if a in names or any(a.startswith(n + "=") for n in names):
            return i
    return -1


def _take(args: list, names):
    """Remove the option (with its value) from args; return the value or None."""
    i = _option(args, names)
    if i < 0:
        return None
    if "=" in args[i]:
        value = args[i].split("=", 1)[1]
        del args[i]
    else:
        if i + 1 >= len(args):
            raise SpecError("%s needs a value" % args[i])
        value = args[i + 1]
        del args[i:i + 2]
    return value


def _levels(text: str) -> list[str]:
    m = re.fullmatch(r"(\d+)-(\d+)", text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if a > b:
            raise SpecError("level range %s runs backwards" % text)
        return [str(q) for q in range(a, b + 1)]
    if re.fullmatch(r"\d+(,\d+)*", text):
        return text.split(",")
    raise SpecError("levels %r: expected N, A-B or A,B,..." % text)


def parse(spec: str, threads: int, probe, family) -> list[Point]:
    """The points of one SPEC. probe(enc_args) -> the forms aeenc accepts with these
    arguments; family(model) -> family name or None."""
    name, rest = None, spec
    m = re.match(r"^([^=\s-][^=\s]*)=(.*)$", spec, re.S)
    if m:
        name, rest = m.group(1).strip(), m.group(2)
    enc_text, _, dec_text = rest.partition(";")
    try:
        args = shlex.split(enc_text)
        dec_args = shlex.split(dec_text) if dec_text.strip() else None
    except ValueError as e:
        raise SpecError("%r: %s" % (spec, e))
    if args and not args[0].startswith("-"):
        args = ["--model"] + args
    model = _take(args, ("--model",))
    form = _take(args, ("--latent",))
    bits = _take(args, ("--bits",))
    if bits is not None:
        if bits not in BITS_FORM or form is not None:
            raise SpecError("%r: --bits must be 16 or 8, and not with --latent" % spec)
        form = BITS_FORM[bits]
    if form is not None and form not in FORMS:
        raise SpecError("%r: --latent %s is not one of %s" % (spec, form, ", ".join(FORMS)))
    levels_text = _take(args, ("-q", "--quality"))
    levels = _levels(levels_text) if levels_text is not None else [""]
    if _option(args, ("-o", "--output", "--force", "--skip-existing")) >= 0:
        raise SpecError("%r: -o, --force and --skip-existing are the script's" % spec)
    if _option(args, ("--threads",)) < 0:
        args += ["--threads", str(threads)]
    base = (["--model", model] if model else []) + args
    if dec_args is None:
        dec_args = (["--model", model] if model else []) + ["--threads", str(threads)]
    curve = name or (family(model) if model else None) or "ours"
    model_label = Path(model).stem if model and model.endswith(".aemodel") else (model or "default model")
    points = []
    for level in levels:
        level_args = ["-q", level] if level else []
        forms = [form] if form else probe(base + level_args)
        if not forms:
            raise SpecError("%r: aeenc accepts none of --latent %s" % (spec, ", ".join(FORMS)))
        for f in forms:
            label = model_label + (" q" + level if level else "") + " " + f
            if name:
                label = name + ": " + label
            points.append(Point(curve="%s %s" % (curve, f), label=label, form=f, level=level,
                                enc_args=base + level_args + ["--latent", f], dec_args=list(dec_args)))
    return points


def default_specs(bindir: Path) -> list[str]:
    """Every built-in model, in each form it writes."""
    return builtin_models(bindir)


def make_prober(bindir: Path, work: Path):
    """probe(enc_args) -> the forms aeenc accepts for a 32x32 test image (cached)."""
    import numpy as np
    from PIL import Image

    png = work / "probe.png"
    y, x = np.mgrid[0:32, 0:32]
    Image.fromarray(np.stack([x * 8, y * 8, (x + y) * 4], -1).astype(np.uint8), "RGB").save(png)
    cache: dict = {}
    last_error: list = []

    def probe(enc_args):
        key = tuple(enc_args)
        if key not in cache:
            forms = []
            for f in FORMS:
                r = subprocess.run([str(bindir / "aeenc"), str(png), "-o", str(work / "probe.ael"), "--force",
                                    "--quiet"] + list(enc_args) + ["--latent", f], capture_output=True, text=True)
                if r.returncode == 0:
                    forms.append(f)
                else:
                    err = r.stderr.strip().splitlines()
                    last_error[:] = [err[0] if err else "exit status %d" % r.returncode]
            if not forms and last_error:
                raise SpecError("aeenc %s: %s" % (" ".join(enc_args), last_error[0]))
            cache[key] = forms
        return cache[key]

    return probe
