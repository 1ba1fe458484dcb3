"""Schedule faults known before the first step are repaired at fit start (planted + healthy twins)."""

from __future__ import annotations

import pytest
import torch

from danfang.remedies import Repairer
from danfang.remedies.schedule_guard import planned_lrs, planned_schedule_faults
from tests.remedies.test_remedies import _state

Plateau = torch.optim.lr_scheduler.ReduceLROnPlateau


@pytest.mark.parametrize("make, code", [
    (lambda o: Plateau(o, mode="max", patience=0), "scheduler_mode_mismatch"),
    (lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.05), "lr_floor"),
])
def test_planted_schedule_fault_is_found_and_repaired_at_fit_start(make, code):
    state = _state(scheduler=make)
    Repairer({}).fit_start(state)
    assert [f.code for f in state.findings] == [code]
    assert state.repairs and state.repairs[0]["result"] == "pending"
    if code == "scheduler_mode_mismatch":
        assert state.scheduler.mode == "min" and state.scheduler.patience >= 2
        assert state.scheduler.min_lrs[0] == pytest.approx(0.01)


@pytest.mark.parametrize("make", [
    lambda o: Plateau(o, mode="min", min_lr=1e-4),
    lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4),
    lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.1),
    None,
])
def test_healthy_schedules_are_left_alone(make):
    state = _state(scheduler=make)
    Repairer({}).fit_start(state)
    assert state.findings == [] and state.repairs == []


def test_simulation_restores_the_schedule():
    state = _state(scheduler=lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.5))
    lrs = planned_lrs(state)
    assert lrs == pytest.approx([0.1, 0.05, 0.025, 0.0125])
    assert state.lr == pytest.approx(0.1) and state.scheduler.last_epoch == 0
    assert planned_schedule_faults(state) == []  # 1/8 at half the run: a decay, not a collapse


def test_lr_floor_holds_the_rate_through_the_run():
    state = _state(scheduler=lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.05))
    rep = Repairer({})
    rep.fit_start(state)
    for _ in range(3):
        state.scheduler.step()
        rep.epoch_end(state)
        assert state.lr == pytest.approx(0.1)
