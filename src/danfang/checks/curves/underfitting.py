"""Underfitting: training and validation are both poor."""

from __future__ import annotations

import numpy as np

from danfang.checks.curves._base import CurveCheck
from danfang.checks.curves._series import Curves
from danfang.findings import Finding


class Underfitting(CurveCheck):
    """Symptom: the training loss stays far from zero, the validation score is as poor, and
    the two are close: the model cannot fit even the data it trains on.

    Evidence: the recent training loss as a share of the loss of knowing nothing (ln C for
    classification; the baseline or first-epoch loss otherwise), the validation accuracy
    against chance (1/C), the train-val gap, and whether the loss has flattened. A curve
    still falling fast in a run cut short is left to ``still_improving`` (inconclusive).

    Likely causes: a model too small or too constrained, too few epochs, a learning rate too
    low, too much regularisation (weight decay, dropout, augmentation).

    Fix: a bigger model, train longer, a higher learning rate, less regularisation.
    """

    code = "underfitting"
    poor_share = 0.35      # training loss above this share of the reference loss is poor
    max_gap = 0.25         # (val - train) / reference loss below this: val is no better than train
    plateau_gain = 0.05    # relative fall of the training loss over the last third

    poor_share_no_floor = 0.7  # where the noise floor is unknown: explained < 30% of the baseline

    def run(self, c: Curves) -> list[Finding]:
        ref = c.reference_loss
        train_recent = float(np.median(c.train_loss[-3:]))
        share = train_recent / ref
        gap = (float(np.nanmin(c.val_loss)) - train_recent) / ref
        best_acc = float(np.nanmax(c.val_acc)) if c.val_acc is not None else None
        if gap > self.max_gap:
            return []
        if best_acc is not None and c.chance is not None and best_acc >= c.chance + 0.5 * (1 - c.chance):
            return []
        if share < self.poor_share:
            return []
        if not c.floor_known and share < self.poor_share_no_floor:
            kind = "next-token prediction" if c.task == "classification" else c.task
            floor = "the entropy of the data" if c.task == "classification" else "the data's noise floor"
            return [self.finding(
                "info", (f"Not judged for {kind}: the training loss levelled at {share:.0%} of a constant "
                         f"prediction's loss ({train_recent:.4g} of {ref:.4g}), with validation as good. "
                         f"A {kind} loss stops at {floor}, which no curve shows, so this "
                         "may be that floor or a model too small."),
                ("If you expect a better fit, compare with a bigger model for a few epochs; if it does no "
                 "better, this is the data's noise floor."),
                evidence={"train_loss": train_recent, "reference_loss": ref, "share_of_reference": share,
                          "task": c.task})]
        k = max(3, c.n // 3)
        gain = float((c.train_loss[-k] - c.train_loss[-1]) / max(c.train_loss[-k], 1e-12))
        plateaued = gain < self.plateau_gain
        if not plateaued and c.cut_short:
            return []
        acc = (f", best val_acc {best_acc:.3f} against chance {c.chance:.3f}"
               if best_acc is not None and c.chance is not None else "")
        message = (f"Training loss {train_recent:.4g} is still {share:.0%} of the loss of knowing nothing "
                   f"({ref:.4g}) and validation is as poor (gap {gap * ref:+.3g}{acc}): the model cannot "
                   "fit even its training data" + (", and the loss has flattened." if plateaued else "."))
        lr = float(np.nanmax(c.lr)) if c.lr is not None else None
        lr_hint = f" (e.g. x3: {3 * lr:.2g})" if lr else ""
        fix = ("Give it more capacity and push harder: a bigger model (wider or deeper), train longer, "
               f"a higher learning rate{lr_hint}, and less regularisation (weight decay, dropout, augmentation).")
        evidence = {"train_loss": train_recent, "reference_loss": ref, "share_of_reference": share,
                    "train_val_gap": gap * ref, "best_val_acc": best_acc, "chance": c.chance,
                    "train_gain_last_third": gain, "plateaued": plateaued}
        return [self.finding("warning", message, fix, evidence=evidence)]
