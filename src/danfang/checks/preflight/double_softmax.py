"""``double_softmax``: probabilities fed to a loss that applies its own softmax/sigmoid."""

from __future__ import annotations

import torch
from torch import nn

from danfang.checks.base import Check
from danfang.checks.preflight._context import PreflightContext
from danfang.checks.preflight._trace import trace
from danfang.findings import Finding

#: Losses that expect raw logits and the normalisation they apply themselves.
LOGIT_LOSSES = {nn.CrossEntropyLoss: "softmax", nn.NLLLoss: "log_softmax", nn.BCEWithLogitsLoss: "sigmoid"}
EXPECTS = {"softmax": "raw logits and applies log-softmax itself",
           "log_softmax": "log-probabilities (the output of log_softmax), not probabilities",
           "sigmoid": "raw logits and applies a sigmoid itself"}
SQUASHERS = (nn.Softmax, nn.Softmax2d, nn.Sigmoid)


class DoubleSoftmax(Check):
    """Probabilities fed to a loss that expects logits.

    **Symptom.** ``nn.CrossEntropyLoss`` applies log-softmax itself and ``nn.NLLLoss``
    expects log-probabilities; feeding either the output of a softmax squeezes the logits
    into [0, 1], so the loss can never get near zero (with C = 10 classes it cannot go
    below -log(e / (e + 9)) = 1.45) and gradients vanish. ``nn.BCEWithLogitsLoss`` after a
    sigmoid squashes twice in the same way.

    **Evidence.** The model's output on the batch (a copy, train mode) and the last module
    it called. For cross-entropy / NLL: every value non-negative and every row summing to
    1 within 1e-3 (raw logits essentially never do), or a final ``nn.Softmax``. For
    BCE-with-logits: every value inside [0, 1] over the whole batch, or a final
    ``nn.Sigmoid``. A final ``log_softmax`` before cross-entropy is harmless (log-softmax is
    idempotent) and is not flagged.

    **Likely causes.** A ``nn.Softmax``/``F.softmax``/``nn.Sigmoid`` at the end of the model
    kept from inference code.

    **Fix.** Return raw logits from ``forward`` and apply softmax/sigmoid only when you
    need probabilities (at inference); or use ``log_softmax`` + ``nn.NLLLoss``.
    """

    code = "double_softmax"

    TOLERANCE = 1e-3

    def run(self, ctx: PreflightContext) -> list[Finding]:
        kind = next((v for k, v in LOGIT_LOSSES.items() if isinstance(ctx.loss_fn, k)), None)
        if kind is None:
            return []
        t = trace(ctx)
        out = t.output.float()
        last = t.calls[-1] if t.calls else None
        is_output = last is not None and last.output is not None and \
            last.output.shape == t.output.shape and torch.equal(last.output, t.output)
        squashed_by = last.name if is_output and isinstance(last.module, SQUASHERS) else None
        if kind == "sigmoid":
            looks = bool(((out >= 0) & (out <= 1)).all())
        else:
            looks = out.ndim >= 2 and bool((out >= 0).all()) and \
                bool(((out.sum(1) - 1).abs() <= self.TOLERANCE).all())
        if not (looks or squashed_by):
            return []
        loss_name = type(ctx.loss_fn).__name__
        what = "sigmoid" if kind == "sigmoid" or isinstance(getattr(last, "module", None), nn.Sigmoid) \
            else "softmax"
        source = f"the final module `{squashed_by}` ({type(last.module).__name__})" if squashed_by \
            else "the output (every row is non-negative and sums to 1)" if what == "softmax" \
            else "the output (every value lies in [0, 1])"
        return [self.finding(
            "error" if kind != "sigmoid" else "warning",
            f"The model outputs probabilities but {loss_name} expects {EXPECTS[kind]}: {source} "
            f"shows a {what} is already applied. The loss cannot approach zero and its gradients "
            "vanish.",
            f"Remove the {what} from the end of forward() and feed raw logits to {loss_name} "
            f"({'or log_softmax outputs to NLLLoss' if kind == 'log_softmax' else 'it normalises them itself'}); "
            f"apply {what} only at inference time.",
            where=squashed_by,
            evidence={"loss": loss_name, "final_module": type(last.module).__name__ if last else None,
                      "output_min": float(out.min()), "output_max": float(out.max()),
                      "row_sum_mean": float(out.sum(1).mean()) if out.ndim >= 2 else None})]
