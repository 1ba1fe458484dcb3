"""loss_shape_broadcast: loss input and target shapes differ and broadcast."""

from __future__ import annotations

from danfang.checks.loop._base import LoopCheck
from danfang.findings import Finding
from danfang.loop.record import LoopRecord


class LossShapeBroadcast(LoopCheck):
    """Symptom: a regression (or BCE) model stops improving early at a poor loss; it learns
    to predict the mean.

    Evidence: an element-wise loss module (MSE, L1, SmoothL1, Huber, BCE, BCEWithLogits)
    was called in training with an input and a target of different shapes, e.g. ``(N, 1)``
    against ``(N,)``: they broadcast to ``(N, N)`` and every output is compared with every
    target.

    Likely causes: a model with one output unit (``(N, 1)``) and a 1-D target tensor.

    Fix: make the shapes equal: ``loss_fn(output.squeeze(-1), target)`` or
    ``target.view(-1, 1)``.
    """

    code = "loss_shape_broadcast"

    def run(self, record: LoopRecord) -> list[Finding]:
        calls = [c for c in record.broadcast_calls if c.training] or record.broadcast_calls
        if not calls:
            return []
        c = calls[0]
        return [self.found(
            "error", f"{c.kind} got an input of shape {list(c.input_shape)} and a target of shape "
            f"{list(c.target_shape)}: they broadcast, so every output is compared with every target.",
            f"The loss input and target shapes differ ({list(c.input_shape)} vs {list(c.target_shape)}): "
            "squeeze the output (output.squeeze(-1)) or reshape the target to the output's shape.",
            where=c.kind, step=c.step, input_shape=list(c.input_shape), target_shape=list(c.target_shape))]
