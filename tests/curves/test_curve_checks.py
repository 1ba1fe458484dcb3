"""Every curve code: a planted fault that fires it and a healthy twin that does not."""

from __future__ import annotations

import numpy as np

from synthetic_curves import SETTINGS, decay, healthy_run, history
from danfang.checks import registered_checks
from danfang.checks.curves import diagnose


def codes(hist, settings=SETTINGS, **ctx):
    return {f.code for f in diagnose(hist, settings, **ctx)[1]}


def test_every_curve_code_has_a_registered_check():
    found = {c.code for c in registered_checks("curves")}
    assert found == {"underfitting", "overfitting", "lr_floor", "noisy_validation", "still_improving",
                     "shortened_run"}
    for cls in registered_checks("curves"):
        doc = cls.__doc__ or ""
        for part in ("Symptom", "Evidence", "Likely causes", "Fix"):
            assert part in doc, f"{cls.__name__} docstring lacks {part}"


def test_healthy_run_fires_nothing():
    verdict, findings = diagnose(healthy_run(), SETTINGS)
    assert verdict == "healthy"
    assert findings == []


def test_overfitting_fires_and_names_the_epoch():
    n = 30
    train = decay(2.0, 0.01, n)
    val = np.concatenate([decay(2.0, 1.2, 10, rate=3), 1.2 + 0.04 * np.arange(1, 21)])
    verdict, findings = diagnose(history(train, val), SETTINGS)
    f = next(f for f in findings if f.code == "overfitting")
    best = int(np.argmin(val)) + 1
    assert verdict == "overfitting" and f.epoch == best
    assert f"epoch {best}" in f.fix and "augmentation" in f.fix and "weight decay" in f.fix


def test_overfitting_by_accuracy_when_loss_is_flat():
    n = 20
    train = decay(2.0, 0.01, n)
    val = decay(2.0, 0.5, n)
    acc = np.concatenate([np.linspace(0.3, 0.9, 10), np.linspace(0.88, 0.8, 10)])
    assert "overfitting" in codes(history(train, val, acc))


def test_overfitting_needs_train_still_improving():
    train = np.concatenate([decay(2.0, 0.5, 10, rate=8), np.full(20, 0.5)])
    val = np.concatenate([decay(2.0, 1.2, 10, rate=3), 1.2 + 0.04 * np.arange(1, 21)])
    assert "overfitting" not in codes(history(train, val))


def test_underfitting_fires_with_its_fixes():
    n = 30
    train = decay(2.2, 1.6, n)
    val = decay(2.2, 1.65, n)
    acc = np.linspace(0.15, 0.32, n)
    verdict, findings = diagnose(history(train, val, acc, lr=0.01), SETTINGS)
    f = next(f for f in findings if f.code == "underfitting")
    assert verdict == "underfitting"
    for word in ("bigger model", "longer", "higher learning rate", "less regularisation"):
        assert word in f.fix
    assert "0.03" in f.fix  # names a concrete higher LR (x3)


def test_underfitting_healthy_twin_low_train_loss():
    assert "underfitting" not in codes(healthy_run())


def test_lr_floor_fires_when_the_rate_hits_zero_early():
    n = 30
    lr = [1e-3] * 10 + [1e-4] * 3 + [1e-6] * 17   # plateau schedule without min_lr
    train = decay(2.0, 0.1, n)
    val = decay(2.0, 0.2, n)
    hist = history(train, val, lr=lr)
    f = next(f for f in diagnose(hist, SETTINGS)[1] if f.code == "lr_floor")
    assert f.epoch == 14 and "min_lr" in f.fix and "1e-05" in f.fix


def test_lr_floor_silent_for_cosine_ending_at_zero():
    n = 30
    lr = [1e-3 * 0.5 * (1 + np.cos(np.pi * i / n)) for i in range(n)]
    assert "lr_floor" not in codes(history(decay(2.0, 0.1, n), decay(2.0, 0.2, n), lr=lr))


def test_noisy_validation_fires_on_a_lone_spike():
    n = 20
    train = decay(2.0, 0.3, n)
    val = decay(2.0, 0.6, n) + 0.01 * np.sin(np.arange(n))
    val[12] = 0.35
    f = next(f for f in diagnose(history(train, val), SETTINGS)[1] if f.code == "noisy_validation")
    assert f.epoch == 13 and "smoothed" in f.fix


def test_noisy_validation_silent_when_the_best_is_a_plateau():
    assert "noisy_validation" not in codes(healthy_run())


def test_still_improving_fires_when_cut_while_falling():
    n = 8
    hist = history(decay(2.0, 0.05, n, rate=1.0), decay(2.0, 0.1, n, rate=1.0))
    f = next(f for f in diagnose(hist, SETTINGS, stopped_by_budget=True)[1] if f.code == "still_improving")
    assert "--epochs 16" in f.fix and "--budget" in f.fix and f.severity == "info"


def test_still_improving_silent_when_flat():
    assert "still_improving" not in codes(healthy_run())


def test_monitor_val_acc_selects_on_accuracy():
    n = 20
    train = decay(2.0, 0.3, n)
    val = decay(2.0, 0.6, n)
    acc = np.linspace(0.5, 0.8, n)
    acc[10] = 0.95
    f = next(f for f in diagnose(history(train, val, acc), {**SETTINGS, "monitor": "val_acc"})[1]
             if f.code == "noisy_validation")
    assert f.evidence["metric"] == "val_acc"


def test_next_token_prediction_is_not_called_underfitting_at_an_unknown_floor():
    """A healthy language model levels at the entropy of its text (here 55% of the unigram
    loss, accuracy 0.42 of 10 tokens); the same curve of a classifier whose labels the
    inputs decide is underfitting."""
    import torch

    from danfang.task import loss_floor_known, next_token_targets

    n = 30
    train, val = decay(2.2, 1.2, n), decay(2.2, 1.22, n)
    acc = np.linspace(0.15, 0.42, n)
    rows = history(train, val, acc)
    settings = {**SETTINGS, "baseline_loss": 2.2}
    lm_verdict, lm = diagnose(rows, {**settings, "loss_floor_known": False})
    assert lm_verdict != "underfitting"
    assert [(f.code, f.severity) for f in lm if f.code == "underfitting"] == [("underfitting", "info")]
    assert "next-token" in next(f for f in lm if f.code == "underfitting").message
    verdict, findings = diagnose(rows, settings)
    assert verdict == "underfitting"
    assert ("underfitting", "warning") in [(f.code, f.severity) for f in findings]

    tokens = torch.randint(0, 10, (8, 25), generator=torch.Generator().manual_seed(0))
    x, y = tokens[:, :-1], tokens[:, 1:]
    assert next_token_targets(x, y) and not loss_floor_known("classification", x, y)
    assert next_token_targets(torch.nn.functional.one_hot(x, 10).float(), y)
    tags = (x > 4).long()  # token tagging: one label a position, decided by the input
    assert not next_token_targets(x, tags) and loss_floor_known("classification", x, tags)
