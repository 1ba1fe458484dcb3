"""Stop when the monitored metric has not improved for ``patience`` epochs."""

from __future__ import annotations

import math
from typing import Any

from danfang.engine.callback import Callback
from danfang.engine.state import State


def improved(value: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    """Whether ``value`` beats ``best`` under ``mode`` ('min' or 'max')."""
    if value is None or not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


def monitor_mode(monitor: str) -> str:
    return "max" if monitor.endswith("acc") else "min"


class EarlyStopping(Callback):
    """Stops training when ``settings['monitor']`` stalls for ``patience`` epochs."""

    def __init__(self, monitor: str, patience: int, min_delta: float = 0.0) -> None:
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode = monitor_mode(monitor)
        self.best: float | None = None
        self.wait = 0

    def eval_end(self, state: State) -> None:
        value = state.metrics.get(self.monitor)
        if improved(value, self.best, self.mode, self.min_delta):
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop_training = True
            state.stop_reason = (f"early stopping: {self.monitor} did not improve for "
                                 f"{self.patience} epochs (best {self.best:.4g})")

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.wait = state["best"], state["wait"]
