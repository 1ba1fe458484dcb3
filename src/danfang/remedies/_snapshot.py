"""Copies of the run's weights, optimizer and schedule, to roll back to."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from danfang.engine.state import State


@dataclass
class Snapshot:
    model: dict[str, Any]
    optimizer: Any
    optimizer_state: dict[str, Any]
    scheduler: Any
    scheduler_state: dict[str, Any] | None
    step: int


def capture(state: State) -> Snapshot:
    return Snapshot(model={k: v.detach().clone() for k, v in state.model.state_dict().items()},
                    optimizer=state.optimizer, optimizer_state=copy.deepcopy(state.optimizer.state_dict()),
                    scheduler=state.scheduler,
                    scheduler_state=copy.deepcopy(state.scheduler.state_dict()) if state.scheduler is not None else None,
                    step=state.step)


def restore(state: State, snap: Snapshot, *, optimizer: bool = True) -> None:
    """Put the weights (and, unless ``optimizer=False``, the optimizer and schedule) back."""
    state.model.load_state_dict(snap.model)
    if not optimizer:
        return
    state.optimizer = snap.optimizer
    state.optimizer.load_state_dict(snap.optimizer_state)
    state.scheduler = snap.scheduler
    if snap.scheduler is not None and snap.scheduler_state is not None:
        snap.scheduler.optimizer = snap.optimizer
        snap.scheduler.load_state_dict(snap.scheduler_state)
