import numpy as np

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
