#!/usr/bin/env python3
"""Independent float64 numpy reference for the codec's layer set (Keras conventions).

Writes seeded test vectors, one JSON file per case, to Fixtures/reference/. The Swift
tests compare their float32 layers (forward and backward) and Adam against these files.

Rerun from the repository root:

    python3 Scripts/reference_layers.py

Output is deterministic (fixed seeds, repr() float formatting), so a rerun produces
byte-identical files. Only numpy and the standard library are used.

Conventions: tensors are NHWC. conv2d kernels are (k,k,Cin,Cout) (HWIO);
conv2d_transpose kernels are (k,k,Cout,Cin) (Keras HWOI). The conv2d_* and
conv2d_transpose_* cases a and b are the reference model's 3x3 stride-1 'same' layers;
the conv_* and conv_transpose_* cases cover kernels 1, 3, 5, 7, strides 1 and 2 and
'same' / 'valid' padding (TensorFlow's rules: 'same' gives ceil(size / stride) and pads
the odd pixel at the bottom / right; a transposed convolution is the input gradient of
the convolution with the same kernel). gdn_* / igdn_* are GDN and inverse GDN with
CompressAI's non-negative reparametrisation of beta and gamma.
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


def axis_geometry(size, k, s, padding):
    """Output size and padding before / after of one axis of a convolution (TensorFlow)."""
    if padding == "same":
        out = -(-size // s)
        total = max((out - 1) * s + k - size, 0)
        return out, total // 2, total - total // 2
    assert size >= k
    return (size - k) // s + 1, 0, 0


def strided_conv2d(x, k, b, s, padding):
    """y[n,oy,ox,o] = b[o] + sum x_padded[n, oy*s+i, ox*s+j, c] k[i,j,c,o]."""
    n, h, w, _ = x.shape
    kk = k.shape[0]
    ho, pt, pb = axis_geometry(h, kk, s, padding)
    wo, pl, pr = axis_geometry(w, kk, s, padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    y = np.zeros((n, ho, wo, k.shape[3])) + b
    for i in range(kk):
        for j in range(kk):
            y += np.einsum("nhwc,co->nhwo", xp[:, i:i + s * (ho - 1) + 1:s, j:j + s * (wo - 1) + 1:s, :], k[i, j])
    return y


def strided_conv2d_backward(x, k, b, g, s, padding):
    n, h, w, _ = x.shape
    kk = k.shape[0]
    ho, pt, pb = axis_geometry(h, kk, s, padding)
    wo, pl, pr = axis_geometry(w, kk, s, padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    gxp, gk = np.zeros_like(xp), np.zeros_like(k)
    for i in range(kk):
        for j in range(kk):
            window = (slice(None), slice(i, i + s * (ho - 1) + 1, s), slice(j, j + s * (wo - 1) + 1, s))
            gk[i, j] = np.einsum("nhwc,nhwo->co", xp[window], g)
            gxp[window] += np.einsum("nhwo,co->nhwc", g, k[i, j])
    return gxp[:, pt:pt + h, pl:pl + w, :], gk, g.sum(axis=(0, 1, 2))


def transposed_size(size, k, s, padding):
    """Keras's Conv2DTranspose output size (no output_padding) and the padding before."""
    out = size * s if padding == "same" else size * s + max(k - s, 0)
    total = max((size - 1) * s + k - out, 0) if padding == "same" else 0
    return out, total // 2


def strided_conv2d_transpose(x, k, b, s, padding):
    """Scatter: input pixel (y,x) and tap (i,j) add k[i,j] @ x[n,y,x] onto output
    pixel (y*s+i-pt, x*s+j-pl); taps landing outside the output are dropped."""
    n, h, w, _ = x.shape
    kk = k.shape[0]
    H, pt = transposed_size(h, kk, s, padding)
    W, pl = transposed_size(w, kk, s, padding)
    full = np.zeros((n, max((h - 1) * s + kk, pt + H), max((w - 1) * s + kk, pl + W), k.shape[2]))
    for i in range(kk):
        for j in range(kk):
            full[:, i:i + s * (h - 1) + 1:s, j:j + s * (w - 1) + 1:s, :] += np.einsum("nhwc,oc->nhwo", x, k[i, j])
    return full[:, pt:pt + H, pl:pl + W, :] + b


