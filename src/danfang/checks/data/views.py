"""The "look at the data" view of the report: examples per class and the suspicious samples.

:func:`data_view` returns a JSON-serialisable dict (the doctor writes it to
``data_view.json``; the HTML report renders it). The format is stable:

.. code-block:: text

    {"kind": "image" | "signal" | "table",
     "shape": [...],            # shape of one shown sample, e.g. [28, 28], [3, 32, 32], [40]
     "classes": {"<label>": [sample, ...], ...},
     "suspicious": [{"split": "train", "index": 17, "label": 3,
                     "reason": "label_noise: looks like 7", "x": sample}, ...]}

- a *sample* is a nested list of floats (rounded to 4 digits) shaped like ``shape``: an image
  is ``[H][W]`` with one channel and ``[C][H][W]`` otherwise, downscaled by average pooling
  when a side exceeds 32; a signal ``[C][L]`` (``[L]`` for flat inputs); a table row
  ``[D]`` (at most 256 features). Non-finite values appear as the strings ``"nan"``,
  ``"inf"``, ``"-inf"``.
- ``classes``: at most 8 training samples for each of at most 10 classes (the smallest
  labels), keyed by the label as a string, drawn at random with a fixed seed (from 2,000
  random samples of a Dataset split); for other tasks and per-position labels one key, ``"all"``.
- ``suspicious``: at most 24 samples named by the data findings, in this order:
  ``nan_in_data`` ("nan_in_data: non-finite values"), ``label_noise`` ("label_noise: looks
  like 7"), ``duplicate_samples`` (the later copy: "duplicate of train[j]", or of val[j]
  inside val) and ``train_test_overlap`` ("duplicate of train[j]", with ``split`` "val" or
  "test").
- inputs that are not one tensor (dicts, tuples) give ``{"kind": "none", "shape": [],
  "classes": {}, "suspicious": []}``; so does a failure while building the view, with an
  extra ``"error"`` message.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from danfang.checks.data._common import SEED, sample_indices, to_numpy
from danfang.checks.data._embedding import input_kind
from danfang.data import ArraySplit
from danfang.findings import Finding

PER_CLASS, MAX_CLASSES, MAX_SUSPICIOUS, MAX_SIDE, MAX_FEATURES = 8, 10, 24, 32, 256
#: Labels of a Dataset split read (at random, seeded) to choose the examples per class.
LABELS_READ = 2000
EMPTY: dict[str, Any] = {"kind": "none", "shape": [], "classes": {}, "suspicious": []}


def _sample(split: Any, i: int) -> np.ndarray | None:
    x = split.x[i] if isinstance(split, ArraySplit) else split.dataset[i][0]
    return to_numpy(x) if isinstance(x, (torch.Tensor, np.ndarray)) else None


def _shown(x: np.ndarray, kind: str) -> np.ndarray:
    """One sample as the view shows it (see the module docstring)."""
    x = x.astype(np.float32)
    if kind == "image":
        img = x if x.ndim == 3 else x[None]
        f = int(np.ceil(max(img.shape[1:]) / MAX_SIDE))
        if f > 1:
            img = torch.nn.functional.avg_pool2d(torch.from_numpy(img), f, f, ceil_mode=True).numpy()
        return img[0] if img.shape[0] == 1 else img
    if kind == "table":
        return x.ravel()[:MAX_FEATURES]
    return x


def _as_list(x: np.ndarray) -> Any:
    return np.round(x.astype(np.float64), 4).tolist()


def _suspects(findings: list[Finding]) -> list[tuple[str, int, str]]:
    """(split, index, reason) of the samples the findings name, most important first."""
    out: list[tuple[str, int, str]] = []
    findings = [f for f in findings if "traceback" not in f.evidence]  # crashed checks name no samples
    for f in (f for f in findings if f.code == "nan_in_data" and f.evidence.get("array") == "inputs"):
        out += [(f.evidence["split"], int(i), "nan_in_data: non-finite values") for i in f.evidence["first_indices"]]
    for f in (f for f in findings if f.code == "label_noise" and f.evidence.get("judged")):
        out += [("train", int(s["index"]), f"label_noise: looks like {s['looks_like']}")
                for s in f.evidence["suspects"][:12]]
    for f in (f for f in findings if f.code == "duplicate_samples"):  # pairs: (first, later copy)
        split = f.evidence["split"]
        out += [(split, int(j), f"duplicate of {split}[{i}]") for i, j in f.evidence["pairs"][:6]]
    for f in (f for f in findings if f.code == "train_test_overlap"):  # pairs: (val/test, train)
        out += [(f.evidence["split"], int(i), f"duplicate of train[{j}]") for i, j in f.evidence["pairs"][:6]]
    seen, unique = set(), []
    for s in out:
        if (s[0], s[1]) not in seen:
            seen.add((s[0], s[1]))
            unique.append(s)
    return unique[:MAX_SUSPICIOUS]


def data_view(job: Any, findings: list[Finding]) -> dict[str, Any]:
    """Examples per class and the suspicious samples of ``job``'s data, for the report.

    Never raises: a failure gives the empty view with an ``"error"`` message, so that the
    doctor goes on.
    """
    try:
        return _view(job, findings)
    except Exception as exc:
        return {**EMPTY, "error": f"{type(exc).__name__}: {exc}"}


def _view(job: Any, findings: list[Finding]) -> dict[str, Any]:
    train = job.splits.train
    first = _sample(train, 0)
    if first is None:
        return dict(EMPTY)
    kind = input_kind(first[None])
    # a seeded random sample of the split (a split sorted by label must still show every class)
    rows = sample_indices(len(train), len(train) if isinstance(train, ArraySplit) else LABELS_READ)
    rows = np.arange(len(train)) if rows is None else rows
    if isinstance(train, ArraySplit):
        y = to_numpy(train.y[torch.from_numpy(rows).to(train.y.device)])
    else:
        y = np.stack([np.asarray(to_numpy(train.dataset[int(i)][1])) for i in rows])
    order = np.random.default_rng(SEED).permutation(len(rows))
    classes: dict[str, list] = {}
    if job.task == "classification" and y.ndim == 1:
        for label in np.unique(y)[:MAX_CLASSES]:
            idx = np.sort(rows[order[y[order] == label][:PER_CLASS]])
            classes[str(int(label))] = [_as_list(_shown(_sample(train, int(i)), kind)) for i in idx]
    else:
        idx = np.sort(rows[order[:PER_CLASS]])
        classes["all"] = [_as_list(_shown(_sample(train, int(i)), kind)) for i in idx]
    splits = dict(job.splits.items())
    suspicious = []
    for split, i, reason in _suspects(findings):
        s = splits.get(split)
        if s is None or i >= len(s):
            continue
        label = s.y[i] if isinstance(s, ArraySplit) else s.dataset[i][1]
        label = to_numpy(label)
        suspicious.append({"split": split, "index": i, "reason": reason,
                           "label": label.item() if label.size == 1 else label.tolist(),
                           "x": _as_list(_shown(_sample(s, i), kind))})
    return {"kind": kind, "shape": list(_shown(first, kind).shape), "classes": classes, "suspicious": suspicious}
