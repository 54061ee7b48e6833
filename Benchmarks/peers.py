#!/usr/bin/env python3
"""Peer benchmark: our Swift autoencoder engine vs. PyTorch and TensorFlow/Keras.

Not part of CI. Run it by hand on an otherwise quiet machine:

    swift build -c release
    python3 Benchmarks/peers.py --ours ".build/release/aebench --threads 2 --model all"

The measurements alternate round by round (``--rounds``, default 3: ours, PyTorch,
Keras, then again), so that the machine's noise hits every side alike, and the
tables print each figure's median over the rounds.

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
4. With ``--models`` including ``codec`` (the default), PyTorch also measures a
   fully-convolutional codec model: the analysis and synthesis transforms of
   Balle et al.'s factorized-prior model (CompressAI's FactorizedPrior(128, 192)
   without its entropy model: 4 x [5x5 stride-2 conv, GDN], the mirror with
   transposed convolutions and inverse GDN), trained with MSE on 64x64 patches
   at batch 16 (patches/s), and the time of one analysis + synthesis pass over a
   768x512 image. GDN is a few lines of this script, as CompressAI computes it.
5. With ``--ours CMD`` it also runs our own benchmark (a shell command whose
   stdout has ``train_images_per_s: X`` and ``infer_autoencoder_images_per_s:
   Y`` lines, optionally ``train_peak_rss_mb`` / ``peak_rss_mb``,
   ``codec_train_patches_per_s``, ``codec_image_seconds`` and ``sgemm_gflops``)
   and prints ratios of ours to each peer, and the issue's targets.

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
MODELS = ("reference", "codec")
CODEC_PATCH = 64
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


def reference_flops(latent: int) -> tuple[float, float]:
    """Multiply-add FLOPs (2 per MAC) per image of the reference autoencoder:
    (forward, training = 3 x forward less the first layer's input gradient)."""
    conv = lambda hw, cin, cout: 2 * hw * hw * 9 * cin * cout  # noqa: E731
    first = conv(32, 3, 32)
    encoder = first + conv(16, 32, 64) + conv(8, 64, 128) + 2 * 2048 * latent
    decoder = (2 * latent * 2048 + conv(4, 128, 128) + conv(8, 128, 64)
               + conv(16, 64, 32) + conv(32, 32, 3))
    forward = encoder + decoder
    return forward, 3 * forward - first


def codec_flops(height: int, width: int, n: int = 128, m: int = 192) -> tuple[float, float]:
    """FLOPs (2 per MAC) of the codec model's convolutions and GDN channel mixes on
    one height x width image: (forward, training), as aebench counts them."""
    widths = [3, n, n, n, m]
    h, w, total, first = height, width, 0, 0
    for i in range(4):  # analysis: 5x5 stride-2 convolutions ('same': ceil(size / 2))
        h, w = (h + 1) // 2, (w + 1) // 2
        cost = 2 * h * w * 25 * widths[i] * widths[i + 1]
        first = first or cost
        total += cost + (2 * h * w * widths[i + 1] ** 2 if i < 3 else 0)
    for i in range(4):  # synthesis: each input pixel meets all 25 taps
        cin, cout = widths[4 - i], widths[3 - i]
        total += 2 * h * w * 25 * cin * cout
        h, w = 2 * h, 2 * w
        total += 2 * h * w * cout ** 2 if i < 3 else 0
    return total, 3 * total - first


def random_images(n: int, seed: int, shape=IMAGE_SHAPE):
    """n random NHWC float32 images with uint8 values scaled to [0, 1]."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, size=(n,) + tuple(shape), dtype=np.uint8).astype(np.float32) / 255.0)


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
    """Measure the models of --models in PyTorch (channels_last)."""
    import torch

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    torch.manual_seed(0)
    result = {"framework": "torch", "version": torch.__version__,
              "threads": [torch.get_num_threads(), torch.get_num_interop_threads()],
              "rss_after_import_mb": peak_rss_mb(), "sgemm_gflops": torch_sgemm_gflops()}
    if "reference" in args.models:
        result.update(bench_torch_reference(args))
    if "codec" in args.models:
        result.update(bench_torch_codec(args))
    return result


def torch_sgemm_gflops(size: int = 1024, repeats: int = 8) -> float:
    """GFLOP/s of PyTorch's float32 matrix multiply on its thread pool."""
    import torch

    a = torch.full((size, size), 0.5)
    torch.mm(a, a)
    t0 = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, a)
    return repeats * 2 * size ** 3 / (time.perf_counter() - t0) / 1e9


