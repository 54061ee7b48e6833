"""Writes the small seed bundles of the bundle fuzz target (Fixtures/fuzz/bundle/seed-*).

The golden bundle (700 KB) is too large for libFuzzer to mutate well, so the seeds keep
its metadata (architecture, training, metrics) with a few tiny tensors instead of the
weights: every section, the table and the metadata decoder are exercised.
Run from the repository root: python3 Fuzz/make_bundle_seeds.py
"""
import copy
import sys

import numpy as np

sys.path.insert(0, "Scripts")
import aemodel_bundle as ab  # noqa: E402

metadata, _, _, _ = ab.read("Fixtures/bundles/golden-v1.aemodel")
out = "Fixtures/fuzz/bundle/"
small = [("conv2d/bias", ab.FLOAT32, np.linspace(-1, 1, 32)),
         ("dense/bias", ab.FLOAT16, np.arange(4.0)),
         ("conv2d/kernel", ab.FLOAT32, np.zeros((1, 1, 1, 2)))]
with open(out + "seed-model.aemodel", "wb") as f:
    f.write(ab.encode(metadata, small, 0))

table = [("quantization/scale", ab.FLOAT32, np.full(4, 0.25)),
         ("quantization/offset", ab.FLOAT32, np.full(4, -2.0))]
with open(out + "seed-quantization.aemodel", "wb") as f:
    f.write(ab.encode(metadata, small[:1] + table, 2))

checkpoint = copy.deepcopy(metadata)
checkpoint["kind"] = "checkpoint"
checkpoint["checkpoint"] = {"optimizerStep": 3, "completedEpochs": len(metadata["metrics"]["epochs"])}
state = [("optimizer/m/conv2d/bias", ab.FLOAT32, np.zeros(32)),
         ("optimizer/v/conv2d/bias", ab.FLOAT32, np.ones(32))]
with open(out + "seed-checkpoint.aemodel", "wb") as f:
    f.write(ab.encode(checkpoint, small[:1] + state, 0, checkpoint=True))

# A hyperprior model (format 1.8): the tiny conv-hyperprior fixture's metadata with its
# entropy tables cut to one table of z and two scale tables (valid CDFs, entropy/scale).
hyper, _, _, _ = ab.read("Fixtures/coded/hyper-tiny.aemodel")
cdf = np.array([[0, 60000, 65536, 0], [0, 20000, 65000, 65536], [0, 30000, 65536, 0]], dtype=np.float64)
entropy = [("entropy/cdf", ab.FLOAT32, cdf),
           ("entropy/cdf_length", ab.FLOAT32, np.array([3.0, 4.0, 3.0])),
           ("entropy/offset", ab.FLOAT32, np.array([0.0, -1.0, 0.0])),
           ("entropy/median", ab.FLOAT32, np.array([0.25, 0.0, 0.0])),
           ("entropy/scale", ab.FLOAT32, np.array([0.11, 4.0]))]
with open(out + "seed-hyperprior.aemodel", "wb") as f:
    f.write(ab.encode(hyper, [("hyper_analysis_conv0/bias", ab.FLOAT32, np.zeros(16))] + entropy, 8))
