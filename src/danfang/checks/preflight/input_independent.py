"""``input_independent``: the model does no better with real inputs than with zeros."""

from __future__ import annotations

from danfang.checks.base import Check
from danfang.checks.preflight._context import PreflightContext
from danfang.checks.preflight._fit import SAMPLES, overfit_batch
from danfang.findings import Finding


class InputIndependent(Check):
    """The model does no better with real inputs than with zeroed ones.

    **Symptom.** Karpathy's "input-independent baseline": train once with the real inputs
    and once with every input set to zero; the real inputs must do better, or the model is
    not looking at them.

    **Evidence.** The same bounded fit as ``cannot_overfit_batch`` (16 fixed samples, Adam,
    at most 300 steps), run twice: with real and with zeroed inputs, the second for as many
    steps as the first took. The final losses, each as the share of the baseline-to-floor
    gap left (1 = no better than a constant). When the real inputs leave under 15% no zero
    run can make the check fire, and it is skipped.

    **Threshold.** Fires (error) when real inputs remove less than 10 points more of the
    gap than zeros (e.g. 95% left vs 100%). A healthy model ends near 0% with real inputs
    and near 100% with zeros (a constant input allows only a constant output); a model that
    ignores its input follows the same path either way. A model that uses its input but
    cannot fit (e.g. a softmax before cross-entropy, ~50% left) is ``cannot_overfit_batch``,
    not this. When zeroed inputs fit too (under 25% left) the comparison says nothing and
    the check stays quiet.

    **Likely causes.** The input is overwritten, detached or multiplied by zero in
    ``forward``; the model reads a buffer or a parameter instead of its argument; the
    data loader returns the same input for every sample.

    **Fix.** Trace ``x`` through ``forward`` and make sure every branch uses it; print a
    few inputs of a batch and check that they differ.
    """

    code = "input_independent"

    #: Real inputs must remove at least this much more of the baseline gap than zeros.
    MARGIN = 0.1
    #: Below this residual the zero-input run fit too: nothing to compare.
    ZERO_FITS = 0.25

    def run(self, ctx: PreflightContext) -> list[Finding]:
        why = ctx.floor_unknown()
        if why is not None:
            return [self.finding("info", f"Not judged for the '{ctx.task}' task: {why}.",
                                 "Nothing to do; the training and curve phases still watch this run.",
                                 evidence={"task": ctx.task})]
        real = overfit_batch(ctx)
        if real.diverged or real.untrainable or real.residual() < self.ZERO_FITS - self.MARGIN:
            return []  # quiet whatever zeros do (cannot_overfit_batch reports the other two)
        zero = overfit_batch(ctx, zero_inputs=True, steps=len(real.losses))
        if zero.diverged:
            return []
        r, z = real.residual(), zero.residual()
        if z < self.ZERO_FITS or r < z - self.MARGIN:
            return []  # (a zero-input run cut short only makes z larger: still a fair "no")
        if real.timed_out:
            return [self.finding("info", f"Inconclusive: the real-input fit ran out of its time budget "
                                 f"after {len(real.losses)} steps, before it could beat the zero-input fit.",
                                 "Run the check on a smaller model or a faster device to get a verdict.",
                                 evidence={"steps": [len(real.losses), len(zero.losses)],
                                           "real_residual": r, "zero_residual": z})]
        return [self.finding(
            "error",
            f"The model does no better with real inputs than with all-zero inputs: fitting {SAMPLES} "
            f"fixed samples left {r:.0%} of the baseline loss with real inputs and {z:.0%} with "
            f"zeros (final losses {real.final:.4g} vs {zero.final:.4g}). It is not using its input.",
            "Trace x through forward(): look for an input that is overwritten, detached, multiplied "
            "by zero or replaced by a parameter or buffer; check that the inputs of a batch differ.",
            evidence={"samples": SAMPLES, "real_final_loss": real.final, "zero_final_loss": zero.final,
                      "real_residual": r, "zero_residual": z, "baseline": real.baseline,
                      "steps": [len(real.losses), len(zero.losses)]})]
