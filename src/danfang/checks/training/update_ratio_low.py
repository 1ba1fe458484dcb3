"""update_ratio_low: each step changes the weights by far less than ~1e-3 of their size."""

from __future__ import annotations

from danfang.checks.training._history import ProbeHistory
from danfang.checks.training._update_ratio import UpdateRatioCheck


class UpdateRatioLow(UpdateRatioCheck):
    """Symptom: the median ‖Δw‖/‖w‖ over weight tensors stays below 3e-5 (30x under CS231n's
    ~1e-3; Adam fine-tuning at lr 1e-5 sits near 1e-4) for 3 probe steps, before the last ``anneal`` (25%) of the planned steps, where a
    schedule legitimately takes the LR towards zero.

    Evidence: the median ratio per probe step, the tensor with the smallest ratio, the LR.

    Likely causes: a learning rate far too low, a schedule that decayed the LR to ~0 early
    (no floor, ReduceLROnPlateau in the wrong mode), oversized weights.

    Fix: raise the learning rate (x10, re-check); give the schedule a floor (``min_lr``);
    fix the plateau schedule's mode.
    """

    code = "update_ratio_low"
    bound = 3e-5
    side = "below"
    sustain = 3
    anneal = 0.25
    fix = ("Raise the learning rate (x10, then re-check); give the schedule a floor (min_lr) "
           "or fix a ReduceLROnPlateau whose mode disagrees with the monitored metric.")

    def applies(self, history: ProbeHistory) -> bool:
        done = history.fraction_done()
        return done is None or done < 1 - self.anneal
