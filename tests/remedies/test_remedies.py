"""Remedies one by one on a small State, the repairer's keep/undo logic, and fit --repair."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

import danfang
from danfang.checks.training import TrainingMonitor, monitor_callbacks
from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies import (FixPlateauSchedule, LRFloor, NanGuard, Reinitialise, Repairer, ScaleLR,
                              SwapActivation, SwitchToAdamW, repair_callbacks)
from danfang.remedies._base import Remedy
from danfang.remedies._snapshot import capture
from tests.conftest import HEALTHY_JOB


def _state(act: type[nn.Module] = nn.ReLU, scheduler=None, opt=None) -> State:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), act(), nn.Linear(16, 3))
    opt = opt(model.parameters()) if opt else torch.optim.SGD(model.parameters(), lr=0.1)
    state = State(model=model, optimizer=opt, loss_fn=nn.CrossEntropyLoss(), settings={"monitor": "val_loss"},
                  device=torch.device("cpu"), scheduler=scheduler(opt) if scheduler else None, epochs=4,
                  steps_per_epoch=10)
    return state


def _repairer(state: State) -> Repairer:
    rep = Repairer({})
    rep.fit_start(state)
    return rep


def _finding(code: str = "update_ratio_low", **evidence) -> Finding:
    return Finding(code=code, severity="warning", message="m", fix="f", evidence=evidence)


def test_nan_guard_keeps_weights_finite():
    state = _state()
    guard = NanGuard()
    before = [p.detach().clone() for p in state.model.parameters()]
    for p in state.model.parameters():
        p.grad = torch.full_like(p, float("nan"))
    guard.after_backward(state)
    assert state.skip_step and state.repairs[0]["action"] == "nan_guard"
    assert all(torch.equal(a, b) for a, b in zip(before, state.model.parameters()))
    state.skip_step = False
    for p in state.model.parameters():
        p.grad = torch.ones_like(p)
    guard.after_backward(state)
    assert not state.skip_step and state.repairs[0]["skipped_steps"] == 1


def test_scale_lr_moves_optimizer_and_schedule_together():
    state = _state(scheduler=lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 0.5))
    rep = _repairer(state)
    change = ScaleLR(10.0).apply(state, _finding(), rep)
    assert state.lr == pytest.approx(0.5) and state.scheduler.base_lrs == [pytest.approx(1.0)]
    assert change["factor"] == 10.0
    guided = ScaleLR(10.0).apply(state, _finding(update_ratio=[1e-7]), rep)
    assert guided["factor"] == 1e4


def test_swap_activation_and_undo():
    state = _state(nn.Sigmoid)
    rep = _repairer(state)
    swap = SwapActivation("swap_to_relu", (nn.Sigmoid,), nn.ReLU, reinit=True)
    assert swap.applies(state, _finding(), rep)
    rep._apply(state, swap, _finding("vanishing_gradients"))
    assert isinstance(state.model[1], nn.ReLU)
    swap.undo(state, rep)
    assert isinstance(state.model[1], nn.Sigmoid)
    assert torch.equal(state.model[0].weight, rep.initial.model["0.weight"])


def test_swap_leaves_an_output_activation_alone():
    model = nn.Sequential(nn.Linear(4, 4), nn.Sigmoid(), nn.Linear(4, 1), nn.Sigmoid())
    swap = SwapActivation("swap_to_relu", (nn.Sigmoid,), nn.ReLU)
    assert [n for n, _ in swap._targets(model)] == ["1"]


def test_reinitialise_fixes_zero_init():
    state = _state()
    with torch.no_grad():
        for p in state.model.parameters():
            p.zero_()
    rep = _repairer(state)
    remedy = Reinitialise(only_bad_init=True)
    assert remedy.applies(state, _finding("loss_nan"), rep)
    remedy.apply(state, _finding(), rep)
    std = float(state.model[0].weight.std())
    assert std == pytest.approx(math.sqrt(2 / 8), rel=0.3) and float(state.model[0].bias.abs().sum()) == 0
    assert not Reinitialise(only_bad_init=True).applies(_state(), _finding("loss_nan"), _repairer(_state()))


def test_fix_plateau_schedule_mode_floor_and_lr():
    state = _state(scheduler=lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, mode="max", patience=0))
    state.step = 5  # mid-run (e.g. resumed): the fit-start schedule guard does not act
    rep = _repairer(state)
    for v in (1.0, 0.9, 0.8, 0.7):
        state.scheduler.step(v)  # a falling val_loss in mode 'max' cuts the LR each time
    assert state.lr < 0.01
    remedy = FixPlateauSchedule()
    assert remedy.applies(state, _finding(), rep)
    change = remedy.apply(state, _finding(), rep)
    assert state.scheduler.mode == "min" and state.lr == pytest.approx(0.1)
    assert state.scheduler.min_lrs == [pytest.approx(1e-2)] and change["before"]["mode"] == "max"


def test_lr_floor_holds_after_scheduler_steps():
    state = _state(scheduler=lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.01))
    rep = _repairer(state)
    state.scheduler.step()
    state.scheduler.step()
    remedy = LRFloor()
    assert remedy.applies(state, _finding(), rep)
    remedy.apply(state, _finding(), rep)
    state.scheduler.step()
    remedy.epoch_end(state)
    assert state.lr == pytest.approx(0.05)


def test_switch_to_adamw_for_crushing_weight_decay():
    state = _state(opt=lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1.0))
    rep = _repairer(state)
    remedy = SwitchToAdamW()
    assert remedy.applies(state, _finding("update_ratio_high"), rep)
    remedy.apply(state, _finding("update_ratio_high"), rep)
    assert isinstance(state.optimizer, torch.optim.AdamW)
    assert state.optimizer.param_groups[0]["weight_decay"] == 0.01
    assert not SwitchToAdamW().applies(_state(opt=lambda p: torch.optim.AdamW(p)), _finding(), rep)


class _Worse(Remedy):
    name = "make_it_worse"
    changes = "multiplies the weights by 3"

    def apply(self, state, finding, repairer):
        with torch.no_grad():
            for p in state.model.parameters():
                p.mul_(3)
        return {"factor": 3}


def test_repairer_undoes_a_remedy_that_did_not_help():
    state = _state()
    rep = Repairer({"slow_convergence": [_Worse()]}, recheck=1)
    rep.fit_start(state)
    before = capture(state).model
    state.extras["probe_history"] = None
    alert = [_finding("slow_convergence")]
    state.extras["training_alerts"] = alert
    rep.batch_end(state)
    assert state.repairs[0]["action"] == "make_it_worse" and state.repairs[0]["result"] == "pending"
    state.extras["training_alerts"] = [_finding("slow_convergence")]
    rep.batch_end(state)
    assert state.repairs[0]["result"] == "undone: did not help"
    assert all(torch.equal(before[k], v) for k, v in state.model.state_dict().items())


ZERO_INIT = HEALTHY_JOB.replace(
    "return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))",
    "net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))\n"
    "    [torch.nn.init.zeros_(p) for p in net.parameters()]\n    return net").replace('"epochs": 3', '"epochs": 6')


def test_fit_repair_fixes_zero_init_and_records_it(write_job, tmp_path):
    job = write_job(ZERO_INIT)
    broken = danfang.fit(job, tmp_path / "broken", callbacks=[TrainingMonitor(5)], checkpoint=False)
    fixed = danfang.fit(job, tmp_path / "fixed", checkpoint=False,
                        callbacks=[TrainingMonitor(5), *repair_callbacks({})])
    assert fixed.best["val_acc"] > broken.best["val_acc"] + 0.3
    doc = json.loads((tmp_path / "fixed" / "run.json").read_text())
    [rec] = [r for r in doc["repairs"] if r["action"] == "reinitialise"]
    assert rec["result"] == "kept" and rec["finding"]["code"] and "loss_after" in rec["effect"]


def test_fit_repair_leaves_a_healthy_run_alone(write_job, tmp_path):
    job = write_job(HEALTHY_JOB)
    result = danfang.fit(job, tmp_path / "run", checkpoint=False,
                         callbacks=[*monitor_callbacks({}), *repair_callbacks({})])
    assert result.repairs == [] and result.findings == []


def test_fit_repair_survives_nan(write_job, tmp_path):
    body = HEALTHY_JOB.replace("settings =", "def optimizer(params):\n    return torch.optim.SGD(params, lr=1e4)\n\nsettings =")
    job = write_job(body.replace('"epochs": 3', '"epochs": 4'))
    result = danfang.fit(job, tmp_path / "run", checkpoint=False,
                         callbacks=[TrainingMonitor(5), *repair_callbacks({})])
    actions = [r["action"] for r in result.repairs]
    assert "rollback_lower_lr" in actions or "nan_guard" in actions
    assert all(torch.isfinite(p).all() for p in result.model.parameters())


@pytest.mark.slow
def test_repair_suite_meets_its_targets():
    """The planted-fault suite: >= 95% of the healthy accuracy in >= 90% of cases, <= 2x time."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import repair_suite

    rows = [repair_suite.run_case(c, 20, Path(tmp)) for c in repair_suite.CASES
            for tmp in [__import__("tempfile").mkdtemp()]]
    ok = [r for r in rows if r["after"]["acc"] >= 0.95 * r["healthy"]["acc"]]
    assert len(ok) >= 0.9 * len(rows), repair_suite.table(rows)
