"""Shared logic of update_ratio_high and update_ratio_low."""

from __future__ import annotations

from typing import ClassVar

from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._history import ProbeHistory
from danfang.findings import Finding

HEALTHY = 1e-3  # CS231n: ‖Δw‖/‖w‖ around 1e-3 per step


class UpdateRatioCheck(TrainingCheck):
    """Fires when the median update ratio over the weight tensors stays on the wrong side of
    ``bound`` (``side`` 'above' or 'below') for ``sustain`` probe steps in a row."""

    requires = ("update_ratio",)
    bound: ClassVar[float] = HEALTHY
    side: ClassVar[str] = "above"
    sustain: ClassVar[int] = 3
    fix: ClassVar[str] = ""

    def applies(self, history: ProbeHistory) -> bool:
        return True

    def run(self, history: ProbeHistory) -> list[Finding]:
        window = history.last(self.sustain)
        if not window or not self.applies(history):
            return []
        ratios = [history.median_weight_ratio(s) for s in window]
        if any(r is None for r in ratios):
            return []
        outside = all(r > self.bound for r in ratios) if self.side == "above" else all(r < self.bound for r in ratios)
        if not outside:
            return []
        s = window[-1]
        worst = (max if self.side == "above" else min)(
            (n for n in history.weight_names if n in s.update_ratio), key=s.update_ratio.__getitem__)
        return [self.at(s, "warning", f"The median update/weight ratio ‖Δw‖/‖w‖ was {ratios[-1]:.2g} "
                        f"over the last {self.sustain} probe steps, {self.side} {self.bound:g} "
                        f"(healthy is about {HEALTHY:g}); at lr {s.lr:.3g}.",
                        self.fix, where=worst, update_ratio=ratios, lr=s.lr,
                        steps=[x.step for x in window])]
