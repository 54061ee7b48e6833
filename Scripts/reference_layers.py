#!/usr/bin/env python3
"""Independent float64 numpy reference for the codec's layer set (Keras conventions).

Writes seeded test vectors, one JSON file per case, to Fixtures/reference/. The Swift
tests compare their float32 layers (forward and backward) and Adam against these files.

Rerun from the repository root:

    python3 Scripts/reference_layers.py

Output is deterministic (fixed seeds, repr() float formatting), so a rerun produces
byte-identical files. Only numpy and the standard library are used.

Conventions: tensors are NHWC. conv2d kernels are (3,3,Cin,Cout) (HWIO);
conv2d_transpose kernels are (3,3,Cout,Cin) (Keras HWOI); both stride 1, 'same'.
For every layer case, L = sum(output * grad_output) and the recorded gradients are
dL/d(input) and dL/d(each parameter). Analytic gradients are checked here against
central finite differences before anything is written.
"""
import json
import os
import zlib

import numpy as np

OUT_DIR = os.path.join("Fixtures", "reference")
FD_EPS, FD_TOL = 1e-6, 1e-6


def f32(a):
    """Round to the nearest float32 and back, so inputs are exactly representable."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


# ---------------------------------------------------------------- layers

def conv2d(x, k, b):
    n, h, w, _ = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    y = np.zeros((n, h, w, k.shape[3])) + b
    for i in range(3):
        for j in range(3):
            y += np.einsum("nhwc,co->nhwo", xp[:, i:i + h, j:j + w, :], k[i, j])
    return y


def conv2d_backward(x, k, b, g):
    n, h, w, _ = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    gxp, gk = np.zeros_like(xp), np.zeros_like(k)
    for i in range(3):
        for j in range(3):
            gk[i, j] = np.einsum("nhwc,nhwo->co", xp[:, i:i + h, j:j + w, :], g)
            gxp[:, i:i + h, j:j + w, :] += np.einsum("nhwo,co->nhwc", g, k[i, j])
    return gxp[:, 1:-1, 1:-1, :], gk, g.sum(axis=(0, 1, 2))


def conv2d_transpose(x, k, b):
    # Scatter: input pixel (y,x), tap (i,j) adds K[i,j] @ x[n,y,x] to out[n,y+i-1,x+j-1].
    # Accumulate into an output padded by 1, then crop (drops taps landing outside).
    n, h, w, _ = x.shape
    yp = np.zeros((n, h + 2, w + 2, k.shape[2]))
    for i in range(3):
        for j in range(3):
            yp[:, i:i + h, j:j + w, :] += np.einsum("nhwc,oc->nhwo", x, k[i, j])
    return yp[:, 1:-1, 1:-1, :] + b


def conv2d_transpose_backward(x, k, b, g):
    n, h, w, _ = x.shape
    gp = np.pad(g, ((0, 0), (1, 1), (1, 1), (0, 0)))
    gx, gk = np.zeros_like(x), np.zeros_like(k)
    for i in range(3):
        for j in range(3):
            gx += np.einsum("nhwo,oc->nhwc", gp[:, i:i + h, j:j + w, :], k[i, j])
            gk[i, j] = np.einsum("nhwo,nhwc->oc", gp[:, i:i + h, j:j + w, :], x)
    return gx, gk, g.sum(axis=(0, 1, 2))


def maxpool2d(x):
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def maxpool2d_backward(x, g):
    gx = np.zeros_like(x)
    n, h, w, c = g.shape
    for b in range(n):
        for y in range(h):
            for xx in range(w):
                for ch in range(c):
                    win = x[b, 2 * y:2 * y + 2, 2 * xx:2 * xx + 2, ch]
                    a, d = np.unravel_index(np.argmax(win), (2, 2))
                    gx[b, 2 * y + a, 2 * xx + d, ch] += g[b, y, xx, ch]
    return gx


def upsampling2d(x):
    return x.repeat(2, axis=1).repeat(2, axis=2)


def upsampling2d_backward(g):
    n, h, w, c = g.shape
    return g.reshape(n, h // 2, 2, w // 2, 2, c).sum(axis=(2, 4))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def mse(p, t):
    return np.mean((p - t) ** 2), 2.0 * (p - t) / p.size


def adam(w0, grads, lr, b1, b2, eps):
    w, m, v, out = w0.copy(), np.zeros_like(w0), np.zeros_like(w0), []
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        w = w - alpha * m / (np.sqrt(v) + eps)
        out.append(w.copy())
    return out


# ---------------------------------------------------------------- checking / output

def finite_diff(loss, a):
    """Central differences of scalar loss() wrt array a (perturbed in place)."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + FD_EPS
        up = loss()
        a[idx] = old - FD_EPS
        down = loss()
        a[idx] = old
        grad[idx] = (up - down) / (2 * FD_EPS)
    return grad