def strided_conv2d_transpose_backward(x, k, b, g, s, padding):
    n, h, w, _ = x.shape
    kk = k.shape[0]
    H, pt = transposed_size(h, kk, s, padding)
    W, pl = transposed_size(w, kk, s, padding)
    full = np.zeros((n, max((h - 1) * s + kk, pt + H), max((w - 1) * s + kk, pl + W), k.shape[2]))
    full[:, pt:pt + H, pl:pl + W, :] = g
    gx, gk = np.zeros_like(x), np.zeros_like(k)
    for i in range(kk):
        for j in range(kk):
            gi = full[:, i:i + s * (h - 1) + 1:s, j:j + s * (w - 1) + 1:s, :]
            gx += np.einsum("nhwo,oc->nhwc", gi, k[i, j])
            gk[i, j] = np.einsum("nhwo,nhwc->oc", gi, x)
    return gx, gk, g.sum(axis=(0, 1, 2))


REPARAM_OFFSET = 2.0 ** -18
PEDESTAL = REPARAM_OFFSET ** 2
BETA_MIN = 1e-6


def reparam_bound(minimum):
    return np.sqrt(minimum + PEDESTAL)


def reparam_value(p, minimum):
    """CompressAI's NonNegativeParametrizer: max(p, bound)^2 - pedestal."""
    return np.maximum(p, reparam_bound(minimum)) ** 2 - PEDESTAL


def reparam_gradient(p, minimum, grad_value):
    """LowerBound's straight-through rule: pass where p >= bound or the gradient is negative."""
    bound = reparam_bound(minimum)
    g = grad_value * 2 * np.maximum(p, bound)
    return np.where((p >= bound) | (g < 0), g, 0.0)


def gdn_from_values(x, beta, gamma, inverse):
    """y_i = x_i / sqrt(beta_i + sum_j gamma[i,j] x_j^2) (GDN), times instead of over (inverse)."""
    root = np.sqrt(beta + np.einsum("nhwj,ij->nhwi", x * x, gamma))
    return x * root if inverse else x / root


def gdn(x, beta_p, gamma_p, inverse):
    return gdn_from_values(x, reparam_value(beta_p, BETA_MIN), reparam_value(gamma_p, 0.0), inverse)


def gdn_value_gradients(x, beta, gamma, g, inverse):
    """dL/dx, dL/dbeta, dL/dgamma for L = sum(g * gdn_from_values(x, beta, gamma))."""
    norm = beta + np.einsum("nhwj,ij->nhwi", x * x, gamma)
    if inverse:
        dnorm = g * x * 0.5 / np.sqrt(norm)
        gx = g * np.sqrt(norm)
    else:
        dnorm = -0.5 * g * x * norm ** -1.5
        gx = g / np.sqrt(norm)
    gx = gx + 2 * x * np.einsum("nhwi,ij->nhwj", dnorm, gamma)
    return gx, dnorm.sum(axis=(0, 1, 2)), np.einsum("nhwi,nhwj->ij", dnorm, x * x)


def gdn_backward(x, beta_p, gamma_p, g, inverse):
    beta, gamma = reparam_value(beta_p, BETA_MIN), reparam_value(gamma_p, 0.0)
    gx, gbeta, ggamma = gdn_value_gradients(x, beta, gamma, g, inverse)
    return gx, reparam_gradient(beta_p, BETA_MIN, gbeta), reparam_gradient(gamma_p, 0.0, ggamma)


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


def geometric_mse(p, t, floor=1e-10):
    """exp(mean over images of log(per-image MSE + floor)) and its gradient."""
    n = p.shape[0]
    per = np.mean(((p - t) ** 2).reshape(n, -1), axis=1) + floor
    g = np.exp(np.mean(np.log(per)))
    values = p[0].size
    grad = (g / (n * per)).reshape((n,) + (1,) * (p.ndim - 1)) * 2.0 * (p - t) / values
    return g, grad


