"""Still improving: training stopped while the validation metric was still getting better."""

from __future__ import annotations

import numpy as np

from danfang.checks.curves._base import CurveCheck
from danfang.checks.curves._series import Curves, noise_sigma
from danfang.findings import Finding


class StillImproving(CurveCheck):
    """Symptom: the run ended while its monitored validation metric was still improving:
    the best epoch is one of the last two and the last three epochs gained clearly.

    Evidence: the monitored metric three epochs before the end and at its (recent) best,
    the gain against the curve's noise (``sigmas`` x sigma) and a floor (1% of a loss, half
    an accuracy point), and whether a time budget cut the run.

    Likely causes: too few epochs, a doctor/time budget that ran out, early stopping with
    too little patience.

    Fix: train longer (more epochs, or a larger ``--budget`` for the doctor).
    """

    code = "still_improving"
    min_epochs = 4
    sigmas = 2.0
    loss_floor = 0.01
    acc_floor = 0.005

    def run(self, c: Curves) -> list[Finding]:
        name, values, lower = c.monitored()
        if not np.all(np.isfinite(values)):
            return []
        v = values if lower else -values
        if int(np.argmin(v)) < c.n - 2:
            return []
        before, best = float(values[-4]), float(values[-3:][np.argmin(v[-3:])])
        gain = abs(best - before) if (best < before) == lower else 0.0
        floor = self.loss_floor * abs(before) if lower else self.acc_floor
        if gain <= max(self.sigmas * noise_sigma(values), floor):
            return []
        epochs = c.n
        why = " (the time budget ran out)" if c.stopped_by_budget else ""
        message = (f"{name} was still improving when training stopped{why}: {before:.4g} -> {best:.4g} "
                   f"over the last 3 epochs, best at epoch {int(c.epochs[-1 if v[-1] <= v[-2] else -2])}.")
        more = " and a larger doctor --budget" if c.stopped_by_budget else ""
        fix = f"Train longer: e.g. --epochs {2 * epochs} (twice as many){more}; the curve has not flattened yet."
        evidence = {"metric": name, "before": before, "best": best, "gain": gain,
                    "noise_sigma": noise_sigma(values), "epochs": epochs, "stopped_by_budget": c.stopped_by_budget}
        return [self.finding("info", message, fix, epoch=int(c.epochs[-1]), evidence=evidence)]
