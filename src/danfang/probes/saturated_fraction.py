"""Fraction of sigmoid/tanh outputs in their flat tails, where the derivative is < 2% of its peak."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from danfang.probes.activation import ActivationProbe

#: tanh outside (-0.99, 0.99), sigmoid outside (0.005, 0.995): both derivatives are < 2% of peak.
TAIL = 0.99


class SaturatedFraction(ActivationProbe):
    """Per ``nn.Sigmoid``/``nn.Tanh`` module and per functional call site (``torch.sigmoid``,
    ``F.sigmoid``, ``x.sigmoid()``, ``torch.tanh``, ``F.tanh``, ``x.tanh()`` and the in-place
    forms): share of output elements in the flat tails."""

    name = "saturated_fraction"
    skip_model_output = True
    kinds: ClassVar = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
    # F.sigmoid / F.tanh call x.sigmoid() / x.tanh(), which is what the mode sees
    functions: ClassVar = {torch.sigmoid: "sigmoid", torch.sigmoid_: "sigmoid", torch.Tensor.sigmoid: "sigmoid",
                 torch.Tensor.sigmoid_: "sigmoid", torch.special.expit: "sigmoid", torch.tanh: "tanh",
                 torch.tanh_: "tanh", torch.Tensor.tanh: "tanh", torch.Tensor.tanh_: "tanh"}

    def accumulate(self, name: str, kind: str, output: torch.Tensor) -> None:
        centred = output * 2 - 1 if kind == "sigmoid" else output
        hits = (centred.abs() > TAIL).sum()
        acc = self._acc.setdefault(name, [torch.zeros((), device=output.device, dtype=torch.long), 0])
        acc[0] = acc[0] + hits
        acc[1] += output.numel()

    def fraction(self, acc: list) -> torch.Tensor:
        return acc[0].float() / max(acc[1], 1)
