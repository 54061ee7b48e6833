#!/usr/bin/env python3
"""Independent float64 numpy reference for the learned factorized prior (Sources/AENet/EntropyModels).

The prior of Balle et al. 2018 (appendix 6.1), as CompressAI's EntropyBottleneck defines it: per
channel c, a monotonic network maps x to the logit of its cumulative probability,

    h_0 = x;  z_i = softplus(M_i) h_i + b_i;  h_{i+1} = z_i + tanh(a_i) tanh(z_i);  logit = z_K,

the likelihood of a value v is sigmoid(logit(v + 1/2)) - sigmoid(logit(v - 1/2)) (computed with the
sign trick: both sigmoids on the small side), bounded below by 1e-9, and the rate is -sum(log2).

Writes seeded cases to Fixtures/reference/entropy/; the Swift tests (EntropyReferenceTests) compare
their float32 prior with them. Rerun from the repository root:

    python3 Scripts/reference_entropy.py

Deterministic (fixed seeds, repr() floats): a rerun gives byte-identical files. Only numpy and the
standard library. Every analytic gradient is checked against central finite differences (float64)
before anything is written, except through the likelihood bound, where the recorded gradient is the
straight-through one (CompressAI's LowerBound) and not a derivative of the bounded rate.
"""
import json
import math
import os
import zlib

import numpy as np

OUT_DIR = os.path.join("Fixtures", "reference", "entropy")
BOUND, TAIL_MASS = 1e-9, 1e-9
FD_EPS, FD_TOL = 1e-6, 1e-6


def f32(a):
    """Round to the nearest float32 and back, so inputs are exactly representable."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def softplus(x):
    return np.logaddexp(0.0, x)


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# ---------------------------------------------------------------- the density network

def logits(x, params):
    """x: [C, n] points, channel c's network for row c. Returns the logits [C, n] and the trace."""
    matrices, biases, factors = params
    h = x[:, None, :]  # [C, width, n]
    trace = []
    for i, (m, b) in enumerate(zip(matrices, biases)):
        z = np.einsum("coi,cin->con", softplus(m), h) + b[:, :, None]
        trace.append((h, z))
        h = z + np.tanh(factors[i])[:, :, None] * np.tanh(z) if i < len(factors) else z
    return h[:, 0, :], trace


def logits_backward(x, params, g):
    """dL/dx [C, n] and dL/d(matrices, biases, factors) given g = dL/dlogits [C, n]."""
    matrices, biases, factors = params
    _, trace = logits(x, params)
    gm, gb, gf = [None] * len(matrices), [None] * len(biases), [None] * len(factors)
    up = g[:, None, :]
    for i in reversed(range(len(matrices))):
        h, z = trace[i]
        if i < len(factors):
            t = np.tanh(factors[i])[:, :, None]
            gf[i] = np.sum(up * np.tanh(z), axis=2) * (1 - np.tanh(factors[i]) ** 2)
            gz = up * (1 + t * (1 - np.tanh(z) ** 2))
        else:
            gz = up
        gb[i] = gz.sum(axis=2)
        gm[i] = np.einsum("con,cin->coi", gz, h) * sigmoid(matrices[i])
        up = np.einsum("coi,con->cin", softplus(matrices[i]), gz)
    return up[:, 0, :], (gm, gb, gf)


# ---------------------------------------------------------------- likelihoods and rate

def channels_first(v):
    """[..., C] -> [C, n] (channel = last axis) and back."""
    c = v.shape[-1]
    return v.reshape(-1, c).T, lambda w: w.T.reshape(v.shape)


def likelihood(v, params):
    """Raw likelihoods (no bound) of values v [..., C]."""
    x, back = channels_first(v)
    lower, _ = logits(x - 0.5, params)
    upper, _ = logits(x + 0.5, params)
    s = np.where(lower + upper > 0, -1.0, 1.0)
    return back(np.abs(sigmoid(s * upper) - sigmoid(s * lower)))


def rate(v, params):
    return -np.sum(np.log2(np.maximum(likelihood(v, params), BOUND)))


