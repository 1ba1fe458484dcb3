"""Give a schedule that decays the LR towards zero a floor."""

from __future__ import annotations

from typing import Any

import torch

from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy


class LRFloor(Remedy):
    """When a (non-plateau) schedule has taken the LR below 1/100 of its start well before the
    end of the run: from now on keep every group's LR ≥ ``floor`` x its starting LR (clamped
    after each scheduler step) and lift it there now."""

    name = "lr_floor"
    changes = "clamps the LR to >= 0.5 x its starting value after every scheduler step"

    def __init__(self, floor: float = 0.5) -> None:
        self.floor = floor
        self.mins: list[float] = []

    def applies(self, state: State, finding: Finding, repairer: Any) -> bool:
        plateau = isinstance(state.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
        return state.scheduler is not None and not plateau and state.lr < 0.01 * repairer.initial_lrs[0]

    def apply(self, state: State, finding: Finding, repairer: Any) -> dict[str, Any]:
        self.mins = [self.floor * lr0 for lr0 in repairer.initial_lrs]
        before = state.lr
        self._clamp(state)
        return {"floor": self.mins, "lr": [before, state.lr]}

    def undo(self, state: State, repairer: Any) -> None:
        self.mins = []
        super().undo(state, repairer)

    def _clamp(self, state: State) -> None:
        for g, floor in zip(state.optimizer.param_groups, self.mins):
            g["lr"] = max(g["lr"], floor)

    def batch_end(self, state: State) -> None:
        self._clamp(state)

    def epoch_end(self, state: State) -> None:
        self._clamp(state)
