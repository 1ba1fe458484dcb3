"""Fraction of sigmoid/tanh outputs in their flat tails, where the derivative is < 2% of its peak."""

from __future__ import annotations

import torch
from torch import nn

from danfang.probes.activation import ActivationProbe

#: tanh outside (-0.99, 0.99), sigmoid outside (0.005, 0.995): both derivatives are < 2% of peak.
TAIL = 0.99


class SaturatedFraction(ActivationProbe):
    """Per ``nn.Sigmoid``/``nn.Tanh`` module: share of output elements in the flat tails."""

    name = "saturated_fraction"
    kinds = (nn.Sigmoid, nn.Tanh)

    def accumulate(self, name: str, module: nn.Module, output: torch.Tensor) -> None:
        centred = output * 2 - 1 if isinstance(module, nn.Sigmoid) else output
        hits = (centred.abs() > TAIL).sum()
        acc = self._acc.setdefault(name, [torch.zeros((), device=output.device, dtype=torch.long), 0])
        acc[0] = acc[0] + hits
        acc[1] += output.numel()

    def fraction(self, acc: list) -> torch.Tensor:
        return acc[0].float() / max(acc[1], 1)
