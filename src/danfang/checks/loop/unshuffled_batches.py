"""unshuffled_batches: training batches that each hold a single class or labels in sorted order."""

from __future__ import annotations

from danfang.checks.loop._base import LoopCheck
from danfang.checks.loop._samples import loss_name
from danfang.findings import Finding
from danfang.loop.loss_sample import BINARY_LOSSES, CLASS_LOSSES
from danfang.loop.record import LoopRecord


class UnshuffledBatches(LoopCheck):
    """Symptom: the training loss swings from batch to batch and the model forgets earlier
    classes; the final model favours the classes it saw last.

    Evidence: every sampled training batch of class labels (at least ``min_labels`` labels,
    a 1-D target) held a single class or its labels in non-decreasing order, while the
    sampled batches together held at least two classes. With shuffled batches of 8 or more
    labels that is vanishingly unlikely. Steps with several labelled loss calls are not data
    batches (a GAN labels its real batch 1 and its fake batch 0) and are left out.

    Likely causes: ``DataLoader(..., shuffle=False)`` over a data set stored sorted by label.

    Fix: shuffle the training data each epoch (``DataLoader(train_set, shuffle=True)``).
    """

    code = "unshuffled_batches"
    min_samples = 3
    min_labels = 8

    def run(self, record: LoopRecord) -> list[Finding]:
        labelled = [s for s in record.samples if (s.kind in CLASS_LOSSES or s.kind in BINARY_LOSSES)
                    and s.tgt_integral and s.tgt_labels >= self.min_labels
                    and (len(s.target_shape) == 1 or s.target_shape[1:] == (1,))]
        per_step: dict[int, int] = {}
        for s in labelled:
            per_step[s.step] = per_step.get(s.step, 0) + 1
        # a step with several labelled calls builds its labels (a GAN's real and fake batches)
        batches = [s for s in labelled if per_step[s.step] == 1]
        if len(batches) < self.min_samples:
            return []
        classes = {s.tgt_min for s in batches} | {s.tgt_max for s in batches}
        if len(classes) < 2 or not all(s.tgt_distinct == 1 or s.tgt_sorted for s in batches):
            return []
        single = sum(s.tgt_distinct == 1 for s in batches)
        s = batches[-1]
        return [self.found(
            "warning", f"All {len(batches)} sampled training batches of {loss_name(s.kind)} were ordered by label "
            f"({single} held a single class, {len(batches) - single} sorted labels of several), though together "
            f"they held at least {len(classes)} classes: the batches are not shuffled.",
            "The training data is not shuffled and is stored sorted by label: pass shuffle=True to the "
            "training DataLoader (or shuffle the indices each epoch).",
            where=s.kind, step=s.step, sampled_batches=len(batches), single_class_batches=single)]