def check(name, analytic, numeric):
    err = np.max(np.abs(analytic - numeric))
    assert err < FD_TOL, f"{name}: finite-difference error {err:.3g}"


def tensor_json(a):
    a = np.asarray(a, dtype=np.float64)
    assert np.all(np.isfinite(a))
    data = ", ".join(repr(float(v)) for v in a.ravel())
    return '{"shape": %s, "data": [%s]}' % (json.dumps(list(a.shape)), data)


def write_case(case, layer, config, tensors):
    lines = ['  "%s": %s' % (k, tensor_json(v)) for k, v in tensors.items()]
    text = ('{"case": %s, "layer": %s, "config": %s,\n "tensors": {\n%s\n}}\n'
            % (json.dumps(case), json.dumps(layer), json.dumps(config), ",\n".join(lines)))
    with open(os.path.join(OUT_DIR, case + ".json"), "w", encoding="ascii", newline="\n") as f:
        f.write(text)


def rng_for(case):
    return np.random.default_rng(zlib.crc32(case.encode()))


def layer_case(case, layer, config, x, params, forward, backward, rng):
    """Draw g, run forward/backward, verify by finite differences, write the file."""
    y = forward(x, *params)
    g = f32(rng.uniform(-1, 1, y.shape))
    grads = backward(x, *params, g)
    grads = grads if isinstance(grads, tuple) else (grads,)
    arrays = [x] + list(params)
    for name, a, ga in zip(["input", "kernel", "bias"], arrays, grads):
        check(f"{case} grad_{name}", ga, finite_diff(lambda: np.sum(forward(x, *params) * g), a))
    tensors = dict(zip(["input", "kernel", "bias"], arrays))
    tensors.update(grad_output=g, output=y)
    tensors.update(zip(["grad_input", "grad_kernel", "grad_bias"], grads))
    write_case(case, layer, config, tensors)


