"""The learning-rate schedules a :class:`~danfang.recipes.Recipe` can name.

``make_schedule`` returns ``(scheduler, interval)``; ``interval`` is ``"step"`` when the
scheduler is stepped after every optimizer step and ``"epoch"`` when after every epoch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from danfang.recipes.base import Recipe

SCHEDULES = ("constant", "cosine", "step", "plateau", "one-cycle")
LR = torch.optim.lr_scheduler


class WarmupCosine:
    """LR factor: linear warmup over ``warmup`` steps, then cosine from 1 to ``floor``."""

    def __init__(self, warmup: int, total: int, floor: float) -> None:
        self.warmup, self.total, self.floor = warmup, total, floor

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        t = min(1.0, (step - self.warmup) / max(1, self.total - self.warmup))
        return self.floor + (1 - self.floor) * 0.5 * (1 + math.cos(math.pi * t))


class Warmup:
    """LR factor: linear warmup over ``warmup`` steps, then constant."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup

    def __call__(self, step: int) -> float:
        return min(1.0, (step + 1) / self.warmup)


def plateau_mode(monitor: str) -> str:
    """``ReduceLROnPlateau`` mode for the monitored metric: accuracy rises, loss falls."""
    return "max" if monitor.endswith("acc") else "min"


def make_schedule(recipe: "Recipe", opt: torch.optim.Optimizer, lr: float, monitor: str,
                  steps_per_epoch: int, epochs: int) -> tuple[Any, str]:
    steps_per_epoch = max(1, steps_per_epoch)
    total = max(1, steps_per_epoch * epochs)
    warm = int(round(recipe.warmup_epochs * steps_per_epoch))
    kind = recipe.schedule
    if kind == "cosine":
        return LR.LambdaLR(opt, WarmupCosine(warm, total, recipe.min_lr_ratio)), "step"
    if kind == "step":
        every = max(1, int(round(recipe.step_every * epochs)))
        return LR.StepLR(opt, step_size=every, gamma=recipe.step_gamma), "epoch"
    if kind == "plateau":
        floor = lr * max(recipe.min_lr_ratio, 1e-3)
        return LR.ReduceLROnPlateau(opt, mode=plateau_mode(monitor), factor=recipe.plateau_factor,
                                    patience=recipe.plateau_patience, min_lr=floor), "epoch"
    if kind == "one-cycle":
        return LR.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=recipe.pct_start,
                             div_factor=recipe.div_factor, final_div_factor=recipe.final_div_factor,
                             cycle_momentum=recipe.optimizer == "sgd"), "step"
    return (LR.LambdaLR(opt, Warmup(warm)) if warm else None), "step"
