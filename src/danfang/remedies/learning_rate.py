"""Scale the learning rate (x0.1 or x10, or the power of ten that brings the update ratio to
~1e-3) — the repairer re-checks and repeats or undoes."""

from __future__ import annotations

import math
from typing import Any

from danfang.engine.state import State
from danfang.findings import Finding
from danfang.remedies._base import Remedy
from danfang.remedies._lr import current_ratio, scale_lr


class ScaleLR(Remedy):
    """Multiply the learning rate — of every parameter group and of the schedule's base LRs —
    by ``factor``, or further in the same direction by the power of ten that brings the
    finding's median update ratio to ~1e-3 (at most x1e4 / x1e-4). Used up to ``max_uses``
    times (each one re-checked)."""

    max_uses = 4
    target = 3e-3  # the log-centre of the 1e-3..1e-2 band healthy SGD/Adam runs show (CS231n: ~1e-3)

    def __init__(self, factor: float) -> None:
        if factor <= 0:
            raise ValueError(f"factor must be positive, got {factor}")
        self.factor = factor
        self.name = "lower_lr" if factor < 1 else "raise_lr"
        self.direction = -1 if factor < 1 else 1
        self.changes = f"learning rate x{factor:g} (optimizer groups and schedule)"

    def applies(self, state: State, finding: Finding, repairer: Any) -> bool:
        """Raising needs evidence that the steps are too small (a median update ratio under
        the target, or none measured); lowering always fits its findings."""
        if self.factor < 1:
            return True
        ratio = current_ratio(state)
        return ratio is None or ratio < self.target

    def apply(self, state: State, finding: Finding, repairer: Any) -> dict[str, Any]:
        factor = self.factor
        ratios = finding.evidence.get("update_ratio") or []
        ratio = ratios[-1] if ratios and isinstance(ratios[-1], float) else None
        if ratio and math.isfinite(ratio) and ratio > 0:
            guided = 10.0 ** max(-4, min(4, round(math.log10(self.target / ratio))))
            factor = max(factor, guided) if factor > 1 else min(factor, guided)
        before = state.lr
        after = scale_lr(state.optimizer, state.scheduler, factor)
        return {"lr": [before, after[0]], "factor": factor}
