"""``loss_reduction_sum``: the loss grows with the batch size (summed, not averaged)."""

from __future__ import annotations

import torch

from danfang.checks.base import Check
from danfang.checks.preflight._batch import head, loss_of, run_model
from danfang.checks.preflight._context import NotApplicable, PreflightContext
from danfang.findings import Finding


class LossReductionSum(Check):
    """The loss scales with the batch size.

    **Symptom.** A loss summed over the samples (``reduction="sum"``, or a hand-written
    ``.sum()``) makes the gradient, and so the effective learning rate of SGD, proportional
    to the batch size: a batch-size change silently changes the learning rate, and the
    usual learning rates (3e-4 for Adam, 0.1 for SGD) are tuned for averaged losses.

    **Evidence.** The model's outputs on 16 samples (eval mode, no gradient), and the loss
    on those outputs versus on the same outputs and targets repeated twice. An averaged
    loss gives the same value (ratio 1), a summed one twice the value (ratio 2); the
    threshold is halfway, 1.5. A loss that gives another value on the same outputs and targets
    (it samples, as a REINFORCE surrogate does) is not judged (info): its ratio is noise.

    **Likely causes.** ``reduction="sum"``; ``loss.sum()`` in a custom loss; summing
    per-sample losses over a batch in a loop.

    **Fix.** Use ``reduction="mean"`` (or divide by the batch size); if you keep the sum,
    divide the learning rate by the batch size.
    """

    code = "loss_reduction_sum"

    THRESHOLD = 1.5
    SAMPLES = 16  # the ratio is exact; a few samples suffice

    def run(self, ctx: PreflightContext) -> list[Finding]:
        model = ctx.copy_model(train=False)
        x, y = head(ctx, self.SAMPLES)
        with torch.no_grad():
            out = run_model(model, x)
            once = loss_of(ctx, out, y)
            twice = loss_of(ctx, out, torch.cat([y, y]), torch.cat([out.tensor, out.tensor]))
        if not isinstance(once, torch.Tensor) or once.numel() != 1:
            shape = tuple(once.shape) if isinstance(once, torch.Tensor) else type(once).__name__
            raise NotApplicable(f"the loss returns {shape}, not a scalar")
        with torch.no_grad():
            again = float(loss_of(ctx, out, y))
        once_v, twice_v = float(once), float(twice)
        if abs(again - once_v) > 1e-5 * max(abs(once_v), abs(again), 1e-12):
            return [self.finding(
                "info", f"Not judged: the loss {type(ctx.loss_fn).__name__} gives {once_v:.4g} and then "
                f"{again:.4g} on the same outputs and targets, so it samples (a policy gradient, a "
                "stochastic objective) and a repeated batch cannot show how it scales.",
                "Nothing to do; make sure the loss averages over the batch (mean, not sum).",
                where=type(ctx.loss_fn).__name__, evidence={"loss": once_v, "loss_again": again})]
        if once_v == 0 or not abs(twice_v / once_v) > self.THRESHOLD:
            return []
        ratio = twice_v / once_v
        n = int(y.shape[0])
        name = type(ctx.loss_fn).__name__
        return [self.finding(
            "warning",
            f"The loss {name} is summed over the batch, not averaged: the same {n} samples repeated "
            f"twice give {ratio:.2f}x the loss ({once_v:.4g} -> {twice_v:.4g}). Gradients and the "
            "effective learning rate grow with the batch size.",
            "Use reduction='mean' (e.g. nn.CrossEntropyLoss() without reduction='sum'), or divide the "
            "summed loss by the batch size; if you keep the sum, divide the learning rate by the "
            "batch size.",
            where=name, evidence={"loss": once_v, "loss_repeated_twice": twice_v, "ratio": ratio,
                                  "samples": n,
                                  "reduction": getattr(ctx.loss_fn, "reduction", None)})]
