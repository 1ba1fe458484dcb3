"""The run's verdict from its curves and the curve findings (DESIGN §3).

Rules, first match wins:

1. ``diverged``: a non-finite loss, or a training loss that blew up (the last two epochs
   above 5x its minimum and 2x its first epoch).
2. ``inconclusive``: fewer than ``MIN_EPOCHS`` epochs; ``healthy`` for an ``other``
   objective (RL, GAN, contrastive, custom) whose loss stayed finite: its shape is not
   judged. Then ``inconclusive`` for a curve too noisy to read (the
   training loss climbs back more than 3% of its level an epoch on average, or the
   validation loss jitters more than 20% of its level).
3. ``not_learning``: the training loss stays at the loss of knowing nothing (>= 90% of
   ln C) with validation accuracy near chance; without a reference loss, neither loss fell
   by 2% over the run.
4. ``overfitting`` / ``underfitting``: a warning of that code fired (an ``info`` "not
   judged" note decides nothing).
5. ``inconclusive``: the losses are still poor (train still falling in a run cut short, or a
   low train loss with a poor validation that has not turned up yet).
6. ``healthy``: everything else.
"""

from __future__ import annotations

import numpy as np

from danfang.checks.curves._series import MIN_EPOCHS, Curves
from danfang.findings import Finding

MAX_TRAIN_JITTER = 0.03
MAX_VAL_NOISE = 0.2
POOR_SHARE = 0.35
#: Where the loss floor is unknown (regression, reconstruction, binary, multi-label: the
#: noise floor can sit anywhere), "poor" means having explained less than 30% of the
#: constant prediction's loss, not being above 35% of it.
POOR_SHARE_NO_FLOOR = 0.7


def poor_share(c: Curves) -> float:
    """The share of the reference loss above which a loss is "poor" for this task."""
    return POOR_SHARE if c.floor_known else POOR_SHARE_NO_FLOOR


def readable(c: Curves) -> bool:
    """Is the curve clean enough for its shape to mean something?"""
    return c.train_jitter() <= MAX_TRAIN_JITTER and c.val_noise() <= MAX_VAL_NOISE


def _blew_up(c: Curves) -> bool:
    """Ratios of a loss mean something only for a positive loss expected to fall: an RL or
    GAN objective may rise, or be negative (a policy-gradient loss read as "blew up")."""
    if c.n < 3 or c.task == "other" or float(np.min(c.train_loss)) <= 0:
        return False
    last = float(np.mean(c.train_loss[-2:]))
    return last > 5 * float(np.min(c.train_loss)) and last > 2 * float(c.train_loss[0])


def _not_learning(c: Curves) -> bool:
    recent = float(np.median(c.train_loss[-3:]))
    if c.chance is not None or c.baseline_loss:
        near_chance = c.val_acc is None or c.chance is None or \
            float(np.nanmax(c.val_acc)) <= c.chance + 0.1 * (1 - c.chance)
        return recent >= 0.9 * c.reference_loss and near_chance
    return recent >= 0.98 * float(c.train_loss[0]) and float(np.min(c.val_loss)) >= 0.98 * float(c.val_loss[0])


def judge(c: Curves, findings: list[Finding]) -> tuple[str, str]:
    """Return ``(verdict, reason)``: the verdict and one sentence saying why."""
    if c.n == 0:
        return "inconclusive", "No epochs were logged."
    if not c.finite:
        bad = int(c.epochs[np.argmax(~(np.isfinite(c.train_loss) & np.isfinite(c.val_loss)))])
        return "diverged", f"The loss became NaN/Inf in epoch {bad}."
    if _blew_up(c):
        return "diverged", (f"The training loss blew up: {np.min(c.train_loss):.3g} at best, "
                            f"{c.train_loss[-1]:.3g} at the end.")
    if c.n < MIN_EPOCHS:
        return "inconclusive", f"Only {c.n} epoch(s) were logged; reading a curve needs at least {MIN_EPOCHS}."
    if c.task == "other":
        return "healthy", (f"The objective stayed finite over {c.n} epochs (train {c.train_loss[-1]:.4g}, "
                           f"val {c.val_loss[-1]:.4g}); an 'other' objective (RL, GAN, contrastive, custom) "
                           "need not fall to a floor, so its curve's shape is not judged.")
    if not readable(c):
        return "inconclusive", (f"The curves are too noisy to read (training loss jitter {c.train_jitter():.0%}, "
                                f"validation noise {c.val_noise():.0%} of their level).")
    if _not_learning(c):
        return "not_learning", (f"The training loss stayed at {np.median(c.train_loss[-3:]):.4g}, the level of "
                                f"knowing nothing ({c.reference_loss:.4g}).")
    codes = {f.code: f for f in findings if f.severity != "info"}
    for verdict in ("overfitting", "underfitting"):
        if verdict in codes:
            return verdict, codes[verdict].message
    share = poor_share(c)
    train_poor = float(np.median(c.train_loss[-3:])) >= share * c.reference_loss
    val_poor = float(np.min(c.val_loss)) >= share * c.reference_loss
    if c.val_acc is not None and c.chance is not None:
        # the accuracy says what the loss level cannot: a frozen backbone's loss stays high
        # while its accuracy is good. Where the floor is unknown the best accuracy is too (a
        # language model's 51% may be all its text allows), so a poor accuracy condemns
        # nothing by itself there: the loss must be poor as well.
        acc_poor = float(np.nanmax(c.val_acc)) < c.chance + 0.5 * (1 - c.chance)
        val_poor = acc_poor if c.floor_known else val_poor and acc_poor
        train_poor = train_poor and acc_poor
    if train_poor or val_poor:
        if not train_poor:
            return "inconclusive", (f"The training loss is low ({c.train_loss[-1]:.4g}) but validation stays poor "
                                    f"(val loss {c.val_loss[-1]:.4g}) without clearly turning up yet; more epochs "
                                    "will tell whether it overfits.")
        if c.cut_short:
            return "inconclusive", (f"The run was cut short with losses still far from good (train "
                                    f"{c.train_loss[-1]:.4g}, val {c.val_loss[-1]:.4g}) and still falling; train "
                                    "longer to tell a slow start from underfitting.")
        return "inconclusive", (f"After {c.n} epochs the losses are still far from good (train {c.train_loss[-1]:.4g}, "
                                f"val {c.val_loss[-1]:.4g}, against {c.reference_loss:.4g} for a constant "
                                "prediction) and still falling: more epochs will tell a slow start from "
                                "underfitting.")
    return "healthy", (f"Train and validation losses fell together to {c.train_loss[-1]:.4g} / "
                       f"{c.val_loss[-1]:.4g} over {c.n} epochs, with no sign of over- or underfitting.")
