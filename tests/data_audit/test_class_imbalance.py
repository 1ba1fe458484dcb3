import numpy as np

from tests.data_audit.data import audit, blobs, healthy_splits, of


def test_imbalanced_classes_warn_and_name_class_weights():
    x, y = blobs(1200)
    keep = np.r_[np.flatnonzero(y == 0), np.flatnonzero(y == 1), np.flatnonzero(y == 2)[:40]]
    f = of(audit((x[keep], y[keep]), healthy_splits()[1]), "class_imbalance")[0]
    assert f.severity == "warning"
    assert f.evidence["counts"] == [400, 400, 40] and f.evidence["ratio"] == 10.0
    w = f.evidence["class_weights"]
    assert w[2] > 5 * w[0]
    assert abs(w[2] - 840 / (3 * 40)) < 1e-3
    assert "WeightedRandomSampler" in f.fix and "CrossEntropyLoss(weight=" in f.fix


def test_a_class_missing_from_train_is_reported():
    (x, y), (xv, yv) = healthy_splits()
    keep = y != 1
    f = of(audit((x[keep], y[keep]), (xv, yv)), "class_imbalance")[0]
    assert f.evidence["missing"] == [1] and f.severity == "warning"


def test_balanced_classes_are_silent():
    assert not of(audit(*healthy_splits()), "class_imbalance")


def test_regression_targets_are_not_judged():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3)).astype(np.float32)
    assert not of(audit((x, x[:, 0] ** 3), (x, x[:, 0] ** 3)), "class_imbalance")
