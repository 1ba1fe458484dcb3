"""loss_nan: the training loss became NaN or infinite."""

from __future__ import annotations

import math

from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._history import ProbeHistory
from danfang.findings import Finding


class LossNan(TrainingCheck):
    """Symptom: the training loss is NaN or ±inf.

    Evidence: the mean loss of a cadence window (summed on the device every step, so one bad
    step is enough) is non-finite; the last finite values and the learning rate are kept.

    Likely causes: a learning rate far too high, exploding gradients, log/division of zero in
    a custom loss, NaN in the data, fp16 overflow.

    Fix: roll back to the last good weights and lower the learning rate (x0.1), clip the
    gradient norm, or guard the step (``danfang fit --repair`` does all three).
    """

    code = "loss_nan"
    requires = ("loss",)

    def run(self, history: ProbeHistory) -> list[Finding]:
        s = history.latest
        if s.loss is None or math.isfinite(s.loss):
            return []
        before = history.losses()[-5:]
        return [self.at(s, "error", f"The training loss became {s.loss} by step {s.step} "
                        f"(last finite values {', '.join(f'{v:.3g}' for v in before) or 'none'}).",
                        "Lower the learning rate (x0.1) and restart from the last good checkpoint; "
                        "clip the gradient norm at 1-5; check the data and the loss for log(0).",
                        loss=before + [s.loss], lr=s.lr)]
