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


def test_fit_shares_stay_between_0_and_100_percent_whatever_the_references():
    from danfang.checks.preflight._fit import FitResult

    fell = [2.35, 1.2, 0.4, 0.05, 0.009]
    # a baseline the constant could not be scored on (near 0) once printed "903121009469 % left"
    assert FitResult(fell, baseline=1e-14, floor=0.0).residual() == 0.009 / 2.35
    # a floor estimated above what the fit reached: no negative share, no division by ~0
    high_floor = FitResult(fell, baseline=2.3, floor=0.5)
    assert high_floor.residual() == 0.0 and 0.0 <= high_floor.recent_drop() <= 1.0
    assert FitResult([2.0, 2.0, 2.0, 2.0], baseline=2.0, floor=2.0).residual() == 0.0
    rose = FitResult([1.0, 1.5, 3.0, 9.0], baseline=1.0, floor=0.0)
    assert rose.residual() == 1.0 and rose.recent_drop() == 0.0


def test_cannot_overfit_batch_message_is_sane_when_the_baseline_is_near_zero(monkeypatch):
    from danfang.checks.preflight import _fit

    monkeypatch.setattr(_fit, "baseline_loss", lambda ctx, out, y: 1e-14)
    x, y = regression()
    findings = run(CannotOverfitBatch, SigmoidRegressor(), (x, 3 * y))
    assert codes(findings) == ["cannot_overfit_batch"]
    assert 0.1 < findings[0].evidence["residual"] <= 1.0
    import re
    assert all(float(p) <= 100 for p in re.findall(r"([\d.]+)%", findings[0].message))