def rate_backward(v, params):
    """d rate / d v and d rate / d params, straight through the bound (gradient always < 0 here)."""
    x, back = channels_first(v)
    raw = likelihood(v, params)
    g_lik = channels_first(-1.0 / (np.maximum(raw, BOUND) * math.log(2)))[0]
    lower, _ = logits(x - 0.5, params)
    upper, _ = logits(x + 0.5, params)
    gx_u, gp_u = logits_backward(x + 0.5, params, g_lik * sigmoid(upper) * sigmoid(-upper))
    gx_l, gp_l = logits_backward(x - 0.5, params, -g_lik * sigmoid(lower) * sigmoid(-lower))
    grads = tuple([a + b for a, b in zip(lu, ll)] for lu, ll in zip(gp_u, gp_l))
    return back(gx_u + gx_l), grads


# ---------------------------------------------------------------- quantiles and tables

def targets():
    t = math.log(2 / TAIL_MASS - 1)
    return np.array([-t, 0.0, t])


def aux_loss(q, params):
    lg, _ = logits(q, params)  # q: [C, 3]
    return np.sum(np.abs(lg - targets()[None, :]))


def aux_loss_backward(q, params):
    lg, _ = logits(q, params)
    gq, _ = logits_backward(q, params, np.sign(lg - targets()[None, :]))
    return gq


def bisect(params, channels):
    """Where each channel's logit equals each target, by bracketing and bisection."""
    out = np.zeros((channels, 3))
    for c in range(channels):
        def f(x):
            return logits(np.full((channels, 1), x), params)[0][c, 0]
        for j, t in enumerate(targets()):
            lo, hi = -1.0, 1.0
            while f(lo) > t:
                lo *= 2
            while f(hi) < t:
                hi *= 2
            for _ in range(200):
                mid = 0.5 * (lo + hi)
                if f(mid) < t:
                    lo = mid
                else:
                    hi = mid
            out[c, j] = 0.5 * (lo + hi)
    return out


def tables(q, params):
    """CompressAI's update(): per channel the first symbol, the pmf and the tail mass."""
    channels = q.shape[0]
    minimum, lengths, pmfs, tails = [], [], [], []
    for c in range(channels):
        median = q[c, 1]
        below = max(math.ceil(float(np.float32(median) - np.float32(q[c, 0]))), 0)
        above = max(math.ceil(float(np.float32(q[c, 2]) - np.float32(median))), 0)
        k = np.arange(-below, above + 1, dtype=np.float64)
        pts = np.zeros((channels, k.size))
        pts[c] = median + k
        lower, _ = logits(pts - 0.5, params)
        upper, _ = logits(pts + 0.5, params)
        s = np.where(lower[c] + upper[c] > 0, -1.0, 1.0)
        pmfs.append(np.abs(sigmoid(s * upper[c]) - sigmoid(s * lower[c])))
        tails.append(sigmoid(lower[c, 0]) + sigmoid(-upper[c, -1]))
        minimum.append(-below)
        lengths.append(k.size)
    return np.array(minimum, float), np.array(lengths, float), np.concatenate(pmfs), np.array(tails)


# ---------------------------------------------------------------- checks and output

def finite_diff(f, a):
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        saved = a[i]
        a[i] = saved + FD_EPS
        fp = f()
        a[i] = saved - FD_EPS
        fm = f()
        a[i] = saved
        g[i] = (fp - fm) / (2 * FD_EPS)
    return g


def check(name, analytic, numeric):
    err = np.max(np.abs(analytic - numeric) / np.maximum(1.0, np.abs(numeric)))
    assert err < FD_TOL, f"{name}: finite-difference error {err:.3g}"


def tensor_json(a):
    a = np.asarray(a, dtype=np.float64)
    assert np.all(np.isfinite(a))
    data = ", ".join(repr(float(v)) for v in a.ravel())
    return '{"shape": %s, "data": [%s]}' % (json.dumps(list(a.shape)), data)


def write_case(case, config, tensors):
    lines = ['  "%s": %s' % (k, tensor_json(v)) for k, v in tensors.items()]
    text = ('{"case": %s, "layer": "factorized_prior", "config": %s,\n "tensors": {\n%s\n}}\n'
            % (json.dumps(case), json.dumps(config), ",\n".join(lines)))
    with open(os.path.join(OUT_DIR, case + ".json"), "w", encoding="ascii", newline="\n") as f:
        f.write(text)


