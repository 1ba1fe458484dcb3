"""accumulation_unscaled: gradients accumulated over several backward passes without dividing
the loss, so each step applies k times the mean gradient."""

from __future__ import annotations

import statistics

from danfang.checks.loop._base import LoopCheck
from danfang.findings import Finding
from danfang.loop.record import LoopRecord


class AccumulationUnscaled(LoopCheck):
    """Symptom: training with gradient accumulation is less stable than without it, or
    diverges, at the learning rate that worked for one batch a step.

    Evidence: on sampled optimizer steps that each gathered ``k >= 2`` ``backward()`` calls
    (outside ``step(closure)``), the tensor passed to ``backward()`` was the loss itself
    (ratio within ``tolerance`` of 1 to the losses computed before it) rather than the loss
    divided by k. Two backward calls of different losses, or of one-valued targets (a GAN's
    discriminator on its real batch, then its fake batch), are a sum of terms, not accumulation. Adam-like optimizers are scale invariant, so there the finding is info:
    only gradient clipping and the weight of L2 penalties change.

    Likely causes: ``loss.backward()`` where ``(loss / accumulation_steps).backward()`` was meant.

    Fix: divide the loss by the number of accumulated batches before ``backward()``.
    """

    code = "accumulation_unscaled"
    min_windows = 2
    tolerance = 0.1

    def run(self, record: LoopRecord) -> list[Finding]:
        windows = [w for w in record.windows if w.ratios and not w.summed_losses and
                   (w.backwards >= 3 or w.backwards == 2 and w.same_loss and not w.constant_targets)]
        if len(windows) < self.min_windows:
            return []
        ratios = [r for w in windows for r in w.ratios]
        median = statistics.median(ratios)
        if abs(median - 1.0) > self.tolerance:
            return []
        k = statistics.median(w.backwards for w in windows)
        w = windows[-1]
        adaptive = all(x.adaptive for x in windows)
        effect = ("With an Adam-like optimizer the update barely depends on the gradient's scale, so this "
                  "mostly changes gradient clipping and L2 penalties." if adaptive else
                  f"With {w.optimizer} that multiplies the effective learning rate by {k:g}.")
        return [self.found(
            "info" if adaptive else "warning",
            f"{w.optimizer} steps after {k:g} backward() calls each (gradient accumulation), but each call "
            f"back-propagated the full loss (backward'd value / loss = {median:.3g}, not 1/{k:g}): every step "
            f"applies the sum of {k:g} mean gradients. {effect}",
            f"The accumulated loss is not divided: call (loss / {k:g}).backward() so the step applies the mean "
            "gradient of the accumulated batches.",
            where=w.optimizer, step=record.steps, backwards_per_step=k, ratio=round(median, 4))]
