#!/usr/bin/env python3
"""Independent float64 numpy reference for the Gaussian conditional (Sources/AENet/EntropyModels).

The zero-mean Gaussian conditional of a scale hyperprior (Balle et al. 2018; CompressAI's
GaussianConditional with no means): the likelihood of a value v with scale s is the mass of
N(0, s^2) on [v - 1/2, v + 1/2], the scale first raised to the table's smallest scale (0.11) and
the likelihood to 1e-9, both with CompressAI's LowerBound gradient (it passes where the raw value
is at least the bound or the gradient is negative).

Written here in the other direction from the Swift model, as a check of its sign and side tricks:
L = Q((v - 1/2) / s) - Q((v + 1/2) / s) for v > 0 with the upper tail Q(x) = erfc(x / sqrt 2) / 2,
and Phi((v + 1/2) / s) - Phi((v - 1/2) / s) otherwise; the gradients are the derivatives of
Phi((v + 1/2) / s) - Phi((v - 1/2) / s) written out in v and s.

Writes seeded cases to Fixtures/reference/gaussian/; GaussianConditionalReferenceTests compares the
float32 model with them. Rerun from the repository root:

    python3 Scripts/reference_gaussian.py

Deterministic (fixed seeds, repr() floats): a rerun gives byte-identical files. Only numpy and the
standard library. The analytic gradients (with respect to the values and the bounded scales) are
checked against central finite differences (float64) before anything is written; the straight-
through masks of the two bounds are then applied as CompressAI applies them.
"""
import json
import math
import os
import zlib

import numpy as np

OUT_DIR = os.path.join("Fixtures", "reference", "gaussian")
BOUND, TAIL_MASS = 1e-9, 1e-9
FD_EPS, FD_TOL = 1e-6, 1e-6
erfc = np.vectorize(math.erfc)


def f32(a):
    """Round to the nearest float32 and back, so inputs are exactly representable."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def scale_table():
    """CompressAI's get_scale_table(0.11, 256, 64), in float64, stored as float32."""
    return f32(np.exp(np.linspace(math.log(0.11), math.log(256.0), 64)))


def cdf(x):
    return 0.5 * erfc(-x / math.sqrt(2))


def upper_tail(x):
    return 0.5 * erfc(x / math.sqrt(2))


def pdf(x):
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def likelihood(v, s):
    """Raw likelihood (no bound) of v under N(0, s^2), s already bounded."""
    hi, lo = (v + 0.5) / s, (v - 0.5) / s
    return np.where(v > 0, upper_tail(lo) - upper_tail(hi), cdf(hi) - cdf(lo))


def likelihood_gradients(v, s):
    """d likelihood / dv and d likelihood / ds."""
    hi, lo = (v + 0.5) / s, (v - 0.5) / s
    return (pdf(hi) - pdf(lo)) / s, (lo * pdf(lo) - hi * pdf(hi)) / s


def quantile(p):
    """Phi^-1(p) by Newton's method on Phi from the tail approximation sqrt(-2 log p)."""
    x = -math.sqrt(-2 * math.log(p)) if p < 0.5 else math.sqrt(-2 * math.log(1 - p))
    for _ in range(100):
        step = (0.5 * math.erfc(-x / math.sqrt(2)) - p) / (math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))
        x -= step
        if abs(step) < 1e-15 * max(1.0, abs(x)):
            break
    return x


def indices(scales, table):
    """CompressAI's build_indexes: start at the last index, subtract one per table scale (but the
    last) that the bounded scale is at most; all comparisons in float32."""
    s = np.maximum(scales.astype(np.float32), np.float32(table[0]))
    out = np.full(s.shape, len(table) - 1, dtype=np.int64)
    for t in table[:-1].astype(np.float32):
        out -= (s <= t).astype(np.int64)
    return out


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
    text = ('{"case": %s, "layer": "gaussian_conditional", "config": %s,\n "tensors": {\n%s\n}}\n'
            % (json.dumps(case), json.dumps(config), ",\n".join(lines)))
    with open(os.path.join(OUT_DIR, case + ".json"), "w", encoding="ascii", newline="\n") as f:
        f.write(text)


# ---------------------------------------------------------------- cases

