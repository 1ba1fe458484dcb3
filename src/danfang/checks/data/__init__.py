"""Checks of the data phase (DESIGN §3): the automated data audit.

"Become one with the data" before touching any model: the audit looks for non-finite
values, duplicates, train/val/test leakage, class imbalance, wrong labels, covariate shift
and unnormalised inputs, one check (one file) per finding code.

- :func:`audit_job` runs every data check on a loaded job (``danfang doctor`` calls it);
- :func:`audit` runs them on splits given in user code::

      import danfang
      for f in danfang.audit((x_train, y_train), (x_val, y_val)):
          print(f.severity, f.code, f.message)

A check that crashes does not stop the audit: its exception becomes an ``info`` finding.
Array splits are audited whole up to 60,000 samples a split; Dataset splits on their
first 10,000 samples (``split.arrays(limit)``).
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import numpy as np
import torch

from danfang.checks.base import registered_checks
from danfang.checks.data._common import DATASET_LIMIT, SAMPLE_LIMIT, AuditContext, SplitData, to_numpy
from danfang.data import ArraySplit, DatasetSplit, Split, as_tensor
from danfang.findings import CODES, Finding

__all__ = ["audit", "audit_job", "audit_context", "run_checks"]

#: checks that read the inputs (``nan_in_data`` and ``class_imbalance`` still read the targets)
INPUT_CODES = ("duplicate_samples", "train_test_overlap", "label_noise", "covariate_shift",
               "unnormalized_inputs")


def _split_data(name: str, split: Split) -> SplitData:
    limit = SAMPLE_LIMIT if isinstance(split, ArraySplit) else DATASET_LIMIT
    x, y = split.arrays(limit)
    xa = to_numpy(x) if isinstance(x, (torch.Tensor, np.ndarray)) else None
    if xa is not None:
        xa = xa.astype(np.float32, copy=False)
    ya = to_numpy(y)
    return SplitData(name, xa, ya if ya is not None else np.zeros(len(split)), len(split))


def audit_context(splits: list[tuple[str, Split]], task: str, num_classes: int | None = None) -> AuditContext:
    """The arrays every data check reads, from ``(name, split)`` pairs (train first)."""
    return AuditContext({name: _split_data(name, s) for name, s in splits}, task, num_classes)


def run_checks(ctx: AuditContext, timings: dict[str, float] | None = None) -> list[Finding]:
    """Run every registered data check on ``ctx``; a crash becomes an ``info`` finding.

    ``timings`` (optional) receives each check's seconds; shared work (embedding,
    neighbours) counts towards the first check that needs it.
    """
    order = list(CODES)
    findings: list[Finding] = []
    opaque = [s.name for s in ctx.splits.values() if s.x is None]
    for cls in sorted(registered_checks("data"), key=lambda c: order.index(c.code)):
        t = time.perf_counter()
        if opaque and cls.code in INPUT_CODES:
            findings.append(Finding(
                code=cls.code, severity="info",
                message=f"the {cls.code} check does not apply: the inputs of {', '.join(opaque)} are not one "
                        "tensor a sample (dict or tuple inputs), so only the targets were audited.",
                fix="Audit each input tensor with danfang.audit((X_part, y), (X_val_part, y_val)).",
                evidence={"splits": opaque}))
            continue
        try:
            findings += cls().run(ctx)
        except Exception as exc:  # a broken check must not break the doctor
            findings.append(Finding(
                code=cls.code, severity="info",
                message=f"the {cls.code} check could not run: {type(exc).__name__}: {exc}",
                fix="The rest of the audit is valid; please report this with the traceback in the evidence.",
                evidence={"traceback": traceback.format_exc(limit=4)}))
        if timings is not None:
            timings[cls.code] = time.perf_counter() - t
    return findings


def audit_job(job: Any) -> list[Finding]:
    """Run every data check on a loaded job's splits (``danfang doctor``'s data phase)."""
    ctx = audit_context(job.splits.items(), job.task, job.num_classes)
    return run_checks(ctx)


def _as_split(obj: Any) -> Split:
    if isinstance(obj, torch.utils.data.Dataset) and not isinstance(obj, (tuple, list)):
        return DatasetSplit(obj)
    if isinstance(obj, (tuple, list)) and len(obj) == 2:
        return ArraySplit(as_tensor(obj[0]), as_tensor(obj[1]))
    raise TypeError(f"each split must be a pair (X, y) of arrays/tensors or a torch Dataset yielding "
                    f"(x, y); got {type(obj).__name__}.")


def audit(train: Any, val: Any, test: Any = None, *, task: str | None = None,
          num_classes: int | None = None) -> list[Finding]:
    """Audit splits given as ``(X, y)`` pairs or Datasets; returns the data findings.

    ``task``: ``"classification"`` or ``"regression"``; inferred when None (float
    targets mean regression).
    """
    splits = [("train", _as_split(train)), ("val", _as_split(val))]
    if test is not None:
        splits.append(("test", _as_split(test)))
    ctx = audit_context(splits, task or "classification", num_classes)
    if task is None:
        ctx.task = "regression" if ctx.train.y.dtype.kind == "f" else "classification"
    elif task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression', got {task!r}.")
    return run_checks(ctx)
