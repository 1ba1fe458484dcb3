"""Changes to a job's data that the data audit offers: ``fit --normalize`` and ``fit --reweight``."""

from __future__ import annotations

import sys
from typing import Any

import torch

from danfang.data import ArraySplit
from danfang.errors import UsageError
from danfang.job import Job


def _require_arrays(job: Job, option: str, names: tuple[str, ...]) -> None:
    for name, split in job.splits.items():
        if name in names and not isinstance(split, ArraySplit):
            raise UsageError(f"{job.path}: {option} needs (X, y) array splits; the {name} split is a "
                             "Dataset — apply the change inside the Dataset (e.g. transforms.Normalize "
                             "with the training split's mean and std) instead.")


def normalize_job(job: Job) -> dict[str, Any]:
    """Standardise every split with statistics of the **training** split only.

    Per feature for flat inputs (N, D); per channel for (N, C, ...) inputs (see
    :func:`danfang.checks.data.unnormalized_inputs.input_statistics`, the statistics the
    audit's fix names). Val and test are transformed with the same numbers: statistics
    computed on them would leak them into training. Inputs that are not floating point
    (token ids, category indices) are left as they are, with a message: standardising them
    would break the embedding lookup. Returns what run.json records.
    """
    from danfang.checks.data.unnormalized_inputs import input_statistics

    _require_arrays(job, "--normalize", ("train", "val", "test"))
    kinds = {name: split.x.dtype for name, split in job.splits.items() if isinstance(split.x, torch.Tensor)}
    odd = {name: str(d) for name, d in kinds.items() if not d.is_floating_point}
    if odd or len(kinds) < len(list(job.splits.items())):
        why = (f"the inputs are not floating point ({', '.join(f'{k}: {v}' for k, v in odd.items())}): "
               "integer inputs are token ids or category indices (e.g. for an nn.Embedding), which "
               "must stay integers" if odd else "the inputs are not one tensor a sample")
        message = f"--normalize skipped: {why}; the splits were left unchanged."
        print(f"danfang: {message}", file=sys.stderr)
        return {"skipped": True, "reason": message}
    mean, std = input_statistics(job.splits.train.x.detach().cpu().numpy())
    for _, split in job.splits.items():
        m = torch.as_tensor(mean, device=split.x.device)
        s = torch.as_tensor(std, device=split.x.device)
        split.x = (split.x.float() - m) / s
    return {"mean": mean.ravel().tolist(), "std": std.ravel().tolist(), "from": "train",
            "per": "feature" if job.splits.train.x.ndim <= 2 else "channel"}


def reweight_job(job: Job) -> dict[str, Any]:
    """Weight the training loss by covariate-shift importance weights β = p/(1−p)."""
    from danfang.checks.data.covariate_shift import importance_weights

    _require_arrays(job, "--reweight", ("train", "val"))
    weights, info = importance_weights(job.splits.train.x, job.splits.val.x)
    job.splits.train.weights = torch.as_tensor(weights, dtype=torch.float32, device=job.splits.train.x.device)
    return info
