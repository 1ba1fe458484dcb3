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
Array splits are audited whole up to 60,000 samples a split, Dataset splits up to 10,000
(fewer for wide samples: at most 512 MiB of float32 inputs a split); larger splits on a
random sample drawn with a fixed seed (never their first rows, which may be sorted by
label). Findings name samples by their index in the whole split.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import numpy as np
import torch

from danfang.checks.base import registered_checks
from danfang.checks.data._common import (DATASET_LIMIT, SAMPLE_LIMIT, AuditContext, SplitData, row_limit,
                                         sample_indices, to_numpy)
from danfang.data import ArraySplit, DatasetSplit, Split, as_tensor
from danfang.findings import CODES, Finding

__all__ = ["audit", "audit_job", "audit_context", "run_checks"]

#: checks that read the inputs (``nan_in_data`` and ``class_imbalance`` still read the targets)
INPUT_CODES = ("duplicate_samples", "train_test_overlap", "label_noise", "covariate_shift",
               "unnormalized_inputs")


TASKS = ("classification", "binary", "multilabel", "regression", "reconstruction", "other")


def _features(split: Split) -> int:
    """Numbers in one sample's inputs (1 when they are not one tensor)."""
    if isinstance(split, ArraySplit):
        return int(np.prod(split.x.shape[1:])) if isinstance(split.x, torch.Tensor) else 1
    x = split.dataset[0][0] if len(split) else None
    return int(np.prod(np.shape(x))) if isinstance(x, (torch.Tensor, np.ndarray)) else 1


def _rows(split: Split, idx: np.ndarray | None) -> tuple[Any, Any]:
    """The inputs and targets of samples ``idx`` (all when None) of a split."""
    if isinstance(split, ArraySplit) and idx is None:
        return split.x, split.y
    return split.take(range(len(split)) if idx is None else idx.tolist())  # dict / tuple inputs: first chunk


#: Rows of a split the audit reads per second of a ``doctor --budget`` share, measured on a
#: busy 2-core machine (10,000 lazily made rows of 100 features: about 6 s for every check).
ROWS_PER_SECOND = 1500


def rows_for(seconds: float) -> int:
    """Rows a split may be audited on within ``seconds`` (at least a thousand)."""
    return max(1000, int(seconds * ROWS_PER_SECOND))


def _split_data(name: str, split: Split, max_rows: int | None = None) -> SplitData:
    limit = SAMPLE_LIMIT if isinstance(split, ArraySplit) else DATASET_LIMIT
    limit = limit if max_rows is None else min(limit, max_rows)
    idx = sample_indices(len(split), row_limit(limit, _features(split)))
    x, y = _rows(split, idx)
    xa = to_numpy(x) if isinstance(x, (torch.Tensor, np.ndarray)) else None
    dtype = xa.dtype if xa is not None else None
    if xa is not None:
        xa = xa.astype(np.float32, copy=False)
    ya = to_numpy(y)
    return SplitData(name, xa, ya if ya is not None else np.zeros(len(split)), len(split), idx, dtype)


def audit_context(splits: list[tuple[str, Split]], task: str, num_classes: int | None = None,
                  ignore_index: int | None = None, max_rows: int | None = None) -> AuditContext:
    """The arrays every data check reads, from ``(name, split)`` pairs (train first);
    ``max_rows`` lowers the per-split sample (a seeded random one) below the usual limits."""
    return AuditContext({name: _split_data(name, s, max_rows) for name, s in splits}, task, num_classes,
                        ignore_index)


def loss_ignore_index(loss: Any) -> int | None:
    """The ``ignore_index`` of a CrossEntropyLoss / NLLLoss (None for other losses)."""
    if isinstance(loss, (torch.nn.CrossEntropyLoss, torch.nn.NLLLoss)):
        return int(loss.ignore_index)
    return None


def run_checks(ctx: AuditContext, timings: dict[str, float] | None = None,
               deadline: float | None = None) -> list[Finding]:
    """Run every registered data check on ``ctx``; a crash becomes an ``info`` finding.

    ``timings`` (optional) receives each check's seconds; shared work (embedding,
    neighbours) counts towards the first check that needs it. Checks not started by
    ``deadline`` (``time.perf_counter()``, from ``doctor --budget``) are reported as not run.
    """
    order = list(CODES)
    findings: list[Finding] = []
    opaque = [s.name for s in ctx.splits.values() if s.x is None]
    for cls in sorted(registered_checks("data"), key=lambda c: order.index(c.code)):
        t = time.perf_counter()
        if deadline is not None and t > deadline:
            findings.append(Finding(
                code=cls.code, severity="info",
                message=f"the {cls.code} check was not run: the doctor's --budget left no time for it.",
                fix="Run danfang doctor with a larger --budget, or danfang.audit(...) on the splits.",
                evidence={"reason": "budget"}))
            continue
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


def audit_job(job: Any, seconds: float | None = None) -> list[Finding]:
    """Run every data check on a loaded job's splits (``danfang doctor``'s data phase).

    ``seconds`` (``doctor --budget``'s share for the audit): each split is audited on a
    seeded random sample of at most :func:`rows_for` rows, and checks not started in time
    are reported as not run."""
    start = time.perf_counter()
    ignore = getattr(job, "ignore_index", None)
    if ignore is None:
        try:
            ignore = loss_ignore_index(job.make_loss())
        except Exception:  # the loss is judged by the preflight; the audit reads the data
            ignore = None
    ctx = audit_context(job.splits.items(), job.task, job.num_classes, ignore,
                        max_rows=None if seconds is None else rows_for(seconds))
    return run_checks(ctx, deadline=None if seconds is None else start + seconds)


def _as_split(obj: Any) -> Split:
    if isinstance(obj, torch.utils.data.Dataset) and not isinstance(obj, (tuple, list)):
        return DatasetSplit(obj)
    if isinstance(obj, (tuple, list)) and len(obj) == 2:
        return ArraySplit(as_tensor(obj[0]), as_tensor(obj[1]))
    raise TypeError(f"each split must be a pair (X, y) of arrays/tensors or a torch Dataset yielding "
                    f"(x, y); got {type(obj).__name__}.")


def audit(train: Any, val: Any, test: Any = None, *, task: str | None = None,
          num_classes: int | None = None, ignore_index: int | None = None) -> list[Finding]:
    """Audit splits given as ``(X, y)`` pairs or Datasets; returns the data findings.

    ``task``: one of ``"classification"`` (integer labels, (N,) or one a position: (N, L),
    (N, H, W)), ``"binary"``, ``"multilabel"``, ``"regression"``, ``"reconstruction"``,
    ``"other"``; inferred when None (float targets mean regression). ``ignore_index``:
    a label value that marks positions without a class (negative labels always do).
    """
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(map(repr, TASKS))}; got {task!r}.")
    splits = [("train", _as_split(train)), ("val", _as_split(val))]
    if test is not None:
        splits.append(("test", _as_split(test)))
    ctx = audit_context(splits, task or "classification", num_classes, ignore_index)
    if task is None:
        ctx.task = "regression" if ctx.train.y.dtype.kind == "f" else "classification"
    return run_checks(ctx)
