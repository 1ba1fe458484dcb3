"""Changes to a job's data that the data audit offers: ``fit --normalize`` and ``fit --reweight``."""

from __future__ import annotations

from typing import Any

import torch

from danfang.data import ArraySplit
from danfang.errors import UsageError
from danfang.job import Job


def normalize_job(job: Job) -> dict[str, Any]:
    """Standardise every split with statistics of the **training** split only.

    Per feature for flat inputs (N, D); per channel for (N, C, ...) inputs. Returns the
    statistics used (recorded in run.json).
    """
    if not isinstance(job.splits.train, ArraySplit):
        raise UsageError(f"{job.path}: --normalize needs (X, y) array splits; the train split is a "
                         "Dataset — normalise inside the Dataset (transforms.Normalize) instead.")
    x = job.splits.train.x.float()
    dims = (0,) if x.ndim == 2 else (0,) + tuple(range(2, x.ndim))
    mean = x.mean(dim=dims, keepdim=True)
    std = x.std(dim=dims, keepdim=True).clamp_min(1e-8)
    for _, split in job.splits.items():
        if isinstance(split, ArraySplit):
            split.x = (split.x.float() - mean) / std
    return {"mean": mean.flatten().tolist(), "std": std.flatten().tolist(), "from": "train"}


def reweight_job(job: Job) -> dict[str, Any]:
    """Weight the training loss by covariate-shift importance weights β = p/(1−p)."""
    from danfang.checks.data.covariate_shift import importance_weights

    if not isinstance(job.splits.train, ArraySplit) or not isinstance(job.splits.val, ArraySplit):
        raise UsageError(f"{job.path}: --reweight needs (X, y) array splits.")
    weights, info = importance_weights(job.splits.train.x, job.splits.val.x)
    job.splits.train.weights = torch.as_tensor(weights, dtype=torch.float32)
    return info
