"""Functional activations (F.relu, torch.sigmoid, x.tanh()…) are probed like activation modules:
each call site against a plain reference, planted faults that fire dying_relu /
activation_saturation through a real training loop beside healthy twins that must not, and
nothing left active between probe steps."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.overrides import _get_current_function_mode_stack

import danfang
from danfang.checks.training import TrainingMonitor
from danfang.engine.state import State
from danfang.findings import Finding
from danfang.probes import DeadFraction, ProbeSet, SaturatedFraction
from danfang.probes.functional import is_call_site, is_compiled
from danfang.remedies import Repairer, ScaleLR, SwapActivation, repair_callbacks
from tests.conftest import HEALTHY_JOB, monitored_loop


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(16, 16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.fc(x)) + x.relu()  # two calls in one forward: block:relu, block:relu#2


class Mixed(nn.Module):
    """An nn.ReLU module, functional calls in a child's and in the root's forward, an in-place one."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.fc1, self.act, self.block = nn.Linear(6, 16), nn.ReLU(), Block()
        self.fc2, self.head = nn.Linear(16, 8), nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.block(self.act(self.fc1(x)))
        return self.head(torch.relu_(self.fc2(h)))


def _dead(probe: DeadFraction | SaturatedFraction) -> dict[str, float]:
    return {k: float(v) for k, v in probe.collect().items()}


def _never_active(h: torch.Tensor) -> float:
    return float((h > 0).any(dim=0).logical_not().float().mean())


def test_each_functional_call_site_is_measured_once():
    net = Mixed()
    with torch.no_grad():
        net.fc2.bias[:5] = -100.0  # 5 of 8 units behind the in-place relu_ never fire
        net.block.fc.bias[:4] = -100.0
    probe = DeadFraction()
    probe.attach(net)
    x = torch.randn(64, 6)
    out = net(x)
    got = _dead(probe)
    # the nn.ReLU once under its module name (not again as "act:relu"); F.relu -> torch.relu
    # inside it is one call, not two; x.relu() and torch.relu_ are seen
    assert set(got) == {"act", "block:relu", "block:relu#2", "Mixed:relu"}
    with torch.no_grad():
        a = torch.relu(net.fc1(x))
        h = F.relu(net.block.fc(a)) + a
        ref = {"act": _never_active(a), "block:relu": _never_active(torch.relu(net.block.fc(a))),
               "block:relu#2": _never_active(a), "Mixed:relu": _never_active(torch.relu(net.fc2(h)))}
        torch.testing.assert_close(out, net.head(torch.relu(net.fc2(h))))
    assert got == pytest.approx(ref)
    assert got["Mixed:relu"] >= 5 / 8 and got["block:relu"] >= 4 / 16