def bench_torch_reference(args) -> dict:
    """Build the reference autoencoder in PyTorch (channels_last) and measure it."""
    import numpy as np
    import torch
    from torch import nn

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
        "params": params,
        "train_images": n,
        "train_s": train_s,
        "train_images_per_s": n / train_s,
        "final_loss": loss_value,
        "infer_images": n_batches * ib,
        "infer_s": infer_s,
        "infer_images_per_s": n_batches * ib / infer_s,
        "checksum": checksum,
        "peak_rss_mb": peak_rss_mb(),
    }


def bench_torch_codec(args) -> dict:
    """The codec model (CompressAI's FactorizedPrior(128, 192) transforms) in PyTorch:
    MSE training on 64x64 patches, and analysis + synthesis of one whole image."""
    import torch
    from torch import nn

    class LowerBound(torch.autograd.Function):
        """max(x, bound) whose gradient also passes where it pushes x up (CompressAI's)."""

        @staticmethod
        def forward(ctx, x, bound):
            ctx.save_for_backward(x, bound)
            return torch.max(x, bound)

        @staticmethod
        def backward(ctx, grad):
            x, bound = ctx.saved_tensors
            return ((x >= bound) | (grad < 0)).type(grad.dtype) * grad, None

    class GDN(nn.Module):
        """y = x / sqrt(beta + gamma * x^2) over channels (inverse: times), with the
        non-negative reparametrisation of beta and gamma, as CompressAI computes it."""

        def __init__(self, channels, inverse=False, beta_min=1e-6, gamma_init=0.1):
            super().__init__()
            self.inverse = inverse
            self.pedestal = torch.tensor(2.0 ** -36)
            self.beta_bound = torch.sqrt(torch.tensor(beta_min) + self.pedestal)
            self.gamma_bound = torch.sqrt(self.pedestal)
            self.beta = nn.Parameter(torch.sqrt(torch.ones(channels) + self.pedestal))
            self.gamma = nn.Parameter(torch.sqrt(gamma_init * torch.eye(channels) + self.pedestal))

        def forward(self, x):
            c = x.shape[1]
            beta = LowerBound.apply(self.beta, self.beta_bound) ** 2 - self.pedestal
            gamma = LowerBound.apply(self.gamma, self.gamma_bound) ** 2 - self.pedestal
            norm = nn.functional.conv2d(x * x, gamma.reshape(c, c, 1, 1), beta)
            return x * (torch.sqrt(norm) if self.inverse else torch.rsqrt(norm))

    n, m = 128, 192
    widths = [3, n, n, n, m]
    analysis, synthesis = [], []
    for i in range(4):
        analysis.append(nn.Conv2d(widths[i], widths[i + 1], 5, stride=2, padding=2))
        if i < 3:
            analysis.append(GDN(widths[i + 1]))
    for i in range(4):
        synthesis.append(nn.ConvTranspose2d(widths[4 - i], widths[3 - i], 5, stride=2,
                                            padding=2, output_padding=1))
        if i < 3:
            synthesis.append(GDN(widths[3 - i], inverse=True))
    model = nn.Sequential(nn.Sequential(*analysis), nn.Sequential(*synthesis))
    model = model.to(memory_format=torch.channels_last)
    params = sum(p.numel() for p in model.parameters())
    print(f"[torch {torch.__version__}] codec parameters: {params:,}", flush=True)

    def nchw(nhwc):
        return torch.from_numpy(nhwc).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)

    bs = args.codec_batch
    pool = nchw(random_images(max(256, 2 * bs), seed=3, shape=(CODEC_PATCH, CODEC_PATCH, 3)))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()

    def step(i):
        start = (i * bs) % (pool.shape[0] - bs)
        xb = pool[start:start + bs]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), xb)
        loss.backward()
        opt.step()
        return loss

    model.train()
    for i in range(2):
        step(i)
    steps = max(1, -(-args.codec_patches // bs))
    t0 = time.perf_counter()
    for i in range(steps):
        loss = step(i)
    float(loss.detach())
    train_s = time.perf_counter() - t0

    model.eval()
    image = nchw(random_images(1, seed=4, shape=(args.codec_image_height, args.codec_image_width, 3)))
    times = []
    with torch.inference_mode():
        model(image)  # warm-up
        for _ in range(args.codec_image_runs):
            t0 = time.perf_counter()
            out = model(image)
            times.append(time.perf_counter() - t0)
    assert tuple(out.shape) == (1, 3, args.codec_image_height, args.codec_image_width), out.shape
    return {
        "codec_params": params,
        "codec_train_patches_per_s": steps * bs / train_s,
        "codec_image_seconds": sorted(times)[len(times) // 2],
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
            "--warmup-batches", str(args.warmup_batches), "--tf-jit", args.tf_jit,
            "--models", ",".join(models_for(args, fw)),
            "--codec-batch", str(args.codec_batch), "--codec-patches", str(args.codec_patches),
            "--codec-image-width", str(args.codec_image_width),
            "--codec-image-height", str(args.codec_image_height),
            "--codec-image-runs", str(args.codec_image_runs)]


def models_for(args, fw: str) -> list[str]:
    """The models of --models that framework measures (Keras: the reference only)."""
    return [m for m in args.models if fw != "tensorflow" or m == "reference"]


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
    if "train_images_per_s" in result:
        print(f"    train {result['train_images_per_s']:.1f} img/s "
              f"({result['train_images']} images, {result['train_s']:.1f} s, loss {result['final_loss']:.4f}); "
              f"infer {result['infer_images_per_s']:.1f} img/s "
              f"({result['infer_images']} images, {result['infer_s']:.1f} s); "
              f"peak RSS {result['peak_rss_mb']:.0f} MB (after import {result['rss_after_import_mb']:.0f} MB)",
              flush=True)
    if "codec_train_patches_per_s" in result:
        print(f"    codec: train {result['codec_train_patches_per_s']:.2f} patches/s; "
              f"{args.codec_image_width}x{args.codec_image_height} image "
              f"{result['codec_image_seconds']:.3f} s", flush=True)
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
    required = (["train_images_per_s", "infer_autoencoder_images_per_s"] if "reference" in args.models else []) \
        + (["codec_train_patches_per_s", "codec_image_seconds"] if "codec" in args.models else [])
    missing = [key for key in required if grab(key) is None]
    if proc.returncode != 0 or missing:
        print(f"[peers] our benchmark failed (exit {proc.returncode}) or did not print "
              f"{' / '.join(missing)}", flush=True)
        return None
    # Training's peak if the benchmark reports it apart (later runs may use more).
    rss, rss_note = grab("train_peak_rss_mb"), "training peak, reported by the benchmark"
    if rss is None:
        rss, rss_note = grab("peak_rss_mb"), "reported by the benchmark"
    if rss is None:
        kb = grab(CHILD_RSS_PREFIX.split(":")[0])
        rss = kb / 1024.0 if kb is not None else None
        rss_note = "max over child processes (includes the build if CMD builds)"
    result = {"framework": "ours", "version": args.ours, "train_images_per_s": train,
              "infer_images_per_s": infer, "peak_rss_mb": rss, "rss_note": rss_note}
    for key in ("codec_train_patches_per_s", "codec_image_seconds", "sgemm_gflops",
                "codec_parameters"):
        if grab(key) is not None:
            result[key] = grab(key)
    return result


# The figures of the tables: key, heading, digits, which way is better, FLOPs per
# unit (None: no GFLOP/s column).
def columns(args) -> list[tuple]:
    ref_forward, ref_train = reference_flops(args.latent_dim)
    _, codec_train = codec_flops(CODEC_PATCH, CODEC_PATCH)
    codec_image, _ = codec_flops(args.codec_image_height, args.codec_image_width)
    cols = []
    if "reference" in args.models:
        cols += [("train_images_per_s", "train img/s", 1, "higher", ref_train),
                 ("infer_images_per_s", "infer img/s", 1, "higher", ref_forward),
                 ("peak_rss_mb", "train peak MB", 0, "lower", None)]
    if "codec" in args.models:
        cols += [("codec_train_patches_per_s", "codec patch/s", 2, "higher", codec_train),
                 ("codec_image_seconds", "codec image s", 3, "lower", codec_image)]
    return cols


def median(values: list[float]) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def label(fw: str) -> str:
    return "ours (Swift)" if fw == "ours" else FRAMEWORK_LABELS[fw]


def fmt(v, p=1) -> str:
    return "n/a" if v is None else f"{v:,.{p}f}"


def medians(rounds: list[dict], args) -> dict:
    """{framework: {key: median over the rounds}} for every framework measured."""
    out = {}
    for fw in ["ours"] + list(FRAMEWORKS):
        runs = [r[fw] for r in rounds if r.get(fw)]
        if runs:
            keys = [c[0] for c in columns(args)] + ["sgemm_gflops"]
            out[fw] = {k: median([run.get(k) for run in runs]) for k in keys}
            out[fw]["rounds"] = len(runs)
    return out


def print_rounds(rounds: list[dict], args) -> None:
    cols = columns(args)
    print("\nper round:")
    print(f"{'round':<6} {'framework':<18} " + " ".join(f"{c[1]:>14}" for c in cols))
    for i, r in enumerate(rounds, 1):
        for fw, res in r.items():
            if res:
                print(f"{i:<6} {label(fw):<18} "
                      + " ".join(f"{fmt(res.get(c[0]), c[2]):>14}" for c in cols))


def gflops(value, col) -> float | None:
    key, _, _, _, flops = col
    if value is None or flops is None:
        return None
    return flops / value / 1e9 if key.endswith("_seconds") else value * flops / 1e9


def print_table(med: dict, args) -> None:
    if not med:
        print("\n[peers] nothing was measured.")
        return
    cols = columns(args)
    rounds = max(m["rounds"] for m in med.values())
    print(f"\nmedians over {rounds} alternating round(s), {args.threads} threads "
          "(GFLOP/s achieved in brackets):")
    print(f"{'framework':<18} " + " ".join(f"{c[1]:>22}" for c in cols))
    print("-" * (19 + 23 * len(cols)))
    for fw, m in med.items():
        cells = []
        for c in cols:
            v, g = m.get(c[0]), gflops(m.get(c[0]), c)
            cells.append(f"{fmt(v, c[2])}" + (f" ({g:.1f})" if g is not None else ""))
        print(f"{label(fw):<18} " + " ".join(f"{cell:>22}" for cell in cells))
    for fw, m in med.items():
        if m.get("sgemm_gflops"):
            how = ("each worker single-threaded OpenBLAS, 1024^3" if fw == "ours"
                   else "torch.mm 1024^3 on its thread pool")
            print(f"sgemm GFLOP/s for scale, {label(fw)}: {m['sgemm_gflops']:.1f} ({how})")
    ours = med.get("ours")
    if not ours:
        return
    print(f"\n{'ours / peer':<18} " + " ".join(f"{c[1]:>14}" for c in cols))
    print("-" * (19 + 15 * len(cols)))
    for fw, m in med.items():
        if fw == "ours":
            continue
        cells = []
        for c in cols:
            a, b = ours.get(c[0]), m.get(c[0])
            # Speed ratios read "> 1: ours is better"; memory "< 1: ours uses less".
            r = None if a is None or not b else (b / a if c[0].endswith("_seconds") else a / b)
            cells.append(fmt(r, 2) + "x" if r is not None else "n/a")
        print(f"{label(fw):<18} " + " ".join(f"{cell:>14}" for cell in cells))
    print("(speed > 1: ours is faster; train peak < 1: ours uses less memory)")
    print_targets(med)


def print_targets(med: dict) -> None:
    """The issue's targets, from the medians."""
    ours, torch_, tf_ = med.get("ours", {}), med.get("torch", {}), med.get("tensorflow", {})
    lines = []

    def ratio(a, b):
        return None if a is None or not b else a / b

    peers_train = [m.get("train_images_per_s") for m in (torch_, tf_) if m.get("train_images_per_s")]
    if ours.get("train_images_per_s") and peers_train:
        lines.append(("reference training >= 1.1x the faster peer",
                      ratio(ours["train_images_per_s"], max(peers_train)), 1.1))
    if ours.get("infer_images_per_s") and tf_.get("infer_images_per_s"):
        lines.append(("reference inference >= 1.0x Keras",
                      ratio(ours["infer_images_per_s"], tf_["infer_images_per_s"]), 1.0))
    if ours.get("codec_train_patches_per_s") and torch_.get("codec_train_patches_per_s"):
        lines.append(("codec training >= 1.0x PyTorch",
                      ratio(ours["codec_train_patches_per_s"], torch_["codec_train_patches_per_s"]), 1.0))
    if ours.get("codec_image_seconds") and torch_.get("codec_image_seconds"):
        lines.append(("codec image >= 1.0x PyTorch",
                      ratio(torch_["codec_image_seconds"], ours["codec_image_seconds"]), 1.0))
    if not lines and ours.get("peak_rss_mb") is None:
        return
    print("\ntargets (issue 12):")
    for name, r, goal in lines:
        print(f"  {name:<44} {fmt(r, 2)}x  {'met' if r is not None and r >= goal else 'NOT met'}")
    if ours.get("peak_rss_mb") is not None:
        peak = ours["peak_rss_mb"]
        print(f"  {'reference training peak < 400 MB':<44} {peak:.0f} MB  {'met' if peak < 400 else 'NOT met'}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ours", metavar="CMD",
                   help="shell command running our benchmark, run once per round; its stdout "
                        "must contain 'train_images_per_s: X' and 'infer_autoencoder_images_per_s: Y' "
                        "(reference model) and 'codec_train_patches_per_s' and 'codec_image_seconds' "
                        "(codec model), e.g. '.build/release/aebench --threads 2 --model all'")
    p.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                   help="comma-separated subset of: torch,tensorflow (default: both)")
    p.add_argument("--models", default=",".join(MODELS),
                   help="comma-separated subset of: reference,codec (default: both; Keras "
                        "measures the reference model only)")
    p.add_argument("--rounds", type=int, default=3,
                   help="alternating rounds (ours, then each peer, per round); the tables "
                        "print medians (default 3)")
    p.add_argument("--venv", metavar="DIR", type=Path, default=VENV_DIR,
                   help="virtual environment with the peers (default Benchmarks/.venv-peers; "
                        "created if missing)")
    p.add_argument("--threads", type=int, default=2, help="intra/inter-op threads (default 2)")
    p.add_argument("--latent-dim", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=128, help="training batch (default 128)")
    p.add_argument("--train-images", type=int, default=18000,
                   help="images in the timed training pass (default 18000 = one seed epoch)")
    p.add_argument("--infer-batch", type=int, default=256)
    p.add_argument("--infer-images", type=int, default=25600)
    p.add_argument("--warmup-batches", type=int, default=3)
    p.add_argument("--codec-batch", type=int, default=16, help="codec training batch of 64x64 patches")
    p.add_argument("--codec-patches", type=int, default=320,
                   help="patches in the timed codec training run (default 320 = 20 steps)")
    p.add_argument("--codec-image-width", type=int, default=768)
    p.add_argument("--codec-image-height", type=int, default=512)
    p.add_argument("--codec-image-runs", type=int, default=3,
                   help="timed analysis + synthesis runs on that image; the median counts")
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
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in args.models if m not in MODELS]
    if bad:
        p.error(f"unknown model(s): {bad}; choose from {MODELS}")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.quick and not args.inner:
        args.train_images = min(args.train_images, 4 * args.batch_size)
        args.infer_images = min(args.infer_images, 4 * args.infer_batch)
        args.warmup_batches = min(args.warmup_batches, 1)
        args.codec_patches = min(args.codec_patches, 2 * args.codec_batch)
        args.codec_image_runs = 1
    return args


def main(argv=None) -> int:
    global VENV_DIR
    args = parse_args(argv)
    if args.inner:
        return run_inner(args)

    VENV_DIR = args.venv.resolve() if args.venv.exists() else args.venv
    wanted = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    bad = [f for f in wanted if f not in FRAMEWORKS]
    if bad:
        sys.exit(f"[peers] unknown framework(s): {bad}; choose from {FRAMEWORKS}")
    wanted = [f for f in wanted if models_for(args, f)]
    print(f"[peers] threads={args.threads} rounds={args.rounds} models={','.join(args.models)}", flush=True)
    if "reference" in args.models:
        print(f"[peers] reference: latent={args.latent_dim} "
              f"(expected params {expected_param_count(args.latent_dim):,}) "
              f"train: {args.train_images} images @ batch {args.batch_size}; "
              f"infer: {args.infer_images} images @ batch {args.infer_batch}"
              f"{' [quick]' if args.quick else ''}", flush=True)
    if "codec" in args.models:
        print(f"[peers] codec: train {args.codec_patches} patches of {CODEC_PATCH}x{CODEC_PATCH} "
              f"@ batch {args.codec_batch}; image {args.codec_image_width}x{args.codec_image_height} "
              f"x {args.codec_image_runs} runs", flush=True)

    if args.torch_spec:
        PIP_SPECS["torch"] = [args.torch_spec]
    if args.tf_spec:
        PIP_SPECS["tensorflow"] = [args.tf_spec]
    usable = ensure_venv(wanted)
    rounds = []
    for k in range(args.rounds):
        print(f"\n[peers] ===== round {k + 1} of {args.rounds} =====", flush=True)
        r = {}
        if args.ours:
            r["ours"] = run_ours(args)
        for fw in usable:
            r[fw] = measure_framework(args, fw)
        rounds.append(r)
    print_rounds(rounds, args)
    med = medians(rounds, args)
    if "ours" in med and "ours" in rounds[0] and rounds[0]["ours"]:
        print(f"\n(ours' train peak: {rounds[0]['ours']['rss_note']})")
    print_table(med, args)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                               "rounds": rounds, "medians": med}, indent=2))
    return 0 if med else 1


if __name__ == "__main__":
    sys.exit(main())
