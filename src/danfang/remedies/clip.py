"""Clip the global gradient norm."""

from __future__ import annotations

import math
from typing import Any

import torch

from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy


class ClipGradients(Remedy):
    """From now on clip the global gradient norm at ``max_norm`` (or, when the finding carries
    the early gradient norm, at 5x that) after every backward pass."""

    name = "clip_gradients"
    changes = "clips the global gradient norm every step from now on"

    def __init__(self, max_norm: float = 1.0) -> None:
        self.max_norm = max_norm
        self.active = False

    def apply(self, state: State, finding: Finding, repairer: Any) -> dict[str, Any]:
        early = finding.evidence.get("early_grad_norm")
        if isinstance(early, (int, float)) and math.isfinite(early) and early > 0:
            self.max_norm = 5.0 * early
        self.active = True
        return {"max_norm": self.max_norm}

    def undo(self, state: State, repairer: Any) -> None:
        self.active = False
        super().undo(state, repairer)

    def after_backward(self, state: State) -> None:
        if self.active:
            torch.nn.utils.clip_grad_norm_(state.model.parameters(), self.max_norm, foreach=True)
