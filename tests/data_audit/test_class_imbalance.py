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


def test_a_balanced_split_sorted_by_label_is_balanced(monkeypatch):
    # issue 11: the audit read the first rows, so "classes 6-9 have no training sample"
    import danfang.checks.data as data
    from tests.data_audit.test_audit_api import Pairs

    monkeypatch.setattr(data, "DATASET_LIMIT", 600)
    x, y = blobs(2000, classes=10, spread=6.0)
    order = np.argsort(y, kind="stable")
    xs, ys = x[order], y[order]
    xv, yv = blobs(300, classes=10, spread=6.0, seed=1)
    for train in ((xs, ys), Pairs(xs, ys)):
        f = of(audit(train, (xv, yv)), "class_imbalance")
        assert not f, f[0].message


def test_sorted_array_splits_are_sampled_at_random(monkeypatch):
    import danfang.checks.data as data

    monkeypatch.setattr(data, "SAMPLE_LIMIT", 500)
    x, y = blobs(3000, classes=10, spread=6.0)
    order = np.argsort(y, kind="stable")
    assert not of(audit((x[order], y[order]), blobs(300, classes=10, spread=6.0, seed=1)), "class_imbalance")


def test_per_position_labels_are_counted_over_positions_without_ignored_ones():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3, 8, 8)).astype(np.float32)
    y = rng.integers(0, 4, size=(200, 8, 8))
    y[:, :2] = -100  # ignored positions
    yv = rng.integers(0, 4, size=(50, 8, 8))
    assert not of(audit((x, y), (x[:50], yv), task="classification"), "class_imbalance")
    skewed = np.where(rng.random(y.shape) < 0.97, 0, y)  # class 0 is 97 % of the positions
    skewed[:, :2] = -100
    f = of(audit((x, skewed), (x[:50], yv), task="classification"), "class_imbalance")[0]
    assert f.evidence["per_position"] and f.evidence["counts"][0] > 30 * f.evidence["counts"][1]
    assert sum(f.evidence["counts"]) == 200 * 6 * 8  # the -100 positions are not counted
    assert f.severity == "warning" and "positions" in f.message
    mild = np.where(rng.random(y.shape) < 0.7, 0, y)  # background 70 %: natural for masks
    f = of(audit((x, mild), (x[:50], yv), task="classification"), "class_imbalance")[0]
    assert f.severity == "info"
    missing = np.where(y == 3, 2, y)
    f = of(audit((x, missing), (x[:50], yv), task="classification", num_classes=4), "class_imbalance")[0]
    assert f.severity == "warning" and f.evidence["missing"] == [3]


def test_token_tagging_labels_with_a_custom_ignore_index():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 50, size=(300, 12))
    y = rng.integers(0, 5, size=(300, 12))
    y[:, 9:] = 99  # padding marked with the loss's ignore_index
    findings = audit((x, y), (x[:60], y[:60]), task="classification", ignore_index=99)
    assert not of(findings, "class_imbalance")
    f = of(findings, "label_noise")[0]
    assert f.severity == "info" and "not judged" in f.message


def test_binary_and_multilabel_targets():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 6)).astype(np.float32)
    yb = (rng.random(400) < 0.05).astype(np.float32)  # 5 % positives
    f = of(audit((x, yb), (x[:80], yb[:80]), task="binary"), "class_imbalance")[0]
    assert f.severity == "warning" and f.evidence["counts"][1] < f.evidence["counts"][0] / 3
    ym = (rng.random((400, 5)) < 0.3).astype(np.float32)
    f = of(audit((x, ym), (x[:80], ym[:80]), task="multilabel"), "class_imbalance")[0]
    assert f.severity == "info" and "not judged" in f.message
