"""Verdicts per task: what a curve can and cannot say for each kind of objective.
Each test reproduces a false alarm seen on a healthy real-world job (issue 11)."""

from __future__ import annotations

import math

import numpy as np
import torch

from danfang.checks.curves import explain
from danfang.checks.training._watch import TrainingWatch


def _history(train, val, acc=None, lr=0.1):
    return [{"epoch": i + 1, "train_loss": float(t), "val_loss": float(v),
             "val_acc": None if acc is None else float(acc[i]), "lr": lr} for i, (t, v) in enumerate(zip(train, val))]


def test_regression_at_its_noise_floor_is_healthy_with_an_info_note():
    # diabetes-like: the loss levels at 41% of the constant prediction's (R^2 ~ 0.6)
    train = 0.4 + 0.6 * np.exp(-np.arange(30) / 3)
    d = explain(_history(train, train + 0.05), {"task": "regression", "epochs": 30, "baseline_loss": 0.97})
    assert d.verdict == "healthy", d.reason
    assert [f.severity for f in d.findings if f.code == "underfitting"] == ["info"]


def test_regression_that_learned_almost_nothing_is_still_underfitting():
    train = 0.8 + 0.2 * np.exp(-np.arange(30) / 3)
    d = explain(_history(train, train + 0.01), {"task": "regression", "epochs": 30, "baseline_loss": 1.0})
    assert d.verdict == "underfitting"
    assert any(f.code == "underfitting" and f.severity == "warning" for f in d.findings)


def test_negative_policy_gradient_loss_is_not_diverged():
    train = [-0.02, -0.2, -0.27, -0.22, -0.18, -0.16, -0.15]
    d = explain(_history(train, train), {"task": "other", "epochs": 7})
    assert d.verdict == "healthy", d.reason
    assert not [f for f in d.findings if f.severity != "info"]


def test_gan_objective_that_rises_to_equilibrium_is_not_judged_noisy():
    rng = np.random.default_rng(0)
    train = 1.39 + rng.normal(0, 0.08, 10)
    d = explain(_history(train, train), {"task": "other", "epochs": 10})
    assert d.verdict == "healthy"
    assert {f.code for f in d.findings} >= {"underfitting", "overfitting"}  # each: info "not judged"
    assert all(f.severity == "info" for f in d.findings)


def test_steep_fall_in_a_short_run_is_not_noise():
    # a GRU: 45% -> 99.7%, the validation loss falls off a cliff in epoch 3
    val = [0.69, 0.68, 0.6, 0.05, 0.012, 0.010, 0.011, 0.009]
    train = [0.70, 0.69, 0.62, 0.06, 0.010, 0.008, 0.007, 0.006]
    acc = [0.45, 0.5, 0.7, 0.98, 0.996, 0.997, 0.997, 0.997]
    d = explain(_history(train, val, acc), {"task": "classification", "num_classes": 2, "epochs": 8})
    assert d.verdict == "healthy", d.reason


def test_frozen_backbone_with_good_accuracy_is_healthy_not_cut_short():
    train = 2.3 - 1.0 * (1 - np.exp(-np.arange(10) / 2))
    acc = 0.1 + 0.78 * (1 - np.exp(-np.arange(10) / 2))
    d = explain(_history(train, train - 0.03, acc), {"task": "classification", "num_classes": 10, "epochs": 10})
    assert d.verdict == "healthy", d.reason
    assert "cut short" not in d.reason


def test_overfitting_and_underfitting_never_in_one_report():
    train = np.linspace(1.0, 0.6, 20)
    val = np.concatenate([np.linspace(1.0, 0.75, 8), np.linspace(0.78, 1.1, 12)])
    d = explain(_history(train, val), {"task": "regression", "epochs": 20, "baseline_loss": 1.0})
    codes = {f.code for f in d.findings if f.severity != "info"}
    assert "overfitting" in codes and "underfitting" not in codes


def _watch_losses(losses, task):
    model = torch.nn.Linear(2, 1)
    watch = TrainingWatch(model, cadence=1, task=task)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    for v in losses:
        watch.before_forward()
        out = model(torch.ones(1, 2)).sum() * 0 + v
        out.backward()
        watch.add_loss(out.detach())
        watch.after_backward()
        opt.step()
        watch.after_step(0, 0.0)
    return watch.findings


def test_rl_objective_rising_is_not_slow_convergence_and_the_message_says_higher():
    rising = [1.0 + 0.05 * i for i in range(12)]
    assert not [f for f in _watch_losses(rising, "other") if f.severity != "info"]
    slow = [f for f in _watch_losses(rising, None) if f.code == "slow_convergence"]
    assert slow and "higher" in slow[0].message and "lower" not in slow[0].message
