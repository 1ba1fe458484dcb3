"""``class_imbalance``: class frequencies far from uniform in the training split."""

from __future__ import annotations

import numpy as np

from danfang.checks.base import Check
from danfang.checks.data._common import AuditContext
from danfang.findings import Finding


class ClassImbalance(Check):
    """Some classes are much rarer than others in the training split.

    **Symptom:** the model favours the frequent classes; accuracy looks fine while the
    rare classes are mostly wrong; the loss plateaus at "predict the majority".

    **Evidence:** the class histogram of train (and of val/test), the imbalance ratio
    (largest class / smallest class), classes with no training sample, and the class
    weights that would balance them.

    **Likely causes:** the data's natural frequencies, a filtering step that dropped a
    class, a label mapping that merged classes.

    **Fix:** weight the loss by ``w_c = N / (C * n_c)`` (``CrossEntropyLoss(weight=w)``), or
    draw batches with ``torch.utils.data.WeightedRandomSampler`` using per-sample weight
    ``1 / n_{y_i}``; judge with per-class or balanced accuracy. Fires from a ratio of 3:
    mild imbalance (MNIST's is 1.24) trains fine with plain cross-entropy, while at 3x and
    beyond the rare classes' gradients are visibly outweighed.

    **Tasks.** ``classification`` with one label a sample, or one a position (labels
    (N, L), (N, H, W)): per-position labels are counted over every position, positions at
    ``ignore_index`` (or any negative label, e.g. -100) left out. Per-position classes are
    skewed by nature (background pixels, "O" tags), so there a ratio from 3 to
    :data:`POSITION_RATIO` is an ``info`` and a warning needs a missing class or a ratio
    of 30 (a class under ~3 % of the positions for 2 classes). ``binary``: the 0/1
    targets. ``multilabel``: not judged (``info``, per-label base rates in the evidence).
    """

    code = "class_imbalance"
    RATIO = 3.0
    POSITION_RATIO = 30.0

    def run(self, ctx: AuditContext) -> list[Finding]:
        if ctx.task == "multilabel":
            return self._multilabel(ctx)
        y = ctx.labels("train")
        if y is None or len(y) == 0:
            return []
        per_position = ctx.per_position()
        c = max(ctx.classes(), int(y.max()) + 1)
        counts = np.bincount(y, minlength=c)
        missing = np.flatnonzero(counts == 0).tolist()
        present = counts[counts > 0]
        ratio = float(present.max() / present.min())
        if ratio < self.RATIO and not missing:
            return []
        severity = "warning" if missing or not per_position or ratio >= self.POSITION_RATIO else "info"
        weights = np.where(counts > 0, len(y) / (c * np.maximum(counts, 1)), 0.0)
        rare = int(np.argmin(np.where(counts > 0, counts, counts.max() + 1)))
        often = int(np.argmax(counts))
        unit = "positions" if per_position else "samples"
        parts = [f"class {often} has {counts[often]} {unit}, class {rare} {counts[rare]} (ratio {ratio:.1f})"]
        if missing:
            parts.append(f"classes {_ranges(missing)} have no training {unit[:-1]}")
        evidence = {"counts": counts.tolist(), "ratio": ratio, "missing": missing, "per_position": per_position,
                    "audited": ctx.train.described(),
                    "class_weights": np.round(weights, 4).tolist(),
                    "sampler_weight_per_class": np.round(1.0 / np.maximum(counts, 1), 8).tolist()}
        for name in ctx.splits:
            other = ctx.labels(name) if name != "train" else None
            if other is not None and len(other):
                evidence[f"{name}_counts"] = np.bincount(other, minlength=c)[:max(c, 1)].tolist()
        w = ", ".join(f"{v:.3g}" for v in weights)
        note = (" (per-position classes are often skewed by nature; weighting helps the rare classes' recall)"
                if severity == "info" else "")
        return [self.finding(
            severity,
            f"train classes are imbalanced{' over positions' if per_position else ''} "
            f"({ctx.train.described()}): {'; '.join(parts[int(ratio < self.RATIO):])}{note}.",
            f"Weight the loss with CrossEntropyLoss(weight=torch.tensor([{w}])) (w_c = N/(C n_c)), "
            + ("or use a Dice / focal loss; report per-class IoU or F1." if per_position else
               "or sample batches with WeightedRandomSampler(1/n_{y_i}); report balanced accuracy.")
            + (" Collect samples of the missing classes." if missing else ""),
            where="train", evidence=evidence)]

    def _multilabel(self, ctx: AuditContext) -> list[Finding]:
        y = ctx.train.y
        if y.ndim != 2 or len(y) == 0:
            return []
        rates = np.asarray(y, dtype=np.float64).mean(0)
        return [self.finding(
            "info",
            "class balance not judged for multilabel targets: each label is its own binary "
            f"problem (base rates {rates.min():.2g}..{rates.max():.2g}).",
            "If rare labels matter, weight them with BCEWithLogitsLoss(pos_weight=(1 - p) / p).",
            where="train", evidence={"judged": False, "base_rates": np.round(rates, 4).tolist()[:256]})]


def _ranges(values: list[int]) -> str:
    """[6, 7, 8, 9, 12] -> "6-9, 12"."""
    out, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            out.append(str(start) if start == v else f"{start}-{v}")
            start = None
    return ", ".join(out)
