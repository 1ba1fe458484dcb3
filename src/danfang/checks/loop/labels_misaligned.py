"""labels_misaligned: the labels carry nothing about their inputs — the model memorises the
training labels while validation stays at chance, or it moves its weights for hundreds of
steps and never beats guessing even on the training batches."""

from __future__ import annotations

import math

from danfang.checks.loop._base import LoopCheck
from danfang.checks.loop._samples import loss_name
from danfang.findings import Finding
from danfang.loop.loss_sample import CLASS_LOSSES
from danfang.loop.record import LoopRecord

_FIX = ("The labels do not belong to their inputs: inputs and labels were shuffled, sorted or loaded "
        "separately (or the validation labels come in another order). Build each (input, label) pair "
        "together with one permutation, and check a few pairs by eye.")


def _chance(samples: list, classes: int) -> tuple[float, dict]:
    counts: dict = {}
    for s in samples:
        for label, n in (s.tgt_counts or {}).items():
            counts[label] = counts.get(label, 0) + n
    share = max(counts.values()) / sum(counts.values()) if counts else 0.0
    return max(1.0 / classes, share), counts


class LabelsMisaligned(LoopCheck):
    """Symptom: training accuracy climbs towards 100% while validation accuracy stays where
    guessing would put it; or the loss never falls below "knowing the label frequencies" and
    training accuracy stays at chance, though the weights keep moving.

    Evidence (memorising): the latest sampled training batches are classified with accuracy
    at least ``train_acc`` (and ``margin`` above chance), while the latest evaluation pass
    (at least ``min_eval_labels`` labels) is no better than chance + ``chance_band`` x
    (1 - chance), chance being the larger of 1/C and the most common label's share.
    Overfitting does not look like this: an overfit model still beats chance on validation.

    Evidence (learning nothing): after ``min_steps`` optimizer steps, every sampled training
    batch since step ``min_steps // 2`` (at least 3) of a ``C >= 3`` class loss is classified
    within 2 points of chance and its loss is at least 97% of the entropy of the label
    frequencies, while the median update/weight ratio is a normal 1e-4..1e-2 (a too-small
    LR or a frozen model is another finding).

    Likely causes: inputs and labels shuffled, sorted or loaded separately (a permutation
    applied to one and not the other), labels from another file or order than the inputs.

    Fix: build each (input, label) pair together — index one array with the same
    permutation as the other, or keep them in one Dataset — and check a few pairs by eye.
    """

    code = "labels_misaligned"
    train_acc = 0.9
    margin = 0.4
    chance_band = 0.15
    min_eval_labels = 64
    min_steps = 400

    def run(self, record: LoopRecord) -> list[Finding]:
        return self._memorising(record) or self._learning_nothing(record)

    def _memorising(self, record: LoopRecord) -> list[Finding]:
        train = [s for s in record.samples if s.correct == s.correct][-3:]
        evals = [(p, s) for p, s in record.eval_samples if s.correct == s.correct]
        if len(train) < 2 or not evals:
            return []
        last = evals[-1][0]
        batch = [s for p, s in evals if p == last]
        labels = sum(max(s.tgt_labels, 1) for s in batch)
        if labels < self.min_eval_labels:
            return []
        chance, _ = _chance(batch, max(s.classes or 2 for s in batch))
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
            _FIX, where=s.kind, step=record.steps, train_acc=round(tr_acc, 4), val_acc=round(val_acc, 4),
            chance=round(chance, 4))]

    def _learning_nothing(self, record: LoopRecord) -> list[Finding]:
        ratio = record.update_ratio
        if record.steps < self.min_steps or ratio is None or not 1e-4 <= ratio <= 1e-2:
            return []
        late = [s for s in record.samples if s.kind in CLASS_LOSSES and s.classes >= 3
                and s.step >= self.min_steps // 2 and s.correct == s.correct and s.value == s.value]
        if len(late) < 3:
            return []
        chance, counts = _chance(late, max(s.classes for s in late))
        total = sum(counts.values())
        if not total:
            return []
        entropy = -sum(n / total * math.log(n / total) for n in counts.values() if n)
        acc = sum(s.correct for s in late) / len(late)
        loss = sum(s.value for s in late) / len(late)
        if acc > chance + 0.02 or loss < 0.97 * entropy:
            return []
        s = late[-1]
        return [self.found(
            "warning", f"After {record.steps} optimizer steps the model classifies its own training batches "
            f"with {acc:.0%} accuracy, where guessing the most common label gets {chance:.0%}, and its "
            f"{loss_name(s.kind)} ({loss:.3g}) is no lower than the entropy of the label frequencies "
            f"({entropy:.3g}), though its weights move normally (update/weight ratio {ratio:.1e}): the labels "
            "carry no information the model can find in the inputs.",
            _FIX, where=s.kind, step=record.steps, train_acc=round(acc, 4), chance=round(chance, 4),
            loss=round(loss, 4), label_entropy=round(entropy, 4), update_ratio=ratio)]
