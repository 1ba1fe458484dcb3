"""The shared base of the curve checks: what they read and when they may run."""

from __future__ import annotations

import abc

from typing import ClassVar

from danfang.checks.base import Check
from danfang.checks.curves._series import MIN_EPOCHS, Curves
from danfang.findings import Finding
from danfang.task import FALLING_TASKS


class CurveCheck(Check):
    """A check that reads a run's :class:`Curves` (never the model or the data).

    ``min_epochs``: fewer logged epochs and the check stays silent. ``needs_clean_curve``:
    the check judges the curve's shape, so it stays silent when the curve is too noisy to
    read (the verdict is then ``inconclusive``).
    """

    min_epochs: ClassVar[int] = MIN_EPOCHS
    needs_clean_curve: ClassVar[bool] = True
    #: The tasks whose curves this check can read; others get one ``info`` "not judged".
    tasks: ClassVar[tuple[str, ...]] = FALLING_TASKS

    def judges(self, task: str) -> bool:
        return task in self.tasks

    def not_judged(self, task: str) -> Finding:
        return self.finding("info", (f"Not judged for the '{task}' task: its loss is not expected to fall to "
                                     "a floor (RL, GAN, contrastive and custom objectives), so its curve "
                                     f"says nothing about {self.code.replace('_', ' ')}."),
                            "Judge this run by its own metric (return, sample quality, retrieval score).",
                            evidence={"task": task})

    def applies(self, curves: Curves, readable: bool) -> bool:
        return curves.n >= self.min_epochs and curves.finite and (readable or not self.needs_clean_curve)

    @abc.abstractmethod
    def run(self, ctx: Curves) -> list[Finding]:
        """The findings this curve check reads in ``ctx``."""
