"""``cannot_overfit_batch``: the model cannot memorise one small fixed batch."""

from __future__ import annotations

from danfang.checks.base import Check
from danfang.checks.preflight._context import PreflightContext
from danfang.checks.preflight._fit import LR, SAMPLES, STEPS, overfit_batch
from danfang.findings import Finding


class CannotOverfitBatch(Check):
    """The model cannot drive the loss on one small batch near zero.

    **Symptom.** Karpathy's recipe: "overfit a single batch of only a few examples … we
    should be able to reach the lowest achievable loss". A model that cannot memorise 16
    samples cannot learn the whole data set; something between the data, the model and the
    loss is broken.

    **Evidence.** Adam (lr 3e-3) on a copy of the model, 16 fixed training samples (one of
    each class where possible), dropout off, at most 300 steps: the loss at the start and at
    the end, both against the best constant prediction on those samples (the *baseline*)
    and the least reachable loss (the *floor*, above 0 with label smoothing).

    **Threshold.** Fires (error) when more than 10% of the gap between baseline and floor
    remains after the budget *and* the loss has stopped falling (the last quarter of the
    steps removed under 10% of what was left). Healthy MLPs and CNNs close 99% of the gap
    in 30–150 steps; broken set-ups (a softmax before cross-entropy, a sigmoid on a
    regression output, an ignored input) sit on a plateau with 50-100% left and a last-
    quarter drop of 0. A model still falling steadily when the budget ends is slow, not
    stuck: that is an ``info`` finding. Fires too when the loss becomes NaN/Inf.

    **Likely causes.** Labels not aligned with inputs; the output not matched to the loss
    (wrong shape, probabilities into cross-entropy, a sigmoid on a regression output); a
    frozen or detached part of the network; a bottleneck with too little capacity; inputs
    or targets scaled so badly that Adam cannot make progress.

    **Fix.** Check that ``loss_fn(model(x), y)`` compares what you think it compares
    (shapes, dtypes, the order of the arguments); look at the other preflight findings
    (``no_gradient``, ``double_softmax``, ``input_independent``) which often name the part.
    """

    code = "cannot_overfit_batch"

    #: Share of the baseline-to-floor gap that may remain at the end of the budget.
    MAX_RESIDUAL = 0.1
    #: A fit whose last quarter removed more than this share of the remaining loss is
    #: still learning.
    STILL_FALLING = 0.1

    def run(self, ctx: PreflightContext) -> list[Finding]:
        why = ctx.floor_unknown()
        if why is not None:
            return [self.finding("info", f"Not judged for the '{ctx.task}' task: {why}.",
                                 "Nothing to do; the training and curve phases still watch this run.",
                                 evidence={"task": ctx.task})]
        fit = overfit_batch(ctx)
        evidence = {"samples": SAMPLES, "max_steps": STEPS, "lr": LR, "steps": len(fit.losses),
                    "first_loss": fit.losses[0], "final_loss": fit.final, "baseline": fit.baseline,
                    "floor": fit.floor, "loss_curve": fit.losses[:: max(1, len(fit.losses) // 20)]}
        if fit.diverged:
            return [self.finding(
                "error", f"Training on one fixed batch of {SAMPLES} samples made the loss {fit.final} "
                f"at step {len(fit.losses)}.",
                "Look for operations that overflow (exp, log of 0, division) in the model and the "
                "loss; normalise inputs and targets.", evidence=evidence)]
        residual, drop = fit.residual(), fit.recent_drop()
        if residual <= self.MAX_RESIDUAL:
            return []
        evidence.update(residual=residual, recent_drop=drop)
        if fit.untrainable:
            return [self.finding(
                "error", f"The model cannot fit even one batch of {SAMPLES} samples: its loss "
                f"({fit.final:.4g}) does not require grad, so no step can change it.",
                "Remove the torch.no_grad()/detach()/.item() between the parameters and the loss "
                "(see the no_gradient finding).", evidence=evidence)]
        falling = drop > self.STILL_FALLING
        if fit.timed_out or falling:
            return [self.finding(
                "info", f"Inconclusive: fitting one batch of {SAMPLES} samples ran out of its "
                f"{'time' if fit.timed_out else 'step'} budget after {len(fit.losses)} steps with "
                f"{residual:.0%} of the baseline loss left"
                + (f", still falling ({drop:.0%} of it in the last quarter): slow, not stuck." if falling
                   else "."),
                "Nothing may be wrong; if the model should memorise 16 samples quickly, check its "
                "capacity and the learning rate it needs.", evidence=evidence)]
        return [self.finding(
            "error",
            f"The model cannot overfit one fixed batch of {SAMPLES} samples: after {len(fit.losses)} "
            f"Adam steps the loss went from {fit.losses[0]:.4g} to {fit.final:.4g}, still "
            f"{residual:.0%} of the way from the floor ({fit.reached_floor():.3g}) to the loss it "
            f"started from ({max(fit.baseline, fit.losses[0]):.4g}; a constant prediction: {fit.baseline:.4g}).",
            "Check that loss_fn(model(x), y) compares what you think (output shape, label order, "
            "dtypes); that every layer gets gradient (see no_gradient) and the output is raw "
            "logits (see double_softmax); then add capacity or remove a bottleneck.",
            evidence=evidence)]
