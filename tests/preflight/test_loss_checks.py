"""init_loss_off, loss_reduction_sum, double_softmax: planted faults and healthy twins."""

from __future__ import annotations

import math

import torch
from torch import nn

from danfang.checks.preflight.double_softmax import DoubleSoftmax
from danfang.checks.preflight.init_loss import InitLossOff
from danfang.checks.preflight.loss_reduction import LossReductionSum

from tests.preflight.models import blobs, codes, mlp, regression, regressor, run


def _loud_final_layer() -> nn.Module:
    model = mlp()
    with torch.no_grad():
        model[-1].weight.mul_(30.0)
    return model


def test_init_loss_off_fires_on_a_loud_final_layer_and_names_it():
    findings = run(InitLossOff, _loud_final_layer(), blobs())
    assert codes(findings) == ["init_loss_off"]
    f = findings[0]
    assert f.where == "4" and f.severity == "warning"
    assert f.evidence["expected"] == math.log(3) and f.evidence["loss"] > 2 * math.log(3)
    assert "bias" in f.fix and len(f.evidence["suggested_bias"]) == 3


def test_init_loss_off_is_quiet_with_default_init():
    assert run(InitLossOff, mlp(), blobs()) == []


def test_init_loss_off_regression_targets_far_from_zero_suggest_the_mean_as_bias():
    x, y = regression()
    findings = run(InitLossOff, regressor(), (x, y + 50.0))
    assert codes(findings) == ["init_loss_off"]
    assert "49.9" in findings[0].fix and findings[0].evidence["target_mean"][0] > 49


def test_init_loss_off_regression_quiet_on_centred_targets():
    assert run(InitLossOff, regressor(), regression()) == []


def test_init_loss_off_nan_at_init_is_an_error():
    class Log(nn.Module):
        def forward(self, x):
            return torch.log(x - 1e6)

    findings = run(InitLossOff, nn.Sequential(nn.Linear(8, 3), Log()), blobs(), task="classification",
                   num_classes=3)
    assert [(f.code, f.severity) for f in findings] == [("init_loss_off", "error")]


def test_loss_reduction_sum_fires_on_summed_losses():
    findings = run(LossReductionSum, mlp(), blobs(), nn.CrossEntropyLoss(reduction="sum"))
    assert codes(findings) == ["loss_reduction_sum"]
    assert abs(findings[0].evidence["ratio"] - 2.0) < 1e-4

    def hand_written(out, y):
        return ((out - y) ** 2).sum()

    assert codes(run(LossReductionSum, regressor(), regression(), hand_written)) == ["loss_reduction_sum"]


def test_loss_reduction_sum_is_quiet_on_mean_losses():
    assert run(LossReductionSum, mlp(), blobs(), nn.CrossEntropyLoss()) == []
    assert run(LossReductionSum, regressor(), regression(), nn.MSELoss()) == []


def test_loss_reduction_none_says_it_cannot_apply():
    findings = run(LossReductionSum, mlp(), blobs(), nn.CrossEntropyLoss(reduction="none"))
    assert [(f.code, f.severity) for f in findings] == [("loss_reduction_sum", "info")]


class FunctionalSoftmax(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = mlp()

    def forward(self, x):
        return torch.softmax(self.net(x), dim=1)


def test_double_softmax_fires_on_a_final_softmax_module_and_names_it():
    model = nn.Sequential(mlp(), nn.Softmax(dim=1))
    findings = run(DoubleSoftmax, model, blobs(), nn.CrossEntropyLoss())
    assert codes(findings) == ["double_softmax"]
    assert findings[0].severity == "error" and findings[0].where == "1"


def test_double_softmax_fires_on_functional_softmax_and_on_probabilities_into_nll():
    assert codes(run(DoubleSoftmax, FunctionalSoftmax(), blobs(), nn.CrossEntropyLoss())) == ["double_softmax"]
    assert codes(run(DoubleSoftmax, FunctionalSoftmax(), blobs(), nn.NLLLoss())) == ["double_softmax"]


def test_double_softmax_sigmoid_into_bce_with_logits_warns():
    x, y = blobs(c=2)
    model = nn.Sequential(mlp(c=1), nn.Sigmoid())
    findings = run(DoubleSoftmax, model, (x, y.float().unsqueeze(1)), nn.BCEWithLogitsLoss())
    assert [(f.code, f.severity) for f in findings] == [("double_softmax", "warning")]


def test_double_softmax_is_quiet_on_logits_and_on_log_softmax_with_nll():
    assert run(DoubleSoftmax, mlp(), blobs(), nn.CrossEntropyLoss()) == []
    assert run(DoubleSoftmax, nn.Sequential(mlp(), nn.LogSoftmax(dim=1)), blobs(), nn.NLLLoss()) == []
    x, y = blobs(c=2)
    assert run(DoubleSoftmax, mlp(c=1), (x, y.float().unsqueeze(1)), nn.BCEWithLogitsLoss()) == []
