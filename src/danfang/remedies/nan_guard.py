"""NaN guard: never let a non-finite gradient into the weights."""

from __future__ import annotations

from typing import Any

import torch

from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy


class NanGuard(Remedy):
    """In force from the start of a repaired run. After backward it reads the global gradient
    norm (one host sync a step — the price of never stepping on NaN) and, when it is
    non-finite, sets ``state.skip_step``. The first skip is recorded in run.json and the
    record counts the skipped steps."""

    name = "nan_guard"
    changes = "skips optimizer steps whose gradients are NaN/inf (weights never see them)"

    def __init__(self) -> None:
        self.skipped = 0
        self.record: dict[str, Any] | None = None

    def apply(self, state: State, finding: Finding, repairer: Any) -> dict[str, Any]:
        return {}

    def after_backward(self, state: State) -> None:
        grads = [p.grad for p in state.model.parameters() if p.grad is not None]
        if not grads:
            return
        total = torch.stack(torch._foreach_norm(grads)).norm()
        if torch.isfinite(total):
            return
        state.skip_step = True
        self.skipped += 1
        if self.record is None:
            self.record = state.record_repair(self.name, "non-finite gradients", skipped_steps=0,
                                              result="kept", effect="the step was skipped")
        self.record["skipped_steps"] = self.skipped
