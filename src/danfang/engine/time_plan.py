"""Plan a run's epochs to a wall-clock budget (``settings['time_budget_s']``, ``fit --time-budget``).

"Train as well as you can in this many seconds": ``epochs`` becomes a cap, and after each
epoch the trainer asks :class:`EpochPlan` how many epochs fit in the budget, measured on the
clock of run.json's ``wall_s`` (training, evaluation and the checkpoint hand-off of every
epoch). The trainer then re-fits the LR schedule to the planned length
(:func:`danfang.recipes.schedules.refit_schedule`).

The first epoch includes warm-up (cuDNN autotuning, ``torch.compile``, allocator growth), so
it is not trusted alone:

- after epoch 1 the plan is made from epoch 1's time, but never below 2 epochs while budget
  is left (one slow first epoch must not end the run before a steady epoch is measured);
- after epoch 2 it is made again from epoch 2's time (it may grow);
- afterwards it only ever shrinks, when the remaining epochs no longer fit at the typical
  epoch time of this session (the median of its epochs after its first, so a resumed run's
  warm-up epoch and a single slow epoch do not shrink it on their own).

The planned count is always at least the epochs done and at most the cap; the run only
starts an epoch while budget is left, so it ends within the budget plus one epoch.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any


def epochs_that_fit(done: int, remaining_s: float, epoch_s: float) -> int:
    """``done`` plus the whole epochs of ``epoch_s`` seconds that fit in ``remaining_s``."""
    if remaining_s <= 0:
        return done
    if epoch_s <= 0:
        return 1 << 30
    return done + math.floor(remaining_s / epoch_s)


@dataclass
class EpochPlan:
    """How many epochs a run with a time budget trains; lives in the checkpoint."""

    seconds: float                  # the budget
    max_epochs: int                 # the cap (settings['epochs'])
    planned: int                    # the epochs the run will train
    epoch_s: float | None = None    # the epoch time the plan was made from
    cut_schedule: str | None = None  # the scheduler that could not be re-fit to the plan

    def after_epoch(self, done: int, wall_s: float, epoch_s: float, steady_s: float | None) -> int:
        """Re-plan after ``done`` epochs of the run, at ``wall_s`` seconds of training.

        ``epoch_s``: the time of the epoch that just ended; ``steady_s``: the typical epoch
        time of this session (None when not known yet). Returns the new planned count.
        """
        remaining = self.seconds - wall_s
        if done <= 2:   # plan from epoch 1, then again from epoch 2
            fits = epochs_that_fit(done, remaining, epoch_s)
            if done == 1 and remaining > 0:
                fits = max(fits, 2)
            self.epoch_s = epoch_s
            self.planned = max(done, min(fits, self.max_epochs))
            return self.planned
        per = steady_s or self.epoch_s or epoch_s
        fits = max(done, epochs_that_fit(done, remaining, per))
        if fits < self.planned:   # running late: shrink
            self.planned, self.epoch_s = fits, per
        return self.planned

    def record(self) -> dict[str, Any]:
        """What run.json says about the plan."""
        return {"seconds": self.seconds, "max_epochs": self.max_epochs, "planned_epochs": self.planned,
                "epoch_s": None if self.epoch_s is None else round(self.epoch_s, 3),
                "schedule": self.schedule_note()}

    def schedule_note(self) -> str:
        """``re-fit``: the LR schedule follows the plan (or has no length); ``cut short (X)``: the
        job's scheduler X could not be re-fit and the run stopped before the cap;
        ``not re-fit (X)``: the same, but the run trains to the cap, so nothing was cut."""
        if self.cut_schedule is None:
            return "re-fit"
        return f"{'cut short' if self.planned < self.max_epochs else 'not re-fit'} ({self.cut_schedule})"

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.planned = int(state["planned"])
        self.epoch_s = state.get("epoch_s")
        self.cut_schedule = state.get("cut_schedule")


def typical_epoch_s(session_epochs_s: list[float]) -> float | None:
    """The median epoch time of a session after its first (warm-up) epoch; None before that."""
    steady = session_epochs_s[1:]
    return statistics.median(steady) if steady else None
