"""``batchnorm_small_batch``: BatchNorm trained on batches too small for its statistics."""

from __future__ import annotations

from danfang.checks.base import Check
from danfang.checks.preflight._context import PreflightContext, name_list
from danfang.checks.preflight._trace import BATCHNORM
from danfang.findings import Finding


class BatchNormSmallBatch(Check):
    """BatchNorm trained with very small batches.

    **Symptom.** BatchNorm normalises with the mean and variance of the current batch; with
    few samples those estimates are noisy and differ from the running averages used at
    evaluation, so training is noisy and validation worse.

    **Evidence.** The BatchNorm layers of the model and ``settings["batch_size"]`` (with
    gradient accumulation, BatchNorm still sees only the micro-batch).

    **Threshold.** Fires below 16 samples a batch. Wu & He (Group Normalization, 2018,
    Fig. 1): ResNet-50's ImageNet error with BatchNorm is flat from 32 to 16 images a
    batch, then rises by 2.3 points at 8, 4.7 at 4 and 11 at 2.

    **Likely causes.** A batch size cut to fit memory; a large model on a small device.

    **Fix.** Use a batch of 16 or more (accumulate gradients for a larger effective batch),
    or replace BatchNorm with GroupNorm/LayerNorm, which do not depend on the batch.
    """

    code = "batchnorm_small_batch"

    MIN_BATCH = 16

    def run(self, ctx: PreflightContext) -> list[Finding]:
        bs = int(ctx.settings.get("batch_size") or 0)
        layers = [n for n, m in ctx.model.named_modules() if isinstance(m, BATCHNORM)]
        if not layers or bs <= 0 or bs >= self.MIN_BATCH:
            return []
        shown = name_list(layers, 3)
        return [self.finding(
            "warning",
            f"The model normalises with BatchNorm ({len(layers)} layer(s): {shown}) but trains on "
            f"batches of {bs}: batch statistics from so few samples are noisy and differ from the "
            "running averages used at evaluation.",
            f"Use batches of {self.MIN_BATCH} or more (with settings['accumulate'] for a larger "
            "effective batch), or replace BatchNorm with GroupNorm or LayerNorm.",
            where=", ".join(layers), evidence={"batch_size": bs, "batchnorm_layers": layers,
                                               "min_batch": self.MIN_BATCH})]
