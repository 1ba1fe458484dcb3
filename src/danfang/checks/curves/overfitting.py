"""Overfitting: validation gets worse while training keeps improving."""

from __future__ import annotations

import numpy as np

from danfang.checks.curves._base import CurveCheck
from danfang.checks.curves._series import Curves, noise_sigma
from danfang.findings import Finding


class Overfitting(CurveCheck):
    """Symptom: the validation loss turns up (or the validation accuracy down) after some
    epoch N while the training loss keeps falling.

    Evidence: the best validation value and its epoch N, the recent validation level and the
    training loss at N and at the end. The rise must beat both the curve's own epoch-to-epoch
    noise (``sigmas`` x sigma) and ``min_rise`` of the level, and last at least two epochs.

    Likely causes: too little data for the model's capacity, no regularisation, training
    far past the point where it generalises.

    Fix: stop at epoch N (early stopping, keep the best weights); then more data,
    augmentation, weight decay, dropout, or a smaller model.
    """

    code = "overfitting"
    sigmas = 3.0
    min_rise = 0.05        # of the best validation loss
    min_acc_drop = 0.02    # absolute accuracy
    train_gain = 0.05      # the training loss must fall at least this much after N

    def _worsened(self, values: np.ndarray, lower_is_better: bool, floor: float) -> tuple[int, float] | None:
        sign = 1.0 if lower_is_better else -1.0
        v = sign * values
        best = int(np.nanargmin(v))
        if len(v) - 1 - best < 2:
            return None
        rise = float(np.median(v[best + 1:][-3:]) - v[best])
        return (best, rise) if rise > max(self.sigmas * noise_sigma(values), floor) else None

    def run(self, c: Curves) -> list[Finding]:
        ref_scale = max(float(np.nanmin(c.val_loss)), 0.1 * c.reference_loss)
        hit = self._worsened(c.val_loss, True, self.min_rise * ref_scale)
        metric = "val_loss"
        if hit is None and c.val_acc is not None:
            hit, metric = self._worsened(c.val_acc, False, self.min_acc_drop), "val_acc"
        if hit is None:
            return []
        best, rise = hit
        if not c.train_loss[-1] < (1 - self.train_gain) * c.train_loss[best]:
            return []
        epoch = int(c.epochs[best])
        values = c.val_loss if metric == "val_loss" else c.val_acc
        recent = float(np.median(values[best + 1:][-3:]))
        what = "rose" if metric == "val_loss" else "fell"
        message = (f"{metric} {what} from its best {values[best]:.4g} (epoch {epoch}) to {recent:.4g} "
                   f"while the training loss kept falling ({c.train_loss[best]:.4g} -> {c.train_loss[-1]:.4g}).")
        fix = (f"Stop at epoch {epoch}: early stopping on {metric} (patience ~3) and keep the best weights. "
               "Then close the gap: more training data, data augmentation, weight decay (e.g. AdamW 0.05), "
               "dropout (0.1-0.3), or a smaller model.")
        evidence = {"best_epoch": epoch, "metric": metric, "best": float(values[best]), "recent": recent,
                    "rise": rise, "noise_sigma": noise_sigma(values),
                    "train_loss_at_best": float(c.train_loss[best]), "train_loss_final": float(c.train_loss[-1])}
        return [self.finding("warning", message, fix, epoch=epoch, evidence=evidence)]
