"""Every verdict: a curve that earns it, and the short/noisy curves that must stay inconclusive."""

from __future__ import annotations

import math

import numpy as np

from synthetic_curves import LN10, SETTINGS, decay, healthy_run, history
from danfang.checks.curves import diagnose, explain


def verdict(hist, settings=SETTINGS, **ctx):
    return diagnose(hist, settings, **ctx)[0]


def test_healthy():
    assert verdict(healthy_run()) == "healthy"


def test_diverged_on_nan():
    hist = history([2.0, 1.5, float("nan")], [2.0, 1.6, float("nan")])
    d = explain(hist, SETTINGS)
    assert d.verdict == "diverged" and "epoch 3" in d.reason


def test_diverged_on_blow_up_without_nan():
    train = [2.0, 1.2, 0.8, 0.7, 5.0, 40.0]
    assert verdict(history(train, [2.0, 1.3, 0.9, 0.8, 6.0, 50.0])) == "diverged"


def test_not_learning_stays_at_ln_c():
    n = 10
    train = LN10 + 0.002 * np.cos(np.arange(n))
    acc = 0.1 + 0.005 * np.sin(np.arange(n))
    assert verdict(history(train, train + 0.001, acc)) == "not_learning"


def test_not_learning_regression_without_reference():
    n = 10
    flat = 1.0 + 0.001 * np.cos(np.arange(n))
    settings = {"task": "regression", "monitor": "val_loss", "epochs": 10}
    assert verdict(history(flat, flat + 0.01), settings) == "not_learning"
    assert verdict(history(decay(1.0, 0.05, n), decay(1.0, 0.08, n)), settings) == "healthy"


def test_underfitting_and_overfitting_verdicts():
    n = 30
    under = history(decay(2.2, 1.6, n), decay(2.2, 1.65, n), np.linspace(0.15, 0.32, n))
    assert verdict(under) == "underfitting"
    val = np.concatenate([decay(2.0, 1.2, 10, rate=3), 1.2 + 0.04 * np.arange(1, 21)])
    assert verdict(history(decay(2.0, 0.01, n), val)) == "overfitting"


def test_short_curve_is_inconclusive():
    d = explain(healthy_run()[:3], SETTINGS)
    assert d.verdict == "inconclusive" and "3 epoch" in d.reason


def test_short_noisy_curves_are_inconclusive_not_a_guess():
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(5, 9))
        level = rng.uniform(0.5, 2.0)
        train = level * (1 + 0.25 * rng.standard_normal(n)).clip(0.3)
        val = level * (1.1 + 0.3 * rng.standard_normal(n)).clip(0.3)
        acc = rng.uniform(0.3, 0.6, n)
        assert verdict(history(train, val, acc)) == "inconclusive", seed


def test_cut_short_while_poor_and_falling_is_inconclusive():
    n = 6
    hist = history(decay(2.3, 0.1, 20, rate=3)[:n], decay(2.3, 0.2, 20, rate=3)[:n],
                   np.linspace(0.15, 0.5, n))
    d = explain(hist, SETTINGS, stopped_by_budget=True)
    assert d.verdict == "inconclusive"
    assert "still_improving" in {f.code for f in d.findings}


def test_reads_a_run_json_history_with_status():
    hist = healthy_run()
    d = explain(hist, SETTINGS, status="finished", stop_reason=None)
    assert d.verdict == "healthy" and math.isfinite(hist[-1]["val_loss"])


def test_a_budget_spent_in_the_last_planned_epoch_cut_nothing():
    hist = healthy_run(8)
    d = explain(hist, {**SETTINGS, "epochs": 8}, stopped_by_budget=True)
    assert all(not f.evidence.get("stopped_by_budget") for f in d.findings)
    from danfang.checks.curves import curves_from_history

    assert not curves_from_history(hist, {**SETTINGS, "epochs": 8}, stopped_by_budget=True).cut_short
    assert curves_from_history(hist, {**SETTINGS, "epochs": 20}, stopped_by_budget=True).cut_short
