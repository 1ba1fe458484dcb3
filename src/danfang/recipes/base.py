"""A recipe: a small declarative description of how to optimise, used when the job
defines no optimizer/scheduler of its own.

>>> from danfang.recipes import get_recipe
>>> opt, sched, interval = get_recipe("sgd-cosine").build(model, settings, steps_per_epoch, epochs)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from danfang.recipes.param_groups import param_groups
from danfang.recipes.schedules import SCHEDULES, make_schedule

OPTIMIZERS = ("adamw", "sgd", "adam")
PLATEAU_MODES = (None, "min", "max")


@dataclass(frozen=True)
class Recipe:
    """Optimizer, learning rate, weight decay (never on biases or norm parameters), schedule
    and the loss/gradient options a run uses unless the job or the settings say otherwise."""

    name: str
    description: str
    optimizer: str = "adamw"            # "adamw" | "sgd" | "adam" (L2 in the gradient, not decoupled)
    lr: float = 3e-4                    # the peak LR (one-cycle) or the starting LR
    weight_decay: float = 0.0
    momentum: float = 0.9               # SGD
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    schedule: str = "constant"          # one of schedules.SCHEDULES
    warmup_epochs: float = 0.0          # linear warmup (constant, cosine)
    min_lr_ratio: float = 0.0           # floor as a fraction of lr (cosine, plateau)
    step_every: float = 0.3             # StepLR: decay every this fraction of the epochs
    step_gamma: float = 0.1
    plateau_factor: float = 0.3
    plateau_patience: int = 3
    plateau_mode: str | None = None     # None: from the monitor (the right way); "min"/"max": forced
    plateau_min_lr: bool = True         # False: min_lr=0, torch's default (no floor at all)
    pct_start: float = 0.25             # one-cycle: fraction of the steps spent warming up
    div_factor: float = 25.0            # one-cycle: start at lr / div_factor
    final_div_factor: float = 1e3       # one-cycle: end at start / final_div_factor
    label_smoothing: float | None = None
    grad_clip: float | None = None
    base_batch_size: int | None = None  # linear LR scaling reference (None: off)

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Recipe {self.name!r}: optimizer must be one of {OPTIMIZERS}, "
                             f"got {self.optimizer!r}.")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"Recipe {self.name!r}: schedule must be one of {SCHEDULES}, "
                             f"got {self.schedule!r}.")
        if self.plateau_mode not in PLATEAU_MODES:
            raise ValueError(f"Recipe {self.name!r}: plateau_mode must be one of {PLATEAU_MODES}, "
                             f"got {self.plateau_mode!r}.")
        if self.lr <= 0:
            raise ValueError(f"Recipe {self.name!r}: lr must be positive, got {self.lr!r}.")

    def with_options(self, **changes: Any) -> "Recipe":
        """A copy with the given fields changed; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def scaled_lr(self, batch_size: int, accumulate: int = 1, lr: float | None = None) -> float:
        """The linear scaling rule: ``lr x (batch_size x accumulate) / base_batch_size``.

        ``lr`` defaults to the recipe's own; without ``base_batch_size`` it is returned as is.
        """
        lr = self.lr if lr is None else lr
        if not self.base_batch_size:
            return lr
        return lr * batch_size * accumulate / self.base_batch_size

    def make_optimizer(self, model: torch.nn.Module, lr: float,
                       weight_decay: float | None = None) -> torch.optim.Optimizer:
        wd = self.weight_decay if weight_decay is None else weight_decay
        groups = param_groups(model, wd)
        if self.optimizer == "sgd":
            return torch.optim.SGD(groups, lr=lr, momentum=self.momentum, nesterov=self.nesterov)
        if self.optimizer == "adam":
            return torch.optim.Adam(groups, lr=lr, betas=self.betas)
        return torch.optim.AdamW(groups, lr=lr, betas=self.betas)

    def build(self, model: torch.nn.Module, settings: dict[str, Any], steps_per_epoch: int,
              epochs: int) -> tuple[torch.optim.Optimizer, Any, str]:
        """Return ``(optimizer, scheduler, interval)`` for ``model``.

        ``settings`` may override ``lr`` and ``weight_decay``; ``batch_size`` and
        ``accumulate`` feed the linear scaling rule; ``monitor`` sets the plateau mode.
        ``interval`` says whether the scheduler steps every optimizer ``"step"`` or ``"epoch"``.
        """
        lr = self.scaled_lr(settings["batch_size"], settings.get("accumulate", 1), settings.get("lr"))
        opt = self.make_optimizer(model, lr, settings.get("weight_decay"))
        sched, interval = make_schedule(self, opt, lr, settings.get("monitor", "val_loss"),
                                        steps_per_epoch, epochs)
        return opt, sched, interval
