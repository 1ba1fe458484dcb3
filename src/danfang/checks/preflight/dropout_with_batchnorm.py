"""``dropout_with_batchnorm``: Dropout feeding BatchNorm (the variance shift)."""

from __future__ import annotations

from danfang.checks.base import Check
from danfang.checks.preflight._context import PreflightContext
from danfang.checks.preflight._trace import BATCHNORM, DROPOUT, trace
from danfang.findings import Finding


class DropoutWithBatchNorm(Check):
    """Dropout placed before BatchNorm.

    **Symptom.** Dropout changes the variance of its output between training and
    evaluation; a BatchNorm after it accumulates running statistics of the training-time
    variance and applies them to evaluation-time activations, a "variance shift" that
    costs accuracy (Li, Chen, Hu & Yang, *Understanding the Disharmony between Dropout and
    Batch Normalization by Variance Shift*, CVPR 2019).

    **Evidence.** The forward trace: each Dropout (p > 0) called before a BatchNorm
    later in the same pass, with the pair's names and p.

    **Likely causes.** Dropout sprinkled between convolutional blocks of a BatchNorm
    network.

    **Fix.** Move Dropout after the last BatchNorm (just before the classifier), lower p,
    or drop it: BatchNorm already regularises.
    """

    code = "dropout_with_batchnorm"

    def run(self, ctx: PreflightContext) -> list[Finding]:
        calls = trace(ctx).calls
        pairs, seen = [], set()
        for i, c in enumerate(calls):
            if not isinstance(c.module, DROPOUT) or c.module.p <= 0 or c.name in seen:
                continue
            bn = next((d for d in calls[i + 1:] if isinstance(d.module, BATCHNORM)), None)
            if bn is not None:
                seen.add(c.name)
                pairs.append({"dropout": c.name, "p": float(c.module.p), "batchnorm": bn.name})
        if not pairs:
            return []
        first = pairs[0]
        return [self.finding(
            "warning",
            f"Dropout `{first['dropout']}` (p={first['p']:g}) feeds BatchNorm `{first['batchnorm']}`"
            + (f" (and {len(pairs) - 1} more pair(s))" if len(pairs) > 1 else "")
            + ": BatchNorm learns the variance of dropped-out activations in training and applies "
              "it to full activations at evaluation (variance shift).",
            "Move Dropout after the last BatchNorm (just before the classifier), lower p, or remove "
            "it: BatchNorm already regularises.",
            where=", ".join(p["dropout"] for p in pairs), evidence={"pairs": pairs})]
