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

    **Likely causes.** ``ReduceLROnPlateau``'s default ``min_lr=0``.

    **Fix.** Give it a floor, typically 1e-3 of the initial learning rate
    (``min_lr=lr * 1e-3``), and stop early when the floor is reached.
    """

    code = "no_min_lr"

    def run(self, ctx: PreflightContext) -> list[Finding]:
        sched = ctx.scheduler
        if not isinstance(sched, ReduceLROnPlateau) or any(float(m) > 0 for m in sched.min_lrs):
            return []
        lr = max(float(g["lr"]) for g in sched.optimizer.param_groups)
        epochs = int(ctx.settings.get("epochs") or 0)
        cuts = epochs // (sched.patience + sched.cooldown + 1)
        lowest = lr * sched.factor ** cuts
        return [self.finding(
            "warning",
            f"ReduceLROnPlateau has min_lr=0: each plateau multiplies the learning rate by "
            f"{sched.factor:g} with no floor; in {epochs} epochs it can fall from {lr:.3g} to "
            f"{lowest:.3g} ({cuts} cuts), where training stalls.",
            f"Set a floor, e.g. ReduceLROnPlateau(optimizer, ..., min_lr={lr * 1e-3:.1g}) (1e-3 of the "
            "initial rate), and stop early once it is reached.",
            where="scheduler", evidence={"lr": lr, "factor": sched.factor, "patience": sched.patience,
                                         "epochs": epochs, "max_cuts": cuts, "lowest_lr": lowest})]
