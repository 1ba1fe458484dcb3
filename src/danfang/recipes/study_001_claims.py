"""The claims of the 001 article as pairs of :mod:`~danfang.recipes.study_001` recipes, and
how a claim is judged from the seeds of a study.

A claim says that recipe ``b`` beats recipe ``a``. It is *reproduced* when the 95% interval of
P(b > a) (rliable's probability of improvement) lies above 0.5, *not reproduced* when it lies
below (``a`` wins), and *cannot tell* when it contains 0.5 or when either arm has fewer than
:data:`~danfang.tools.seed_stats.MIN_SEEDS` runs. A comparison without a direction
(``two_sided``) names the winner when the interval excludes 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass

REPRODUCED, NOT_REPRODUCED, CANNOT_TELL = "reproduced", "not reproduced", "cannot tell"


@dataclass(frozen=True)
class Claim:
    text: str
    a: str                  # the arm the article says loses
    b: str                  # the arm it says wins
    two_sided: bool = False  # no direction claimed: report which one wins


CLAIMS_001: list[Claim] = [
    Claim("large LR + large momentum beat small LR + small momentum", "sgd-lr0.01-m0.5", "sgd-lr0.1-m0.9"),
    Claim("at LR 0.1, momentum 0.9 beats 0.5", "sgd-lr0.1-m0.5", "sgd-lr0.1-m0.9"),
    Claim("at momentum 0.9, LR 0.1 beats 0.01", "sgd-lr0.01-m0.9", "sgd-lr0.1-m0.9"),
    Claim("a cosine schedule beats a constant LR", "sgd-lr0.1-m0.9", "sgd-cos"),
    Claim("StepLR beats a constant LR", "sgd-lr0.1-m0.9", "sgd-step"),
    Claim("cosine against StepLR (no direction claimed)", "sgd-step", "sgd-cos", two_sided=True),
    Claim("ReduceLROnPlateau on val_acc: mode='max' beats mode='min' (the bug)", "plateau-acc-min",
          "plateau-acc-max"),
    Claim("a min_lr floor fixes mode='min'", "plateau-acc-min", "plateau-acc-min-floor"),
    Claim("L2 5e-4 beats no weight decay", "sgd-cos-wd0", "sgd-cos"),
    Claim("L2 5e-3 against 5e-4 (no direction claimed)", "sgd-cos", "sgd-cos-wd5e-3", two_sided=True),
    Claim("SGD + momentum + cosine beats plain Adam", "adam", "sgd-cos"),
    Claim("SGD + momentum + cosine beats AdamW", "adamw-lr1e-3", "sgd-cos"),
]


def judge(claim: Claim, p_b_over_a: float, ci: tuple[float, float], n_min: int, min_seeds: int = 5) -> str:
    """The claim's status from P(b > a) and its 95% interval; ``n_min``: the smaller arm's runs."""
    if n_min < min_seeds or ci[0] <= 0.5 <= ci[1]:
        return CANNOT_TELL
    b_wins = ci[0] > 0.5
    if claim.two_sided:
        return f"{claim.b if b_wins else claim.a} better"
    return REPRODUCED if b_wins else NOT_REPRODUCED


def undecided(statuses: dict[Claim, str]) -> list[Claim]:
    """The claims a few more seeds might decide."""
    return [c for c, s in statuses.items() if s == CANNOT_TELL]
