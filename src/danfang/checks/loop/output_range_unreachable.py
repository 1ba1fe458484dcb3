"""output_range_unreachable: the model's output cannot reach the targets (a ReLU, sigmoid or
tanh on the output of a regression whose targets lie outside its range)."""

from __future__ import annotations

from danfang.checks.loop._base import LoopCheck
from danfang.checks.loop._samples import loss_name, training_samples
from danfang.findings import Finding
from danfang.loop.loss_sample import REGRESSION_LOSSES
from danfang.loop.record import LoopRecord


class OutputRangeUnreachable(LoopCheck):
    """Symptom: a regression's loss stops falling at a floor well above zero; the outputs for
    some targets never move.

    Evidence: on every sampled training step the regression loss's input stayed inside a
    bounded range — at least 0 with exact zeros (a ReLU), inside (0, 1) (a sigmoid) or
    inside (-1, 1) (a tanh) — while at least ``min_share`` of the targets lay outside it.

    Likely causes: an activation left after the last layer; targets not scaled to the
    output activation's range.

    Fix: drop the output activation (a regression head is a plain Linear), or scale the
    targets into the activation's range.
    """

    code = "output_range_unreachable"
    min_samples = 2
    min_step = 20     # judge outputs after some training, not the initial ones
    min_share = 0.05

    def run(self, record: LoopRecord) -> list[Finding]:
        samples = [s for s in training_samples(record, REGRESSION_LOSSES, min_numel=8)
                   if s.in_min == s.in_min and s.step >= self.min_step]
        if len(samples) < self.min_samples:
            return []
        layer = next((m.last_layer for m in record.models.values() if m.stepped and m.last_layer), None)
        bound = None
        if all(s.in_min >= 0 and s.in_zero_frac > 0 for s in samples):
            bound, share, act = "[0, inf)", [s.tgt_neg_frac for s in samples], "a ReLU"
        elif all(0 < s.in_min and s.in_max < 1 for s in samples):
            bound, share, act = "(0, 1)", [s.tgt_neg_frac + s.tgt_above1_frac for s in samples], "a sigmoid"
        elif all(-1 <= s.in_min and s.in_max <= 1 for s in samples) and \
                (layer in ("Tanh", "Hardtanh") or max(-samples[-1].in_min, samples[-1].in_max) >= 0.999):
            bound, share, act = "[-1, 1]", [s.tgt_below_m1_frac + s.tgt_above1_frac for s in samples], "a tanh"
        if bound is None or not all(x >= self.min_share for x in share):
            return []
        s = samples[-1]
        ends = f" (its last layer: {layer})" if layer else ""
        return [self.found(
            "error", f"The model's output{ends} stayed in {bound} on all {len(samples)} sampled steps, as after "
            f"{act}, but {min(share):.0%} or more of the targets of {loss_name(s.kind)} lie outside that range: "
            "those targets can never be reached.",
            f"The output passes through {act} that cannot reach the targets: remove the activation after the "
            f"last layer (a regression head is a plain Linear), or scale the targets into {bound}.",
            where=layer, step=s.step, output_range=bound, share_unreachable=round(min(share), 4))]
