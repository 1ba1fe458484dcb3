"""Seed statistics as rliable (Agarwal et al., NeurIPS 2021) recommends, for a few runs a recipe.

A handful of seeds is a small sample with outliers, so the point estimate is the
interquartile mean (IQM: the mean of the middle 50% of runs), every interval is a
stratified bootstrap 95% interval, two recipes are compared by the probability of
improvement P(X > Y) (the chance that a run of X beats a run of Y, Mann-Whitney) with its
own interval, and the whole distribution is shown as a performance profile (the fraction of
runs that reach each score). The numbers come from the ``rliable`` library
(``pip install 'danfang[stats]'``), never re-implemented here.

A pair is *decided* when the interval of P(better > worse) excludes 0.5 and each recipe has
at least :data:`MIN_SEEDS` runs; otherwise its verdict says that the seeds are too few to
tell, and roughly how many would be.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np

from danfang.errors import UsageError

#: below this many runs a bootstrap interval is too narrow to trust (3 runs can only be
#: resampled 10 ways; with 2, "all wins" gives the interval [1, 1])
MIN_SEEDS = 5
#: thresholds of the performance profile
PROFILE_POINTS = 41


def rliable_modules() -> tuple[Any, Any]:
    """``(rliable.library, rliable.metrics)``, or a :class:`UsageError` saying what to install."""
    try:
        from rliable import library, metrics
    except ImportError as exc:
        raise UsageError("seed statistics (IQM, bootstrap intervals, probability of improvement) need "
                         "rliable: pip install 'danfang[stats]'  (or: pip install rliable 'pandas<3')") from exc
    except Exception as exc:  # noqa: BLE001 - a broken dependency chain, e.g. arch 7 under pandas 3
        raise UsageError(f"rliable is installed but does not import ({type(exc).__name__}: {exc}); its "
                         "dependency `arch` 7 fails under pandas 3: pip install 'pandas<3' (or 'arch>=8').") from exc
    return library, metrics


@dataclass
class Aggregate:
    """One recipe's runs: IQM and mean, each with its stratified bootstrap 95% interval."""

    recipe: str
    n: int
    iqm: float
    iqm_ci: tuple[float, float]
    mean: float
    mean_ci: tuple[float, float]


@dataclass
class Pair:
    """Two recipes compared: ``better`` is the one with P(better > worse) >= 0.5."""

    better: str
    worse: str
    p: float                      # P(a run of `better` beats a run of `worse`), ties count 1/2
    ci: tuple[float, float]
    wins: int                     # seeds (paired by seed number) on which `better` did better
    ties: int
    n: int                        # seeds both recipes finished
    decided: bool
    verdict: str
    warning: str | None = None


@dataclass
class Profile:
    """Fraction of runs of each recipe reaching each threshold, with a 95% band."""

    thresholds: list[float]
    higher_is_better: bool
    fraction: dict[str, list[float]]
    low: dict[str, list[float]]
    high: dict[str, list[float]]


