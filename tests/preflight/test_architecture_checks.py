"""bad_init, saturating_activation, batchnorm_small_batch, dropout_with_batchnorm:
planted faults and healthy twins."""

from __future__ import annotations

import torch
from torch import nn

from danfang.checks.preflight.bad_init import BadInit
from danfang.checks.preflight.batchnorm_small_batch import BatchNormSmallBatch
from danfang.checks.preflight.dropout_with_batchnorm import DropoutWithBatchNorm
from danfang.checks.preflight.saturating_activation import SaturatingActivation

from tests.preflight.models import bn_mlp, blobs, cnn, codes, mlp, regressor, regression, run, signals


def wide_mlp(std: float | None = None, zero_hidden: bool = False) -> nn.Module:
    model = nn.Sequential(nn.Linear(8, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 3))
    with torch.no_grad():
        if std is not None:
            model[2].weight.normal_(0.0, std)
        if zero_hidden:
            model[0].weight.zero_()
    return model


def test_bad_init_constant_hidden_weights_is_an_error_naming_the_layer():
    findings = run(BadInit, wide_mlp(zero_hidden=True), blobs())
    assert [(f.code, f.severity, f.where) for f in findings] == [("bad_init", "error", "0")]


def test_bad_init_weight_scale_far_from_kaiming_in_both_directions():
    for std, direction in ((1.0, "grow"), (0.01, "shrink")):
        findings = run(BadInit, wide_mlp(std=std), blobs())
        assert [(f.code, f.severity, f.where) for f in findings] == [("bad_init", "warning", "2")]
        assert direction in findings[0].message
        ratio = findings[0].evidence["layers"][0]["ratio"]
        assert ratio > 5 if std == 1.0 else ratio < 0.2


def test_bad_init_is_quiet_on_defaults_kaiming_and_a_zero_output_layer():
    assert run(BadInit, wide_mlp(), blobs()) == []
    kaiming = wide_mlp()
    for m in kaiming:
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    zero_head = wide_mlp()
    nn.init.zeros_(zero_head[4].weight)
    assert run(BadInit, kaiming, blobs()) == []
    assert run(BadInit, zero_head, blobs()) == []
    assert run(BadInit, cnn(), signals()) == []
    big_before_bn = bn_mlp()
    nn.init.normal_(big_before_bn[3].weight, std=3.0)  # BatchNorm after it removes the scale
    assert run(BadInit, big_before_bn, blobs()) == []


def deep(act: type[nn.Module], depth: int = 4, norm: bool = False) -> nn.Module:
    layers: list[nn.Module] = [nn.Linear(8, 32)]
    for _ in range(depth - 1):
        layers += ([nn.BatchNorm1d(32)] if norm else []) + [act(), nn.Linear(32, 32)]
    return nn.Sequential(*layers, act(), nn.Linear(32, 3))


def test_saturating_activation_fires_on_a_deep_sigmoid_stack():
    findings = run(SaturatingActivation, deep(nn.Sigmoid), blobs())
    assert codes(findings) == ["saturating_activation"]
    assert findings[0].evidence["gradient_bound"] == 0.25 ** 4 and findings[0].where.startswith("1")


def test_saturating_activation_is_quiet_with_relu_norm_shallow_tanh_or_an_output_sigmoid():
    assert run(SaturatingActivation, deep(nn.ReLU), blobs()) == []
    assert run(SaturatingActivation, deep(nn.Sigmoid, norm=True), blobs()) == []
    assert run(SaturatingActivation, regressor(), regression()) == []  # two tanh layers
    output_sigmoid = nn.Sequential(mlp(c=1), nn.Sigmoid())
    x, y = blobs(c=2)
    assert run(SaturatingActivation, output_sigmoid, (x, y.float()[:, None]), nn.BCELoss()) == []


def test_batchnorm_small_batch_fires_below_16_and_is_quiet_at_32_or_without_batchnorm():
    findings = run(BatchNormSmallBatch, bn_mlp(), blobs(), batch_size=4)
    assert codes(findings) == ["batchnorm_small_batch"]
    assert findings[0].evidence["batch_size"] == 4 and findings[0].where == "1, 4"
    assert run(BatchNormSmallBatch, bn_mlp(), blobs(), batch_size=32) == []
    assert run(BatchNormSmallBatch, mlp(), blobs(), batch_size=4) == []


def test_batchnorm_small_batch_reads_the_batch_size_of_a_dataloader():
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(*blobs()), batch_size=8)
    assert codes(run(BatchNormSmallBatch, bn_mlp(), loader)) == ["batchnorm_small_batch"]


def test_dropout_with_batchnorm_fires_when_dropout_feeds_batchnorm():
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 32),
                          nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 3))
    findings = run(DropoutWithBatchNorm, model, blobs())
    assert codes(findings) == ["dropout_with_batchnorm"]
    assert findings[0].evidence["pairs"] == [{"dropout": "2", "p": 0.5, "batchnorm": "4"}]


def test_dropout_with_batchnorm_is_quiet_when_dropout_comes_after_the_last_batchnorm():
    assert run(DropoutWithBatchNorm, bn_mlp(), blobs()) == []
