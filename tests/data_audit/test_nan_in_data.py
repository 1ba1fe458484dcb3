import numpy as np

from tests.data_audit.data import audit, healthy_splits, of


def test_nan_in_inputs_is_an_error_with_counts_and_first_indices():
    (x, y), val = healthy_splits()
    x = x.copy()
    x[5, 2] = np.nan
    x[40, 0] = np.inf
    x[40, 1] = np.nan
    found = of(audit((x, y), val), "nan_in_data")
    assert len(found) == 1
    f = found[0]
    assert f.severity == "error" and f.where == "train.inputs"
    assert f.evidence["nan"] == 2 and f.evidence["inf"] == 1 and f.evidence["samples"] == 2
    assert f.evidence["first_indices"] == [5, 40]
    assert "Drop or impute" in f.fix


def test_nan_in_regression_targets_of_val_is_found():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4)).astype(np.float32)
    y = x.sum(1)
    yv = y[200:].copy()
    yv[[3, 7]] = np.nan
    found = of(audit((x[:200], y[:200]), (x[200:], yv)), "nan_in_data")
    assert [f.where for f in found] == ["val.targets"]
    assert found[0].evidence["first_indices"] == [3, 7]


def test_finite_data_has_no_nan_finding():
    assert not of(audit(*healthy_splits()), "nan_in_data")
