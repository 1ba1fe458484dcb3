"""Probes + training checks, wired for any loop: the engine, a user's loop, Lightning."""

from __future__ import annotations

from typing import Iterable

import torch

from danfang.checks.base import registered_checks
from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._history import ProbeHistory
from danfang.findings import Finding
from danfang.probes.probe_set import DEFAULT_CADENCE, ProbeSet
from danfang.probes.series import ProbeSeries


def default_checks() -> list[TrainingCheck]:
    return [cls() for cls in registered_checks("training") if issubclass(cls, TrainingCheck)]


class TrainingWatch:
    """Runs the probes the ``checks`` need every ``cadence`` steps and the checks on each
    probe sample. ``alerts`` holds what fired at the latest probe step; ``findings`` each
    (code, where) once, first occurrence; ``series`` the downsampled time series."""

    def __init__(self, model: torch.nn.Module, cadence: int = DEFAULT_CADENCE,
                 checks: Iterable[TrainingCheck] | None = None, total_steps: int | None = None,
                 start_step: int = 0, task: str | None = None) -> None:
        self.checks = default_checks() if checks is None else list(checks)
        quantities = {"loss"} | {q for c in self.checks for q in c.requires}
        self.probes = ProbeSet(model, cadence, quantities)
        self.probes.step = start_step
        self.history = ProbeHistory(model, total_steps)
        self.history.task = task
        self.series = ProbeSeries(cadence)
        self.alerts: list[Finding] = []
        self.findings: list[Finding] = []

    def before_forward(self) -> None:
        self.probes.before_forward()

    def add_loss(self, loss: torch.Tensor | float) -> None:
        self.probes.add_loss(loss)

    def after_backward(self) -> None:
        self.probes.after_backward()

    def after_step(self, epoch: int = 0, lr: float = float("nan")) -> list[Finding] | None:
        """Finish a step. On a probe step run the checks and return what fired (else None)."""
        sample = self.probes.after_step(epoch, lr)
        if sample is None:
            return None
        self.history.add(sample)
        self.series.add(sample)
        self.alerts = [f for check in self.checks for f in check.run(self.history)]
        for f in self.alerts:
            if all((g.code, g.where) != (f.code, f.where) for g in self.findings):
                self.findings.append(f)
        return self.alerts

    def close(self) -> None:
        for probe in self.probes.activations:
            probe.detach()
