"""LR floor: the learning rate decayed to about zero long before the end."""

from __future__ import annotations

import numpy as np

from danfang.checks.curves._base import CurveCheck
from danfang.checks.curves._series import Curves
from danfang.findings import Finding
from danfang.task import TASKS


class LrFloor(CurveCheck):
    """Symptom: the learning rate fell to about zero (below ``ratio`` of its peak) and stayed
    there for many epochs: those epochs cost time and teach nothing.

    Evidence: the peak learning rate, the epoch the rate reached the floor, its value there,
    how many epochs followed, and how little the training loss moved during them. A cosine or
    one-cycle schedule that reaches zero in its last epoch or two does not fire.

    Likely causes: ``ReduceLROnPlateau`` with no ``min_lr`` cutting the rate again and again;
    a cosine/step schedule whose length is shorter than the run (``T_max`` < epochs).

    Fix: set a minimum learning rate (``min_lr`` / ``eta_min`` of about 1% of the peak), or
    match the schedule's length to the number of epochs.
    """

    code = "lr_floor"
    tasks = TASKS  # a schedule that hits ~0 early is a fault whatever the objective
    needs_clean_curve = False
    ratio = 1e-2          # "about zero": below this share of the peak learning rate
    min_epochs_at_floor = 3
    min_share_at_floor = 0.2

    def run(self, c: Curves) -> list[Finding]:
        if c.lr is None or not np.all(np.isfinite(c.lr)):
            return []
        peak = float(np.max(c.lr))
        if peak <= 0:
            return []
        above = np.nonzero(c.lr > self.ratio * peak)[0]
        start = int(above[-1]) + 1 if len(above) else 0
        at_floor = c.n - start
        if at_floor < max(self.min_epochs_at_floor, self.min_share_at_floor * c.n):
            return []
        epoch = int(c.epochs[start])
        floor = peak * self.ratio
        moved = float((c.train_loss[start] - c.train_loss[-1]) / max(abs(c.train_loss[start]), 1e-12))
        message = (f"The learning rate fell below 1% of its peak {peak:.3g} at epoch {epoch} "
                   f"({c.lr[start]:.3g}) and stayed there for the last {at_floor} of {c.n} epochs; "
                   f"the training loss moved {moved:.1%} in that time.")
        fix = (f"Set a minimum learning rate of about {floor:.2g} (1% of the peak): "
               f"ReduceLROnPlateau(min_lr={floor:.2g}) or CosineAnnealingLR(eta_min={floor:.2g}, "
               f"T_max={c.planned_epochs or c.n}) - or shorten the run to end near epoch {epoch}.")
        evidence = {"peak_lr": peak, "floor_epoch": epoch, "lr_at_floor": float(c.lr[start]),
                    "epochs_at_floor": at_floor, "train_loss_change_at_floor": moved,
                    "lr": [float(x) for x in c.lr]}
        return [self.finding("warning", message, fix, epoch=epoch, evidence=evidence)]
