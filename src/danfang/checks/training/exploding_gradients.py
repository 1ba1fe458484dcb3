"""exploding_gradients: the gradient norm grows without bound."""

from __future__ import annotations

import math

from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._history import ProbeHistory
from danfang.findings import Finding
from danfang.task import expects_falling_loss


class ExplodingGradients(TrainingCheck):
    """Symptom: the global gradient norm is non-finite, or has grown ``growth`` times (two
    orders of magnitude) above its value at the first probe steps *and* that growth hurts:
    the updates it causes are large (median ‖Δw‖/‖w‖ above ``big_update``, 10x CS231n's
    ~1e-3) or the loss is back above where it started (not for task ``other``, whose loss
    may rise when healthy: an actor-critic's episode sums grow as it learns). A converged model whose tiny
    gradients wobble (1e-5 -> 1e-2) is not exploding.

    Evidence: the global norm √Σ‖∇w‖² per probe step, and the tensor with the largest norm.
    Gradient norms normally *fall* as training proceeds (AUTOTRAINER and DeepDiagnosis flag
    growth of this size as an explosion).

    Likely causes: a learning rate too high, no normalisation in a deep or recurrent net,
    an init scale too large, a loss that is summed rather than averaged.

    Fix: clip the global gradient norm (1-5), lower the learning rate, add warmup or
    normalisation layers.
    """

    code = "exploding_gradients"
    requires = ("grad_norm",)
    growth = 100.0
    big_update = 1e-2

    def run(self, history: ProbeHistory) -> list[Finding]:
        s = history.latest
        total = history.total_grad_norm(s)
        if total is None:
            return []
        base = [history.total_grad_norm(f) for f in history.first]
        base = [b for b in base if b is not None and math.isfinite(b)]
        ref = min(base) if base else None
        grew = ref is not None and ref > 0 and total > self.growth * ref
        exploded = not math.isfinite(total) or (grew and self._hurts(history))
        if not exploded:
            return []
        worst = max(s.grad_norm, key=lambda n: s.grad_norm[n] if math.isfinite(s.grad_norm[n]) else math.inf)
        recent = [history.total_grad_norm(x) for x in list(history.samples)[-6:]]
        return [self.at(s, "error", f"The gradient norm reached {total:.3g} at step {s.step}"
                        + (f", {total / ref:.3g}x its early value {ref:.3g}." if ref and math.isfinite(total) else "."),
                        "Clip the global gradient norm at 1-5 and lower the learning rate (x0.1); "
                        "add warmup or normalisation layers.",
                        where=worst, grad_norm=recent, early_grad_norm=ref, lr=s.lr)]

    def _hurts(self, history: ProbeHistory) -> bool:
        ratio = history.median_weight_ratio(history.latest)
        first = history.losses(history.first)
        latest = history.losses([history.latest])
        task = getattr(history, "task", None)
        judged = task is None or expects_falling_loss(task)  # an RL/GAN loss may rise when healthy
        loss_back_up = judged and bool(first and latest and latest[0] > first[0])
        return (ratio is not None and ratio > self.big_update) or loss_back_up