def softmax_cross_entropy(z, labels):
    """Mean over rows of -log softmax(z)[label], and its gradient (softmax - onehot) / N."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    n = z.shape[0]
    onehot = np.zeros_like(z)
    onehot[np.arange(n), labels] = 1
    return -np.mean(np.log(p[np.arange(n), labels])), (p - onehot) / n


def gaussian_sampling(stats, eps):
    """z = mu + exp(v / 2) * eps, with stats = [mu | v] along the last axis."""
    l = stats.shape[1] // 2
    return stats[:, :l] + np.exp(stats[:, l:] / 2) * eps


def gaussian_sampling_backward(stats, eps, g):
    l = stats.shape[1] // 2
    return np.concatenate([g, g * eps * np.exp(stats[:, l:] / 2) / 2], axis=1)


def gaussian_kl(stats):
    """Mean over rows of 1/2 sum(mu^2 + exp(v) - 1 - v), and its gradient."""
    n, l = stats.shape[0], stats.shape[1] // 2
    mu, v = stats[:, :l], stats[:, l:]
    kl = 0.5 * np.sum(mu ** 2 + np.exp(v) - 1 - v) / n
    return kl, np.concatenate([mu / n, 0.5 * (np.exp(v) - 1) / n], axis=1)


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

def finite_diff(loss, a, eps=FD_EPS):
    """Central differences of scalar loss() wrt array a (perturbed in place)."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        up = loss()
        a[idx] = old - eps
        down = loss()
        a[idx] = old
        grad[idx] = (up - down) / (2 * eps)
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


def layer_case(case, layer, config, x, params, forward, backward, rng, names=("kernel", "bias")):
    """Draw g, run forward/backward, verify by finite differences, write the file."""
    y = forward(x, *params)
    g = f32(rng.uniform(-1, 1, y.shape))
    grads = backward(x, *params, g)
    grads = grads if isinstance(grads, tuple) else (grads,)
    arrays = [x] + list(params)
    names = ["input"] + list(names)
    for name, a, ga in zip(names, arrays, grads):
        check(f"{case} grad_{name}", ga, finite_diff(lambda: np.sum(forward(x, *params) * g), a))
    tensors = dict(zip(names, arrays))
    tensors.update(grad_output=g, output=y)
    tensors.update(zip(["grad_" + name for name in names], grads))
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


def strided_conv_case(case, transpose, n, h, w, cin, cout, kernel, stride, padding):
    rng = rng_for(case)
    x = f32(rng.uniform(-1, 1, (n, h, w, cin)))
    kshape = (kernel, kernel, cout, cin) if transpose else (kernel, kernel, cin, cout)
    k = f32(rng.uniform(-0.5, 0.5, kshape))
    b = f32(rng.uniform(-0.5, 0.5, cout))
    if transpose:
        # A transposed convolution is the input gradient of the convolution with the
        # same kernel over its output size: check the scatter against that.
        y = strided_conv2d_transpose(x, k, b, stride, padding)
        big = np.zeros(y.shape[:3] + (cout,))
        assert strided_conv2d(big, k, np.zeros(cin), stride, padding).shape == x.shape
        via_gradient = strided_conv2d_backward(big, k, None, x, stride, padding)[0] + b
        assert np.max(np.abs(via_gradient - y)) < 1e-12
        fwd = lambda x, k, b: strided_conv2d_transpose(x, k, b, stride, padding)
        bwd = lambda x, k, b, g: strided_conv2d_transpose_backward(x, k, b, g, stride, padding)
    else:
        fwd = lambda x, k, b: strided_conv2d(x, k, b, stride, padding)
        bwd = lambda x, k, b, g: strided_conv2d_backward(x, k, b, g, stride, padding)
    config = dict(N=n, H=h, W=w, Cin=cin, Cout=cout, kernel_size=kernel, strides=stride, padding=padding,
                  kernel_layout=f"HWOI ({kernel},{kernel},Cout,Cin)" if transpose else f"HWIO ({kernel},{kernel},Cin,Cout)")
    layer_case(case, "conv2d_transpose" if transpose else "conv2d", config, x, (k, b), fwd, bwd, rng)


