"""Shared machinery of the activation probes: forward hooks and a function mode that exist
only on probe steps."""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import ClassVar

import torch
from torch import nn

from danfang.probes.functional import CallSites


def unit_dim(t: torch.Tensor, channels_first: bool = True) -> int:
    """The dimension that indexes units: features of ``(N, F)``; channels of a conv map
    ``(N, C, ...)``; the last dimension of a token/sequence tensor ``(N, L, D)`` in a model
    with no convolutions (``channels_first=False``)."""
    if t.ndim >= 3 and not channels_first:
        return t.ndim - 1
    return 1 if t.ndim >= 2 else 0


def _same_memory(a: object, b: torch.Tensor) -> bool:
    """``a`` is ``b`` or a view of all of it (``torch.sigmoid(z).squeeze(1)``)."""
    return a is b or isinstance(a, torch.Tensor) and a.data_ptr() == b.data_ptr() and a.numel() == b.numel()


class ActivationProbe(abc.ABC):
    """Attach forward hooks to the activation modules of ``kinds`` and watch the functional
    calls of ``functions`` (:class:`~danfang.probes.functional.CallSites`); :meth:`collect`
    returns ``{module name or call site: fraction}`` (tensors on the device) and detaches.

    Both ignore calls in eval mode, so a validation pass in between does not count.
    """

    name = ""
    kinds: ClassVar[dict[type[nn.Module], str]] = {}  # activation module type -> activation kind
    functions: ClassVar[dict[Callable, str]] = {}      # functional form -> activation kind

    #: leave out the activation whose output is the model's output: a confident classifier's
    #: output sigmoid sits in its tails by design, it is no hidden unit stuck there
    skip_model_output: ClassVar[bool] = False

    def __init__(self) -> None:
        self._handles: list = []
        self._acc: dict[str, list[torch.Tensor]] = {}
        self.channels_first = True
        self.calls = CallSites(self.functions, tuple(self.kinds), self._record)
        self.output_sites: set[str] = set()  # sites seen to produce the model's output
        self._last: tuple[str, torch.Tensor] | None = None

    @property
    def attached(self) -> bool:
        return bool(self._handles) or self.calls.attached

    def attach(self, model: nn.Module) -> None:
        self.detach()
        named = list(model.named_modules())
        self.channels_first = any(isinstance(m, nn.modules.conv._ConvNd) for _, m in named)
        kinds = tuple(self.kinds)
        for name, module in ((n, m) for n, m in named if isinstance(m, kinds)):
            kind = next(k for t, k in self.kinds.items() if isinstance(module, t))
            self._handles.append(module.register_forward_hook(self._hook(name, kind)))
        self.calls.attach(model)
        if self.skip_model_output:
            self._handles.append(model.register_forward_hook(self._model_output))

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []
        self.calls.detach()
        self._last = None

    def _hook(self, name: str, kind: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            if module.training and isinstance(output, torch.Tensor) and output.numel():
                self._record(name, kind, output)
        return hook

    def _record(self, name: str, kind: str, output: torch.Tensor) -> None:
        if self.skip_model_output:
            self._last = (name, output)  # the model's output, if the forward returns it as is
        self.accumulate(name, kind, output.detach())

    def _model_output(self, model: nn.Module, inputs: tuple, output: object) -> None:
        outs = output.values() if isinstance(output, dict) else \
            output if isinstance(output, (tuple, list)) else (output,)
        if self._last is not None and any(_same_memory(o, self._last[1]) for o in outs):
            self.output_sites.add(self._last[0])
        self._last = None

    @abc.abstractmethod
    def accumulate(self, name: str, kind: str, output: torch.Tensor) -> None:
        """Add one output of activation ``kind`` to the running statistic of ``name``."""

    @abc.abstractmethod
    def fraction(self, acc: list[torch.Tensor]) -> torch.Tensor:
        """The fraction of units the statistic flags, from what was accumulated."""

    def collect(self) -> dict[str, torch.Tensor]:
        self.detach()
        acc, self._acc = self._acc, {}
        return {name: self.fraction(parts) for name, parts in acc.items() if name not in self.output_sites}
