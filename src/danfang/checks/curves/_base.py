"""The shared base of the curve checks: what they read and when they may run."""

from __future__ import annotations

import abc

from typing import ClassVar

from danfang.checks.base import Check
from danfang.checks.curves._series import MIN_EPOCHS, Curves
from danfang.findings import Finding


class CurveCheck(Check):
    """A check that reads a run's :class:`Curves` (never the model or the data).

    ``min_epochs``: fewer logged epochs and the check stays silent. ``needs_clean_curve``:
    the check judges the curve's shape, so it stays silent when the curve is too noisy to
    read (the verdict is then ``inconclusive``).
    """

    min_epochs: ClassVar[int] = MIN_EPOCHS
    needs_clean_curve: ClassVar[bool] = True

    def applies(self, curves: Curves, readable: bool) -> bool:
        return curves.n >= self.min_epochs and curves.finite and (readable or not self.needs_clean_curve)

    @abc.abstractmethod
    def run(self, ctx: Curves) -> list[Finding]:
        """The findings this curve check reads in ``ctx``."""
