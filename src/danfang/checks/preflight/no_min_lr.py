"""``no_min_lr``: a plateau schedule with no floor on the learning rate."""

from __future__ import annotations

from torch.optim.lr_scheduler import ReduceLROnPlateau

from danfang.checks.base import Check
from danfang.checks.preflight._context import PreflightContext
from danfang.findings import Finding


class NoMinLr(Check):
    """A ``ReduceLROnPlateau`` with no floor on the learning rate.

    **Symptom.** With ``min_lr=0`` every plateau multiplies the learning rate by ``factor``
    again; on a long or noisy run it decays to ~0 and training silently stops while
    epochs are still being spent (the ``lr_floor`` curve finding after the fact).

    **Evidence.** The scheduler's ``min_lrs`` (all 0), its ``factor`` and ``patience``, and the
    lowest learning rate it can reach within ``settings["epochs"]`` (one cut at most every
    ``patience + cooldown + 1`` epochs).

    **Severity.** *warning* when, within ``settings["epochs"]``, the rate can fall below
    1e-3 of its initial value (the usual floor of step and cosine schedules); otherwise
    *info*: the floor is missing but this run is too short to hit it.

    **Likely causes.** ``ReduceLROnPlateau``'s default ``min_lr=0``.

    **Fix.** Give it a floor, typically 1e-3 of the initial learning rate
    (``min_lr=lr * 1e-3``), and stop early when the floor is reached.
    """

    code = "no_min_lr"

    #: A learning rate below this share of the initial one no longer trains (the usual
    #: floor of step and cosine schedules, 1e-3 of the peak).
    STALL = 1e-3

    def run(self, ctx: PreflightContext) -> list[Finding]:
        sched = ctx.scheduler
        if not isinstance(sched, ReduceLROnPlateau) or any(float(m) > 0 for m in sched.min_lrs):
            return []
        lr = max(float(g["lr"]) for g in sched.optimizer.param_groups)
        epochs = int(ctx.settings.get("epochs") or 0)
        cuts = epochs // (sched.patience + sched.cooldown + 1)
        lowest = lr * sched.factor ** cuts
        evidence = {"lr": lr, "factor": sched.factor, "patience": sched.patience, "epochs": epochs,
                    "max_cuts": cuts, "lowest_lr": lowest}
        fix = (f"Set a floor, e.g. ReduceLROnPlateau(optimizer, ..., min_lr={lr * 1e-3:.1g}) (1e-3 of the "
               "initial rate), and stop early once it is reached.")
        if lowest >= self.STALL * lr:
            return [self.finding(
                "info", f"ReduceLROnPlateau has min_lr=0 (no floor); within this run's {epochs} epochs it "
                f"can cut the learning rate at most {cuts} time(s), to {lowest:.3g}, but a longer run "
                "has nothing to stop it decaying to ~0.", fix, where="scheduler", evidence=evidence)]
        return [self.finding(
            "warning",
            f"ReduceLROnPlateau has min_lr=0: each plateau multiplies the learning rate by "
            f"{sched.factor:g} with no floor; in {epochs} epochs it can fall from {lr:.3g} to "
            f"{lowest:.3g} ({cuts} cuts), where training stalls.",
            fix, where="scheduler", evidence=evidence)]
