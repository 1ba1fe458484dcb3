"""no_optimizer_step: the run trained for epochs but no optimizer step was ever taken."""

from __future__ import annotations

from danfang.checks.base import Check
from danfang.checks.training._finished_run import FinishedRun
from danfang.findings import Finding


class NoOptimizerStep(Check):
    """Symptom: the run "finishes" and its curves are flat: the model never changed.

    Evidence: after the loop, ``state.optimizer_steps`` is 0 although at least one epoch ran.

    Likely causes: the NaN guard skipped every step (the gradients were non-finite from the
    first batch), or a callback that sets ``state.skip_step`` on every batch.

    Fix: find why the steps are skipped — a NaN loss (see ``loss_nan``) or the callback.
    """

    code = "no_optimizer_step"

    def run(self, ctx: FinishedRun) -> list[Finding]:
        state = ctx.state
        if not ctx.epochs_trained or state.optimizer_steps != 0:
            return []
        guarded = any(r.get("action") == "nan_guard" for r in state.repairs)
        why = ("the NaN guard skipped every step: the gradients were NaN/Inf from the first batch"
               if guarded else "every step was skipped by a callback (state.skip_step)")
        return [self.finding(
            "error", f"No optimizer step was taken in {ctx.epochs_trained} epoch(s): {why}. The model never changed.",
            "Find why the steps are skipped: non-finite gradients come from a NaN loss (see loss_nan); "
            "a callback that sets state.skip_step must let healthy steps through.",
            evidence={"epochs": ctx.epochs_trained, "optimizer_steps": 0})]