def test_functional_relu_units_follow_the_unit_dimension_rules():
    class Conv(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv1d(1, 4, 3)

        def forward(self, x):
            return F.relu(self.conv(x))

    conv = Conv()
    with torch.no_grad():
        conv.conv.bias[:] = torch.tensor([-100.0, -100.0, 0.0, 0.0])
        conv.conv.weight[:2] = 0
    probe = DeadFraction()
    probe.attach(conv)
    conv(torch.randn(8, 1, 20))
    assert _dead(probe) == {"Conv:relu": pytest.approx(0.5)}  # channels of a conv map

    class Tokens(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.up, self.down = nn.Linear(8, 12), nn.Linear(12, 8)

        def forward(self, x):
            return self.down(F.relu(self.up(x)))

    mlp = Tokens()
    with torch.no_grad():
        mlp.up.bias[:3] = -100.0  # 3 of 12 features never fire; positions are not units
    probe.attach(mlp)
    mlp(torch.randn(4, 20, 8))
    assert _dead(probe) == {"Tokens:relu": pytest.approx(3 / 12)}


def test_functional_sigmoid_and_tanh_saturation_matches_reference():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(0)
            self.a, self.b, self.c = nn.Linear(6, 16), nn.Linear(16, 16), nn.Linear(16, 3)

        def forward(self, x):
            h = torch.sigmoid(self.a(x) * 20)
            h = F.tanh(self.b(h) * 20)  # F.tanh calls x.tanh()
            return self.c(F.sigmoid(h))

    net, probe, x = Net(), SaturatedFraction(), torch.randn(64, 6)
    probe.attach(net)
    net(x)
    got = _dead(probe)
    with torch.no_grad():
        s1 = torch.sigmoid(net.a(x) * 20)
        t = torch.tanh(net.b(s1) * 20)
        s2 = torch.sigmoid(t)
    def tail(centred: torch.Tensor) -> float:
        return float((centred.abs() > 0.99).float().mean())

    assert got == pytest.approx({"Net:sigmoid": tail(s1 * 2 - 1), "Net:tanh": tail(t),
                                 "Net:sigmoid#2": tail(s2 * 2 - 1)})
    assert got["Net:sigmoid"] > 0.3 and got["Net:tanh"] > 0.3 and got["Net:sigmoid#2"] == 0.0


def test_eval_mode_calls_do_not_count():
    """Neither the module hooks (``act``) nor the mode (``block``'s and the root's calls) count
    a forward in eval mode, such as a validation pass between probe steps."""
    net = Mixed()
    probe = DeadFraction()
    probe.attach(net)
    net.eval()
    net(torch.randn(4, 6))
    assert probe.collect() == {}


def _functional_mlp(bias: float = 0.0) -> nn.Module:
    class FunctionalMLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(0)
            self.fc1, self.fc2, self.out = nn.Linear(8, 32), nn.Linear(32, 32), nn.Linear(32, 3)
            if bias:
                with torch.no_grad():
                    self.fc2.bias.fill_(bias)

        def forward(self, x):
            return self.out(F.relu(self.fc2(F.relu(self.fc1(x)))))

    return FunctionalMLP()


def test_nothing_stays_active_between_probe_steps():
    net = _functional_mlp()
    seen = []
    net.fc2.register_forward_hook(lambda m, i, o: seen.append(len(_get_current_function_mode_stack())))
    user_hooks = {id(m): (len(m._forward_hooks), len(m._forward_pre_hooks)) for m in net.modules()}
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    probes = ProbeSet(net, cadence=3)
    for step in range(6):
        probes.before_forward()
        assert not _get_current_function_mode_stack()  # on only while a module runs
        x, y = torch.randn(16, 8), torch.randint(0, 3, (16,))
        loss = F.cross_entropy(net(x), y)
        assert not _get_current_function_mode_stack()
        loss.backward()
        probes.after_backward()
        opt.step()
        opt.zero_grad()
        sample = probes.after_step()
        assert not _get_current_function_mode_stack()
        assert {id(m): (len(m._forward_hooks), len(m._forward_pre_hooks)) for m in net.modules()} == user_hooks
        assert (sample is not None) == (step % 3 == 2)
        if sample is not None:
            assert set(sample.dead_fraction) == {"FunctionalMLP:relu", "FunctionalMLP:relu#2"}
    # the modes were on the stack inside the forwards of probe steps only: one a probe at the
    # first, then only the dead fraction's (the model makes no sigmoid/tanh call)
    assert seen == [0, 0, 2, 0, 0, 1]


def test_a_model_without_functional_calls_is_not_watched_again():
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    probe = DeadFraction()
    probe.attach(net)
    assert probe.calls.attached
    net(torch.randn(4, 6))
    assert set(_dead(probe)) == {"1"}
    probe.attach(net)
    assert not probe.calls.attached and probe.attached  # the module hook stays
    functional = _functional_mlp()
    for _ in range(2):  # a model that makes such calls keeps being watched
        probe.attach(functional)
        functional(torch.randn(4, 8))
        assert set(_dead(probe)) == {"FunctionalMLP:relu", "FunctionalMLP:relu#2"}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.compile's own imports
def test_a_compiled_model_is_left_alone():
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    compiled = torch.compile(net)  # not run: only the "is compiled" branch is under test
    assert is_compiled(compiled) and not is_compiled(net)
    probe = DeadFraction()
    probe.attach(compiled)
    assert not probe.calls.attached and not any(m._forward_pre_hooks for m in net.modules())
    assert net[1]._forward_hooks  # the module hooks are as before
    probe.detach()
    assert not net[1]._forward_hooks


# -- the checks, through a real training loop ---------------------------------------------------

def _user_loop(model: nn.Module, lr: float, steps: int = 60) -> danfang.Monitor:
    mon = monitored_loop(model, lr, steps)
    assert not _get_current_function_mode_stack()
    return mon


def test_dying_relu_fires_for_a_functional_call_site():
    mon = _user_loop(_functional_mlp(bias=-50.0), lr=0.02)
    [f] = [f for f in mon.findings if f.code == "dying_relu"]
    assert f.where == "FunctionalMLP:relu#2" and f.evidence["dead_fraction"] == [1.0] * 3
    assert "`FunctionalMLP:relu#2`" in f.message


def test_functional_relu_healthy_twin_is_quiet():
    mon = _user_loop(_functional_mlp(), lr=0.02)
    assert mon.findings == [], mon.report()
    assert set(mon.series["dead_fraction"]) == {"FunctionalMLP:relu", "FunctionalMLP:relu#2"}


class SigmoidStack(nn.Module):
    """Six Linear layers, each followed by a functional sigmoid in the block's forward."""

    class Layer(nn.Module):
        def __init__(self, n_in: int, n_out: int) -> None:
            super().__init__()
            self.fc = nn.Linear(n_in, n_out)

        def forward(self, x):
            return torch.sigmoid(self.fc(x))

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.layers = nn.Sequential(self.Layer(8, 32), *[self.Layer(32, 32) for _ in range(5)])
        self.head = nn.Linear(32, 3)
        with torch.no_grad():
            for layer in self.layers:
                layer.fc.weight.mul_(scale)

    def forward(self, x):
        return self.head(self.layers(x))


def test_activation_saturation_fires_for_a_functional_sigmoid_stack():
    mon = _user_loop(SigmoidStack(scale=30.0), lr=0.02, steps=30)
    where = {f.where for f in mon.findings if f.code == "activation_saturation"}
    assert where and all(w.startswith("layers.") and w.endswith(":sigmoid") for w in where), mon.report()
    assert "layers.1:sigmoid" in where


def test_functional_sigmoid_stack_healthy_twin_does_not_saturate():
    mon = _user_loop(SigmoidStack(), lr=0.02, steps=30)
    assert "activation_saturation" not in {f.code for f in mon.findings}, mon.report()
    assert len(mon.series["saturated_fraction"]) == 6


# -- swap_activation cannot swap a call ---------------------------------------------------------

def _state(model: nn.Module) -> State:
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return State(model=model, optimizer=opt, loss_fn=nn.CrossEntropyLoss(), settings={"monitor": "val_loss"},
                 device=torch.device("cpu"), epochs=4, steps_per_epoch=10)


def _finding(where: str, code: str = "dying_relu") -> Finding:
    return Finding(code=code, severity="warning", message="m", fix="f", where=where)


def test_swap_activation_declines_functional_call_sites():
    to_leaky = SwapActivation("swap_to_leaky_relu", (nn.ReLU, nn.ReLU6), lambda: nn.LeakyReLU(0.01))
    assert is_call_site("layer1.0:relu") and not is_call_site("layer1.0.relu") and not is_call_site(None)
    only_functional = _state(_functional_mlp(bias=-50.0))
    rep = Repairer({"dying_relu": [to_leaky, ScaleLR(0.1)]})
    rep.fit_start(only_functional)
    assert not to_leaky.applies(only_functional, _finding("FunctionalMLP:relu#2"), rep)
    mixed = _state(Mixed())  # has an nn.ReLU module, but the dying site is a call
    assert not to_leaky.applies(mixed, _finding("Mixed:relu"), rep)
    assert to_leaky.applies(mixed, _finding("act"), rep)
    # the repairer goes on to the next remedy and the model keeps its activations
    only_functional.extras["training_alerts"] = [_finding("FunctionalMLP:relu#2")]
    rep.batch_end(only_functional)
    assert [r["action"] for r in only_functional.repairs] == ["lower_lr"]
    assert only_functional.lr == pytest.approx(0.01)


FUNCTIONAL_DYING = HEALTHY_JOB.replace(
    "def model():\n    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))",
    "class Net(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.fc1, self.fc2 = nn.Linear(8, 32), nn.Linear(32, 3)\n"
    "        nn.init.constant_(self.fc1.bias, -30.0)\n"
    "    def forward(self, x):\n"
    "        return self.fc2(nn.functional.relu(self.fc1(x)))\n\n"
    "def model():\n    return Net()").replace('"epochs": 3', '"epochs": 4')


def test_fit_repair_of_a_functional_dying_relu_uses_another_remedy(write_job, tmp_path):
    assert "class Net" in FUNCTIONAL_DYING
    result = danfang.fit(write_job(FUNCTIONAL_DYING), tmp_path / "run", checkpoint=False,
                         callbacks=[TrainingMonitor(5), *repair_callbacks({})])
    assert any(f.code == "dying_relu" and f.where == "Net:relu" for f in result.findings), result.findings
    actions = [r["action"] for r in result.repairs]
    assert actions and "swap_to_leaky_relu" not in actions, result.repairs
    assert not _get_current_function_mode_stack()


# -- the model's own output activation is no hidden unit ---------------------------------------

class BinaryNet(nn.Module):
    """A binary classifier ending in a sigmoid (module, functional, or a view of it), optionally
    after a deep stack of hidden sigmoids with oversized weights (the planted fault)."""

    def __init__(self, output: str, hidden_stack: bool = False) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.output = output
        self.stack = SigmoidStack(scale=30.0).layers if hidden_stack else None
        self.body = nn.Sequential(nn.Linear(32 if hidden_stack else 8, 32), nn.ReLU(), nn.Linear(32, 1))
        self.out = nn.Sigmoid()

    def forward(self, x):
        z = self.body(self.stack(x) if self.stack is not None else x)
        if self.output == "module":
            return self.out(z).squeeze(1)
        p = torch.sigmoid(z.squeeze(1))
        return p if self.output == "functional" else p.view(-1)


def _binary_loop(model: nn.Module, epochs: int = 8) -> danfang.Monitor:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1024, 8, generator=g)
    y = (x[:, 0] > 0).float()
    x[:, 0] *= 5  # well separated: a healthy model becomes confident, its output sigmoid saturates
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    mon = danfang.Monitor(model, opt, cadence=5)
    for _ in range(epochs):
        for i in range(0, len(x), 64):
            loss = F.binary_cross_entropy(model(x[i:i + 64]), y[i:i + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
            mon.step(loss)
    mon.close()
    return mon


@pytest.mark.parametrize("output", ["module", "functional", "view"])
def test_a_confident_output_sigmoid_is_not_saturation(output):
    model = BinaryNet(output)
    mon = _binary_loop(model)
    assert mon.findings == [], mon.report()
    probe = next(p for p in mon._loop.watch.probes.activations if isinstance(p, SaturatedFraction))
    assert probe.output_sites == {"out" if output == "module" else "BinaryNet:sigmoid"}
    p = model(torch.tensor([[5.0] + [0.0] * 7, [-5.0] + [0.0] * 7]))
    assert p[0] > 0.995 and p[1] < 0.005, "the output sigmoid really is in its tails"


def test_hidden_sigmoids_before_an_output_sigmoid_still_fire():
    mon = _binary_loop(BinaryNet("functional", hidden_stack=True), epochs=1)
    where = {f.where for f in mon.findings if f.code == "activation_saturation"}
    assert where and all(w.startswith("stack.") for w in where), mon.report()
