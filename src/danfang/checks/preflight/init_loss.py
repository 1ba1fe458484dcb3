"""``init_loss_off``: the loss at initialisation is far from what a calm network gives."""

from __future__ import annotations

import math

import torch

from danfang.checks.base import Check
from danfang.checks.preflight._batch import Output, head, loss_of, run_model
from danfang.checks.preflight._context import PreflightContext
from danfang.checks.preflight._fit import baseline_loss
from danfang.checks.preflight._trace import trace
from danfang.findings import Finding


class InitLossOff(Check):
    """The loss at initialisation is far from its expected value.

    **Symptom.** Before any step, a classifier should predict roughly uniform probabilities,
    so its cross-entropy is ln C; a regressor should do no worse than predicting the target
    mean (Karpathy: "verify loss @ init"; CS231n: "look for correct loss at chance
    performance").

    **Evidence.** The loss of a fresh copy of the model on up to 64 training samples (train
    mode, as the first step sees it) against ln C, or against the loss of the constant
    target-mean prediction. Both references go through the user's own loss, so a summed
    loss (``loss_reduction_sum``) is compared per sample, not flagged twice.

    **Thresholds.** Classification fires when the loss exceeds ln C by more than
    max(0.5 nats, 25% of ln C): logits of standard deviation s add about s²/2 nats, so this
    means logits of std above ~1, ten times the "tiny at init" Karpathy asks for.
    Regression fires when the loss is more than twice that of the target-mean prediction.

    **Likely causes.** A final layer with large weights; unnormalised inputs; targets far
    from zero (e.g. prices in the thousands) with a zero-centred output; a wrong loss.

    **Fix.** Scale the final layer down (or zero its weights) and set its bias to the log
    class frequencies (classification) or to the target mean (regression); normalise the
    inputs; standardise regression targets.
    """

    code = "init_loss_off"

    #: At init every sample's loss is close to ln C, so 64 samples pin the mean to a few
    #: hundredths of a nat, far inside the thresholds.
    SAMPLES = 64

    #: Excess nats tolerated above ln C, absolute and as a share of ln C.
    EXCESS_NATS, EXCESS_SHARE = 0.5, 0.25
    #: Regression: tolerated ratio to the loss of predicting the target mean.
    REGRESSION_RATIO = 2.0

    def run(self, ctx: PreflightContext) -> list[Finding]:
        model = ctx.copy_model(train=True)
        x, y = head(ctx, self.SAMPLES)
        with torch.no_grad():
            output = run_model(model, x)
            loss = float(loss_of(ctx, output, y))
        final = trace(ctx).final_layer()
        where = final.name if final else None
        if not math.isfinite(loss):
            return [self.finding("error", f"The loss at initialisation is {loss}, before any step.",
                                 "Look for NaN/Inf in the inputs, a log of zero or a division in the "
                                 "model or the loss.", where=where, evidence={"loss": loss})]
        if ctx.classification:
            return self._classification(ctx, loss, output, y, where)
        return self._regression(ctx, loss, output, y, where)

    def _classification(self, ctx: PreflightContext, loss: float, output: Output, y: torch.Tensor,
                        where: str | None) -> list[Finding]:
        out = output.tensor
        c = ctx.num_classes or (int(out.shape[1]) if out.ndim >= 2 else 0)
        if c < 2 or out.ndim < 2 or out.shape[1] != c:
            return []
        expected = math.log(c)
        with torch.no_grad():  # the loss of uniform predictions, through the user's own loss:
            uniform = float(loss_of(ctx, output, y, torch.full_like(out, -expected)))  # or N ln C summed
        scale = uniform / expected if uniform > 0 else 1.0
        per_sample = loss / scale
        if per_sample - expected <= max(self.EXCESS_NATS, self.EXCESS_SHARE * expected):
            return []
        freq = torch.bincount(ctx.y.flatten().long().cpu(), minlength=c)[:c].float()
        log_prior = torch.log((freq / freq.sum()).clamp_min(1e-4))
        bias = ", ".join(f"{v:.2f}" for v in log_prior.tolist())
        return [self.finding(
            "warning",
            f"The loss at initialisation is {per_sample:.3f} a sample, but a network that starts by "
            f"predicting uniform probabilities over {c} classes gives ln {c} = {expected:.3f} "
            f"({per_sample / expected:.1f}x). The logits start too large and confidently wrong.",
            f"Scale the final layer{f' `{where}`' if where else ''} down (e.g. multiply its weights "
            f"by 0.1, or zero them) and set its bias to the log class frequencies [{bias}]; "
            "normalise the inputs if they are not.",
            where=where, evidence={"loss": loss, "loss_per_sample": per_sample, "expected": expected,
                                   "num_classes": c, "logit_std": float(out.float().std()),
                                   "suggested_bias": log_prior.tolist()})]

    def _regression(self, ctx: PreflightContext, loss: float, output: Output, y: torch.Tensor,
                    where: str | None) -> list[Finding]:
        out = output.tensor
        expected = baseline_loss(ctx, output, y)
        if expected <= 0 or loss <= self.REGRESSION_RATIO * expected:
            return []
        mean = ctx.y.float().mean(0)
        shown = f"{float(mean):.4g}" if mean.numel() == 1 else f"{[round(v, 4) for v in mean.tolist()]}"
        return [self.finding(
            "warning",
            f"The loss at initialisation is {loss:.4g}, {loss / expected:.1f}x the loss of simply "
            f"predicting the target mean ({expected:.4g}). The output starts far from the targets.",
            f"Set the final layer{f' `{where}`' if where else ''}'s bias to the target mean {shown} "
            "(and shrink its weights), or standardise the targets to zero mean and unit variance.",
            where=where, evidence={"loss": loss, "expected": expected, "target_mean": mean.tolist(),
                                   "output_mean": float(out.float().mean())})]
