"""slow_convergence: the loss barely moves."""

from __future__ import annotations

from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._history import ProbeHistory
from danfang.findings import Finding


class SlowConvergence(TrainingCheck):
    """Symptom: after ``min_probes`` probe steps the loss is less than ``drop`` (2%) below its
    value at the first probe step.

    Evidence: the first and the latest window-mean losses (DeepDiagnosis's "loss not
    decreasing" rule, over averaged windows).

    Likely causes: a learning rate far too low, vanishing gradients, dead units, weights
    crushed by weight decay, a schedule that took the LR to ~0.

    Fix: raise the learning rate (run ``danfang lr-find``), fix the init or the
    activations, lower the weight decay.
    """

    code = "slow_convergence"
    requires = ("loss",)
    min_probes = 8
    drop = 0.02

    def run(self, history: ProbeHistory) -> list[Finding]:
        skip = self.not_judged(history)
        if skip is not None:
            return skip
        if len(history.samples) < self.min_probes:
            return []
        start = history.losses(history.first)
        now = history.losses(history.last(3))
        if not start or len(now) < 3:
            return []
        first, latest = start[0], sum(now) / len(now)
        if first - latest >= self.drop * abs(first):
            return []
        s = history.latest
        change = (f"{(latest - first) / abs(first):.0%} higher" if latest > first and first
                  else f"less than {self.drop:.0%} lower")
        return [self.at(s, "warning", f"The loss went from {first:.4g} to {latest:.4g} in {s.step} "
                        f"steps ({change}).",
                        "Raise the learning rate (try `danfang lr-find`), check the init and the "
                        "activations, lower a large weight decay.",
                        loss=[first, *now], lr=s.lr)]
