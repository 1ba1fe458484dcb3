"""The learning-rate schedules a :class:`~danfang.recipes.Recipe` can name.

``make_schedule`` returns ``(scheduler, interval)``; ``interval`` is ``"step"`` when the
scheduler is stepped after every optimizer step and ``"epoch"`` when after every epoch.

``refit_schedule`` re-sizes a schedule in the middle of a run when the run's length changes
(``settings['time_budget_s']``), so that it still ends where it should.
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
        floor = lr * max(recipe.min_lr_ratio, 1e-3) if recipe.plateau_min_lr else 0.0
        mode = recipe.plateau_mode or plateau_mode(monitor)
        return LR.ReduceLROnPlateau(opt, mode=mode, factor=recipe.plateau_factor,
                                    patience=recipe.plateau_patience, min_lr=floor), "epoch"
    if kind == "one-cycle":
        return LR.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=recipe.pct_start,
                             div_factor=recipe.div_factor, final_div_factor=recipe.final_div_factor,
                             cycle_momentum=recipe.optimizer == "sgd"), "step"
    return (LR.LambdaLR(opt, Warmup(warm)) if warm else None), "step"


def _schedule_length(sched: Any) -> int | None:
    """The run length (in scheduler steps) a schedule was sized to; None when it has none."""
    if isinstance(sched, LR.LambdaLR):
        totals = {f.total for f in sched.lr_lambdas if isinstance(f, WarmupCosine)}
        return totals.pop() if len(totals) == 1 else None
    if isinstance(sched, LR.OneCycleLR):
        return int(sched.total_steps)
    if isinstance(sched, LR.CosineAnnealingLR):
        return int(sched.T_max)
    return None


def _refit_one_cycle(sched: LR.OneCycleLR, total: int) -> None:
    """Rebuild OneCycleLR's phases for ``total`` steps exactly as its ``__init__`` does."""
    phases = sched._schedule_phases
    pct = (float(phases[0]["end_step"]) + 1) / sched.total_steps   # pct_start, not stored itself
    ends = [float(pct * total) - 1, float(2 * pct * total) - 2, total - 1] if len(phases) == 3 \
        else [float(pct * total) - 1, total - 1]
    # new dicts, not edits: a checkpoint snapshot may still hold the old ones
    sched._schedule_phases = [dict(phase, end_step=end) for phase, end in zip(phases, ends)]
    sched.total_steps = total


def _closed_form_lrs(sched: Any) -> list[float]:
    """The schedule's LRs at its current step, computed from scratch (not from the last LR)."""
    step = sched.last_epoch
    if isinstance(sched, LR.LambdaLR):
        return [base * fn(step) for base, fn in zip(sched.base_lrs, sched.lr_lambdas)]
    if isinstance(sched, LR.CosineAnnealingLR):
        return [sched.eta_min + (base - sched.eta_min) * (1 + math.cos(math.pi * step / sched.T_max)) / 2
                for base in sched.base_lrs]
    if isinstance(sched, LR.StepLR):
        return [base * sched.gamma ** (step // sched.step_size) for base in sched.base_lrs]
    # OneCycleLR: get_lr() is closed-form (and sets the cycled momentum too); it warns unless
    # called from step(), whose flag is set here the same way
    sched._get_lr_called_within_step = True
    try:
        return [float(lr) for lr in sched.get_lr()]
    finally:
        sched._get_lr_called_within_step = False


def can_refit(sched: Any, recipe: Recipe | None = None) -> bool:
    """Whether :func:`refit_schedule` can re-size ``sched`` (None and plateau need nothing)."""
    if sched is None or isinstance(sched, LR.ReduceLROnPlateau):
        return True
    if isinstance(sched, LR.LambdaLR):
        return all(isinstance(f, (Warmup, WarmupCosine)) for f in sched.lr_lambdas) \
            and len({f.total for f in sched.lr_lambdas if isinstance(f, WarmupCosine)}) <= 1
    if isinstance(sched, (LR.OneCycleLR, LR.CosineAnnealingLR)):
        return True
    return isinstance(sched, LR.StepLR) and recipe is not None and recipe.schedule == "step"


def refit_schedule(sched: Any, old_epochs: int, new_epochs: int, per_epoch: int,
                   recipe: Recipe | None = None) -> bool:
    """Re-size ``sched``, sized to a run of ``old_epochs`` epochs, to ``new_epochs``; return
    False (and leave it alone) when it cannot be re-sized.

    ``per_epoch``: scheduler steps an epoch (``steps_per_epoch`` for a per-step schedule, 1
    for a per-epoch one). What is re-sized:

    - ``LambdaLR`` of :class:`WarmupCosine`: its ``total`` (the warmup keeps its length);
      of :class:`Warmup` only (constant after warmup): nothing to do;
    - ``OneCycleLR``: ``total_steps`` and the phases built from it (``pct_start`` kept);
    - ``CosineAnnealingLR``: ``T_max``;
    - the ``step`` recipe's ``StepLR`` (``recipe`` given): ``step_size`` = ``step_every`` of
      the new length;
    - ``None`` and ``ReduceLROnPlateau``: nothing to do.

    A schedule of the first three kinds is re-sized only when it was sized to the run
    (its length is ``old_epochs x per_epoch``): one sized to something else is the job's own
    design. The LR for the next step is then set from the re-sized schedule's closed form, so
    the run continues on the new curve and reaches its end at the last planned step.
    """
    if sched is None or isinstance(sched, LR.ReduceLROnPlateau):
        return True
    if not can_refit(sched, recipe):
        return False
    if isinstance(sched, LR.LambdaLR) and not any(isinstance(f, WarmupCosine) for f in sched.lr_lambdas):
        return True   # warmup, then constant: no length
    old, new = max(1, old_epochs * per_epoch), max(1, new_epochs * per_epoch)
    if isinstance(sched, LR.StepLR):
        sched.step_size = max(1, round(recipe.step_every * new_epochs))  # type: ignore[union-attr]
    else:
        if _schedule_length(sched) != old:
            return False
        if isinstance(sched, LR.LambdaLR):
            for fn in sched.lr_lambdas:
                if isinstance(fn, WarmupCosine):
                    fn.total = new
        elif isinstance(sched, LR.OneCycleLR):
            _refit_one_cycle(sched, new)
        else:
            sched.T_max = new
    lrs = _closed_form_lrs(sched)
    for group, lr in zip(sched.optimizer.param_groups, lrs):
        group["lr"] = lr
    sched._last_lr = [float(g["lr"]) for g in sched.optimizer.param_groups]
    return True
