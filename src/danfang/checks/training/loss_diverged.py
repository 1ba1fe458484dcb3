"""loss_diverged: the training loss blew up while staying finite."""

from __future__ import annotations

from danfang.checks.base import Check
from danfang.checks.training._finished_run import FinishedRun
from danfang.findings import Finding


class LossDiverged(Check):
    """Symptom: the training loss ends far above where it started, without ever being NaN.

    Evidence: the curve verdict of the logged history (``danfang.checks.curves.explain``) is
    ``diverged``, and no other error finding already explains the run.

    Likely causes: a learning rate too high for the model, no warmup, no gradient clipping.

    Fix: lower the learning rate (x0.1; ``danfang lr-find`` suggests one) or clip the
    gradient norm at 1-5; ``danfang fit --repair`` rolls back and lowers it for you.
    """

    code = "loss_diverged"

    def run(self, ctx: FinishedRun) -> list[Finding]:
        from danfang.checks.curves import explain

        state = ctx.state
        if not state.history:
            return []
        d = explain(state.history, state.settings)
        if d.verdict != "diverged":
            return []
        return [self.finding(
            "error", d.reason,
            "Lower the learning rate (x0.1; `danfang lr-find` suggests one) or clip the gradient "
            "norm at 1-5; `danfang fit --repair` rolls back and lowers it for you.",
            evidence={"train_loss": [r["train_loss"] for r in state.history]})]
