"""``danfang.Monitor``: the training checks and the loop checks inside your own PyTorch loop.

Three added lines::

    mon = danfang.Monitor(model, optimizer)
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        mon.step(loss)              # after optimizer.step(), while the gradients still exist
    print(mon.report())             # or inspect mon.findings
    mon.close()                     # or: with danfang.Monitor(model, optimizer) as mon: ...

Between probe steps ``step`` costs one on-device add; every ``cadence`` steps it reads the
probes back with one host sync and runs the training checks. The loop checks
(``zero_grad`` missing, train/eval mode, a frozen or stale optimizer, loss shapes that
broadcast) watch ``model`` and ``optimizer`` through PyTorch's global module and optimizer
hooks from construction to :meth:`Monitor.close`, with no host sync. A run shorter than
``cadence`` steps is judged from its first steps when the findings are read.
"""

from __future__ import annotations

from typing import Any, Iterable

import torch

from danfang.checks.training._base import TrainingCheck
from danfang.findings import Finding
from danfang.integrations._user_loop import UserLoopWatch
from danfang.probes.probe_set import DEFAULT_CADENCE


class Monitor:
    """Watch ``model`` (and read the LR from ``optimizer``) as your loop trains it.

    ``total_steps`` (optional) lets ``update_ratio_low`` stay quiet in the last quarter of
    a planned run, where schedules anneal the LR on purpose. ``task`` (optional, one of
    ``danfang.task.TASKS``) tells the checks what the loss is: with ``"other"`` (GAN, RL,
    contrastive or custom objectives) the loss need not fall and its progress is not judged.
    ``loop_checks=False`` leaves out the loop checks (and their global hooks).
    """

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None, *,
                 cadence: int = DEFAULT_CADENCE, checks: Iterable[TrainingCheck] | None = None,
                 total_steps: int | None = None, loop_checks: bool = True, task: str | None = None) -> None:
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"Monitor(model, ...) needs a torch.nn.Module, got {type(model).__name__}.")
        if optimizer is not None and not hasattr(optimizer, "param_groups"):
            raise TypeError("Monitor(model, optimizer) needs a torch.optim.Optimizer (or None), got "
                            f"{type(optimizer).__name__}.")
        from danfang.task import TASKS

        if task is not None and task not in TASKS:
            raise ValueError(f"Monitor(task=...) must be one of {list(TASKS)} or None, got {task!r}.")
        self.model, self.optimizer = model, optimizer
        self.epoch = 0
        self._loop = UserLoopWatch(model, optimizer, cadence=cadence, checks=checks,
                                   total_steps=total_steps, loop_checks=loop_checks, task=task)
        self._loop.prepare()

    def step(self, loss: torch.Tensor | float, epoch: int | None = None) -> list[Finding]:
        """Record one training step; returns the findings that fired at this step (often [])."""
        if epoch is not None:
            self.epoch = epoch
        loop = self._loop
        loop.add_loss(loss)
        loop.after_backward()  # gradient norms; Δw is against the snapshot taken by prepare()
        lr = self.optimizer.param_groups[0]["lr"] if self.optimizer is not None else float("nan")
        alerts = loop.after_step(self.epoch, float(lr) if not isinstance(lr, torch.Tensor) else float("nan"))
        loop.prepare()
        return alerts

    @property
    def findings(self) -> list[Finding]:
        """Every (code, where) found so far, at its first occurrence: loop checks, then training
        checks; a run shorter than the cadence is judged from its first steps."""
        return self._loop.findings

    @property
    def series(self) -> dict[str, Any]:
        """The probe time series (the run.json "probes" format)."""
        return self._loop.watch.series.doc

    def report(self) -> str:
        """A plain-text summary of the findings."""
        findings, steps = self.findings, self._loop.steps
        if not findings:
            return f"danfang: no training problems found in {steps} steps."
        lines = [f"danfang: {len(findings)} finding(s) in {steps} steps:"]
        for f in findings:
            where = f" [{f.where}]" if f.where else ""
            lines.append(f"- {f.severity} {f.code}{where} at step {f.step}: {f.message}\n  fix: {f.fix}")
        return "\n".join(lines)

    def close(self) -> None:
        """Remove every hook the monitor attached (global and per-module); findings stay readable."""
        self._loop.close()

    def __enter__(self) -> "Monitor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