def conditional_case(case, shape, special):
    """Random y, scales (log-uniform over 0.02 ... 40), noise and upstream gradients; `special` puts
    (flat index, y, scale, grad_likelihood or None) in place, with no noise, for the bounds and the
    tails."""
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    table = scale_table()
    bound = table[0]
    y = f32(rng.uniform(-3, 3, shape))
    scales = f32(np.exp(rng.uniform(math.log(0.02), math.log(40), shape)))
    noise = f32(rng.uniform(-0.5, 0.5, shape))
    grad_values = f32(rng.uniform(-1, 1, shape))
    grad_lik = f32(rng.uniform(-1, 1, shape))
    for index, yv, sv, gv in special:
        y.reshape(-1)[index] = f32(yv)
        scales.reshape(-1)[index] = f32(sv)
        noise.reshape(-1)[index] = 0.0
        if gv is not None:
            grad_lik.reshape(-1)[index] = f32(gv)
    values = f32(y + noise)  # the model adds in float32: one rounding of the exact sum
    s = np.maximum(scales, bound)
    raw = likelihood(values, s)
    dv, ds = likelihood_gradients(values, s)

    # Finite differences of sum(g * raw likelihood) in the values and the bounded scales.
    vv, ss = values.copy(), s.copy()
    check(f"{case} d/dvalues", grad_lik * dv, finite_diff(lambda: np.sum(grad_lik * likelihood(vv, ss)), vv))
    check(f"{case} d/dscales", grad_lik * ds, finite_diff(lambda: np.sum(grad_lik * likelihood(vv, ss)), ss))

    # The bounds' straight-through gradients.
    through_lik = (raw >= BOUND) | (grad_lik < 0)
    gv_lik = np.where(through_lik, grad_lik, 0.0)
    grad_s = gv_lik * ds
    through_scale = (scales >= bound) | (grad_s < 0)
    grad_scales = np.where(through_scale, grad_s, 0.0)
    grad_input = grad_values + gv_lik * dv
    for what, mask in (("likelihood", through_lik), ("scale", through_scale)):
        below = (raw < BOUND) if what == "likelihood" else (scales < bound)
        assert np.any(below & mask) and np.any(below & ~mask), f"{case}: the {what} bound both passes and stops"

    quantized = np.round(y)  # ties to even
    tensors = dict(input=y, scales=scales, noise=noise, values=values, likelihoods=np.maximum(raw, BOUND),
                   grad_values=grad_values, grad_likelihoods=grad_lik, grad_input=grad_input,
                   grad_scales=grad_scales, quantized_values=quantized,
                   quantized_likelihoods=np.maximum(likelihood(quantized, s), BOUND),
                   scale_indices=indices(scales, table))
    config = dict(shape=list(shape), scale_bound=float(bound), likelihood_bound=BOUND, tail_mass=TAIL_MASS,
                  loss="sum(likelihoods * grad_likelihoods) + sum(values * grad_values)")
    write_case(case, config, tensors)


def tables_case(case, which):
    """The default scale table, and the tables of the scales at `which` (CompressAI's update())."""
    table = scale_table()
    multiplier = -quantile(TAIL_MASS / 2)
    assert abs(cdf(-multiplier) - TAIL_MASS / 2) < 1e-12 * TAIL_MASS
    minimum, lengths, pmfs, tails = [], [], [], []
    for j in which:
        s = table[j]
        c = math.ceil(s * multiplier)
        k = np.arange(-c, c + 1, dtype=np.float64)
        pmf = likelihood(k, s)
        tail = 2 * upper_tail((c + 0.5) / s)
        assert abs(pmf.sum() + tail - 1) < 1e-12 and tail <= TAIL_MASS
        minimum.append(-c)
        lengths.append(k.size)
        pmfs.append(pmf)
        tails.append(tail)
    tensors = dict(scale_table=table, multiplier=np.array(multiplier), table_index=np.array(which, float),
                   table_minimum=np.array(minimum, float), table_length=np.array(lengths, float),
                   table_pmf=np.concatenate(pmfs), table_tail_mass=np.array(tails))
    write_case(case, dict(tail_mass=TAIL_MASS, levels=64, minimum_scale=0.11, maximum_scale=256.0), tensors)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    # (flat index, y, scale, grad_likelihood): the scale bound exactly, scales under it (0, negative,
    # tiny) with both gradient signs, a scale above the table, far tails (the likelihood under its
    # bound with both gradient signs; underflow to 0; just above the bound) and y = +/-0.5 (rounding).
    special = [(0, 0.3, 0.11, None), (1, 0.8, 0.05, 0.7), (2, 0.8, 0.05, -0.7), (3, -0.2, 0.0, 0.4),
               (4, 1.3, -0.3, -0.9), (5, 2.0, 300.0, None), (6, 40.0, 3.0, -0.5), (7, 6.6, 1.0, 0.6),
               (8, -6.6, 1.0, -0.6), (9, 1.0e4, 1.0, -1.0), (10, -7.0, 1.1, None), (11, 0.5, 0.7, None),
               (12, -0.5, 0.2, None), (13, -1.5, 2.0, None), (14, 30.0, 256.0, None)]
    conditional_case("gaussian_conv", (2, 3, 4, 5), special)
    tables_case("gaussian_tables", [0, 1, 20, 45, 63])


if __name__ == "__main__":
    main()
