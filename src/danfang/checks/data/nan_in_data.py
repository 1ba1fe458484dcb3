"""``nan_in_data``: NaN or Inf in a split's inputs or targets."""

from __future__ import annotations

import numpy as np

from danfang.checks.base import Check
from danfang.checks.data._common import AuditContext
from danfang.findings import Finding


class NanInData(Check):
    """Non-finite values (NaN, +Inf, -Inf) in the inputs or the targets of a split.

    **Symptom:** the loss turns NaN at the first batch that holds one, and stays NaN.

    **Evidence:** per split and array, the number of NaN and Inf values, how many samples
    hold them and the first indices.

    **Likely causes:** missing values read as NaN (CSV, pandas), normalising by a zero
    standard deviation, ``log(0)``, an overflowing cast, a corrupted file.

    **Fix:** drop or impute those samples before training. Severity ``error``: a single
    non-finite value poisons every gradient step it enters, so the doctor stops before
    training.
    """

    code = "nan_in_data"
    FIRST = 10  # indices listed in the evidence

    def run(self, ctx: AuditContext) -> list[Finding]:
        out = []
        for name, split in ctx.splits.items():
            for what, arr in (("inputs", split.x), ("targets", split.y)):
                if arr is None or arr.dtype.kind != "f" or len(arr) == 0:
                    continue
                flat = arr.reshape(len(arr), -1)
                n_nan, n_inf = int(np.isnan(flat).sum()), int(np.isinf(flat).sum())
                if n_nan + n_inf == 0:
                    continue
                rows = np.flatnonzero(~np.isfinite(flat).all(1))
                first = split.original(rows[:self.FIRST]).tolist()
                out.append(self.finding(
                    "error",
                    f"{name} {what}: {n_nan} NaN and {n_inf} Inf values in {len(rows)} of "
                    f"{split.described()} (first at {first}).",
                    "Drop or impute these samples before training (e.g. keep "
                    "np.isfinite(X).reshape(len(X), -1).all(1)); check the step that produced "
                    "them (missing values, division by a zero std, log of 0).",
                    where=f"{name}.{what}",
                    evidence={"split": name, "array": what, "nan": n_nan, "inf": n_inf,
                              "samples": int(len(rows)), "audited": len(split), "first_indices": first}))
        return out
