"""Helpers to read and scale the learning rate of an optimizer and its schedule together."""

from __future__ import annotations

from typing import Any

import torch

LR_KEYS = ("lr", "initial_lr", "max_lr", "min_lr")


def scale_lr(optimizer: torch.optim.Optimizer, scheduler: Any, factor: float) -> list[float]:
    """Multiply every LR the optimizer and the schedule hold by ``factor``; return the new LRs."""
    for group in optimizer.param_groups:
        for key in LR_KEYS:
            if isinstance(group.get(key), (int, float)) and not isinstance(group.get(key), bool):
                group[key] = group[key] * factor
    for attr in ("base_lrs", "min_lrs", "_last_lr"):
        values = getattr(scheduler, attr, None)
        if isinstance(values, list):
            setattr(scheduler, attr, [v * factor for v in values])
    return [float(g["lr"]) for g in optimizer.param_groups]


def current_ratio(state: Any) -> float | None:
    """The latest median update ratio the training monitor measured (None when unknown)."""
    from danfang.checks.training._callback import HISTORY

    history = state.extras.get(HISTORY)
    if history is None:
        return None
    for sample in reversed(history.samples):
        ratio = history.median_weight_ratio(sample)
        if ratio is not None:
            return ratio
    return None


def uses_weight_decay(optimizer: torch.optim.Optimizer) -> float:
    """The largest ``lr x weight_decay`` over the parameter groups (the decay per step)."""
    return max((float(g.get("weight_decay", 0.0)) * float(g["lr"]) for g in optimizer.param_groups), default=0.0)
