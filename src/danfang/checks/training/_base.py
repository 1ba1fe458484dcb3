"""The shared base of the training checks: each judges a :class:`ProbeHistory`."""

from __future__ import annotations

import abc

from typing import Any, ClassVar

from danfang.checks.base import Check
from danfang.checks.training._history import ProbeHistory
from danfang.findings import Finding
from danfang.task import expects_falling_loss
from danfang.probes.probe_set import ProbeSample


class TrainingCheck(Check):
    """A streaming check: :meth:`run` is called after every probe step with the history so far
    and returns the findings that hold *now* (the caller de-duplicates). ``requires`` names
    the probe quantities it reads, so probes nobody needs stay off."""

    requires: ClassVar[tuple[str, ...]] = ()

    @abc.abstractmethod
    def run(self, history: ProbeHistory) -> list[Finding]:
        """The findings that hold now, read from the probe history."""

    def not_judged(self, history: Any) -> list[Finding] | None:
        """One ``info`` finding when the job's task has no loss expected to fall (RL, GAN,
        contrastive, custom objectives): a check of the loss's progress cannot judge it."""
        task = getattr(history, "task", None)
        if task is None or expects_falling_loss(task) or not history.samples:
            return None
        s = history.latest
        return [self.at(s, "info", f"Not judged for the '{task}' task: its loss need not fall, so how it "
                        "moves says nothing about convergence.",
                        "Judge the run by its own metric (return, sample quality, retrieval score).",
                        task=task)]

    def at(self, sample: ProbeSample, severity: str, message: str, fix: str, *,
           where: str | None = None, **evidence: Any) -> Finding:
        """A finding stamped with the sample's epoch and step."""
        return self.finding(severity, message, fix, where=where, epoch=sample.epoch,
                            step=sample.step, evidence=evidence)


class SustainedFractionCheck(TrainingCheck):
    """Fires for each module whose ``quantity`` stayed ≥ ``threshold`` over the last
    ``sustain`` probe steps (activation statistics of a module type)."""

    quantity: ClassVar[str] = ""
    threshold: ClassVar[float] = 0.5
    sustain: ClassVar[int] = 3
    severity: ClassVar[str] = "warning"
    what: ClassVar[str] = ""
    fix: ClassVar[str] = ""

    def run(self, history: ProbeHistory) -> list[Finding]:
        window = history.last(self.sustain)
        if not window or not getattr(window[-1], self.quantity):
            return []
        out = []
        for name, value in getattr(window[-1], self.quantity).items():
            series = [getattr(s, self.quantity).get(name) for s in window]
            if all(v is not None and v >= self.threshold for v in series):
                out.append(self.at(window[-1], self.severity,
                                   f"{value:.0%} of the {self.what} in `{name}` over the last "
                                   f"{self.sustain} probe steps (threshold {self.threshold:.0%}).",
                                   self.fix, where=name, **{self.quantity: series,
                                                            "steps": [s.step for s in window]}))
        return out
