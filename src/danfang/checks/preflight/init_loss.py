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
    Regression fires when the loss is more than twice that of the target-mean prediction;
    for an output that comes out of a sigmoid or tanh, more than 1.5x the larger of that
    and the loss of the constant a calm output starts at (sigmoid(0) = 0.5, tanh(0) = 0): a
    healthy sigmoid autoencoder starts at 0.5 on every pixel, 2.4x the target mean's loss
    on digits, and is not "off"; saturated outputs (large final weights) are. Binary and
    multi-label logits are judged the same way against logit 0 (p = 0.5, ln 2 a label), not
    against the base rates: a calm classifier of a 10 % class starts at ln 2, 2.4x the base
    rate's loss, as a calm multi-class one starts at ln C.

    **Likely causes.** A final layer with large weights; unnormalised inputs; targets far
    from zero (e.g. prices in the thousands) with a zero-centred output; a wrong loss.

    **Fix.** Scale the final layer down (or zero its weights) and set its bias to the log
    class frequencies (classification), to the target mean (a linear regression output), to
    logit(target mean) (before a sigmoid, or logits for ``BCEWithLogitsLoss``) or atanh(mean)
    (before a tanh); normalise the inputs; standardise regression targets.
    """

    code = "init_loss_off"

    #: At init every sample's loss is close to ln C, so 64 samples pin the mean to a few
    #: hundredths of a nat, far inside the thresholds.
    SAMPLES = 64

    #: Excess nats tolerated above ln C, absolute and as a share of ln C.
    EXCESS_NATS, EXCESS_SHARE = 0.5, 0.25
    #: Regression: tolerated ratio to the loss of predicting the target mean.
    REGRESSION_RATIO = 2.0
    #: A sigmoid/tanh output: tolerated ratio to the larger of that and the loss of the calm
    #: constant squash(0). A fresh output sits within a few percent of it; a bounded output's
    #: MSE can be at most ~2x it even when every unit is saturated (measured: 1.0x at default
    #: init, 1.6x with final weights x40, 1.9x x200 on digit-like pixels).
    SQUASHED_RATIO = 1.5

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
        squash = output_squash(ctx)
        start = calm_start(ctx, squash)
        calm = None
        if start is not None:  # a sigmoid/tanh output (or a logit) starts there: calm, not off
            with torch.no_grad():
                calm = float(loss_of(ctx, output, y, torch.full_like(out, start)))
        ratio, reference = self.REGRESSION_RATIO, expected
        if calm is not None and math.isfinite(calm):
            ratio, reference = self.SQUASHED_RATIO, max(expected, calm)
        if expected <= 0 or loss <= ratio * reference:
            return []
        target = ctx.y.float().mean(0)
        bias, name = init_bias(ctx, target, squash)
        shown = f"{float(bias):.4g}" if bias.numel() == 1 else f"{[round(v, 4) for v in bias.flatten().tolist()]}"
        layer = f" `{where}`" if where else ""
        return [self.finding(
            "warning",
            f"The loss at initialisation is {loss:.4g}, {loss / expected:.1f}x the loss of simply "
            f"predicting the target mean ({expected:.4g})"
            + (f" and {loss / calm:.1f}x that of the constant {start:g} a calm "
               f"{squash or 'logit'} output starts at ({calm:.4g})" if calm is not None else "")
            + ". The output starts far from the targets.",
            f"Set the final layer{layer}'s bias to {name} {shown} (and shrink its weights)"
            + (f", so that the {squash} starts at the target mean" if squash else "")
            + ", or standardise the targets to zero mean and unit variance.",
            where=where, evidence={"loss": loss, "expected": expected, "calm_output_loss": calm,
                                   "output_activation": squash, "target_mean": target.tolist(),
                                   "suggested_bias": bias.tolist(), "output_mean": float(out.float().mean())})]


#: The value a squashing output takes when its input is 0 (a calm, freshly initialised layer).
SQUASH_AT_ZERO = {"sigmoid": 0.5, "tanh": 0.0}
#: Autograd nodes that only reshape or copy: looked through to find the activation before them.
_PASS_THROUGH = ("View", "Reshape", "Unsafe", "Squeeze", "Unsqueeze", "Transpose", "Permute", "Clone",
                 "Expand", "Select", "Slice", "Flatten", "Contiguous", "ToCopy", "Alias")


def output_squash(ctx: PreflightContext) -> str | None:
    """``"sigmoid"`` or ``"tanh"`` when the model's output comes straight out of that function
    (an ``nn.Sigmoid`` module, ``torch.sigmoid`` in ``forward``, a reshape after it), else None.
    Read from the autograd graph of one forward pass on two samples."""
    def find() -> str | None:
        model = ctx.copy_model(train=False)
        with torch.enable_grad():
            node = run_model(model, head(ctx, 2)[0]).tensor.grad_fn
        for _ in range(8):
            if node is None:
                return None
            kind = node.name()
            if kind.startswith("Sigmoid"):
                return "sigmoid"
            if kind.startswith("Tanh"):
                return "tanh"
            if not kind.startswith(_PASS_THROUGH):
                return None
            node = next((f for f, _ in node.next_functions if f is not None), None)
        return None

    return ctx.memo("output_squash", find)


def calm_start(ctx: PreflightContext, squash: str | None) -> float | None:
    """The constant a freshly initialised output sits near when that is not the target mean:
    squash(0) after a sigmoid or tanh, logit 0 (p = 0.5) for binary and multi-label logits;
    None for a linear regression output."""
    if squash is not None:
        return SQUASH_AT_ZERO[squash]
    if ctx.task in ("binary", "multilabel"):
        return 0.5 if isinstance(ctx.loss_fn, torch.nn.BCELoss) else 0.0
    return None


def init_bias(ctx: PreflightContext, target: torch.Tensor, squash: str | None) -> tuple[torch.Tensor, str]:
    """The final bias that makes a fresh output equal the target mean (or base rate), and how to
    name it: the mean itself for a linear output, logit(mean) before a sigmoid or for logits
    trained with ``BCEWithLogitsLoss``, atanh(mean) before a tanh."""
    if squash == "sigmoid" or isinstance(ctx.loss_fn, torch.nn.BCEWithLogitsLoss):
        p = target.clamp(1e-3, 1 - 1e-3)
        return torch.log(p / (1 - p)), "logit(target mean) ="
    if squash == "tanh":
        return torch.atanh(target.clamp(-0.999, 0.999)), "atanh(target mean) ="
    return target, "the target mean"
