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
    """

    code = "class_imbalance"
    RATIO = 3.0

    def run(self, ctx: AuditContext) -> list[Finding]:
        y = ctx.train.y
        if ctx.task != "classification" or y.ndim != 1 or len(y) == 0:
            return []
        c = ctx.classes()
        counts = np.bincount(y.astype(np.int64), minlength=c)
        missing = np.flatnonzero(counts == 0).tolist()
        present = counts[counts > 0]
        ratio = float(present.max() / present.min())
        if ratio < self.RATIO and not missing:
            return []
        weights = np.where(counts > 0, len(y) / (c * np.maximum(counts, 1)), 0.0)
        rare = int(np.argmin(np.where(counts > 0, counts, counts.max() + 1)))
        often = int(np.argmax(counts))
        parts = [f"class {often} has {counts[often]} samples, class {rare} {counts[rare]} (ratio {ratio:.1f})"]
        if missing:
            parts.append(f"classes {missing} have no training sample")
        evidence = {"counts": counts.tolist(), "ratio": ratio, "missing": missing,
                    "class_weights": np.round(weights, 4).tolist(),
                    "sampler_weight_per_class": np.round(1.0 / np.maximum(counts, 1), 8).tolist()}
        for name, split in ctx.splits.items():
            if name != "train" and split.y.ndim == 1:
                evidence[f"{name}_counts"] = np.bincount(split.y.astype(np.int64), minlength=c).tolist()
        w = ", ".join(f"{v:.3g}" for v in weights)
        return [self.finding(
            "warning",
            f"train classes are imbalanced: {'; '.join(parts[int(ratio < self.RATIO):])}.",
            f"Weight the loss with CrossEntropyLoss(weight=torch.tensor([{w}])) (w_c = N/(C n_c)), "
            f"or sample batches with WeightedRandomSampler(1/n_{{y_i}}); report balanced accuracy."
            + (" Collect samples of the missing classes." if missing else ""),
            where="train", evidence=evidence)]
