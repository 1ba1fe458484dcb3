"""Warm the learning rate up linearly over the next steps."""

from __future__ import annotations

from typing import Any

from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy


class Warmup(Remedy):
    """For the next ``steps`` optimizer steps, scale the LR the step uses by (k+1)/steps.

    The scaling is applied just before the step and taken back just after it, so the
    schedule keeps its own LR; a schedule that rewrites the LR every step wins on that step.
    """

    name = "warmup"
    changes = "linear LR warmup over the next steps (schedule kept)"

    def __init__(self, steps: int = 100) -> None:
        self.steps = steps
        self.k = steps
        self._set: list[tuple[float, float]] = []

    def apply(self, state: State, finding: Finding, repairer: Any) -> dict[str, Any]:
        self.k = 0
        return {"steps": self.steps}

    def undo(self, state: State, repairer: Any) -> None:
        self.k = self.steps
        super().undo(state, repairer)

    def after_backward(self, state: State) -> None:
        if self.k >= self.steps:
            return
        f = (self.k + 1) / self.steps
        self._set = []
        for g in state.optimizer.param_groups:
            self._set.append((g["lr"], g["lr"] * f))
            g["lr"] = g["lr"] * f
        self.k += 1

    def batch_end(self, state: State) -> None:
        for g, (orig, scaled) in zip(state.optimizer.param_groups, self._set):
            if g["lr"] == scaled:
                g["lr"] = orig
        self._set = []
