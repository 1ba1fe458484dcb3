"""loss_oscillating: the loss swings up and down without settling."""

from __future__ import annotations

from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._history import ProbeHistory
from danfang.findings import Finding


class LossOscillating(TrainingCheck):
    """Symptom: over the last ``window`` probe steps the window-mean loss changes direction at
    ≥ 70% of the steps, by ≥ ``swing`` (20%) of its level (or of the first loss, if larger —
    so minibatch noise near a converged loss stays quiet) on average, and makes no net
    progress (the second half is not ≥ 5% below the first).

    Evidence: the window means (each the average of ``cadence`` steps, so minibatch noise is
    already averaged out) — the oscillation rule of AUTOTRAINER, on averaged losses.

    Likely causes: a learning rate too high for the curvature, a batch too small, momentum
    too high.

    Fix: lower the learning rate (x0.1-0.3) or add a decaying schedule; raise the batch size.
    """

    code = "loss_oscillating"
    requires = ("loss",)
    window = 8
    swing = 0.2

    def run(self, history: ProbeHistory) -> list[Finding]:
        skip = self.not_judged(history)
        if skip is not None:
            return skip
        samples = history.last(self.window)
        losses = history.losses(samples)
        if len(losses) < self.window:
            return []
        diffs = [b - a for a, b in zip(losses, losses[1:])]
        flips = sum(1 for a, b in zip(diffs, diffs[1:]) if a * b < 0) / (len(diffs) - 1)
        start = history.losses(history.first)
        level = max(abs(start[0]) if start else 0.0, sum(abs(x) for x in losses) / len(losses))
        amplitude = sum(abs(d) for d in diffs) / len(diffs) / max(level, 1e-12)
        half = len(losses) // 2
        first, second = sum(losses[:half]) / half, sum(losses[half:]) / (len(losses) - half)
        if flips < 0.7 or amplitude < self.swing or second < 0.95 * first:
            return []
        s = samples[-1]
        return [self.at(s, "warning", f"The loss changed direction at {flips:.0%} of the last "
                        f"{self.window} probe steps, swinging {amplitude:.0%} of its level, with no "
                        "net progress.",
                        "Lower the learning rate (x0.1-0.3) or add a decaying schedule; raise the batch size.",
                        loss=losses, lr=s.lr)]
