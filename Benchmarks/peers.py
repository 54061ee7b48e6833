#!/usr/bin/env python3
"""Peer benchmark: our Swift autoencoder engine vs. PyTorch and TensorFlow/Keras.

Not part of CI. Run it by hand on an otherwise quiet machine:

    python3 Benchmarks/peers.py --ours "swift run -c release aebench"

What it does
------------
1. Creates (once) a virtual environment at ``Benchmarks/.venv-peers`` and
   pip-installs ``numpy``, ``torch`` and ``tensorflow-cpu`` (falling back to
   ``tensorflow``) into it from plain PyPI. Re-running reuses the venv and only
   installs what is missing. A framework that cannot be installed or imported
   is skipped with a message instead of failing the whole run.
2. Measures each framework in its own subprocess (``peers.py --inner NAME``,
   run with the venv's interpreter) so that the peak resident memory figures
   (``ru_maxrss``) are separate per framework.
3. In each subprocess it builds the reference SVHN autoencoder (channels-last:
   NHWC in Keras, ``torch.channels_last`` in PyTorch), checks the parameter
   count (598,211 at latent 64), pins the thread pools to ``--threads``, and
   measures on random uint8-valued images scaled to [0, 1] (float32):
     * training images/s: Adam(lr=1e-3), MSE, ``--batch-size`` (128), one
       pass over ``--train-images`` (18000) images after a warm-up; Keras via
       a compiled (graph, not eager) ``model.fit``; PyTorch via a plain loop;
     * whole-autoencoder inference images/s at ``--infer-batch`` (256) over
       ``--infer-images`` (25600) after a warm-up; Keras via a
       ``tf.function``-compiled call, PyTorch under ``torch.inference_mode()``;
     * peak RSS of the process.
4. With ``--ours CMD`` it also runs our own benchmark (a shell command whose
   stdout has ``train_images_per_s: X`` and ``infer_autoencoder_images_per_s:
   Y`` lines, optionally ``peak_rss_mb: Z``) and prints ratios of ours to
   each peer.

``--quick`` uses tiny image counts so the script can be smoke-tested quickly.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_DIR = HERE / ".venv-peers"
RESULT_PREFIX = "__PEERS_RESULT__ "
CHILD_RSS_PREFIX = "__peers_child_maxrss_kb: "

IMAGE_SHAPE = (32, 32, 3)
FRAMEWORKS = ("torch", "tensorflow")
FRAMEWORK_LABELS = {"torch": "PyTorch", "tensorflow": "TensorFlow/Keras"}
# pip requirement alternatives per framework, tried in order.
# (--torch-spec / --tf-spec replace the defaults.)
PIP_SPECS = {"torch": ["torch"], "tensorflow": ["tensorflow-cpu", "tensorflow"]}


def expected_param_count(latent: int) -> int:
    """Parameter count of the reference autoencoder (598,211 at latent 64)."""
    conv = lambda cin, cout: 3 * 3 * cin * cout + cout  # noqa: E731
    encoder = conv(3, 32) + conv(32, 64) + conv(64, 128) + (4 * 4 * 128) * latent + latent
    decoder = (latent * 2048 + 2048) + conv(128, 128) + conv(128, 64) + conv(64, 32) + conv(32, 3)
    return encoder + decoder


def random_images(n: int, seed: int):
    """n random NHWC float32 images with uint8 values scaled to [0, 1]."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, size=(n,) + IMAGE_SHAPE, dtype=np.uint8).astype(np.float32) / 255.0)


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":  # macOS reports bytes
        kb /= 1024
    return kb / 1024.0


