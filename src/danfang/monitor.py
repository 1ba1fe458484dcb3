"""``danfang.Monitor``: the training checks inside your own PyTorch loop.

Three added lines::

    mon = danfang.Monitor(model, optimizer)
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        mon.step(loss)              # after optimizer.step(), while the gradients still exist
    print(mon.report())             # or inspect mon.findings

Between probe steps ``step`` costs one on-device add; every ``cadence`` steps it reads the
probes back with one host sync and runs the checks.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch

from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._watch import TrainingWatch
from danfang.findings import Finding
from danfang.probes.probe_set import DEFAULT_CADENCE


class Monitor:
    """Watch ``model`` (and read the LR from ``optimizer``) as your loop trains it.

    ``total_steps`` (optional) lets ``update_ratio_low`` stay quiet in the last quarter of
    a planned run, where schedules anneal the LR on purpose.
    """

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None, *,
                 cadence: int = DEFAULT_CADENCE, checks: Iterable[TrainingCheck] | None = None,
                 total_steps: int | None = None) -> None:
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"Monitor(model, ...) needs a torch.nn.Module, got {type(model).__name__}.")
        self.model, self.optimizer = model, optimizer
        self.epoch = 0
        self._watch = TrainingWatch(model, cadence, checks, total_steps)
        self._watch.probes.prepare()

    def step(self, loss: torch.Tensor | float, epoch: int | None = None) -> list[Finding]:
        """Record one training step; returns the findings that fired at this step (often [])."""
        if epoch is not None:
            self.epoch = epoch
        watch = self._watch
        watch.add_loss(loss)
        watch.after_backward()  # gradient norms; Δw is against the snapshot taken by prepare()
        lr = float(self.optimizer.param_groups[0]["lr"]) if self.optimizer is not None else float("nan")
        alerts = watch.after_step(self.epoch, lr)
        self._watch.probes.prepare()
        return alerts or []

    @property
    def findings(self) -> list[Finding]:
        """Every (code, where) found so far, at its first occurrence."""
        return list(self._watch.findings)

    @property
    def series(self) -> dict[str, Any]:
        """The probe time series (the run.json "probes" format)."""
        return self._watch.series.doc

    def report(self) -> str:
        """A plain-text summary of the findings."""
        if not self.findings:
            return f"danfang: no training problems found in {self._watch.probes.step} steps."
        lines = [f"danfang: {len(self.findings)} finding(s) in {self._watch.probes.step} steps:"]
        for f in self.findings:
            where = f" [{f.where}]" if f.where else ""
            lines.append(f"- {f.severity} {f.code}{where} at step {f.step}: {f.message}\n  fix: {f.fix}")
        return "\n".join(lines)

    def close(self) -> None:
        """Remove any forward hooks still attached."""
        self._watch.close()
