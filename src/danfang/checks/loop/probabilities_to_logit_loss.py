"""probabilities_to_logit_loss: a loss that normalises its input gets probabilities (or the
reverse: ``nll_loss`` gets raw scores), seen on the loop's own loss calls."""

from __future__ import annotations

from danfang.checks.loop._base import LoopCheck
from danfang.checks.loop._samples import loss_name, training_samples
from danfang.findings import Finding
from danfang.loop.record import LoopRecord


class ProbabilitiesToLogitLoss(LoopCheck):
    """Symptom: the loss falls slowly and stalls far above zero; gradients are small.

    Evidence: on every sampled training step the input of ``cross_entropy`` was rows of
    non-negative numbers summing to 1 (a softmax's output), or the input of
    ``binary_cross_entropy_with_logits`` lay inside [0, 1] (a sigmoid's output), so the loss
    squashes a second time; or the input of ``nll_loss`` was not log-probabilities (values
    above 0, or rows whose log-sum-exp is not 0), so it is minimised by growing one score
    without bound. Needs ``min_samples`` sampled steps that all agree.

    Likely causes: ``nn.Softmax``/``torch.sigmoid`` at the end of the model before
    ``CrossEntropyLoss``/``BCEWithLogitsLoss``; ``NLLLoss`` without ``log_softmax``.

    Fix: feed raw logits to CrossEntropyLoss/BCEWithLogitsLoss (drop the final softmax/sigmoid,
    apply it only at prediction time); give NLLLoss ``log_softmax(logits, dim=1)``.
    """

    code = "probabilities_to_logit_loss"
    min_samples = 3

    def run(self, record: LoopRecord) -> list[Finding]:
        out = []
        ce = training_samples(record, ("cross_entropy",))
        if len(ce) >= self.min_samples and all(s.rows_are_probs for s in ce):
            s = ce[-1]
            out.append(self.found(
                "error", f"{loss_name(s.kind)} was given probabilities: on all {len(ce)} sampled steps every row "
                f"of its input (shape {list(s.input_shape)}) was non-negative and summed to 1. It applies "
                "log-softmax itself, so the outputs are squashed twice and the loss cannot get near 0.",
                "The model ends in a softmax before CrossEntropyLoss: return the raw logits from the model "
                "and apply softmax only when you need probabilities for prediction.",
                where=s.kind, step=s.step, sampled_steps=len(ce), input_shape=list(s.input_shape)))
        # constant targets (a GAN's "real" batch) say nothing about what the scores are
        bce = [s for s in training_samples(record, ("binary_cross_entropy_with_logits",), min_numel=16)
               if s.tgt_distinct >= 2]
        if len(bce) >= self.min_samples and all(0.0 <= s.in_min and s.in_max <= 1.0 for s in bce):
            s = bce[-1]
            out.append(self.found(
                "warning", f"{loss_name(s.kind)} was given values inside [0, 1] on all {len(bce)} sampled steps "
                f"(last: {s.in_min:.3g} to {s.in_max:.3g}): they look like sigmoid outputs, and the loss applies "
                "its own sigmoid, so it can never reach 0.",
                "The model applies a sigmoid before BCEWithLogitsLoss: return the raw logits (drop the final "
                "sigmoid), or keep the sigmoid and use BCELoss.",
                where=s.kind, step=s.step, sampled_steps=len(bce), input_min=s.in_min, input_max=s.in_max))
        nll = training_samples(record, ("nll_loss",))
        if len(nll) >= self.min_samples and all(s.classes and not s.rows_are_logprobs for s in nll):
            s = nll[-1]
            probs = all(t.rows_are_probs for t in nll)
            given = "probabilities (rows summing to 1)" if probs else \
                f"raw scores (values up to {s.in_max:.3g}; log-probabilities are <= 0 with log-sum-exp 0)"
            out.append(self.found(
                "error", f"{loss_name(s.kind)} expects log-probabilities but was given {given} on all "
                f"{len(nll)} sampled steps: the loss is -input[target], minimised by growing one score "
                "without bound rather than by classifying.",
                "NLLLoss gets no log_softmax: pass F.log_softmax(logits, dim=1) to it, or use "
                "CrossEntropyLoss on the raw logits.",
                where=s.kind, step=s.step, sampled_steps=len(nll), input_max=s.in_max))
        return out
