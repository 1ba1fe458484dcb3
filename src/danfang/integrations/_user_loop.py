"""danfang's checks for a loop it does not drive: the one engine under ``danfang.Monitor``,
the Lightning callback and the Hugging Face ``TrainerCallback``.

Three parts, each (code, where) reported once:

- the training checks every ``cadence`` steps (:class:`TrainingWatch`, as in ``danfang fit``);
- the same checks on the first steps when the run ends before the first cadence probe
  (:class:`~danfang.integrations._first_steps.FirstSteps`);
- the loop checks (``danfang.checks.loop``: ``zero_grad`` missing, train/eval mode, what the
  optimizer holds, loss shapes) through :class:`~danfang.loop.LoopObserver`'s global hooks.

The caller reports the loop's events in this order (each as it can see them)::

    before_forward()   add_loss(loss)   after_backward()   after_step(epoch, lr)   prepare()
"""

from __future__ import annotations

import weakref
from typing import Iterable

import torch

from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._watch import TrainingWatch
from danfang.findings import Finding
from danfang.integrations._first_steps import FIRST_STEPS, FirstSteps


def _merge(*groups: list[Finding]) -> list[Finding]:
    out: list[Finding] = []
    for group in groups:
        for f in group:
            if all((g.code, g.where) != (f.code, f.where) for g in out):
                out.append(f)
    return out


class LoopFindingsView:
    """The part the Lightning and Hugging Face callbacks share: their options, and what a
    callback built on a :class:`UserLoopWatch` (its ``loop``, None before training starts)
    shows: ``findings``, ``series``, a plain-text ``report()``, new findings printed once."""

    loop: "UserLoopWatch | None" = None

    def __init__(self, cadence: int, checks: Iterable[TrainingCheck] | None, verbose: bool,
                 loop_checks: bool) -> None:
        self.cadence, self.verbose, self.loop_checks = cadence, verbose, loop_checks
        self.checks = None if checks is None else list(checks)
        self.loop = None

    def _print_new(self) -> None:
        if self.verbose and self.loop is not None:
            for f in self.loop.new_findings():
                print(f"danfang: {f.severity} {f.code}" + (f" [{f.where}]" if f.where else "") + f": {f.message}")

    @property
    def findings(self) -> list[Finding]:
        return self.loop.findings if self.loop else []

    @property
    def series(self) -> dict:
        return self.loop.watch.series.doc if self.loop else {}

    def report(self) -> str:
        if not self.findings:
            return "danfang: no training problems found."
        return "\n".join(f"- {f.severity} {f.code}" + (f" [{f.where}]" if f.where else "") +
                         f" at step {f.step}: {f.message}\n  fix: {f.fix}" for f in self.findings)


class UserLoopWatch:
    """Watch ``model`` (stepped by ``optimizer``, or by any optimizer when None) in a loop
    danfang does not drive.

    ``observe`` limits the loop observer to ``model`` and ``optimizer`` (``Monitor``); a
    framework callback passes ``observe=False`` so the observer sees every module and
    optimizer of the process while the framework trains (a LightningModule's
    ``training_step`` calls ``self.net(x)``, not the module itself; Accelerate wraps the
    optimizer).
    """

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None, *,
                 cadence: int, checks: Iterable[TrainingCheck] | None = None,
                 total_steps: int | None = None, loop_checks: bool = True, observe: bool = True,
                 task: str | None = None) -> None:
        self.task = task
        self.watch = TrainingWatch(model, cadence, checks, total_steps, task=task)
        self.first = (FirstSteps(model, self.watch.checks, total_steps, task=task)
                      if cadence > FIRST_STEPS else None)
        self.observer = None
        self._reported: list[Finding] = []
        self._loop_known = 0
        if loop_checks:
            from danfang.loop import LoopObserver

            self.observer = LoopObserver(cadence, model=model if observe else None,
                                         optimizer=optimizer if observe else None, training_checks=False)
            self.observer.attach()
            # a loop that never calls close(): its global hooks go with this object
            self._finalizer = weakref.finalize(self, self.observer.detach)

    # ---- the loop's events ---------------------------------------------------------------
    def prepare(self) -> None:
        """After ``optimizer.step()``, for loops seen only then: ready the next step's probes."""
        self.watch.probes.prepare()
        if self.first is not None:
            self.first.prepare()

    def before_forward(self) -> None:
        self.watch.before_forward()
        if self.first is not None:
            self.first.before_forward()

    def add_loss(self, loss: torch.Tensor | float) -> None:
        self.watch.add_loss(loss)
        if self.first is not None:
            self.first.add_loss(loss)

    def after_backward(self) -> None:
        self.watch.after_backward()
        if self.first is not None:
            self.first.after_backward()

    def after_step(self, epoch: int = 0, lr: float = float("nan")) -> list[Finding]:
        """Finish an optimizer step; returns what fired at it (on probe steps; else [])."""
        if self.first is not None:
            self.first.after_step(epoch, lr)
        if self.watch.probes.probing:
            self._share_with_observer()
        alerts = self.watch.after_step(epoch, lr)
        if alerts is None:
            return []
        if self.first is not None and self.watch.history.samples:
            self.first.drop()  # the cadence sees the run now; the first steps need no judging
            self.first = None
        loop: list[Finding] = []
        if self.observer is not None:
            loop = self.observer.findings[self._loop_known:]
            self._loop_known += len(loop)
        return _merge(loop, alerts)

    def _share_with_observer(self) -> None:
        """What each side knows that the other judges with, as the observer does for its own
        training watch under ``danfang watch``: the latest median update ratio (read by
        ``labels_misaligned``) goes to the loop record; the observer's view of the objective
        (two models stepped in turns, e.g. a GAN: a loss that need not fall) becomes the task
        of the training checks, unless the caller named one."""
        observer, history = self.observer, self.watch.history
        if observer is None:
            return
        if history.samples and history.latest.update_ratio:
            ratios = sorted(history.latest.update_ratio.values())
            observer.record.update_ratio = ratios[len(ratios) // 2]
        if self.task is None:
            history.task = "other" if observer.objective_need_not_fall() else None

    # ---- what was found ------------------------------------------------------------------
    @property
    def steps(self) -> int:
        return self.watch.probes.step

    @property
    def findings(self) -> list[Finding]:
        """Loop findings first (they name causes), then the training findings; judged now."""
        self._share_with_observer()
        loop = self.observer.findings if self.observer is not None else []
        early = self.first.judge() if self.first is not None and not self.watch.history.samples else []
        found = _merge(loop, self.watch.findings, early)
        from danfang.watch.runner import attribute_symptoms

        return attribute_symptoms(found)

    def new_findings(self) -> list[Finding]:
        """The findings not returned by an earlier call (for callbacks that print as they go)."""
        new = [f for f in self.findings if all((g.code, g.where) != (f.code, f.where) for g in self._reported)]
        self._reported += new
        return new

    def close(self) -> None:
        """Remove every hook (the observer's global ones and the probes'); findings stay readable."""
        self.watch.close()
        if self.first is not None:
            self.first.close()
        if self.observer is not None:
            self._finalizer()
