"""The learning-rate range test (Smith 2017; fastai's ``lr_find``), repeated to give an
uncertainty.

Train a fresh model for ``steps`` batches while the LR grows geometrically from ``min_lr``
to ``max_lr``; smooth the loss (debiased EMA); stop once it exceeds 4x its best. The
suggestion of one sweep is the LR of the minimum smoothed loss divided by 10 (the usual
"an order of magnitude before the minimum" rule). Sweeps with other seeds and batch orders
give a spread: the report is the geometric mean and a x/÷ factor (geometric std).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from danfang.data import call_model, to_device
from danfang.engine.trainer import resolve_device
from danfang.errors import UsageError
from danfang.job import Job
from danfang.recipes import get_recipe
from danfang.seeding import seed_everything


@dataclass
class Sweep:
    lrs: list[float]
    losses: list[float]          # smoothed
    suggestion: float | None
    min_loss_lr: float | None


@dataclass
class LRFinderResult:
    sweeps: list[Sweep]
    suggestion: float | None
    low: float | None
    high: float | None
    factor: float | None          # geometric std across sweeps
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"suggestion": self.suggestion, "low": self.low, "high": self.high, "factor": self.factor,
                "notes": self.notes,
                "sweeps": [{"suggestion": s.suggestion, "min_loss_lr": s.min_loss_lr, "lr": s.lrs,
                            "loss": s.losses} for s in self.sweeps]}


def _sweep(job: Job, seed: int, steps: int, min_lr: float, max_lr: float, device: torch.device) -> Sweep:
    seed_everything(seed)
    model = job.make_model().to(device)
    model.train()
    loss_fn = job.make_loss()
    opt = job.make_optimizer(model.parameters())
    if opt is None:
        opt, _, _ = get_recipe(None).build(model, job.settings, steps, 1)
    gamma = (max_lr / min_lr) ** (1.0 / max(1, steps - 1))
    lrs, smoothed = [], []
    avg, best = 0.0, math.inf
    epoch, step = 0, 0
    while step < steps:
        for batch in job.splits.train.batches(job.settings["batch_size"], shuffle=True, seed=seed,
                                              epoch=epoch, drop_singleton=True):
            lr = min_lr * gamma ** step
            for group in opt.param_groups:
                group["lr"] = lr
            x, y = to_device(batch[0], device), to_device(batch[1], device)
            loss = loss_fn(call_model(model, x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            value = float(loss.detach())
            if not math.isfinite(value):
                step = steps
                break
            avg = 0.98 * avg + 0.02 * value
            s = avg / (1 - 0.98 ** (step + 1))
            lrs.append(lr)
            smoothed.append(s)
            best = min(best, s)
            step += 1
            if s > 4 * best or step >= steps:
                step = steps
                break
        epoch += 1
    if len(smoothed) < 5:
        return Sweep(lrs, smoothed, None, None)
    i = int(np.argmin(smoothed))
    return Sweep(lrs, smoothed, lrs[i] / 10, lrs[i])


def find_lr(job: Job, *, repeats: int = 3, steps: int = 100, min_lr: float = 1e-7, max_lr: float = 10.0,
            device: str | None = None) -> LRFinderResult:
    """Run ``repeats`` range tests and combine their suggestions. Never touches the job's state."""
    if not (0 < min_lr < max_lr):
        raise UsageError(f"lr-find needs 0 < min_lr < max_lr, got min_lr={min_lr}, max_lr={max_lr}.")
    if repeats < 1 or steps < 10:
        raise UsageError(f"lr-find needs repeats >= 1 and steps >= 10, got {repeats} and {steps}.")
    dev = resolve_device(device or job.settings["device"])
    cpu_state = torch.get_rng_state()
    try:
        sweeps = [_sweep(job, job.settings["seed"] + r, steps, min_lr, max_lr, dev) for r in range(repeats)]
    finally:
        torch.set_rng_state(cpu_state)
    good = [s.suggestion for s in sweeps if s.suggestion is not None]
    notes = []
    if len(good) < len(sweeps):
        notes.append(f"{len(sweeps) - len(good)} sweep(s) diverged before a minimum could be read")
    if not good:
        return LRFinderResult(sweeps, None, None, None, None, notes)
    logs = np.log(good)
    centre = float(np.exp(logs.mean()))
    factor = float(np.exp(logs.std())) if len(good) > 1 else None
    if sweeps and any(s.min_loss_lr is not None and s.min_loss_lr >= max_lr * 0.9 for s in sweeps):
        notes.append("the loss was still falling at max_lr: raise --max-lr")
    return LRFinderResult(sweeps, centre, float(np.exp(logs.min())), float(np.exp(logs.max())), factor, notes)