def prior_case(case, shape, filters, far_values=()):
    """Random parameters near CompressAI's initialisation, inputs y and noise u, quantiles near the
    density's; records everything the Swift prior computes. `far_values` are placed in y (flat
    indexes -> value) to put likelihoods under the bound."""
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    channels = shape[-1]
    widths = [1] + list(filters) + [1]
    scale = 10.0 ** (1 / (len(widths) - 1))
    matrices, biases, factors = [], [], []
    for i in range(len(widths) - 1):
        init = math.log(math.expm1(1 / scale / widths[i + 1]))
        matrices.append(f32(init + rng.uniform(-0.5, 0.5, (channels, widths[i + 1], widths[i]))))
        biases.append(f32(rng.uniform(-1, 1, (channels, widths[i + 1]))))
        if i < len(widths) - 2:
            factors.append(f32(rng.uniform(-1, 1, (channels, widths[i + 1]))))
    params = (matrices, biases, factors)

    y = f32(rng.uniform(-8, 8, shape))
    for index, value in far_values:
        y.reshape(-1)[index] = value
    noise = f32(rng.uniform(-0.5, 0.5, shape))
    v = y + noise  # exact in float64; the Swift prior adds in float32 (error below 1e-6 here)
    raw = likelihood(v, params)
    bounded = np.maximum(raw, BOUND)
    assert (np.min(raw) < BOUND) == bool(far_values), f"{case}: the bound is {'not ' if far_values else ''}reached"
    grad_values = f32(rng.uniform(-1, 1, shape))
    gy, (gm, gb, gf) = rate_backward(v, params)

    solved = bisect(params, channels)
    quantiles = f32(solved + rng.uniform(-2, 2, solved.shape))
    aux = aux_loss(quantiles, params)
    gq = aux_loss_backward(quantiles, params)

    if not far_values:  # finite differences of the unbounded rate and of the aux loss
        vv = v.copy()
        check(f"{case} grad_input", gy, finite_diff(lambda: rate(vv, params), vv))
        for name, group, grads in (("matrix", matrices, gm), ("bias", biases, gb), ("factor", factors, gf)):
            for i, (p, gp) in enumerate(zip(group, grads)):
                check(f"{case} grad_{name}{i}", gp, finite_diff(lambda: rate(v, params), p))
        qq = quantiles.copy()
        check(f"{case} grad_quantiles", gq, finite_diff(lambda: aux_loss(qq, params), qq))
    for c in range(channels):  # the solved quantiles hit their targets
        lg, _ = logits(np.tile(solved[c], (channels, 1)), params)
        assert np.max(np.abs(lg[c] - targets())) < 1e-6 * max(1.0, targets()[2])

    # Inference: round around the quantiles' medians (ties to even, as numpy and torch round).
    medians = quantiles[:, 1]
    quantized = np.round(y - medians) + medians
    minimum, lengths, pmf, tails = tables(quantiles, params)

    tensors = {"input": y, "noise": noise, "quantiles": quantiles}
    for i in range(len(matrices)):
        tensors[f"matrix{i}"] = matrices[i]
        tensors[f"bias{i}"] = biases[i]
        if i < len(factors):
            tensors[f"factor{i}"] = factors[i]
    tensors.update(values=v, likelihoods=bounded, bits=np.array(rate(v, params)), grad_values=grad_values,
                   grad_input=grad_values + gy)
    for i in range(len(matrices)):
        tensors[f"grad_matrix{i}"] = gm[i]
        tensors[f"grad_bias{i}"] = gb[i]
        if i < len(factors):
            tensors[f"grad_factor{i}"] = gf[i]
    tensors.update(aux_loss=np.array(aux), grad_quantiles=gq, bisection_quantiles=solved,
                   quantized_values=quantized, quantized_likelihoods=np.maximum(likelihood(quantized, params), BOUND),
                   table_minimum=minimum, table_length=lengths, table_pmf=pmf, table_tail_mass=tails)
    config = dict(shape=list(shape), channels=channels, filters=list(filters), likelihood_bound=BOUND,
                  tail_mass=TAIL_MASS, loss="bits + sum(values * grad_values)")
    write_case(case, config, tensors)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    prior_case("prior_dense", (5, 3), (3, 3, 3))
    prior_case("prior_conv", (2, 3, 2, 4), (2, 4), far_values=((5, 400.0), (14, -300.0)))


if __name__ == "__main__":
    main()
