"""Batch helpers that work for any input: a tensor, a dict of tensors or a tuple of them."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

import torch

from danfang.checks.preflight._context import NotApplicable, PreflightContext
from danfang.data import call_model


def map_tensors(obj: Any, fn: Callable[[torch.Tensor], Any]) -> Any:
    """Apply ``fn`` to every tensor inside ``obj`` (nested dicts, lists and tuples)."""
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: map_tensors(v, fn) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(map_tensors(v, fn) for v in obj)
    return obj


def tensors_in(obj: Any) -> list[torch.Tensor]:
    found: list[torch.Tensor] = []
    map_tensors(obj, found.append)
    return found


def take(x: Any, idx: torch.Tensor) -> Any:
    """Rows ``idx`` (along the sample dimension) of every tensor in the batch input ``x``."""
    return map_tensors(x, lambda t: t[idx.to(t.device)])


def repeat_twice(x: Any) -> Any:
    """The batch followed by an exact copy of itself."""
    return map_tensors(x, lambda t: torch.cat([t, t]))


def head(ctx: PreflightContext, n: int) -> tuple[Any, torch.Tensor]:
    """The first ``n`` samples ``(x, y)`` of the context's batch (checks that keep a graph or
    every activation use few samples, so a large model fits in memory)."""
    idx = torch.arange(min(n, int(ctx.y.shape[0])))
    return take(ctx.x, idx), ctx.y[idx.to(ctx.y.device)]


def zeroed(x: Any) -> Any:
    """The same batch with every input value set to zero."""
    return map_tensors(x, torch.zeros_like)


def primary_output(out: Any) -> torch.Tensor:
    """The tensor a loss is computed on: the output itself, ``.logits``, or the first tensor."""
    if isinstance(out, torch.Tensor):
        return out
    if hasattr(out, "logits") and isinstance(out.logits, torch.Tensor):
        return out.logits
    if isinstance(out, dict):
        for key in ("logits", "out", "output", "pred"):
            if isinstance(out.get(key), torch.Tensor):
                return out[key]
    found = tensors_in(out)
    if not found:
        raise NotApplicable(f"the model returned a {type(out).__name__} holding no tensor; "
                            "cannot tell which output the loss is computed on")
    return found[0]


def forward(model: torch.nn.Module, x: Any) -> torch.Tensor:
    """Call ``model`` on ``x`` and return its primary output tensor."""
    return primary_output(call_model(model, x))


@dataclass
class Output:
    """A model's raw output (tensor, dict, tuple, ``.logits`` object) and its primary tensor."""

    raw: Any
    tensor: torch.Tensor

    def replaced(self, new: torch.Tensor) -> Any:
        """The raw output with the primary tensor swapped for ``new`` (for reference losses)."""
        if self.raw is self.tensor:
            return new
        if isinstance(self.raw, dict):
            return {k: new if v is self.tensor else v for k, v in self.raw.items()}
        if isinstance(self.raw, (list, tuple)):
            return type(self.raw)(new if v is self.tensor else v for v in self.raw)
        clone = copy.copy(self.raw)
        clone.logits = new
        return clone


def run_model(model: torch.nn.Module, x: Any) -> Output:
    raw = call_model(model, x)
    return Output(raw, primary_output(raw))


def loss_of(ctx: PreflightContext, out: Output, y: torch.Tensor,
            tensor: torch.Tensor | None = None) -> torch.Tensor:
    """The loss as the trainer computes it, on the raw output — or on the raw output with
    its primary tensor replaced by ``tensor`` (a constant prediction, a repeated batch)."""
    return ctx.loss_fn(out.raw if tensor is None else out.replaced(tensor), y)


def model_device(model: torch.nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def stratified_indices(y: torch.Tensor, n: int, classification: bool) -> torch.Tensor:
    """``n`` sample indices; for classification, round-robin over the classes present so the
    batch holds as many different labels as possible (a one-label batch is trivially fit)."""
    total = int(y.shape[0])
    if not classification or y.ndim != 1:
        return torch.arange(min(n, total))
    per_class = [torch.nonzero(y.cpu() == c).flatten() for c in torch.unique(y.cpu())]
    picked: list[int] = []
    depth = 0
    while len(picked) < min(n, total):
        for idx in per_class:
            if depth < len(idx) and len(picked) < n:
                picked.append(int(idx[depth]))
        depth += 1
    return torch.tensor(sorted(picked))
