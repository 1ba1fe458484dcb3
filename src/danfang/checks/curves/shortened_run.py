"""``shortened_run``: the curves were read from a run ``doctor --budget`` cut short by design."""

from __future__ import annotations

from typing import ClassVar

from danfang.checks.curves._base import CurveCheck
from danfang.checks.curves._series import Curves
from danfang.findings import Finding
from danfang.task import TASKS


class ShortenedRun(CurveCheck):
    """The verdict reads a training the doctor shortened to fit its ``--budget``.

    **Symptom:** a job whose full epoch would not fit the doctor's budget (two million rows
    in 20 s) is trained on a seeded random subset of its training split an epoch, and
    evaluated on a subset of its validation split, so its curves show a smaller data set.

    **Evidence:** the rows trained and evaluated on against the splits' sizes, the training
    seconds and the measured cost of one sample (``danfang.doctor_budget``).

    **Likely causes:** a budget smaller than one pass over the data; nothing is wrong with
    the job.

    **Fix:** for a verdict on the whole data, give ``danfang doctor`` a larger ``--budget``
    or run ``danfang fit``. An ``info``: the verdict stands for the subset, on which
    overfitting shows sooner than on the whole split.
    """

    code = "shortened_run"
    min_epochs: ClassVar[int] = 0
    needs_clean_curve: ClassVar[bool] = False
    tasks: ClassVar[tuple[str, ...]] = TASKS

    def applies(self, curves: Curves, readable: bool) -> bool:
        return curves.shortened is not None

    def run(self, c: Curves) -> list[Finding]:
        s = c.shortened or {}
        return [self.finding(
            "info",
            (f"Shortened to fit the budget: each epoch trained on a random {s.get('train_rows')} of "
             f"{s.get('train_size')} training samples and was evaluated on {s.get('val_rows')} of "
             f"{s.get('val_size')} validation samples ({s.get('seconds', 0):.0f} s for training, "
             f"{1e6 * s.get('seconds_per_sample', 0):.3g} µs a sample). The verdict is that subset's."),
            "Give danfang doctor a larger --budget, or run danfang fit, for a verdict on the whole data.",
            evidence=dict(s))]
