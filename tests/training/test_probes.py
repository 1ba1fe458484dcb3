"""Each probe against a plain-autograd reference; hooks exist only on probe steps."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from danfang.probes import (DeadFraction, GradNorm, LossProbe, ProbeSample, ProbeSeries, ProbeSet,
                            SaturatedFraction, UpdateRatio)


def _net(act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), act(), nn.Linear(16, 8), act(), nn.Linear(8, 3))


def _backward(net: nn.Module, n: int = 32) -> None:
    x, y = torch.randn(n, 6), torch.randint(0, 3, (n,))
    nn.functional.cross_entropy(net(x), y).backward()


def test_grad_norm_matches_reference():
    net = _net()
    _backward(net)
    params = list(net.parameters())
    got = GradNorm().measure(params)
    ref = torch.stack([p.grad.norm() for p in params])
    torch.testing.assert_close(got, ref)


def test_grad_norm_is_zero_without_gradient():
    net = _net()
    assert GradNorm().measure(list(net.parameters())).eq(0).all()


def test_update_ratio_matches_reference():
    net = _net()
    params = list(net.parameters())
    opt = torch.optim.SGD(params, lr=0.1)
    _backward(net)
    before = [p.detach().clone() for p in params]
    probe = UpdateRatio()
    probe.snapshot(params)
    opt.step()
    got = probe.measure(params)
    ref = torch.stack([(p.detach() - b).norm() / b.norm() for p, b in zip(params, before)])
    torch.testing.assert_close(got, ref)
    with pytest.raises(RuntimeError, match="snapshot"):
        probe.measure(params)


def test_dead_fraction_matches_reference():
    net = _net()
    with torch.no_grad():
        net[0].bias[:10] = -100.0  # 10 of 16 units can never fire
    probe = DeadFraction()
    probe.attach(net)
    x = torch.randn(64, 6)
    net(x)
    got = {k: float(v) for k, v in probe.collect().items()}
    h = torch.relu(net[0](x))
    ref = float((h > 0).any(dim=0).logical_not().float().mean())
    assert got["1"] == pytest.approx(ref) and got["1"] >= 10 / 16
    assert not probe.attached and not net[1]._forward_hooks


def test_dead_fraction_uses_channels_of_conv_maps():
    conv = nn.Sequential(nn.Conv1d(1, 4, 3), nn.ReLU())
    with torch.no_grad():
        conv[0].bias[:] = torch.tensor([-100.0, -100.0, 0.0, 0.0])
        conv[0].weight[:2] = 0
    probe = DeadFraction()
    probe.attach(conv)
    conv(torch.randn(8, 1, 20))
    assert float(probe.collect()["1"]) == pytest.approx(0.5)


def test_dead_fraction_reads_the_feature_axis_of_token_activations():
    # (N, L, D) activations of a transformer-style MLP: units are the D features, not positions
    mlp = nn.Sequential(nn.Linear(8, 12), nn.ReLU(), nn.Linear(12, 8))
    with torch.no_grad():
        mlp[0].bias[:3] = -100.0  # 3 of 12 features never fire
    probe = DeadFraction()
    probe.attach(mlp)
    mlp(torch.randn(4, 20, 8))
    assert float(probe.collect()["1"]) == pytest.approx(3 / 12)


@pytest.mark.parametrize("act", [nn.Sigmoid, nn.Tanh])
def test_saturated_fraction_matches_reference(act):
    net = _net(act)
    with torch.no_grad():
        net[0].weight.mul_(20)
    probe = SaturatedFraction()
    probe.attach(net)
    x = torch.randn(64, 6)
    net(x)
    got = float(probe.collect()["1"])
    out = act()(net[0](x))
    centred = out * 2 - 1 if act is nn.Sigmoid else out
    assert got == pytest.approx(float((centred.abs() > 0.99).float().mean()))
    assert got > 0.3


def test_loss_probe_mean_and_non_finite():
    probe = LossProbe()
    for v in (1.0, 2.0, 3.0):
        probe.add(torch.tensor(v))
    assert float(probe.collect()) == pytest.approx(2.0)
    probe.add(torch.tensor(1.0))
    probe.add(torch.tensor(float("nan")))
    assert math.isnan(float(probe.collect()))
    assert probe.collect() is None


def test_probe_set_hooks_only_on_probe_steps():
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    probes = ProbeSet(net, cadence=3)
    samples = []
    for step in range(6):
        probes.before_forward()
        assert bool(net[1]._forward_hooks) == (step % 3 == 2)
        # the module stack of the functional-call probe: first probe step only (no calls found)
        assert bool(net[0]._forward_pre_hooks) == (step == 2)
        x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
        loss = nn.functional.cross_entropy(net(x), y)
        probes.add_loss(loss)
        loss.backward()
        probes.after_backward()
        assert not net[1]._forward_hooks and not any(m._forward_pre_hooks for m in net.modules())
        assert not torch.overrides._get_current_function_mode_stack()
        opt.step()
        opt.zero_grad()
        samples.append(probes.after_step(epoch=0, lr=0.1))
    assert [s is not None for s in samples] == [False, False, True, False, False, True]
    s = samples[2]
    assert s.step == 3 and set(s.grad_norm) == {n for n, _ in net.named_parameters()}
    assert all(v > 0 for v in s.update_ratio.values()) and set(s.dead_fraction) == {"1", "3"}
    assert s.loss is not None and math.isfinite(s.loss)


def test_probe_set_only_requested_quantities():
    net = _net()
    probes = ProbeSet(net, cadence=1, quantities=("loss",))
    probes.before_forward()
    assert not net[1]._forward_hooks and probes.grad_norm is None and probes.update_ratio is None
    with pytest.raises(ValueError, match="cadence"):
        ProbeSet(net, cadence=0)
    with pytest.raises(ValueError, match="unknown probe"):
        ProbeSet(net, quantities=("curvature",))


def test_series_stays_small():
    series = ProbeSeries(cadence=5, max_points=20, max_series=4)
    names = [f"l{i}.weight" for i in range(10)] + [f"l{i}.bias" for i in range(10)]
    for step in range(100):
        series.add(ProbeSample(step=step, epoch=0, lr=0.1, loss=1.0 / (step + 1),
                               grad_norm={n: 1.0 for n in names}))
    doc = series.doc
    assert doc["cadence"] == 5 and len(doc["loss"]) <= 20
    assert len(doc["grad_norm"]) == 4 and all(n.endswith("weight") for n in doc["grad_norm"])
    assert all(len(s) <= 20 for s in doc["grad_norm"].values())
    assert doc["loss"][0] == [0, 1.0]
