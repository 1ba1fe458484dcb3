"""``doctor --budget S``: S seconds for the whole doctor run, shared among its phases.

The audit may use the first quarter of the budget and the preflight until 45 % of it; what
either leaves unused goes to training, which ends by 90 % (the rest is for the curves, the
data view and the report). A phase that starts late still gets 15 % (training 20 %). Each phase shortens itself to its share and says so:

- the audit reads a seeded random sample of each split sized to its share
  (``danfang.checks.data.rows_for``) and skips the checks it has no time left for (info);
- the preflight's bounded fits shrink to the time left, later checks are skipped (info);
- training stops at the first epoch end past its share, and when one pass over the
  training split would not fit :data:`TARGET_EPOCHS` epochs into it, trains on a seeded
  random subset of the split (and evaluates on one of the validation split), measured
  from the time of a few training steps; the curves phase reports it as
  ``shortened_run`` (info).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from danfang.data import ArraySplit, DatasetSplit, Split, call_model, to_device
from danfang.job import Job, Splits

#: Shares of the budget, cumulative: the audit ends by 25 %, the preflight by 45 %, training by 90 %.
DATA_END, PREFLIGHT_END, TRAINING_END = 0.25, 0.45, 0.9
#: Each phase gets at least this share when it starts, even after phases that overran (a
#: check cannot be stopped midway, and loading the job counts too).
MIN_SHARE = {"data": 0.15, "preflight": 0.15, "training": 0.2}
#: Epochs a shortened training aims to fit in its share: enough for a curve verdict (5+).
TARGET_EPOCHS = 8
#: Share of the training time the optimizer steps may take; evaluation, the monitor's probes
#: and the epoch-end checks take the rest.
STEP_SHARE = 0.5
#: A shortened training still sees at least this many batches an epoch.
MIN_BATCHES = 8


@dataclass
class BudgetPlan:
    """The deadlines of the doctor's phases for a budget of ``seconds``, from ``start``."""

    seconds: float
    start: float = field(default_factory=time.perf_counter)

    def seconds_for(self, phase: str) -> float:
        """Seconds ``phase`` (``data``, ``preflight`` or ``training``) may take from now: up to
        its cumulative end, at least its :data:`MIN_SHARE` of the budget."""
        end = {"data": DATA_END, "preflight": PREFLIGHT_END, "training": TRAINING_END}[phase]
        left = self.start + end * self.seconds - time.perf_counter()
        return max(MIN_SHARE[phase] * self.seconds, left)

    def deadline(self, phase: str) -> float:
        """``time.perf_counter()`` by which ``phase``, starting now, must end."""
        return time.perf_counter() + self.seconds_for(phase)


def seconds_per_sample(job: Job, settings: dict[str, Any], steps: int = 3) -> float:
    """Wall-clock seconds one training sample costs (reading it, forward, backward and an
    optimizer step of a fresh copy of the model on a random batch), the fastest of the last ``steps - 1``
    of ``steps`` steps (the first one warms up). Leaves every random state as it was."""
    from danfang.engine.trainer import resolve_device
    from danfang.task import default_loss

    bs = int(settings["batch_size"])
    split = job.splits.train
    device = resolve_device(settings["device"])
    # the caller's random state is kept (the model's init draws from it); the thread count is
    # the training's own, so the measured cost is what training will pay
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(int(settings.get("seed", 0)))
        model = job.make_model().to(device).train()
        loss_fn = job.make_loss() if job.loss_fn is not None else default_loss(settings["task"])
        if hasattr(loss_fn, "to"):
            loss_fn = loss_fn.to(device)
        opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad] or [torch.zeros(1)], lr=0.0)
        times, counted = [], 1
        for _ in range(steps):
            idx = torch.randperm(len(split))[:bs].sort().values.tolist()
            t = time.perf_counter()  # reading the batch counts: a lazy Dataset may cost more than the step
            x, y = to_device(split.take(idx), device)
            counted = max(1, len(idx))
            loss = loss_fn(call_model(model, x), y)
            if loss.requires_grad:
                loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - t)
    return min(times[1:] or times) / counted


def subset(split: Split, rows: int, seed: int) -> Split:
    """A seeded random subset of ``rows`` samples of ``split``, in split order."""
    idx = np.sort(np.random.default_rng(seed).choice(len(split), size=rows, replace=False))
    if isinstance(split, ArraySplit):
        t = torch.from_numpy(idx)
        w = None if split.weights is None else split.weights[t.to(split.weights.device)]
        return ArraySplit(split.x[t.to(split.x.device)], split.y[t.to(split.y.device)], w)
    weights = None if split.weights is None else split.weights[torch.from_numpy(idx)]
    return DatasetSplit(torch.utils.data.Subset(split.dataset, idx.tolist()), split.num_workers, weights)


def shorten_training(job: Job, seconds: float, epochs: int) -> tuple[Job, dict[str, Any] | None]:
    """``job`` with its train (and val) split cut to a seeded random subset when one pass
    over the training split would not fit ``min(epochs, TARGET_EPOCHS)`` epochs into
    ``seconds``; ``(job, None)`` when it fits. The dict says what was cut, for
    ``shortened_run``."""
    s = job.settings
    n, bs = len(job.splits.train), int(s["batch_size"])
    if n <= MIN_BATCHES * bs:
        return job, None
    try:
        per_sample = seconds_per_sample(job, s)
    except Exception:  # a model or loss that fails here fails in training, which reports it with context
        return job, None
    target = max(1, min(epochs, TARGET_EPOCHS))
    rows = int(STEP_SHARE * seconds / target / max(per_sample, 1e-9))
    rows = max(rows, MIN_BATCHES * bs)
    if rows >= n:
        return job, None
    seed = int(s.get("seed", 0))
    train = subset(job.splits.train, rows, seed)
    val = job.splits.val
    val_rows = min(len(val), max(1000, rows))
    if val_rows < len(val):
        val = subset(val, val_rows, seed + 1)
    short = dataclasses.replace(job, splits=Splits(train, val, job.splits.test))
    info = {"train_rows": rows, "train_size": n, "val_rows": len(val), "val_size": len(job.splits.val),
            "seconds": seconds, "seconds_per_sample": per_sample, "target_epochs": target}
    return short, info
