"""Fraction of ReLU units never active (output > 0) on any sample of the probe window."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from danfang.probes.activation import ActivationProbe, unit_dim


class DeadFraction(ActivationProbe):
    """Per ``nn.ReLU``/``nn.ReLU6`` module and per functional call site (``F.relu``,
    ``torch.relu``, ``x.relu()``, ``relu_``, ``F.relu6``): share of units (features, channels
    of a conv map, or the last dimension of (N, L, D) token activations in a model without
    convolutions) whose output was 0 for every sample and position seen during the probe step."""

    name = "dead_fraction"
    kinds: ClassVar = {nn.ReLU: "relu", nn.ReLU6: "relu6"}
    functions: ClassVar = {F.relu: "relu", torch.relu: "relu", torch.relu_: "relu", torch.Tensor.relu: "relu",
                 torch.Tensor.relu_: "relu", F.relu6: "relu6"}

    def accumulate(self, name: str, kind: str, output: torch.Tensor) -> None:
        d = unit_dim(output, self.channels_first)
        dims = tuple(i for i in range(output.ndim) if i != d)
        # ReLU outputs are >= 0, so a unit is active iff its sum is > 0 (a sum over several
        # dimensions is ~5x cheaper than amax on CPU; NaN compares False either way)
        active = output.sum(dim=dims) > 0 if dims else output > 0
        prev = self._acc.get(name)
        self._acc[name] = [active if prev is None or prev[0].shape != active.shape else prev[0] | active]

    def fraction(self, acc: list[torch.Tensor]) -> torch.Tensor:
        return 1.0 - acc[0].float().mean()
