"""Fix a ReduceLROnPlateau schedule: its mode, a floor, and the LR it collapsed."""

from __future__ import annotations

from typing import Any

import torch

from danfang.engine.early_stopping import monitor_mode
from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy

Plateau = torch.optim.lr_scheduler.ReduceLROnPlateau


class FixPlateauSchedule(Remedy):
    """When the run's ``ReduceLROnPlateau`` has cut the LR below 1/10 of where it started:
    set its mode to match the monitored metric (``min`` for val_loss, ``max`` for val_acc),
    give it a floor (``floor`` x the starting LR), a patience of at least ``min_patience``
    epochs, and put the LR back to the start value."""

    name = "fix_plateau_schedule"
    changes = "ReduceLROnPlateau: mode from the monitored metric, min_lr floor, LR restored"

    def __init__(self, floor: float = 0.1, min_patience: int = 2) -> None:
        self.floor, self.min_patience = floor, min_patience

    def applies(self, state: State, finding: Finding, repairer: Any) -> bool:
        return isinstance(state.scheduler, Plateau) and state.lr < 0.1 * repairer.initial_lrs[0]

    def apply(self, state: State, finding: Finding, repairer: Any) -> dict[str, Any]:
        sched: Plateau = state.scheduler
        mode = monitor_mode(state.settings["monitor"])
        before = {"mode": sched.mode, "min_lrs": list(sched.min_lrs), "lr": state.lr, "patience": sched.patience}
        sched._init_is_better(mode=mode, threshold=sched.threshold, threshold_mode=sched.threshold_mode)
        sched._reset()
        sched.min_lrs = [max(m, self.floor * lr0) for m, lr0 in zip(sched.min_lrs, repairer.initial_lrs)]
        sched.patience = max(sched.patience, self.min_patience)  # patience 0 cuts on every noisy epoch
        for g, lr0 in zip(state.optimizer.param_groups, repairer.initial_lrs):
            g["lr"] = lr0
        return {"before": before, "after": {"mode": mode, "min_lrs": sched.min_lrs, "lr": state.lr,
                                            "patience": sched.patience}}
