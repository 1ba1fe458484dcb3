"""vanishing_gradients: early layers get gradients orders of magnitude below late layers."""

from __future__ import annotations

import math

from danfang.checks.training._base import TrainingCheck
from danfang.checks.training._history import ProbeHistory
from danfang.findings import Finding


class VanishingGradients(TrainingCheck):
    """Symptom: the per-element gradient of the first weight tensor is ``ratio`` (1e-3) or
    less of the last one's, over ``sustain`` probe steps, while the loss stalls (fell less
    than ``stall`` = 5% over those steps).

    Evidence: RMS gradients ‖∇w‖/√n of the first and last weight tensors, and the loss.
    AUTOTRAINER flags the same first/last gradient ratio; the stall condition keeps nets that
    learn well despite small early gradients (e.g. with residual paths) quiet.

    Likely causes: deep stacks of sigmoid/tanh, zero or tiny init, missing normalisation.

    Fix: ReLU-family activations with Kaiming init, normalisation layers, residual
    connections; re-initialise a zero-initialised net.
    """

    code = "vanishing_gradients"
    requires = ("grad_norm", "loss")
    ratio = 1e-3
    sustain = 3
    stall = 0.05

    def _rms_ratio(self, history: ProbeHistory, grads: dict[str, float]) -> float | None:
        names = [n for n in history.weight_names if n in grads and n not in history.embedding_names]
        if len(names) < 2:
            return None
        first, last = names[0], names[-1]
        rms_first = grads[first] / math.sqrt(history.numel[first])
        rms_last = grads[last] / math.sqrt(history.numel[last])
        return rms_first / rms_last if rms_last > 0 else None

    def run(self, history: ProbeHistory) -> list[Finding]:
        window = history.last(self.sustain)
        if not window:
            return []
        ratios = [self._rms_ratio(history, s.grad_norm) for s in window]
        if any(r is None or not r <= self.ratio for r in ratios):
            return []
        losses = history.losses(window)
        if len(losses) < 2 or losses[0] - losses[-1] > self.stall * abs(losses[0]):
            return []
        s = window[-1]
        first = next(n for n in history.weight_names if n in s.grad_norm and n not in history.embedding_names)
        return [self.at(s, "warning", f"The gradient reaching `{first}` is {ratios[-1]:.2g} of the "
                        f"last layer's (per element) and the loss stalled at {losses[-1]:.3g}.",
                        "Use ReLU-family activations with Kaiming init, add normalisation or "
                        "residual connections; re-initialise zero or tiny weights.",
                        where=first, grad_ratio=ratios, loss=losses)]
