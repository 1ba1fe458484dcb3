"""The RL study's statistics, all from the seeds (rliable, through :mod:`danfang.tools.seed_stats`):
returns per arm on each evaluation set, the generalisation gap (train-range return minus held-out
return, paired by seed), steps to the return threshold (the sample cost of randomisation), the
distribution of final returns over seeds and reward scales, and the verdict on held-out physics.

The verdict is decided only when each arm has at least :data:`~danfang.tools.seed_stats.MIN_SEEDS`
seeds, the bootstrap interval of the IQM difference excludes 0 and the interval of
P(randomised > fixed) excludes 0.5; otherwise it says the seeds cannot tell.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from danfang.tools.seed_stats import MIN_SEEDS, _column, _estimates, rliable_modules, seed_statistics

ARMS = ("fixed", "randomised")


def arm_label(arm: str, scale: float, several_scales: bool) -> str:
    """``"fixed"``, or ``"fixed r×0.1"`` when reward scale is a second factor."""
    return f"{arm} r×{scale:g}" if several_scales else arm


def randomisation_verdict(set_name: str, diff: float, diff_ci: tuple[float, float], p: float,
                          p_ci: tuple[float, float], n_min: int) -> tuple[bool, str]:
    """``(decided, sentence)``: "randomisation helps on held-out physics (outside) by X [lo, hi]" when
    both intervals clear no-effect with enough seeds, else "cannot tell from N seeds"."""
    where = f"held-out physics ({set_name})"
    numbers = (f"IQM return difference {diff:+.1f} [{diff_ci[0]:+.1f}, {diff_ci[1]:+.1f}], "
               f"P(randomised > fixed) = {p:.2f} [{p_ci[0]:.2f}, {p_ci[1]:.2f}]")
    clear = (diff_ci[0] > 0 or diff_ci[1] < 0) and (p_ci[0] > 0.5 or p_ci[1] < 0.5)
    if n_min < MIN_SEEDS:
        return False, (f"cannot tell from {n_min} seeds whether randomisation helps on {where}: {numbers}; "
                       f"fewer than {MIN_SEEDS} seeds an arm are too few for a bootstrap interval.")
    if not clear:
        return False, (f"cannot tell from {n_min} seeds whether randomisation helps on {where}: {numbers}; "
                       "the intervals include no effect.")
    word = "helps" if diff > 0 else "hurts"
    return True, (f"randomisation {word} on {where} by {abs(diff):.1f} [{min(abs(diff_ci[0]), abs(diff_ci[1])):.1f}, "
                  f"{max(abs(diff_ci[0]), abs(diff_ci[1])):.1f}] return (IQM over seeds); {numbers}.")


def compare_arms(randomised: list[float], fixed: list[float], set_name: str, *, reps: int = 2000,
                 seed: int = 0) -> dict[str, Any]:
    """IQM(randomised) - IQM(fixed) and P(randomised > fixed), each with a stratified bootstrap
    95% interval, and the verdict."""
    library, metrics = rliable_modules()
    r, f = _column(randomised), _column(fixed)
    n_min = min(len(r), len(f))
    if n_min < 2:
        return {"set": set_name, "n": n_min, "decided": False, "diff": math.nan, "diff_ci": [math.nan] * 2,
                "p": math.nan, "p_ci": [math.nan] * 2,
                "verdict": f"cannot tell from {n_min} seeds: an arm has fewer than 2 finished seeds."}
    point, interval = _estimates(library, {"d": [r, f]},
                                 lambda x, y: np.array([metrics.aggregate_iqm(x) - metrics.aggregate_iqm(y)]),
                                 reps, seed)
    diff, diff_ci = float(point["d"][0]), (float(interval["d"][0, 0]), float(interval["d"][1, 0]))
    point, interval = _estimates(library, {"p": [r, f]}, metrics.probability_of_improvement, reps, seed)
    p, p_ci = float(point["p"]), (float(interval["p"][0, 0]), float(interval["p"][1, 0]))
    decided, verdict = randomisation_verdict(set_name, diff, diff_ci, p, p_ci, n_min)
    return {"set": set_name, "n": n_min, "decided": decided, "diff": diff, "diff_ci": list(diff_ci), "p": p,
            "p_ci": list(p_ci), "verdict": verdict}


def _by_arm(runs: list[dict[str, Any]], scale: float, value: Any) -> dict[str, list[float]]:
    """``{arm: [value(run) in seed order]}`` of the runs at reward ``scale``."""
    out: dict[str, list[float]] = {}
    for arm in ARMS:
        chosen = sorted((r for r in runs if r["arm"] == arm and r["reward_scale"] == scale), key=lambda r: r["seed"])
        out[arm] = [float(value(r)) for r in chosen]
    return out


def study_statistics(runs: list[dict[str, Any]], held_out: list[str], scales: list[float], threshold: float | None,
                     *, reps: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Every statistic of ``rl_study.json`` from the per-seed results ``runs``."""
    main = 1.0 if 1.0 in scales else scales[0]
    sets = ["train", *held_out]
    stats: dict[str, Any] = {"main_scale": main, "sets": sets, "returns": {}, "gap": {}, "comparison": {}}
    for name in sets:
        vals = _by_arm(runs, main, lambda r, n=name: r["score"][n])
        stats["returns"][name] = seed_statistics(vals, higher_is_better=True, metric=f"return ({name})",
                                                 reps=reps, seed=seed).to_dict()
    for name in held_out:
        gaps = _by_arm(runs, main, lambda r, n=name: r["score"]["train"] - r["score"][n])
        stats["gap"][name] = seed_statistics(gaps, higher_is_better=False, metric=f"gap train - {name}",
                                             reps=reps, seed=seed).to_dict()
        vals = _by_arm(runs, main, lambda r, n=name: r["score"][n])
        stats["comparison"][name] = compare_arms(vals["randomised"], vals["fixed"], name, reps=reps, seed=seed)
    steps = _by_arm(runs, main, lambda r: r["steps_to_threshold"])
    reached = {arm: sum(math.isfinite(v) for v in vals) for arm, vals in steps.items()}
    cost: dict[str, Any] = {"threshold": threshold, "reached": reached, "of": {a: len(v) for a, v in steps.items()}}
    if threshold is not None and all(reached[a] >= 2 for a in ARMS):
        cost["stats"] = seed_statistics(steps, higher_is_better=False, metric="steps to threshold", reps=reps,
                                        seed=seed).to_dict()
        iqm = {a["recipe"]: a["iqm"] for a in cost["stats"]["aggregates"]}
        cost["ratio"] = iqm["randomised"] / iqm["fixed"] if iqm.get("fixed") else math.nan
    stats["steps_to_threshold"] = cost
    several = len(scales) > 1
    final = {}
    for scale in scales:
        for arm, vals in _by_arm(runs, scale, lambda r: r["score"]["nominal"]).items():
            final[arm_label(arm, scale, several)] = vals
    stats["final_nominal"] = seed_statistics(final, higher_is_better=True, metric="final return (nominal)",
                                             reps=reps, seed=seed).to_dict()
    stats["final_values"] = final
    headline = stats["comparison"].get("outside") or stats["comparison"].get("inside")
    stats["verdict"] = headline["verdict"] if headline else "no held-out set to judge."
    return stats
