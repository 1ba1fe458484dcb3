"""loss_unsuited_to_targets: a regression loss trained against class labels or one-hot vectors."""

from __future__ import annotations

from danfang.checks.loop._base import LoopCheck
from danfang.checks.loop._samples import loss_name, training_samples
from danfang.findings import Finding
from danfang.loop.loss_sample import REGRESSION_LOSSES
from danfang.loop.record import LoopRecord


class LossUnsuitedToTargets(LoopCheck):
    """Symptom: a classifier trains slowly and plateaus at a mediocre accuracy; with labels
    as numbers it predicts "between" classes (3.5 for a 3 or a 4).

    Evidence: on every sampled training step an MSE/L1/SmoothL1/Huber loss got targets that
    are one-hot rows (0/1 with exactly one 1 per row), or whole numbers 0..K-1 (K from 3 to
    ``max_classes``, every value present) against a single output per sample.

    Likely causes: MSE on softmax outputs against one-hot targets; a class index regressed
    as a number.

    Fix: train classes with ``CrossEntropyLoss`` on raw logits and integer class indices
    (``target.argmax(1)`` for one-hot rows).
    """

    code = "loss_unsuited_to_targets"
    min_samples = 2
    max_classes = 20

    def run(self, record: LoopRecord) -> list[Finding]:
        samples = training_samples(record, REGRESSION_LOSSES)
        if len(samples) < self.min_samples:
            return []
        s = samples[-1]
        if all(t.tgt_one_hot for t in samples):
            return [self.found(
                "warning", f"{loss_name(s.kind)} was trained against one-hot targets (shape "
                f"{list(s.target_shape)}, rows of 0/1 with one 1) on all {len(samples)} sampled steps: a "
                "regression loss on class targets gives weak, vanishing gradients once the softmax saturates.",
                "These are class targets trained with a regression loss: use CrossEntropyLoss on the raw "
                "logits with class indices (target.argmax(1)) instead of MSE on probabilities.",
                where=s.kind, step=s.step, target_shape=list(s.target_shape))]
        single_output = all(len(t.input_shape) == 1 or t.input_shape[-1] == 1 for t in samples)
        top = max(t.tgt_max for t in samples)
        if single_output and all(t.tgt_integral and t.tgt_min >= 0 for t in samples) \
                and 2 <= top < self.max_classes and any(t.tgt_distinct == int(top) + 1 for t in samples):
            k = int(top) + 1
            return [self.found(
                "warning", f"{loss_name(s.kind)} was trained against whole-number targets 0..{k - 1} (all {k} "
                f"values present) with one output per sample, on all {len(samples)} sampled steps: if these "
                "are class labels, regressing them as numbers orders the classes and predicts between them.",
                f"Class labels are regressed with {s.kind}: give the model {k} outputs and train with "
                "CrossEntropyLoss on the integer labels (keep the regression loss only if the numbers are "
                "real quantities, e.g. counts).",
                where=s.kind, step=s.step, values=k)]
        return []
