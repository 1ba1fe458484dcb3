"""Noisy validation: the best validation score is a lone spike."""

from __future__ import annotations

import numpy as np

from danfang.checks.curves._base import CurveCheck
from danfang.checks.curves._series import Curves, noise_sigma
from danfang.findings import Finding


class NoisyValidation(CurveCheck):
    """Symptom: the best validation score (the one the run selects its weights by) sits
    alone, well above both neighbouring epochs: picking it is picking noise, and the
    reported best is optimistic.

    Evidence: the best value and its epoch, both neighbours, and the margin against the
    curve's epoch-to-epoch noise. The best must beat both neighbours by ``sigmas`` x sigma
    and by a floor (2% of a loss, one accuracy point); a best in the last epoch cannot be
    judged (no right-hand neighbour).

    Likely causes: a small validation set, a learning rate still high late in training, a
    small batch with BatchNorm.

    Fix: select on a smoothed metric (mean over 3 epochs) or an EMA of the weights, enlarge
    the validation set, decay the learning rate towards the end, and report the mean over
    seeds rather than the best.
    """

    code = "noisy_validation"
    needs_clean_curve = False
    sigmas = 3.0
    loss_floor = 0.02      # relative, for a loss
    acc_floor = 0.01       # absolute, for an accuracy

    def run(self, c: Curves) -> list[Finding]:
        name, values, lower = c.monitored()
        if not np.all(np.isfinite(values)):
            return []
        v = values if lower else -values
        best = int(np.argmin(v))
        if best == 0 or best == c.n - 1:
            return []
        margin = float(min(v[best - 1], v[best + 1]) - v[best])
        floor = self.loss_floor * abs(float(values[best])) if lower else self.acc_floor
        sigma = noise_sigma(values)
        if margin <= max(self.sigmas * sigma, floor):
            return []
        epoch = int(c.epochs[best])
        neighbours = [float(values[best - 1]), float(values[best + 1])]
        message = (f"The best {name} {values[best]:.4g} (epoch {epoch}) is a lone spike: its neighbours are "
                   f"{neighbours[0]:.4g} and {neighbours[1]:.4g}, {margin:.3g} worse, against an "
                   f"epoch-to-epoch noise of {sigma:.2g}. Selecting this epoch selects noise.")
        fix = ("Select on a smoothed metric (mean over 3 epochs) or an EMA of the weights, enlarge the "
               "validation set, decay the learning rate towards the end, and report the mean over seeds.")
        evidence = {"metric": name, "best": float(values[best]), "best_epoch": epoch,
                    "neighbours": neighbours, "margin": margin, "noise_sigma": sigma}
        return [self.finding("warning", message, fix, epoch=epoch, evidence=evidence)]
