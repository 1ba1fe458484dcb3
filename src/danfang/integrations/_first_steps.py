"""The first steps of a run that danfang watches on a cadence: judged only when the run ends
before the cadence's first probe step (issue 11: an LBFGS loop of 5 steps, a short fine-tune).

The probes run on steps 1..``steps`` and keep what they measured on the device; the losses
of the later steps are kept too (detached). Nothing is read back while the run trains: once
the cadence's first probe sample exists the kept tensors are dropped unread; otherwise
:meth:`FirstSteps.judge` reads them back (one sync per sample, at judgement time only) and
runs the training checks on them.
"""

from __future__ import annotations

from typing import Iterable

import torch

from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._history import ProbeHistory
from danfang.findings import Finding
from danfang.probes.probe_set import ProbeSample, ProbeSet

FIRST_STEPS = 3

#: Checks that judge a run's steady state, not its first steps: Adam's bias-corrected first
#: update, an LBFGS line search and a warm-up's tiny first learning rates all move the
#: weights by amounts far from the ~1e-3 band on purpose.
STEADY_STATE_ONLY = frozenset({"update_ratio_high", "update_ratio_low"})


class _DeferredProbes(ProbeSet):
    """A cadence-1 :class:`ProbeSet` whose samples stay on the device until :meth:`read`."""

    def __init__(self, model: torch.nn.Module, quantities: Iterable[str]) -> None:
        super().__init__(model, 1, quantities)
        self.pending: list[tuple[int, dict, torch.Tensor | None, int, float]] = []

    def _read(self, parts: dict, loss: torch.Tensor | None, epoch: int, lr: float) -> None:  # type: ignore[override]
        self.pending.append((self.step, parts, loss, epoch, lr))
        return None

    def read(self) -> list[ProbeSample]:
        """The kept samples as plain floats (one host sync each); forgets them."""
        now, out = self.step, []
        try:
            for step, parts, loss, epoch, lr in self.pending:
                self.step = step
                out.append(ProbeSet._read(self, parts, loss, epoch, lr))
        finally:
            self.step, self.pending = now, []
        return out


class FirstSteps:
    """Probe the first ``steps`` optimizer steps of ``model`` without a host sync, keep the
    later losses, and judge them with ``checks`` if the cadence never sampled the run."""

    def __init__(self, model: torch.nn.Module, checks: list[TrainingCheck], total_steps: int | None = None,
                 steps: int = FIRST_STEPS, task: str | None = None) -> None:
        self.model, self.total_steps, self.steps, self.task = model, total_steps, steps, task
        self.checks = [c for c in checks if c.code not in STEADY_STATE_ONLY]
        quantities = {"loss"} | {q for c in self.checks for q in c.requires}
        self.probes = _DeferredProbes(model, quantities)
        self.samples: list[ProbeSample] = []
        self.tail: list[torch.Tensor] = []   # the losses after the probed steps (detached)
        self.dropped = False
        self.done = 0                         # optimizer steps finished
        self.epoch, self.lr = 0, float("nan")

    @property
    def probing(self) -> bool:
        return not self.dropped and self.done < self.steps

    def prepare(self) -> None:
        if self.probing:
            self.probes.prepare()

    def before_forward(self) -> None:
        if self.probing:
            self.probes.before_forward()

    def add_loss(self, loss: torch.Tensor | float) -> None:
        if self.dropped:
            return
        if self.probing:
            self.probes.add_loss(loss)
        else:
            self.tail.append(loss.detach() if isinstance(loss, torch.Tensor) else torch.tensor(float(loss)))

    def after_backward(self) -> None:
        if self.probing:
            self.probes.after_backward()

    def after_step(self, epoch: int, lr: float) -> None:
        if self.dropped:
            return
        if self.probing:
            self.probes.after_step(epoch, lr)
            if self.done + 1 >= self.steps:
                self.close()
        self.done += 1
        self.epoch, self.lr = epoch, lr

    def drop(self) -> None:
        """The cadence has sampled the run: forget everything, unread."""
        self.close()
        self.dropped, self.tail, self.samples, self.probes.pending = True, [], [], []

    def close(self) -> None:
        for probe in self.probes.activations:
            probe.detach()

    def _tail_sample(self) -> ProbeSample | None:
        if not self.tail:
            return None
        mean = torch.stack([t.float().reshape(()).cpu() for t in self.tail]).mean()
        return ProbeSample(step=self.done, epoch=self.epoch, lr=self.lr, loss=float(mean))

    def judge(self) -> list[Finding]:
        """The training findings of the steps seen so far, each (code, where) once."""
        if self.dropped:
            return []
        self.samples += self.probes.read()
        samples = list(self.samples)
        tail = self._tail_sample()
        if tail is not None:
            samples.append(tail)
        history = ProbeHistory(self.model, self.total_steps)
        history.task = self.task
        found: list[Finding] = []
        for sample in samples:
            history.add(sample)
            for check in self.checks:
                for f in check.run(history):
                    if all((g.code, g.where) != (f.code, f.where) for g in found):
                        found.append(f)
        return found
