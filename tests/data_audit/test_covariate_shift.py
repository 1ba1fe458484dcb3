from pathlib import Path

import numpy as np
import pytest

from danfang.checks.data.covariate_shift import CLIP, importance_weights
from tests.data_audit.data import audit, blobs, healthy_splits, of


def test_shifted_val_inputs_warn_and_name_the_shifted_feature():
    (x, y), (xv, yv) = healthy_splits()
    xv = xv.copy()
    xv[:, 5] += 3.0
    f = of(audit((x, y), (xv, yv)), "covariate_shift")[0]
    assert f.severity == "warning" and f.evidence["domain_auc"] > 0.8
    assert f.evidence["separating_features"][0]["index"] == 5
    assert "--reweight" in f.fix


def test_a_random_split_shows_no_shift():
    assert not of(audit(*healthy_splits()), "covariate_shift")


def test_importance_weights_favour_training_samples_that_look_like_val():
    rng = np.random.default_rng(0)
    xt = rng.normal(size=(1500, 2)).astype(np.float32)
    xv = (rng.normal(size=(500, 2)) + [1.5, 0]).astype(np.float32)
    w, info = importance_weights(xt, xv)
    assert w.shape == (1500,) and w.dtype == np.float32
    assert abs(w.mean() - 1) < 1e-4
    assert w.max() / w.min() <= CLIP[1] / CLIP[0] + 1e-3
    right, left = xt[:, 0] > 1, xt[:, 0] < -1
    assert w[right].mean() > 3 * w[left].mean()
    assert info["domain_auc"] > 0.75 and 0 < info["effective_sample_fraction"] < 1


def test_importance_weights_are_flat_without_shift():
    xt, _ = blobs(1000, seed=0)
    w, info = importance_weights(xt[:700], xt[700:])
    assert info["domain_auc"] < 0.6
    assert info["effective_sample_fraction"] > 0.8


def test_a_tiny_val_split_needs_a_significant_auc():
    (x, y), _ = healthy_splits()
    for seed in range(5):  # 20 val samples from the same pool: AUC noise is about +-0.07
        xv, yv = blobs(20, seed=100 + seed)
        assert not [f for f in of(audit((x, y), (xv, yv)), "covariate_shift") if f.severity != "info"]


MNIST = Path("/work/shared/data/mnist.npz")


@pytest.mark.slow
@pytest.mark.skipif(not MNIST.exists(), reason=f"{MNIST} not present")
def test_mnist_official_train_test_split_shows_no_covariate_shift():
    """Issue 11: covariate_shift warned on MNIST's own split (AUC 0.66, led by a pixel that is
    0 in every training image). Measured now: silent, the domain AUC under the 0.58 info line."""
    from danfang.checks.data import _as_split, audit_context
    from danfang.checks.data.covariate_shift import CovariateShift
    from danfang.datasets import load_mnist

    train, test = load_mnist(MNIST)
    ctx = audit_context([("train", _as_split(train)), ("val", _as_split(test))], "classification", 10)
    assert CovariateShift().run(ctx) == []
