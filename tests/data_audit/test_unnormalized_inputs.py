import numpy as np

from danfang.checks.data.unnormalized_inputs import input_statistics
from tests.data_audit.data import audit, healthy_splits, images, of


def test_raw_pixel_images_warn_with_train_channel_statistics():
    x, y = images(300)
    raw = (x * 255).astype(np.float32)
    f = of(audit((raw[:200], y[:200]), (raw[200:], y[200:])), "unnormalized_inputs")[0]
    assert f.severity == "warning" and f.evidence["per"] == "channel"
    assert abs(f.evidence["mean"][0] - raw[:200].mean()) < 0.01 * raw[:200].mean()
    assert "--normalize" in f.fix


def test_a_table_feature_in_thousands_is_named():
    (x, y), (xv, yv) = healthy_splits()
    x, xv = x.copy(), xv.copy()
    x[:, 3] = x[:, 3] * 100 + 2000
    xv[:, 3] = xv[:, 3] * 100 + 2000
    f = of(audit((x, y), (xv, yv)), "unnormalized_inputs")[0]
    assert f.evidence["far"] == [3] and "feature 3" in f.message


def test_tiny_inputs_warn():
    x, y = images(200)
    f = of(audit((x[:150] / 255 / 255, y[:150]), (x[150:] / 255 / 255, y[150:])), "unnormalized_inputs")
    assert f and "root-mean-square" in f[0].message


def test_unit_interval_and_standardised_inputs_are_silent():
    x, y = images(300)
    assert not of(audit((x[:200], y[:200]), (x[200:], y[200:])), "unnormalized_inputs")
    assert not of(audit(*healthy_splits()), "unnormalized_inputs")


def test_input_statistics_shapes_and_constant_features():
    x = np.random.default_rng(0).normal(3, 2, size=(100, 3, 4, 4)).astype(np.float32)
    mean, std = input_statistics(x)
    assert mean.shape == std.shape == (1, 3, 1, 1)
    flat = np.c_[np.ones(50), np.arange(50)].astype(np.float32)
    m, s = input_statistics(flat)
    assert m.shape == (1, 2) and s[0, 0] == 1.0 and abs(s[0, 1] - flat[:, 1].std()) < 1e-4
