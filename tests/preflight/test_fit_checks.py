"""cannot_overfit_batch and input_independent: planted faults and healthy twins."""

from __future__ import annotations

import torch
from torch import nn

from danfang.checks.preflight.input_independent import InputIndependent
from danfang.checks.preflight.overfit_batch import CannotOverfitBatch

from tests.preflight.models import HEALTHY, blobs, cnn, codes, mlp, regression, regressor, run, signals


class SigmoidRegressor(nn.Module):
    """A sigmoid on a regression output: targets below 0 or above 1 are out of reach."""

    def __init__(self) -> None:
        super().__init__()
        self.net = regressor()

    def forward(self, x):
        return torch.sigmoid(self.net(x))


class IgnoresInput(nn.Module):
    """The bug: the input is overwritten before it is used."""

    def __init__(self) -> None:
        super().__init__()
        self.net = mlp()

    def forward(self, x):
        x = torch.zeros_like(x)
        return self.net(x)


def test_cannot_overfit_batch_fires_when_the_output_cannot_reach_the_targets():
    x, y = regression()
    findings = run(CannotOverfitBatch, SigmoidRegressor(), (x, 3 * y))
    assert codes(findings) == ["cannot_overfit_batch"]
    f = findings[0]
    assert f.severity == "error" and f.evidence["residual"] > 0.1 and f.evidence["steps"] == 300
    assert f.evidence["final_loss"] < f.evidence["first_loss"] and f.fix


def test_cannot_overfit_batch_reports_a_diverging_loss():
    class Explodes(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = mlp()

        def forward(self, x):
            return self.net(x) * 1e30 * 1e30

    findings = run(CannotOverfitBatch, Explodes(), blobs(), task="classification", num_classes=3)
    assert codes(findings) == ["cannot_overfit_batch"]
    assert "made the loss nan at step 1" in findings[0].message


def test_cannot_overfit_batch_is_quiet_on_healthy_models_and_uses_the_smoothing_floor():
    for make_model, make_data in HEALTHY.values():
        assert run(CannotOverfitBatch, make_model(), make_data()) == []
    smoothed = nn.CrossEntropyLoss(label_smoothing=0.1)
    assert run(CannotOverfitBatch, cnn(), signals(), smoothed) == []


def test_input_independent_fires_when_the_input_is_overwritten():
    findings = run(InputIndependent, IgnoresInput(), blobs())
    assert codes(findings) == ["input_independent"]
    ev = findings[0].evidence
    assert ev["real_residual"] > 0.5 and ev["zero_residual"] > 0.5


def test_input_independent_is_quiet_when_the_model_uses_its_input():
    assert run(InputIndependent, mlp(), blobs()) == []
    assert run(InputIndependent, regressor(), regression()) == []


def test_input_independent_is_quiet_when_zeroed_inputs_fit_too():
    x, y = blobs()
    one_label = (x, torch.zeros_like(y))  # a constant output already fits
    assert codes(run(InputIndependent, mlp(), one_label, task="classification", num_classes=3)) == []


def test_a_fit_cut_short_by_its_time_budget_is_inconclusive_not_an_error(monkeypatch):
    from danfang.checks.preflight import _fit

    monkeypatch.setattr(_fit, "TIME_BUDGET_S", 0.0)
    x, y = regression()
    findings = run(CannotOverfitBatch, SigmoidRegressor(), (x, 3 * y))
    assert [(f.code, f.severity) for f in findings] == [("cannot_overfit_batch", "info")]
    assert "Inconclusive" in findings[0].message and findings[0].evidence["steps"] == 1
    findings = run(InputIndependent, IgnoresInput(), blobs())
    assert [(f.code, f.severity) for f in findings] == [("input_independent", "info")]


def test_a_slow_but_still_falling_fit_is_inconclusive_not_an_error():
    """A tiny per-pixel classifier needs ~2000 steps to memorise 16 images, but learns steadily."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, 8, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    segmenter = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 1))
    findings = run(CannotOverfitBatch, segmenter, (x, y))
    assert [(f.code, f.severity) for f in findings] == [("cannot_overfit_batch", "info")]
    assert "slow, not stuck" in findings[0].message and findings[0].evidence["recent_drop"] > 0.1
