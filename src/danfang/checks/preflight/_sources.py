"""Build a :class:`PreflightContext` from a loaded job or from a user's own objects."""

from __future__ import annotations

import copy
import math
from typing import Any, Callable

import torch

from danfang.checks.preflight._batch import forward, map_tensors, model_device
from danfang.checks.preflight._context import BATCH, PreflightContext
from danfang.data import DatasetSplit, as_tensor
from danfang.errors import UsageError
from danfang.job import Job, default_loss
from danfang.recipes import get_recipe
from danfang.settings import validate_settings


def context_from_job(job: Job) -> PreflightContext:
    """A fresh model, the loss, optimizer and schedule the job would train with, a train batch."""
    settings = dict(job.settings)
    model = job.make_model()
    recipe = get_recipe(None)
    if job.loss_fn is None and job.optimizer_fn is None and settings.get("label_smoothing") is None:
        loss_fn: Callable = default_loss(job.task, recipe.label_smoothing)  # as the trainer does
    else:
        loss_fn = job.make_loss()
    optimizer = job.make_optimizer(model.parameters())
    if optimizer is None:
        n, bs = len(job.splits.train), settings["batch_size"]
        optimizer, scheduler, _ = recipe.build(model, settings, max(1, math.ceil(n / bs)),
                                               settings["epochs"])
        if job.scheduler_fn is not None:
            scheduler = job.make_scheduler(optimizer)
    else:
        scheduler = job.make_scheduler(optimizer)
    x, y = random_batch(job.splits.train, BATCH, settings.get("seed", 0))
    return PreflightContext(model=model, x=x, y=y, loss_fn=loss_fn, task=job.task, settings=settings,
                            optimizer=optimizer, scheduler=scheduler, num_classes=job.num_classes)


def random_batch(split: Any, n: int, seed: int = 0) -> tuple[Any, torch.Tensor]:
    """A seeded random sample of at most ``n`` samples of a job's split, in split order (the
    first rows of a split sorted by label would hold one class: every sample "overfits")."""
    total = len(split)
    if total <= n:
        return split.arrays()
    idx = torch.randperm(total, generator=torch.Generator().manual_seed(seed))[:n].sort().values
    return split.take(idx.tolist())


def context_from_objects(model: torch.nn.Module, data: Any, loss_fn: Callable | None,
                         optimizer: torch.optim.Optimizer | None, scheduler: Any, *,
                         task: str | None, settings: dict[str, Any] | None) -> PreflightContext:
    """The context for :func:`danfang.preflight` on a user's model and data."""
    if not isinstance(model, torch.nn.Module):
        raise UsageError(f"preflight(model=...) must be a torch.nn.Module, got {type(model).__name__}.")
    raw = dict(settings or {})
    if isinstance(data, torch.utils.data.DataLoader) and "batch_size" not in raw and data.batch_size:
        raw["batch_size"] = int(data.batch_size)
    if task is not None:
        raw["task"] = task
    try:
        s = validate_settings(raw)
    except ValueError as exc:
        raise UsageError(f"preflight(settings=...): {exc}") from exc
    x, y = batch_of(data)
    device = model_device(model)
    x, y = map_tensors(x, lambda t: t.to(device)), y.to(device)
    s["task"] = s["task"] or ("regression" if y.is_floating_point() else "classification")
    num_classes = s.get("num_classes")
    if s["task"] == "classification" and num_classes is None:
        num_classes = _output_width(model, x)
    return PreflightContext(model=model, x=x, y=y, loss_fn=loss_fn or default_loss(s["task"]),
                            task=s["task"], settings=s, optimizer=optimizer, scheduler=scheduler,
                            num_classes=num_classes)


def batch_of(data: Any, limit: int = BATCH) -> tuple[Any, torch.Tensor]:
    """Up to ``limit`` samples ``(x, y)`` from a pair (X, y), a Dataset or a DataLoader."""
    if isinstance(data, torch.utils.data.DataLoader):
        xs, ys, n = [], [], 0
        for batch in data:
            if not isinstance(batch, (tuple, list)) or len(batch) < 2:
                raise UsageError("preflight(data=DataLoader) needs batches of (x, y); got a "
                                 f"{type(batch).__name__}. Pass (X, y) tensors instead.")
            xb, yb = batch[0], batch[1]
            xs.append(xb)
            ys.append(as_tensor(yb))
            n += len(ys[-1])
            if n >= limit or not isinstance(xb, torch.Tensor):
                break
        if not xs:
            raise UsageError("preflight(data=...) got an empty DataLoader.")
        x = torch.cat(xs)[:limit] if isinstance(xs[0], torch.Tensor) else xs[0]
        return x, torch.cat(ys)[:limit]
    if isinstance(data, torch.utils.data.Dataset) and not isinstance(data, (tuple, list)):
        return DatasetSplit(data).arrays(limit)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = as_tensor(data[0]), as_tensor(data[1])
        return x[:limit], y[:limit]
    raise UsageError("preflight(data=...) must be a pair (X, y), a torch Dataset yielding (x, y) or "
                     f"a DataLoader; got {type(data).__name__}.")


def _output_width(model: torch.nn.Module, x: Any) -> int | None:
    probe = copy.deepcopy(model).eval()
    with torch.no_grad():
        out = forward(probe, map_tensors(x, lambda t: t[:2]))
    return int(out.shape[1]) if out.ndim >= 2 else None
