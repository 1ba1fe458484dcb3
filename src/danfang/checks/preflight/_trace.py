"""The model's leaf modules in the order a forward pass calls them, with their outputs.

Checks about architecture (what follows a layer, whether Dropout feeds BatchNorm, the last
module before the loss) read this instead of guessing from ``named_modules()``, whose
order is the order of definition, not of use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from danfang.checks.preflight._batch import forward, head, primary_output, tensors_in
from danfang.checks.preflight._context import PreflightContext
from danfang.recipes.param_groups import NORM_TYPES

WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
RELU_LIKE = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.CELU, nn.SELU, nn.GELU,
             nn.SiLU, nn.Mish, nn.Hardswish)
TANH_LIKE = (nn.Tanh, nn.Hardtanh, nn.Softsign)
SIGMOID_LIKE = (nn.Sigmoid, nn.Hardsigmoid)
SATURATING = TANH_LIKE + SIGMOID_LIKE
BATCHNORM = nn.modules.batchnorm._BatchNorm
DROPOUT = nn.modules.dropout._DropoutNd
NORMS = NORM_TYPES
#: Samples in the traced pass: enough to judge output rows and saturation shares.
SAMPLES = 64


@dataclass
class Call:
    """One call of a leaf module during the traced forward pass."""

    name: str
    module: nn.Module
    output: torch.Tensor | None  # kept for saturating activations and the last call only


@dataclass
class Trace:
    calls: list[Call]
    output: torch.Tensor

    def weighted(self) -> list[int]:
        """Indices of the calls to Linear/Conv layers."""
        return [i for i, c in enumerate(self.calls) if isinstance(c.module, WEIGHTED)]

    def until_next_weighted(self, i: int) -> list[Call]:
        """The calls after call ``i`` up to (not including) the next Linear/Conv layer."""
        out = []
        for c in self.calls[i + 1:]:
            if isinstance(c.module, WEIGHTED):
                break
            out.append(c)
        return out

    def final_layer(self) -> Call | None:
        """The last Linear/Conv layer called: the one producing the logits (or predictions)."""
        idx = self.weighted()
        return self.calls[idx[-1]] if idx else None

    def of_type(self, kind: Any) -> list[int]:
        return [i for i, c in enumerate(self.calls) if isinstance(c.module, kind)]


def trace(ctx: PreflightContext) -> Trace:
    """The memoised trace of one train-mode forward pass of a copy of the model on the batch."""
    return ctx.memo("trace", lambda: _trace(ctx))


def _trace(ctx: PreflightContext) -> Trace:
    model = ctx.copy_model(train=True)
    names = {m: n for n, m in model.named_modules()}
    calls: list[Call] = []

    def hook(module: nn.Module, _inputs: Any, output: Any) -> None:
        if calls and not isinstance(calls[-1].module, SATURATING):
            calls[-1].output = None  # keep only what checks read: memory stays small
        found = tensors_in(output) if not isinstance(output, torch.Tensor) else [output]
        calls.append(Call(names.get(module, "?"), module, found[0].detach() if found else None))

    handles = [m.register_forward_hook(hook) for m in model.modules() if not list(m.children())]
    try:
        with torch.no_grad():
            out = forward(model, head(ctx, SAMPLES)[0])
    finally:
        for h in handles:
            h.remove()
    return Trace(calls, primary_output(out).detach())