def strided_conv_cases():
    """Every kernel, stride and padding, both directions; odd and non-square sizes."""
    names = []
    for transpose in (False, True):
        for kernel in (1, 3, 5, 7):
            for stride in (1, 2):
                for padding in ("same", "valid"):
                    case = f"{'conv_transpose' if transpose else 'conv'}_k{kernel}_s{stride}_{padding}"
                    # Odd height, even width; a 'valid' convolution needs the kernel to fit.
                    h, w = (4, 3) if transpose else (9, 8)
                    n = 1 if kernel == 5 else 2
                    strided_conv_case(case, transpose, n, h, w, 2, 3, kernel, stride, padding)
                    names.append(case)
    # Odd width and height with stride 2, more channels; a single pixel.
    strided_conv_case("conv_k5_s2_same_odd", False, 2, 7, 11, 5, 4, 5, 2, "same")
    strided_conv_case("conv_transpose_k5_s2_same_odd", True, 2, 5, 3, 4, 5, 5, 2, "same")
    strided_conv_case("conv_k3_s2_same_pixel", False, 1, 1, 1, 3, 2, 3, 2, "same")
    strided_conv_case("conv_transpose_k3_s2_same_pixel", True, 1, 1, 1, 3, 2, 3, 2, "same")
    return names


def gdn_case(case, inverse, n, h, w, c, below_bound=False):
    """GDN or inverse GDN. With below_bound, some stored parameters lie under the lower
    bound, where the gradient follows LowerBound's straight-through rule instead of
    the (flat) function; finite differences check the others."""
    rng = rng_for(case)
    x = f32(rng.uniform(-1.5, 1.5, (n, h, w, c)))
    beta_p = f32(rng.uniform(0.5, 1.5, c))
    gamma_p = f32(rng.uniform(0.05, 0.5, (c, c)))
    if below_bound:
        # Half the betas and about 40% of gamma (all of row 0) under the bound; the
        # diagonal of gamma and |x| >= 0.3 keep every normaliser away from zero where
        # beta sits at its minimum of 1e-6.
        x = f32(np.sign(x) * (0.3 + np.abs(x) * 0.8))
        beta_p[1::2] = f32(rng.uniform(-0.5, 0, beta_p[1::2].shape))
        gamma_p[rng.uniform(size=(c, c)) < 0.4] = 0.0
        gamma_p[0, :] = f32(-0.25)
        gamma_p[1::2, 1::2] += np.diag(f32(rng.uniform(0.2, 0.4, c // 2)))
    y = gdn(x, beta_p, gamma_p, inverse)
    g = f32(rng.uniform(-1, 1, y.shape))
    gx, gbeta, ggamma = gdn_backward(x, beta_p, gamma_p, g, inverse)
    loss = lambda: np.sum(gdn(x, beta_p, gamma_p, inverse) * g)
    check(f"{case} grad_input", gx, finite_diff(loss, x))
    under = []
    for name, p, gp, minimum in (("beta", beta_p, gbeta, BETA_MIN), ("gamma", gamma_p, ggamma, 0.0)):
        above = p >= reparam_bound(minimum)
        check(f"{case} grad_{name}", gp[above], finite_diff(loss, p)[above])
        under += list(gp[~above])
    # Under the bound, some gradients pass straight through and some are stopped.
    assert not below_bound or (any(v != 0 for v in under) and any(v == 0 for v in under)), case
    # Every entry, straight-through ones included: the rule applied to finite differences
    # in the values (a small step and a relative check: a beta at 1e-6 is steep).
    beta, gamma = reparam_value(beta_p, BETA_MIN), reparam_value(gamma_p, 0.0)
    value_loss = lambda: np.sum(gdn_from_values(x, beta, gamma, inverse) * g)
    for name, ga, p, v, minimum in (("beta", gbeta, beta_p, beta, BETA_MIN), ("gamma", ggamma, gamma_p, gamma, 0.0)):
        rule = reparam_gradient(p, minimum, finite_diff(value_loss, v, eps=1e-9))
        err = np.max(np.abs(ga - rule)) / max(1.0, np.max(np.abs(ga)))
        assert err < 1e-5, f"{case} grad_{name} rule: relative error {err:.3g}"
    config = dict(N=n, H=h, W=w, C=c, inverse=inverse, beta_min=BETA_MIN, reparam_offset=REPARAM_OFFSET,
                  gamma_layout="(C,C): gamma[i,j] weights x_j^2 in channel i's normaliser",
                  parameters="stored reparametrised: value = max(p, sqrt(minimum + offset^2))^2 - offset^2")
    write_case(case, "igdn" if inverse else "gdn", config,
               dict(input=x, beta=beta_p, gamma=gamma_p, grad_output=g, output=y,
                    grad_input=gx, grad_beta=gbeta, grad_gamma=ggamma))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    strided_conv_cases()
    gdn_case("gdn_a", False, 2, 3, 4, 5)
    gdn_case("igdn_a", True, 2, 3, 4, 5)
    gdn_case("gdn_bound", False, 1, 3, 2, 4, below_bound=True)
    gdn_case("igdn_bound", True, 1, 3, 2, 4, below_bound=True)
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

    rng = rng_for("geometric_mse")
    p = f32(rng.uniform(0, 1, (3, 4, 4, 3)))
    t = f32(rng.uniform(0, 1, (3, 4, 4, 3)))
    p[1] = t[1] + f32(rng.uniform(-0.01, 0.01, (4, 4, 3)))  # one image far better than the others
    loss, gp = geometric_mse(p, t)
    check("geometric_mse grad_pred", gp, finite_diff(lambda: geometric_mse(p, t)[0], p))
    write_case("geometric_mse", "geometric_mse",
               dict(shape=[3, 4, 4, 3], reduction="geometric mean over images of the per-image mean", floor=1e-10),
               dict(pred=p, target=t, loss=np.array(loss), grad_pred=gp))

    rng = rng_for("softmax_cross_entropy")
    z = f32(rng.uniform(-3, 3, (5, 4)))
    labels = rng.integers(0, 4, 5)
    loss, gz = softmax_cross_entropy(z, labels)
    check("softmax_cross_entropy grad", gz, finite_diff(lambda: softmax_cross_entropy(z, labels)[0], z))
    write_case("softmax_cross_entropy", "softmax_cross_entropy",
               dict(N=5, K=4, reduction="mean over rows"),
               dict(logits=z, labels=labels.astype(np.float64), loss=np.array(loss), grad_logits=gz))

    rng = rng_for("gaussian_sampling")
    stats = f32(rng.uniform(-1.5, 1.5, (3, 8)))
    eps = f32(rng.normal(0, 1, (3, 4)))
    layer_case("gaussian_sampling", "gaussian_sampling",
               dict(N=3, L=4, layout="input rows are [mu_0..mu_3, logvar_0..logvar_3]; z = mu + exp(logvar/2) * epsilon"),
               stats, (eps,), gaussian_sampling,
               lambda x, e, g: (gaussian_sampling_backward(x, e, g), g * np.exp(x[:, 4:] / 2)), rng,
               names=("epsilon",))

    rng = rng_for("gaussian_kl")
    stats = f32(rng.uniform(-1.5, 1.5, (3, 8)))
    kl, gkl = gaussian_kl(stats)
    check("gaussian_kl grad", gkl, finite_diff(lambda: gaussian_kl(stats)[0], stats))
    write_case("gaussian_kl", "gaussian_kl",
               dict(N=3, L=4, reduction="sum over dimensions, mean over rows", prior="N(0, 1)"),
               dict(statistics=stats, kl=np.array(kl), grad_statistics=gkl))

    rng = rng_for("label_concat")
    x = f32(rng.uniform(-1, 1, (3, 5)))
    labels = np.array([2, 0, 3])
    onehot = np.eye(4)[labels]
    g = f32(rng.uniform(-1, 1, (3, 9)))
    out = np.concatenate([x, onehot], axis=1)
    check("label_concat grad_input", g[:, :5], finite_diff(lambda: np.sum(np.concatenate([x, onehot], axis=1) * g), x))
    write_case("label_concat", "label_concat", dict(N=3, F=5, classes=4, layout="[features | one-hot label]"),
               dict(input=x, labels=labels.astype(np.float64), grad_output=g, output=out, grad_input=g[:, :5]))

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
