"""Schedule faults that can be read before the first step, so ``fit --repair`` fixes them at
once instead of waiting for the update ratio to collapse.

- a ``ReduceLROnPlateau`` whose mode disagrees with the monitored metric (it would cut the
  LR every time the metric *improves*): the preflight code ``scheduler_mode_mismatch``;
- any other schedule that takes the LR below 1/100 of its start by half of the run (e.g.
  ``ExponentialLR(gamma=0.05)``), found by stepping it through the planned run and restoring
  it: the code ``lr_floor`` ("the learning rate decayed to ~0 long before the end").
"""

from __future__ import annotations

import copy
import warnings

import torch

from danfang.engine.early_stopping import monitor_mode
from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy
from danfang.remedies.lr_floor import LRFloor
from danfang.remedies.plateau import FixPlateauSchedule

Plateau = torch.optim.lr_scheduler.ReduceLROnPlateau
MAX_SIMULATED_STEPS = 20_000


def planned_lrs(state: State) -> list[float]:
    """The first group's LR at each scheduler step of the planned run (the schedule is restored)."""
    sched, opt = state.scheduler, state.optimizer
    n = state.epochs if state.scheduler_interval == "epoch" else state.epochs * state.steps_per_epoch
    n = min(n, MAX_SIMULATED_STEPS)
    saved_sched = copy.deepcopy(sched.state_dict())
    saved_groups = [{k: copy.deepcopy(v) for k, v in g.items() if k != "params"} for g in opt.param_groups]
    lrs = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(n):
                lrs.append(float(opt.param_groups[0]["lr"]))
                sched.step()
    finally:
        sched.load_state_dict(saved_sched)
        for g, saved in zip(opt.param_groups, saved_groups):
            g.update(saved)
    return lrs


def planned_schedule_faults(state: State) -> list[tuple[Finding, Remedy]]:
    sched = state.scheduler
    if sched is None:
        return []
    monitor = state.settings["monitor"]
    if isinstance(sched, Plateau):
        wanted = monitor_mode(monitor)
        if sched.mode == wanted:
            return []
        finding = Finding("scheduler_mode_mismatch", "error",
                          f"ReduceLROnPlateau(mode='{sched.mode}') watches {monitor}, which should be "
                          f"'{wanted}': it cuts the LR whenever the metric improves.",
                          f"ReduceLROnPlateau(optimizer, mode='{wanted}', min_lr=...)", phase="preflight",
                          evidence={"mode": sched.mode, "monitor": monitor})
        return [(finding, FixPlateauSchedule())]
    lrs = planned_lrs(state)
    if len(lrs) < 4 or lrs[0] <= 0:
        return []
    half = lrs[len(lrs) // 2]
    if half >= 0.01 * lrs[0]:
        return []
    finding = Finding("lr_floor", "warning",
                      f"the schedule takes the LR from {lrs[0]:.3g} to {half:.3g} by half of the run "
                      f"(1/{lrs[0] / max(half, 1e-300):.3g}); the second half would learn nothing.",
                      "Give the schedule a floor (eta_min / min_lr) or decay more slowly.",
                      evidence={"lr_start": lrs[0], "lr_half": half, "lr_end": lrs[-1]})
    # the planned decay is the fault: hold the LR at its start (a later plateau can still lower it)
    return [(finding, LRFloor(floor=1.0))]