def thread_env(threads: int) -> dict:
    """Environment for a measuring subprocess, pinning OpenMP/MKL/TF pools."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "TF_NUM_INTRAOP_THREADS"):
        env[var] = str(threads)
    env["TF_NUM_INTEROP_THREADS"] = str(threads)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["CUDA_VISIBLE_DEVICES"] = ""  # CPU only, even where a GPU exists
    return env


# --------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------

def bench_torch(args) -> dict:
    """Build the autoencoder in PyTorch (channels_last) and measure it."""
    import numpy as np
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    torch.manual_seed(0)
    rss_after_import = peak_rss_mb()

    def conv(cin, cout, act):
        return [nn.Conv2d(cin, cout, 3, padding=1), act]

    def deconv(cin, cout):
        # stride 1, padding 1, kernel 3 == Keras Conv2DTranspose(padding="same")
        return [nn.ConvTranspose2d(cin, cout, 3, padding=1), nn.ReLU()]

    latent = args.latent_dim
    encoder = nn.Sequential(
        *conv(3, 32, nn.ReLU()), nn.MaxPool2d(2),
        *conv(32, 64, nn.ReLU()), nn.MaxPool2d(2),
        *conv(64, 128, nn.ReLU()), nn.MaxPool2d(2),
        # NCHW flatten order differs from Keras' NHWC order; irrelevant for
        # timing and for the parameter count.
        nn.Flatten(), nn.Linear(4 * 4 * 128, latent),
    )
    decoder = nn.Sequential(
        nn.Linear(latent, 2048), nn.ReLU(), nn.Unflatten(1, (128, 4, 4)),
        *deconv(128, 128), nn.Upsample(scale_factor=2, mode="nearest"),
        *deconv(128, 64), nn.Upsample(scale_factor=2, mode="nearest"),
        *deconv(64, 32), nn.Upsample(scale_factor=2, mode="nearest"),
        *conv(32, 3, nn.Sigmoid()),
    )
    model = nn.Sequential(encoder, decoder).to(memory_format=torch.channels_last)
    params = sum(p.numel() for p in model.parameters())
    print(f"[torch {torch.__version__}] parameters: {params:,}", flush=True)
    assert params == expected_param_count(latent), (params, expected_param_count(latent))

    def to_nchw_channels_last(nhwc: np.ndarray) -> torch.Tensor:
        # NHWC memory permuted to NCHW logical order *is* channels_last: no copy.
        t = torch.from_numpy(nhwc).permute(0, 3, 1, 2)
        return t.contiguous(memory_format=torch.channels_last)

    # ---- training -------------------------------------------------------
    x_train = to_nchw_channels_last(random_images(args.train_images, seed=1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    def train_step(xb):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), xb)
        loss.backward()
        opt.step()
        return loss

    model.train()
    bs = args.batch_size
    for i in range(args.warmup_batches):
        start = (i * bs) % max(1, args.train_images - bs + 1)
        train_step(x_train[start:start + bs])

    n = args.train_images
    perm = torch.randperm(n)
    t0 = time.perf_counter()
    for start in range(0, n, bs):
        idx = perm[start:start + bs]
        xb = x_train[idx].contiguous(memory_format=torch.channels_last)
        loss = train_step(xb)
    loss_value = float(loss.detach())
    train_s = time.perf_counter() - t0
    del x_train

    # ---- inference ------------------------------------------------------
    model.eval()
    ib = args.infer_batch
    pool = [to_nchw_channels_last(b) for b in infer_pool(args)]
    with torch.inference_mode():
        for i in range(args.warmup_batches):
            model(pool[i % len(pool)])
        n_batches = max(1, args.infer_images // ib)
        t0 = time.perf_counter()
        for i in range(n_batches):
            out = model(pool[i % len(pool)])
        checksum = float(out.sum())
        infer_s = time.perf_counter() - t0

    return {
        "framework": "torch",
        "version": torch.__version__,
        "params": params,
        "threads": [torch.get_num_threads(), torch.get_num_interop_threads()],
        "train_images": n,
        "train_s": train_s,
        "train_images_per_s": n / train_s,
        "final_loss": loss_value,
        "infer_images": n_batches * ib,
        "infer_s": infer_s,
        "infer_images_per_s": n_batches * ib / infer_s,
        "checksum": checksum,
        "rss_after_import_mb": rss_after_import,
        "peak_rss_mb": peak_rss_mb(),
    }


# --------------------------------------------------------------------------
# TensorFlow / Keras
# --------------------------------------------------------------------------

def bench_tensorflow(args) -> dict:
    """Build the autoencoder in Keras (NHWC) and measure it."""
    import tensorflow as tf

    # Must happen before TensorFlow runs its first op.
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    tf.config.set_visible_devices([], "GPU")
    keras = tf.keras
    layers = keras.layers
    keras.utils.set_random_seed(0)
    rss_after_import = peak_rss_mb()

    latent = args.latent_dim
    encoder = keras.Sequential([
        keras.Input(shape=IMAGE_SHAPE),
        layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(128, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(latent),
    ], name="encoder")
    decoder = keras.Sequential([
        keras.Input(shape=(latent,)),
        layers.Dense(2048, activation="relu"), layers.Reshape((4, 4, 128)),
        layers.Conv2DTranspose(128, 3, padding="same", activation="relu"), layers.UpSampling2D(2),
        layers.Conv2DTranspose(64, 3, padding="same", activation="relu"), layers.UpSampling2D(2),
        layers.Conv2DTranspose(32, 3, padding="same", activation="relu"), layers.UpSampling2D(2),
        layers.Conv2D(3, 3, padding="same", activation="sigmoid"),
    ], name="decoder")
    inp = keras.Input(shape=IMAGE_SHAPE)
    model = keras.Model(inp, decoder(encoder(inp)), name="autoencoder")
    params = model.count_params()
    keras_version = getattr(keras, "__version__", "?")
    print(f"[tensorflow {tf.__version__}, keras {keras_version}] parameters: {params:,}", flush=True)
    assert params == expected_param_count(latent), (params, expected_param_count(latent))

    jit = {"auto": "auto", "on": True, "off": False}[args.tf_jit]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse",
                  run_eagerly=False, jit_compile=jit)

    # ---- training -------------------------------------------------------
    bs = args.batch_size
    n = args.train_images
    x_train = random_images(n, seed=1)
    # Warm-up traces the train function; it also covers the final partial
    # batch shape (n % bs) so the timed epoch does not pay for a retrace.
    warm_n = min(n, args.warmup_batches * bs + n % bs)
    model.fit(x_train[:warm_n], x_train[:warm_n], batch_size=bs, epochs=1,
              shuffle=True, verbose=0)
    t0 = time.perf_counter()
    hist = model.fit(x_train, x_train, batch_size=bs, epochs=1, shuffle=True, verbose=0)
    train_s = time.perf_counter() - t0
    loss_value = float(hist.history["loss"][-1])
    del x_train

    # ---- inference ------------------------------------------------------
    ib = args.infer_batch
    pool = [tf.constant(b) for b in infer_pool(args)]
    infer_jit = args.tf_jit == "on"
    infer = tf.function(lambda x: model(x, training=False), jit_compile=infer_jit,
                        input_signature=[tf.TensorSpec((ib,) + IMAGE_SHAPE, tf.float32)])
    for i in range(args.warmup_batches):
        infer(pool[i % len(pool)]).numpy()
    n_batches = max(1, args.infer_images // ib)
    t0 = time.perf_counter()
    for i in range(n_batches):
        out = infer(pool[i % len(pool)])
    checksum = float(tf.reduce_sum(out).numpy())  # also waits for completion
    infer_s = time.perf_counter() - t0

    return {
        "framework": "tensorflow",
        "version": f"tf {tf.__version__} / keras {keras_version}",
        "params": params,
        "threads": [tf.config.threading.get_intra_op_parallelism_threads(),
                    tf.config.threading.get_inter_op_parallelism_threads()],
        "jit_compile": str(getattr(model, "jit_compile", jit)),
        "train_images": n,
        "train_s": train_s,
        "train_images_per_s": n / train_s,
        "final_loss": loss_value,
        "infer_images": n_batches * ib,
        "infer_s": infer_s,
        "infer_images_per_s": n_batches * ib / infer_s,
        "checksum": checksum,
        "rss_after_import_mb": rss_after_import,
        "peak_rss_mb": peak_rss_mb(),
    }


def infer_pool(args) -> list:
    """A few distinct inference batches, cycled during timing.

    Keeps the inference input to at most 8 batches (~25 MB at batch 256)
    instead of materialising all --infer-images images, so peak RSS is not
    dominated by input data.
    """
    ib = args.infer_batch
    k = max(1, min(8, args.infer_images // ib))
    data = random_images(k * ib, seed=2)
    return [data[i * ib:(i + 1) * ib] for i in range(k)]


INNER = {"torch": bench_torch, "tensorflow": bench_tensorflow}


def run_inner(args) -> int:
    """Entry point inside the venv: measure one framework, print JSON."""
    result = INNER[args.inner](args)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


# --------------------------------------------------------------------------
# Outer driver: venv, subprocesses, our benchmark, table
# --------------------------------------------------------------------------

def venv_python() -> Path:
    sub = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    return VENV_DIR / sub


def venv_can_import(module: str) -> bool:
    r = subprocess.run([str(venv_python()), "-c", f"import {module}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=thread_env(1))
    return r.returncode == 0


def pip_install(spec: str) -> bool:
    print(f"[peers] pip install {spec} (into {VENV_DIR.name}; may take minutes)", flush=True)
    r = subprocess.run([str(venv_python()), "-m", "pip", "install", "--quiet", spec])
    return r.returncode == 0


def ensure_venv(frameworks: list[str]) -> list[str]:
    """Create/reuse the venv; install what is missing. Returns usable frameworks."""
    if not venv_python().exists():
        print(f"[peers] creating virtual environment {VENV_DIR}", flush=True)
        r = subprocess.run([sys.executable, "-m", "venv", str(VENV_DIR)])
        if r.returncode != 0:
            sys.exit("[peers] could not create the venv (is python3-venv installed?)")
    else:
        print(f"[peers] reusing virtual environment {VENV_DIR}", flush=True)

    if not venv_can_import("numpy") and not pip_install("numpy"):
        sys.exit("[peers] could not install numpy; nothing can be measured")

    usable = []
    for fw in frameworks:
        if venv_can_import(fw):
            usable.append(fw)
            continue
        for spec in PIP_SPECS[fw]:
            if pip_install(spec) and venv_can_import(fw):
                usable.append(fw)
                break
        else:
            print(f"[peers] SKIPPING {FRAMEWORK_LABELS[fw]}: could not install "
                  f"any of {PIP_SPECS[fw]} or import '{fw}'", flush=True)
    return usable


def inner_argv(args, fw: str) -> list[str]:
    return [str(venv_python()), str(Path(__file__).resolve()), "--inner", fw,
            "--threads", str(args.threads), "--latent-dim", str(args.latent_dim),
            "--batch-size", str(args.batch_size), "--train-images", str(args.train_images),
            "--infer-batch", str(args.infer_batch), "--infer-images", str(args.infer_images),
            "--warmup-batches", str(args.warmup_batches), "--tf-jit", args.tf_jit]


def measure_framework(args, fw: str) -> dict | None:
    """Run one framework in its own subprocess; None if it failed."""
    print(f"[peers] measuring {FRAMEWORK_LABELS[fw]} ...", flush=True)
    proc = subprocess.run(inner_argv(args, fw), stdout=subprocess.PIPE, text=True,
                          env=thread_env(args.threads))
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
        else:
            print("    " + line, flush=True)
    if proc.returncode != 0 or result is None:
        print(f"[peers] SKIPPING {FRAMEWORK_LABELS[fw]}: measurement failed "
              f"(exit {proc.returncode})", flush=True)
        return None
    extra = f", jit_compile={result['jit_compile']}" if "jit_compile" in result else ""
    print(f"    {result['version']}, threads (intra, inter) = {tuple(result['threads'])}{extra}",
          flush=True)
    print(f"    train {result['train_images_per_s']:.1f} img/s "
          f"({result['train_images']} images, {result['train_s']:.1f} s, loss {result['final_loss']:.4f}); "
          f"infer {result['infer_images_per_s']:.1f} img/s "
          f"({result['infer_images']} images, {result['infer_s']:.1f} s); "
          f"peak RSS {result['peak_rss_mb']:.0f} MB (after import {result['rss_after_import_mb']:.0f} MB)",
          flush=True)
    return result


# Runs CMD in a shell, passes its stdout through, then reports the peak RSS of
# the largest waited-for descendant (which includes a build if CMD builds).
_OURS_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[1], shell=True).returncode\n"
    "kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    f"print({CHILD_RSS_PREFIX!r} + str(kb), flush=True)\n"
    "sys.exit(rc)\n"
)


def run_ours(args) -> dict | None:
    """Run our benchmark command and parse its figures."""
    print(f"[peers] running ours: {args.ours}", flush=True)
    proc = subprocess.run([sys.executable, "-c", _OURS_WRAPPER, args.ours],
                          stdout=subprocess.PIPE, text=True, env=thread_env(args.threads))
    out = proc.stdout
    for line in out.splitlines():
        if not line.startswith(CHILD_RSS_PREFIX):
            print("    " + line, flush=True)

    def grab(key):
        m = re.search(rf"^\s*{key}\s*:\s*([0-9.eE+-]+)", out, re.MULTILINE)
        return float(m.group(1)) if m else None

    train, infer = grab("train_images_per_s"), grab("infer_autoencoder_images_per_s")
    if proc.returncode != 0 or train is None or infer is None:
        print(f"[peers] our benchmark failed (exit {proc.returncode}) or did not print "
              "train_images_per_s / infer_autoencoder_images_per_s", flush=True)
        return None
    rss, rss_note = grab("peak_rss_mb"), "reported by the benchmark"
    if rss is None:
        kb = grab(CHILD_RSS_PREFIX.split(":")[0])
        rss = kb / 1024.0 if kb is not None else None
        rss_note = "max over child processes (includes the build if CMD builds)"
    return {"framework": "ours", "version": args.ours, "train_images_per_s": train,
            "infer_images_per_s": infer, "peak_rss_mb": rss, "rss_note": rss_note}


def print_table(results: list[dict], ours: dict | None) -> None:
    rows = ([ours] if ours else []) + results
    if not rows:
        print("\n[peers] nothing was measured.")
        return
    label = lambda r: "ours (Swift)" if r["framework"] == "ours" else FRAMEWORK_LABELS[r["framework"]]  # noqa: E731
    fmt = lambda v, p=1: "n/a" if v is None else f"{v:,.{p}f}"  # noqa: E731
    print()
    print(f"{'framework':<18} {'train img/s':>12} {'infer img/s':>12} {'peak RSS MB':>12}")
    print("-" * 57)
    for r in rows:
        print(f"{label(r):<18} {fmt(r['train_images_per_s']):>12} "
              f"{fmt(r['infer_images_per_s']):>12} {fmt(r['peak_rss_mb'], 0):>12}")
    if ours:
        print(f"\n(ours' peak RSS: {ours['rss_note']})")
        print(f"\n{'ours / peer':<18} {'train':>12} {'infer':>12} {'peak RSS':>12}")
        print("-" * 57)
        for r in results:
            ratio = lambda k: (None if ours[k] is None or not r[k]  # noqa: E731
                               else ours[k] / r[k])
            print(f"{label(r):<18} {fmt(ratio('train_images_per_s'), 2) + 'x':>12} "
                  f"{fmt(ratio('infer_images_per_s'), 2) + 'x':>12} "
                  f"{fmt(ratio('peak_rss_mb'), 2) + 'x':>12}")
        print("(train/infer > 1: ours is faster; peak RSS < 1: ours uses less memory)")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ours", metavar="CMD",
                   help="shell command running our benchmark; its stdout must contain "
                        "'train_images_per_s: X' and 'infer_autoencoder_images_per_s: Y'")
    p.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                   help="comma-separated subset of: torch,tensorflow (default: both)")
    p.add_argument("--threads", type=int, default=2, help="intra/inter-op threads (default 2)")
    p.add_argument("--latent-dim", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=128, help="training batch (default 128)")
    p.add_argument("--train-images", type=int, default=18000,
                   help="images in the timed training pass (default 18000 = one seed epoch)")
    p.add_argument("--infer-batch", type=int, default=256)
    p.add_argument("--infer-images", type=int, default=25600)
    p.add_argument("--warmup-batches", type=int, default=3)
    p.add_argument("--tf-jit", choices=["auto", "on", "off"], default="auto",
                   help="Keras jit_compile (XLA) setting for training; 'on' also "
                        "XLA-compiles inference (default auto)")
    p.add_argument("--torch-spec", metavar="SPEC",
                   help="pip requirement for PyTorch if it must be installed (default: torch; "
                        "e.g. a path to a CPU-only wheel to avoid the multi-GB CUDA libraries)")
    p.add_argument("--tf-spec", metavar="SPEC",
                   help="pip requirement for TensorFlow if it must be installed "
                        "(default: tensorflow-cpu, then tensorflow)")
    p.add_argument("--quick", action="store_true",
                   help="tiny image counts, for a smoke test")
    p.add_argument("--json", metavar="PATH", help="also write all results to PATH as JSON")
    p.add_argument("--inner", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick and not args.inner:
        args.train_images = min(args.train_images, 4 * args.batch_size)
        args.infer_images = min(args.infer_images, 4 * args.infer_batch)
        args.warmup_batches = min(args.warmup_batches, 1)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.inner:
        return run_inner(args)

    wanted = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    bad = [f for f in wanted if f not in FRAMEWORKS]
    if bad:
        sys.exit(f"[peers] unknown framework(s): {bad}; choose from {FRAMEWORKS}")
    print(f"[peers] threads={args.threads} latent={args.latent_dim} "
          f"(expected params {expected_param_count(args.latent_dim):,}) "
          f"train: {args.train_images} images @ batch {args.batch_size}; "
          f"infer: {args.infer_images} images @ batch {args.infer_batch}"
          f"{' [quick]' if args.quick else ''}", flush=True)

    if args.torch_spec:
        PIP_SPECS["torch"] = [args.torch_spec]
    if args.tf_spec:
        PIP_SPECS["tensorflow"] = [args.tf_spec]
    usable = ensure_venv(wanted)
    results = [r for r in (measure_framework(args, fw) for fw in usable) if r]
    ours = run_ours(args) if args.ours else None
    print_table(results, ours)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "peers": results,
                                               "ours": ours}, indent=2))
    return 0 if (results or ours) else 1


if __name__ == "__main__":
    sys.exit(main())
