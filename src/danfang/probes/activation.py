"""Shared machinery of the activation probes: forward hooks that exist only on probe steps."""

from __future__ import annotations

import abc

import torch
from torch import nn


def unit_dim(t: torch.Tensor, channels_first: bool = True) -> int:
    """The dimension that indexes units: features of ``(N, F)``; channels of a conv map
    ``(N, C, ...)``; the last dimension of a token/sequence tensor ``(N, L, D)`` in a model
    with no convolutions (``channels_first=False``)."""
    if t.ndim >= 3 and not channels_first:
        return t.ndim - 1
    return 1 if t.ndim >= 2 else 0


def has_convolutions(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.conv._ConvNd) for m in model.modules())


class ActivationProbe(abc.ABC):
    """Attach forward hooks to the activation modules of ``kinds``; :meth:`collect` returns
    ``{module name: fraction}`` (tensors on the device) and removes the hooks.

    Hooks ignore calls in eval mode, so a validation pass in between does not count.
    """

    name = ""
    kinds: tuple[type[nn.Module], ...] = ()

    def __init__(self) -> None:
        self._handles: list = []
        self._acc: dict[str, list[torch.Tensor]] = {}
        self.channels_first = True

    @property
    def attached(self) -> bool:
        return bool(self._handles)

    def modules(self, model: nn.Module) -> list[tuple[str, nn.Module]]:
        return [(n, m) for n, m in model.named_modules() if isinstance(m, self.kinds)]

    def attach(self, model: nn.Module) -> None:
        self.detach()
        self.channels_first = has_convolutions(model)
        for name, module in self.modules(model):
            self._handles.append(module.register_forward_hook(self._hook(name)))

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def _hook(self, name: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            if module.training and isinstance(output, torch.Tensor) and output.numel():
                self.accumulate(name, module, output.detach())
        return hook

    @abc.abstractmethod
    def accumulate(self, name: str, module: nn.Module, output: torch.Tensor) -> None:
        """Add one forward output of ``module`` to the running statistic of ``name``."""

    @abc.abstractmethod
    def fraction(self, acc: list[torch.Tensor]) -> torch.Tensor:
        """The fraction of units the statistic flags, from what was accumulated."""

    def collect(self) -> dict[str, torch.Tensor]:
        self.detach()
        acc, self._acc = self._acc, {}
        return {name: self.fraction(parts) for name, parts in acc.items()}
