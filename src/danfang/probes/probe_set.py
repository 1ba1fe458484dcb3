"""Run the probes a set of checks needs, on a cadence, with one host sync per probe step.

The call order mirrors the loop of :mod:`danfang.engine.events`::

    probes.before_forward()      # hooks attached only when this step is a probe step
    loss = ...; probes.add_loss(loss)
    loss.backward(); probes.after_backward()   # gradient norms (probe steps)
    optimizer.step(); sample = probes.after_step(epoch, lr)   # a ProbeSample or None

Between probe steps the cost is one on-device add for the loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import torch

from danfang.probes.dead_fraction import DeadFraction
from danfang.probes.grad_norm import GradNorm
from danfang.probes.loss import LossProbe
from danfang.probes.saturated_fraction import SaturatedFraction
from danfang.probes.update_ratio import UpdateRatio

DEFAULT_CADENCE = 10
QUANTITIES = ("loss", "grad_norm", "update_ratio", "dead_fraction", "saturated_fraction")


@dataclass
class ProbeSample:
    """What the probes measured at one probe step (plain floats, ready to judge)."""

    step: int
    epoch: int
    lr: float
    loss: float | None
    grad_norm: dict[str, float] = field(default_factory=dict)
    update_ratio: dict[str, float] = field(default_factory=dict)
    dead_fraction: dict[str, float] = field(default_factory=dict)
    saturated_fraction: dict[str, float] = field(default_factory=dict)


class ProbeSet:
    """The probes for ``quantities`` on ``model``'s trainable parameters, every ``cadence`` steps."""

    def __init__(self, model: torch.nn.Module, cadence: int = DEFAULT_CADENCE,
                 quantities: Iterable[str] = QUANTITIES) -> None:
        if not isinstance(cadence, int) or cadence < 1:
            raise ValueError(f"cadence must be a positive integer (probe every k steps), got {cadence!r}.")
        quantities = set(quantities)
        unknown = quantities - set(QUANTITIES)
        if unknown:
            raise ValueError(f"unknown probe quantities {sorted(unknown)}; known: {list(QUANTITIES)}.")
        self.model, self.cadence, self.quantities = model, cadence, quantities
        self.step = 0  # optimizer steps finished
        self.loss = LossProbe() if "loss" in quantities else None
        self.grad_norm = GradNorm() if "grad_norm" in quantities else None
        self.update_ratio = UpdateRatio() if "update_ratio" in quantities else None
        self.activations = [p for p in (DeadFraction(), SaturatedFraction()) if p.name in quantities]
        self._grads: torch.Tensor | None = None
        self.refresh_params()

    def refresh_params(self) -> None:
        """Re-read the model's parameters (after a remedy replaced some)."""
        named = [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]
        self.names = [n for n, _ in named]
        self.params = [p for _, p in named]

    @property
    def probing(self) -> bool:
        """Whether the step in progress is a probe step."""
        return (self.step + 1) % self.cadence == 0

    def prepare(self) -> None:
        """For loops seen only after ``optimizer.step()``: when the next step is a probe
        step, attach the hooks and snapshot the weights now."""
        if self.probing:
            self.before_forward()
            if self.update_ratio is not None:
                self.update_ratio.snapshot(self.params)

    def before_forward(self) -> None:
        if self.probing:
            for probe in self.activations:
                if not probe.attached:
                    probe.attach(self.model)

    def add_loss(self, loss: torch.Tensor | float) -> None:
        if self.loss is not None:
            self.loss.add(loss)

    def after_backward(self) -> None:
        if not self.probing:
            return
        for probe in self.activations:
            probe.detach()
        if self.grad_norm is not None:
            self._grads = self.grad_norm.measure(self.params)
        if self.update_ratio is not None and not self.update_ratio.ready:
            self.update_ratio.snapshot(self.params)  # a loop that snapshotted earlier keeps its own

    def after_step(self, epoch: int = 0, lr: float = float("nan")) -> ProbeSample | None:
        """Finish a step; on a probe step return what was measured (one host sync)."""
        probing = self.probing
        self.step += 1
        if not probing:
            return None
        parts: dict[str, tuple[list[str], torch.Tensor]] = {}
        if self._grads is not None:
            parts["grad_norm"] = (self.names, self._grads)
        if self.update_ratio is not None and self.update_ratio.ready:
            ratios = self.update_ratio.measure(self.params)
            if bool(len(ratios)):
                parts["update_ratio"] = (self.names, ratios)
        for probe in self.activations:
            found = probe.collect()
            if found:
                parts[probe.name] = (list(found), torch.stack(list(found.values())))
        loss = self.loss.collect() if self.loss is not None else None
        self._grads = None
        return self._read(parts, loss, epoch, lr)

    def _read(self, parts: dict, loss: torch.Tensor | None, epoch: int, lr: float) -> ProbeSample:
        tensors = [t.detach().float().reshape(-1) for _, t in parts.values()]
        if loss is not None:
            tensors.append(loss.detach().float().reshape(1).to(tensors[0].device if tensors else loss.device))
        flat = torch.cat(tensors).tolist() if tensors else []  # the one host sync
        sample = ProbeSample(step=self.step, epoch=epoch, lr=lr,
                             loss=flat[-1] if loss is not None else None)
        at = 0
        for key, (names, _) in parts.items():
            setattr(sample, key, dict(zip(names, flat[at:at + len(names)])))
            at += len(names)
        if sample.update_ratio and not any(sample.update_ratio.values()):
            sample.update_ratio = {}  # a skipped step (e.g. the NaN guard): no update to judge
        return sample
