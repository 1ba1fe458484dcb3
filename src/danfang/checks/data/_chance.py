"""Equal rows expected by chance in tables of few distinct values.

A table of three categorical columns (2 x 3 x 4 = 24 possible rows) repeats rows however it
was collected; such repeats are not copies or leakage. Both estimates treat the features as
independent, each with its own value frequencies; correlated features agree more often, so
real tables repeat at least this much and the estimate errs towards warning. Inputs that are
not a small table, or hold a feature with many distinct values (continuous), get None.
"""

from __future__ import annotations

import numpy as np

#: Tables wider than this are not judged (the product of agreements vanishes anyway).
MAX_FEATURES = 32


def _discrete_columns(x: np.ndarray | None) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Each column's distinct values and counts, or None when ``x`` is not a small table of
    discrete features."""
    if x is None or x.ndim != 2 or x.shape[1] > MAX_FEATURES or len(x) < 2:
        return None
    out = []
    for col in x.T:
        values, counts = np.unique(col, return_counts=True)
        if len(values) > max(20, len(x) // 10):
            return None
        out.append((values, counts))
    return out


def chance_pairs(x: np.ndarray | None) -> float | None:
    """Equal pairs of rows expected by chance inside ``x``: C(n, 2) times the chance that two
    rows agree on every feature (per feature, the sum of its values' squared frequencies)."""
    cols = _discrete_columns(x)
    if cols is None:
        return None
    n = len(x)
    agree = float(np.prod([((c / n) ** 2).sum() for _, c in cols]))
    return n * (n - 1) / 2 * agree


def chance_matches(x: np.ndarray | None, train: np.ndarray | None) -> float | None:
    """Rows of ``x`` expected to equal some row of ``train`` by chance: for each row, one minus
    the chance that none of the training rows holds its values, a row's chance being the
    product of its values' training frequencies."""
    cols = _discrete_columns(train)
    if cols is None or x is None or x.ndim != 2 or x.shape[1] != train.shape[1]:
        return None
    n = len(train)
    p = np.ones(len(x))
    for j, (values, counts) in enumerate(cols):
        freq = dict(zip(values.tolist(), (counts / n).tolist()))
        p *= np.array([freq.get(v, 0.0) for v in x[:, j].tolist()])
    return float((1 - (1 - p) ** n).sum())
