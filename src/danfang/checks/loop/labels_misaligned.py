"""labels_misaligned: the model learns its training labels while validation stays at chance."""

from __future__ import annotations

from danfang.checks.loop._base import LoopCheck
from danfang.checks.loop._samples import loss_name
from danfang.findings import Finding
from danfang.loop.record import LoopRecord


class LabelsMisaligned(LoopCheck):
    """Symptom: training accuracy climbs towards 100% while validation accuracy stays where
    guessing would put it, from the first evaluation to the last.

    Evidence: the latest sampled training batches are classified with accuracy at least
    ``train_acc`` (and ``margin`` above chance), while every sampled batch of the latest
    evaluation pass (at least ``min_eval_labels`` labels) is classified no better than
    chance + ``chance_band`` x (1 - chance), chance being the larger of 1/C and the share of
    the most common label in that pass's sampled batches. Overfitting does not look like this: an overfit model
    still beats chance on validation.

    Likely causes: inputs and labels shuffled or sorted separately (a permutation applied to
    one and not the other), labels from another file or in another order than the inputs,
    a validation set whose labels do not belong to its inputs.

    Fix: build each (input, label) pair together — index one array with the same
    permutation as the other, or keep them in one Dataset — and check a few pairs by eye.
    """

    code = "labels_misaligned"
    train_acc = 0.9
    margin = 0.4
    chance_band = 0.15
    min_eval_labels = 64

    def run(self, record: LoopRecord) -> list[Finding]:
        train = [s for s in record.samples if s.correct == s.correct][-3:]
        evals = [(p, s) for p, s in record.eval_samples if s.correct == s.correct]
        if len(train) < 2 or not evals:
            return []
        last = evals[-1][0]
        batch = [s for p, s in evals if p == last]
        labels = sum(max(s.tgt_labels, 1) for s in batch)
        if labels < self.min_eval_labels:
            return []
        classes = max(s.classes or 2 for s in batch)
        counts: dict = {}
        for s in batch:
            for label, n in (s.tgt_counts or {}).items():
                counts[label] = counts.get(label, 0) + n
        chance = max(1.0 / classes, max(counts.values()) / sum(counts.values()) if counts else 0.0)
        val_acc = sum(s.correct * max(s.tgt_labels, 1) for s in batch) / labels
        tr_acc = sum(s.correct for s in train) / len(train)
        if tr_acc < max(self.train_acc, chance + self.margin) or \
                val_acc > chance + self.chance_band * (1 - chance):
            return []
        s = batch[-1]
        return [self.found(
            "error", f"The model classifies its training batches with {tr_acc:.0%} accuracy, but the latest "
            f"evaluation pass ({labels} labels of {loss_name(s.kind)}) only {val_acc:.0%}, where guessing gets "
            f"{chance:.0%}: it memorises the training labels and learns nothing that carries to validation.",
            "The labels do not belong to their inputs: inputs and labels were shuffled, sorted or loaded "
            "separately (or the validation labels come in another order). Build each (input, label) pair "
            "together with one permutation, and check a few pairs by eye.",
            where=s.kind, step=record.steps, train_acc=round(tr_acc, 4), val_acc=round(val_acc, 4),
            chance=round(chance, 4))]
