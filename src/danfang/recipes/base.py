"""A recipe: a small declarative description of how to optimise, used when the job
defines no optimizer/scheduler of its own."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import torch

from danfang.recipes.param_groups import param_groups


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    optimizer: str = "adamw"            # "adamw" | "sgd"
    lr: float = 3e-4
    weight_decay: float = 0.0
    momentum: float = 0.9
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    schedule: str = "constant"          # constant | cosine | step | plateau | one-cycle
    warmup_epochs: float = 0.0
    min_lr_ratio: float = 0.0           # floor as a fraction of lr (cosine, plateau)
    step_every: float = 0.3             # StepLR: decay every this fraction of the epochs
    step_gamma: float = 0.1
    plateau_factor: float = 0.3
    plateau_patience: int = 3
    label_smoothing: float | None = None
    grad_clip: float | None = None
    base_batch_size: int | None = None  # linear LR scaling reference (None: off)
    extra: dict[str, Any] = field(default_factory=dict)

    def with_options(self, **changes: Any) -> "Recipe":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def scaled_lr(self, batch_size: int, accumulate: int = 1) -> float:
        """The linear scaling rule: lr x (effective batch / reference batch)."""
        if not self.base_batch_size:
            return self.lr
        return self.lr * batch_size * accumulate / self.base_batch_size

    def build(self, model: torch.nn.Module, settings: dict[str, Any], steps_per_epoch: int,
              epochs: int) -> tuple[torch.optim.Optimizer, Any, str]:
        """Return ``(optimizer, scheduler, interval)`` for ``model``."""
        lr = settings.get("lr") or self.scaled_lr(settings["batch_size"], settings.get("accumulate", 1))
        wd = settings.get("weight_decay")
        wd = self.weight_decay if wd is None else wd
        groups = param_groups(model, wd)
        if self.optimizer == "sgd":
            opt: torch.optim.Optimizer = torch.optim.SGD(groups, lr=lr, momentum=self.momentum,
                                                         nesterov=self.nesterov)
        else:
            opt = torch.optim.AdamW(groups, lr=lr, betas=self.betas)
        steps_per_epoch = max(1, steps_per_epoch)
        total = max(1, steps_per_epoch * epochs)
        warm = int(round(self.warmup_epochs * steps_per_epoch))
        sched: Any = None
        interval = "step"
        floor = self.min_lr_ratio
        if self.schedule == "cosine":
            def factor(step: int) -> float:
                if step < warm:
                    return (step + 1) / warm
                t = min(1.0, (step - warm) / max(1, total - warm))
                return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))
            sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        elif self.schedule == "step":
            every = max(1, int(round(self.step_every * epochs)))
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=every, gamma=self.step_gamma)
            interval = "epoch"
        elif self.schedule == "plateau":
            mode = "max" if settings.get("monitor") == "val_acc" else "min"
            sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
                opt, mode=mode, factor=self.plateau_factor, patience=self.plateau_patience,
                min_lr=lr * max(floor, 1e-3))
            interval = "epoch"
        elif self.schedule == "one-cycle":
            sched = torch.optim.lr_scheduler.OneCycleLR(
                opt, max_lr=lr, total_steps=total, pct_start=self.extra.get("pct_start", 0.25),
                anneal_strategy="linear" if self.extra.get("linear") else "cos",
                div_factor=self.extra.get("div_factor", 25.0),
                final_div_factor=self.extra.get("final_div_factor", 1e3),
                cycle_momentum=self.optimizer == "sgd")
        elif self.schedule == "constant":
            if warm:
                sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm))
        else:
            raise ValueError(f"unknown schedule {self.schedule!r}")
        return opt, sched, interval