@dataclass
class SeedStats:
    method: str
    metric: str
    higher_is_better: bool
    reps: int
    aggregates: list[Aggregate]
    pairs: list[Pair]
    profile: Profile | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _estimates(library: Any, scores: dict[str, Any], func: Callable[..., Any], reps: int,
               seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """``library.get_interval_estimates`` made reproducible: rliable draws its resamples from
    numpy's *global* generator (its ``random_state`` argument does not reach them), so seed it
    for the call and restore it after."""
    saved = np.random.get_state()
    np.random.seed(seed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return library.get_interval_estimates(scores, func, reps=reps)
    finally:
        np.random.set_state(saved)


def _column(values: list[float]) -> np.ndarray:
    """Finite runs as the ``(runs, tasks=1)`` matrix rliable expects."""
    arr = np.asarray(values, dtype=float)
    return arr[np.isfinite(arr)].reshape(-1, 1)


def _seeds_needed(n: int, p: float, ci: tuple[float, float]) -> int | None:
    """Seeds for the interval (half-width ~ 1/sqrt(n)) to clear 0.5 if the gap holds."""
    gap = abs(p - 0.5)
    if gap < 1e-9:
        return None
    half = (ci[1] - ci[0]) / 2
    return max(MIN_SEEDS, n + 1, math.ceil(n * (half / gap) ** 2))


def _record(better: str, worse: str, wins: int, ties: int, n: int) -> str:
    """The seed-by-seed record, e.g. ``"b is ahead on 7, a on 2, tied on 1 of 10 seeds"``."""
    losses = n - wins - ties
    if losses == 0 and ties == 0:
        return f"{better} is ahead on {wins} of {n} seeds"
    parts = [f"{better} is ahead on {wins}"] + ([f"{worse} on {losses}"] if losses else []) \
        + ([f"tied on {ties}"] if ties else [])
    return ", ".join(parts) + f" of {n} seeds"


def pair_verdict(better: str, worse: str, p: float, ci: tuple[float, float], wins: int, ties: int, n: int,
                 n_min: int) -> tuple[bool, str, str | None]:
    """``(decided, verdict, warning)`` in plain words, e.g. ``"B beats A on 9 of 10 seeds;
    P(B > A) = 0.83 [0.64, 0.95]."``; ``n_min`` is the smaller recipe's number of runs."""
    prob = f"P({better} > {worse}) = {p:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]"
    record = _record(better, worse, wins, ties, n)
    if ci[0] <= 0.5 <= ci[1]:
        if abs(p - 0.5) < 1e-9:
            return False, f"{better} and {worse} cannot be told apart: {prob}; {record}.", (
                "no difference seen; more seeds only help if a gap appears.")
        need = _seeds_needed(n_min, p, ci)
        return False, (f"Too few seeds to tell {better} from {worse}: {record}, but {prob} and the "
                       "interval contains 0.5."), (
            f"the 95% interval of P(improvement) contains 0.5; about {need} seeds a recipe would "
            "separate them if the gap holds.")
    if n_min < MIN_SEEDS:
        return False, (f"{better} looks better than {worse} ({record}; {prob}), but {n_min} seeds are too "
                       "few to trust a bootstrap interval."), (
            f"fewer than {MIN_SEEDS} seeds: run --seeds {MIN_SEEDS} or more before believing it.")
    beats = f"{better} beats {worse} on {wins} of {n} seeds" if not ties else f"{better} beats {worse}: {record}"
    return True, f"{beats}; {prob}.", None


def _paired_wins(a: list[float], b: list[float], higher_is_better: bool) -> tuple[int, int, int]:
    """``(a better, ties, n)`` over the seeds both finished, paired by position (seed number)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    m = min(len(x), len(y))
    x, y = x[:m], y[:m]
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    ahead = x > y if higher_is_better else x < y
    return int(ahead.sum()), int((x == y).sum()), int(ok.sum())


def _profile(library: Any, cols: dict[str, np.ndarray], higher_is_better: bool, reps: int,
             seed: int) -> Profile | None:
    pooled = np.concatenate([c.ravel() for c in cols.values()])
    lo, hi = float(pooled.min()), float(pooled.max())
    if not hi > lo:
        return None
    taus = np.linspace(lo, hi, PROFILE_POINTS)
    if higher_is_better:
        def profile(scores: np.ndarray) -> np.ndarray:
            return library.score_distributions(scores, taus)
    else:
        def profile(scores: np.ndarray) -> np.ndarray:
            return np.array([np.mean(scores < t) for t in taus])
    point, interval = _estimates(library, cols, profile, reps, seed)
    return Profile([float(t) for t in taus], higher_is_better,
                   {k: [float(v) for v in point[k]] for k in cols},
                   {k: [float(v) for v in interval[k][0]] for k in cols},
                   {k: [float(v) for v in interval[k][1]] for k in cols})


def seed_statistics(values: dict[str, list[float]], *, higher_is_better: bool, metric: str = "score",
                    reps: int = 2000, seed: int = 0) -> SeedStats:
    """IQM and mean with stratified bootstrap 95% intervals, P(improvement) of every pair with
    its interval and a plain-language verdict, and the performance profiles.

    ``values`` maps a recipe to its per-seed scores in seed order (NaN: a run without a
    score; left out, with a note). ``higher_is_better`` is False for a loss.
    """
    if reps < 100:
        raise UsageError(f"bootstrap reps must be >= 100 for a 95% interval, got {reps}.")
    library, metrics = rliable_modules()
    from importlib.metadata import version

    notes = []
    cols = {}
    for name, vals in values.items():
        col = _column(vals)
        dropped = len(vals) - len(col)
        if dropped:
            notes.append(f"{name}: {dropped} of {len(vals)} runs gave no {metric} and are left out.")
        if len(col) >= 2:
            cols[name] = col
        else:
            notes.append(f"{name}: fewer than 2 runs with a {metric}; no interval.")
    aggregates: list[Aggregate] = []
    if cols:
        point, interval = _estimates(library, cols,
                                     lambda s: np.array([metrics.aggregate_iqm(s), metrics.aggregate_mean(s)]),
                                     reps, seed)
        for name in cols:
            pe, ci = point[name], interval[name]
            aggregates.append(Aggregate(name, len(cols[name]), float(pe[0]), (float(ci[0, 0]), float(ci[1, 0])),
                                        float(pe[1]), (float(ci[0, 1]), float(ci[1, 1]))))
    aggregates.sort(key=lambda a: a.iqm, reverse=higher_is_better)

    sign = 1.0 if higher_is_better else -1.0  # P(improvement) on "higher is better" scores
    pairs = []
    names = [a.recipe for a in aggregates]
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            key = f"{a},{b}"
            point, interval = _estimates(library, {key: [sign * cols[a], sign * cols[b]]},
                                         metrics.probability_of_improvement, reps, seed)
            p, lo, hi = float(point[key]), float(interval[key][0, 0]), float(interval[key][1, 0])
            better, worse = (a, b) if p >= 0.5 else (b, a)
            if p < 0.5:
                p, lo, hi = 1 - p, 1 - hi, 1 - lo
            wins, ties, n = _paired_wins(values[better], values[worse], higher_is_better)
            n_min = min(len(cols[better]), len(cols[worse]))
            decided, verdict, warning = pair_verdict(better, worse, p, (lo, hi), wins, ties, n, n_min)
            pairs.append(Pair(better, worse, p, (lo, hi), wins, ties, n, decided, verdict, warning))
    profile = _profile(library, cols, higher_is_better, reps, seed) if cols else None
    method = (f"rliable {version('rliable')}: stratified bootstrap, percentile "
              f"95% intervals, {reps} resamples")
    return SeedStats(method, metric, higher_is_better, reps, aggregates, pairs, profile, notes)
