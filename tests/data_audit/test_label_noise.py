import numpy as np

from tests.data_audit.data import audit, blobs, healthy_splits, of


def flipped(y, fraction, classes=3, seed=1):
    rng = np.random.default_rng(seed)
    y = y.copy()
    idx = rng.permutation(len(y))[:int(fraction * len(y))]
    y[idx] = (y[idx] + rng.integers(1, classes, len(idx))) % classes
    return y, set(idx.tolist())


def test_flipped_labels_are_estimated_and_listed():
    (x, y), val = healthy_splits()
    noisy, idx = flipped(y, 0.15)
    f = of(audit((x, noisy), val), "label_noise")[0]
    assert f.severity == "warning" and f.evidence["judged"]
    assert 0.10 <= f.evidence["noise_rate"] <= 0.20
    suspects = f.evidence["suspects"]
    assert sum(s["index"] in idx for s in suspects) >= 0.9 * len(suspects)
    s = suspects[0]
    assert s["looks_like"] == y[s["index"]] != s["label"]
    assert "looks like" in f.message


def test_clean_labels_do_not_warn():
    assert not [f for f in of(audit(*healthy_splits()), "label_noise") if f.severity != "info"]


def test_a_hard_task_is_not_judged_as_noisy():
    x, y = blobs(800, spread=0.3)  # heavily overlapping classes: hard, not mislabelled
    f = of(audit((x[:600], y[:600]), (x[600:], y[600:])), "label_noise")[0]
    assert f.severity == "info" and not f.evidence["judged"]
    assert "not judged" in f.message