def conv_case(case, transpose, n, h, w, cin, cout):
    rng = rng_for(case)
    x = f32(rng.uniform(-1, 1, (n, h, w, cin)))
    kshape = (3, 3, cout, cin) if transpose else (3, 3, cin, cout)
    k = f32(rng.uniform(-0.5, 0.5, kshape))
    b = f32(rng.uniform(-0.5, 0.5, cout))
    if transpose:
        # Cross-check the scatter definition against the gather form: a plain conv2d with
        # the kernel flipped spatially and its last two axes swapped.
        gather = conv2d(x, k[::-1, ::-1].transpose(0, 1, 3, 2), b)
        assert np.max(np.abs(gather - conv2d_transpose(x, k, b))) < 1e-12
        fwd, bwd = conv2d_transpose, conv2d_transpose_backward
    else:
        fwd, bwd = conv2d, conv2d_backward
    config = dict(N=n, H=h, W=w, Cin=cin, Cout=cout, kernel_size=3, strides=1, padding="same",
                  kernel_layout="HWOI (3,3,Cout,Cin)" if transpose else "HWIO (3,3,Cin,Cout)")
    layer_case(case, "conv2d_transpose" if transpose else "conv2d", config, x, (k, b), fwd, bwd, rng)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    conv_case("conv2d_a", False, 2, 5, 6, 3, 4)
    conv_case("conv2d_b", False, 1, 4, 4, 8, 5)
    conv_case("conv2d_transpose_a", True, 2, 5, 6, 3, 4)
    conv_case("conv2d_transpose_b", True, 1, 4, 4, 8, 5)

    rng = rng_for("maxpool2d")
    while True:  # distinct values, gaps far larger than the finite-difference step
        x = f32(rng.uniform(-1, 1, (2, 4, 6, 3)))
        if np.min(np.diff(np.sort(x.ravel()))) > 1e-4:
            break
    layer_case("maxpool2d", "maxpool2d", dict(N=2, H=4, W=6, C=3, pool_size=2, strides=2),
               x, (), maxpool2d, maxpool2d_backward, rng)

    rng = rng_for("upsampling2d")
    layer_case("upsampling2d", "upsampling2d", dict(N=2, H=3, W=2, C=3, size=2, interpolation="nearest"),
               f32(rng.uniform(-1, 1, (2, 3, 2, 3))), (), upsampling2d,
               lambda x, g: upsampling2d_backward(g), rng)

    rng = rng_for("dense")
    x = f32(rng.uniform(-1, 1, (3, 7)))
    k = f32(rng.uniform(-0.5, 0.5, (7, 5)))
    b = f32(rng.uniform(-0.5, 0.5, 5))
    layer_case("dense", "dense", dict(N=3, F=7, U=5), x, (k, b), lambda x, k, b: x @ k + b,
               lambda x, k, b, g: (g @ k.T, x.T @ g, g.sum(axis=0)), rng)

    rng = rng_for("relu")
    x = rng.uniform(-1, 1, (2, 3, 4, 2))
    while np.any(np.abs(x) < 1e-3):  # keep away from the kink at 0
        near = np.abs(x) < 1e-3
        x[near] = rng.uniform(-1, 1, near.sum())
    layer_case("relu", "relu", dict(shape=[2, 3, 4, 2]), f32(x), (), lambda x: np.maximum(x, 0.0),
               lambda x, g: g * (x > 0), rng)

    rng = rng_for("sigmoid")
    layer_case("sigmoid", "sigmoid", dict(shape=[2, 3, 4, 2]), f32(rng.uniform(-1, 1, (2, 3, 4, 2))), (),
               sigmoid, lambda x, g: g * sigmoid(x) * (1 - sigmoid(x)), rng)

    rng = rng_for("flatten")
    layer_case("flatten", "flatten", dict(shape=[2, 2, 3, 2], order="row-major"),
               f32(rng.uniform(-1, 1, (2, 2, 3, 2))), (), lambda x: x.reshape(x.shape[0], -1),
               lambda x, g: g.reshape(x.shape), rng)

    rng = rng_for("mse")
    p = f32(rng.uniform(0, 1, (2, 4, 4, 3)))
    t = f32(rng.uniform(0, 1, (2, 4, 4, 3)))
    loss, gp = mse(p, t)
    check("mse grad_pred", gp, finite_diff(lambda: mse(p, t)[0], p))
    write_case("mse", "mse", dict(shape=[2, 4, 4, 3], reduction="mean over all elements"),
               dict(pred=p, target=t, loss=np.array(loss), grad_pred=gp))

    rng = rng_for("adam")
    cfg = dict(lr=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-7)
    w0 = f32(rng.uniform(-0.5, 0.5, 10))
    gs = [f32(rng.uniform(-1, 1, 10)) for _ in range(3)]
    ws = adam(w0, gs, cfg["lr"], cfg["beta1"], cfg["beta2"], cfg["epsilon"])
    write_case("adam", "adam", cfg, dict(w0=w0, g1=gs[0], g2=gs[1], g3=gs[2],
                                         w1=ws[0], w2=ws[1], w3=ws[2]))
    print("wrote", len(os.listdir(OUT_DIR)), "files to", OUT_DIR)


if __name__ == "__main__":
    main()
