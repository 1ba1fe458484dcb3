import numpy as np

from tests.data_audit.data import audit, healthy_splits, images, of


def test_exact_duplicates_inside_train_warn_with_pairs_and_label_conflicts():
    (x, y), val = healthy_splits()
    x, y = x.copy(), y.copy()
    x[500:530] = x[:30]  # 30 exact copies (5 %)
    y[500:530] = y[:30]
    y[500] = (y[0] + 1) % 3  # one copy with a conflicting label
    f = of(audit((x, y), val), "duplicate_samples")[0]
    assert f.severity == "warning" and f.where == "train"
    assert f.evidence["redundant"] == 30 and f.evidence["exact"] == 30
    assert f.evidence["label_conflicts"] == 1
    assert [0, 500] in f.evidence["pairs"]


def test_near_duplicate_images_are_found_by_the_embedding():
    x, y = images(400)
    x[300:320] = np.clip(x[:20] + np.random.default_rng(1).normal(0, 0.005, x[:20].shape), 0, 1)
    f = of(audit((x[:350], y[:350]), (x[350:], y[350:])), "duplicate_samples")[0]
    assert f.severity == "warning"
    assert f.evidence["exact"] == 0 and f.evidence["redundant"] == 20
    assert [3, 303] in f.evidence["pairs"]


def test_no_duplicates_in_healthy_data():
    assert not of(audit(*healthy_splits()), "duplicate_samples")


def test_val_copies_of_train_are_leakage():
    (x, y), (xv, yv) = healthy_splits()
    xv, yv = xv.copy(), yv.copy()
    xv[:10], yv[:10] = x[100:110], y[100:110]                                    # exact
    xv[10:20] = x[200:210] + 1e-3                                               # near
    yv[10:20] = y[200:210]
    f = of(audit((x, y), (xv, yv)), "train_test_overlap")[0]
    assert f.severity == "warning" and f.where == "val"
    assert f.evidence["leaked"] == 20 and f.evidence["exact"] == 10
    assert f.evidence["same_label_fraction"] == 1.0
    assert [0, 100] in f.evidence["pairs"] and [10, 200] in f.evidence["pairs"]


def test_one_leaked_test_sample_is_only_info():
    (x, y), (xv, yv) = healthy_splits()
    xt, yt = xv.copy(), yv.copy()
    xt[0] = x[7]
    found = of(audit((x, y), (xv, yv), (xt, yt)), "train_test_overlap")
    assert [(f.where, f.severity) for f in found] == [("test", "info")]


def test_no_overlap_between_healthy_splits():
    assert not of(audit(*healthy_splits()), "train_test_overlap")


def _gaussian_2d(n, seed):
    rng = np.random.default_rng(seed)
    return (np.array([2.0, -1.0]) + 0.5 * rng.normal(size=(n, 2))).astype(np.float32)


def test_low_dimensional_points_are_not_near_duplicates_by_nature():
    """A GAN's 2-D Gaussian: in 2-D, 4 % of 2,500 points have a neighbour within a quarter of
    the typical neighbour distance by chance; that once read as duplicates and leakage."""
    x, xv = _gaussian_2d(2500, 0), _gaussian_2d(500, 1)
    y, yv = np.zeros((2500, 1), np.float32), np.zeros((500, 1), np.float32)
    found = audit((x, y), (xv, yv), task="other")
    assert not [f for f in found if f.code in ("duplicate_samples", "train_test_overlap") and f.severity != "info"]


def test_exact_copies_among_low_dimensional_points_still_warn():
    x, xv = _gaussian_2d(2500, 0), _gaussian_2d(500, 1)
    x[2000:2100] = x[:100]      # 4 % exact copies inside train
    xv[:50] = x[300:350]        # 10 % of val copied from train
    y, yv = np.zeros((2500, 1), np.float32), np.zeros((500, 1), np.float32)
    found = audit((x, y), (xv, yv), task="other")
    dup = of(found, "duplicate_samples")
    assert dup and dup[0].severity == "warning" and dup[0].evidence["exact"] == 100
    leak = of(found, "train_test_overlap")
    assert leak and leak[0].severity == "warning"


def test_rows_of_few_categorical_values_repeat_by_chance_and_copies_still_warn():
    rng = np.random.default_rng(0)
    # 3 categorical columns (2 x 3 x 4 = 24 possible rows) and 600 records: repeats are certain
    x = np.stack([rng.integers(0, 2, 600), rng.integers(0, 3, 600), rng.integers(0, 4, 600)], 1).astype(np.float32)
    y = rng.integers(0, 2, 600)
    found = audit((x[:500], y[:500]), (x[500:], y[500:]), task="classification")
    dup, leak = of(found, "duplicate_samples"), of(found, "train_test_overlap")
    assert dup and all(f.severity == "info" for f in dup) and "by chance" in dup[0].message
    assert leak and leak[0].severity == "info" and "by chance" in leak[0].message
    # a continuous table with 5 % of its rows copied: a real duplication
    xc = rng.normal(size=(600, 3)).astype(np.float32)
    xc[500:530] = xc[:30]
    xc[580:600] = xc[100:120]   # and a third of val copied from train
    found = audit((xc[:540], y[:540]), (xc[540:], y[540:]), task="classification")
    dup, leak = of(found, "duplicate_samples"), of(found, "train_test_overlap")
    assert dup[0].severity == "warning" and dup[0].evidence["chance_equal_pairs"] is None
    assert leak[0].severity == "warning" and leak[0].evidence["chance_matches"] is None
