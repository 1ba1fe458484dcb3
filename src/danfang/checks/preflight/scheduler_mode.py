"""``scheduler_mode_mismatch``: ReduceLROnPlateau watches its metric the wrong way round."""

from __future__ import annotations

from torch.optim.lr_scheduler import ReduceLROnPlateau

from danfang.checks.base import Check
from danfang.checks.preflight._context import PreflightContext
from danfang.findings import Finding

#: The mode each monitored metric needs: a loss improves downwards, an accuracy upwards.
MODES = {"val_loss": "min", "val_acc": "max"}


class SchedulerModeMismatch(Check):
    """``ReduceLROnPlateau``'s mode disagrees with the monitored metric.

    **Symptom.** ``mode="min"`` stepped with an accuracy (or ``"max"`` with a loss) sees every
    improvement as a plateau and cuts the learning rate every ``patience + 1`` epochs while
    the model is still learning.

    **Evidence.** The scheduler's ``mode`` against ``settings["monitor"]`` (DESIGN §1:
    ``val_loss`` needs ``min``, ``val_acc`` needs ``max``).

    **Likely causes.** Switching the monitored metric from the loss to the accuracy and
    keeping the scheduler's default ``mode="min"``.

    **Fix.** Build the scheduler with the mode of the metric it is stepped with.
    """

    code = "scheduler_mode_mismatch"

    def run(self, ctx: PreflightContext) -> list[Finding]:
        sched = ctx.scheduler
        if not isinstance(sched, ReduceLROnPlateau):
            return []
        monitor = ctx.settings.get("monitor") or "val_loss"
        expected = MODES.get(monitor)
        if expected is None or sched.mode == expected:
            return []
        return [self.finding(
            "error",
            f"ReduceLROnPlateau has mode='{sched.mode}' but is stepped with {monitor}, which improves "
            f"{'upwards' if expected == 'max' else 'downwards'}: every improvement looks like a plateau "
            f"and the learning rate is cut every {sched.patience + 1} epochs while the model learns.",
            f"Create it with ReduceLROnPlateau(optimizer, mode='{expected}', ...), or set "
            f"settings['monitor'] to the metric that mode='{sched.mode}' fits.",
            where="scheduler", evidence={"mode": sched.mode, "monitor": monitor, "expected_mode": expected,
                                         "patience": sched.patience})]
