"""update_ratio_high: each step changes the weights by far more than ~1e-3 of their size."""

from __future__ import annotations

from danfang.checks.training._update_ratio import UpdateRatioCheck


class UpdateRatioHigh(UpdateRatioCheck):
    """Symptom: the median ‖Δw‖/‖w‖ over weight tensors stays above 1e-1 (100x the ~1e-3 of
    CS231n's rule of thumb; the first steps of a small net reach a few 1e-2) for 3 probe steps.

    Evidence: the median ratio per probe step, the tensor with the largest ratio, the LR.

    Likely causes: a learning rate far too high, crushing weight decay (the decay alone
    shrinks the weights by lr x wd each step), weights collapsed towards zero.

    Fix: lower the learning rate (x0.1 until the ratio is near 1e-3); lower the weight decay.
    """

    code = "update_ratio_high"
    bound = 1e-1
    side = "above"
    sustain = 3
    fix = "Lower the learning rate (x0.1) until the ratio is near 1e-3; lower a large weight decay."
