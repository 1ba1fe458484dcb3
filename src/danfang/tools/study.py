"""Multi-seed comparison of recipes: believe a gain only when it survives the seeds.

Each recipe of the grid is trained with ``seeds`` seeds. ``study.json`` keeps the classic
columns (the mean of the best validation metric, its Student-t 95% interval, Welch's t-test
against the best recipe) and, with rliable installed (``danfang[stats]``), the statistics of
:mod:`danfang.tools.seed_stats` under ``"stats"``: IQM and mean with stratified bootstrap
intervals, the probability of improvement of every pair with its interval and verdict, and
the performance profiles.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from danfang.engine.trainer import Trainer
from danfang.errors import UsageError
from danfang.findings import atomic_write_text
from danfang.job import Job, load_job
from danfang.recipes import ALL_RECIPES, RECIPES
from danfang.recipes.study_001 import GRIDS_001

GRIDS: dict[str, list[str]] = {"recipes": list(RECIPES), "sgd": ["sgd-cosine", "sgd-step"],
                               "adam": ["adamw", "plateau", "one-cycle"], **GRIDS_001}


def grid_recipes(grid: str) -> list[str]:
    """A named grid, or a comma-separated list of recipe names."""
    names = GRIDS.get(grid) or [g.strip() for g in grid.split(",") if g.strip()]
    bad = [n for n in names if n not in ALL_RECIPES]
    if bad or not names:
        raise UsageError(f"--grid {grid!r}: expected one of {list(GRIDS)} or a comma-separated list of "
                         f"recipes from {list(ALL_RECIPES)}; unknown: {bad}.")
    return names


@dataclass
class Row:
    recipe: str
    values: list[float]
    mean: float
    ci95: float
    p_vs_best: float | None


def summarise(values: dict[str, list[float]], higher_is_better: bool) -> list[Row]:
    from scipy import stats

    rows = []
    for name, vals in values.items():
        arr = np.asarray(vals, dtype=float)
        half = float(stats.t.ppf(0.975, len(arr) - 1) * arr.std(ddof=1) / math.sqrt(len(arr))) if len(arr) > 1 else math.nan
        rows.append(Row(name, list(arr), float(arr.mean()), half, None))
    rows.sort(key=lambda r: r.mean, reverse=higher_is_better)
    best = np.asarray(rows[0].values)
    for r in rows[1:]:
        if len(best) > 1 and len(r.values) > 1:
            with warnings.catch_warnings():  # identical runs: "catastrophic cancellation", p = NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                r.p_vs_best = float(stats.ttest_ind(best, r.values, equal_var=False).pvalue)
    return rows


def stats_available() -> str | None:
    """None when rliable imports, else the message saying what to install."""
    from danfang.tools.seed_stats import rliable_modules

    try:
        rliable_modules()
    except UsageError as exc:
        return str(exc)
    return None


def study(job: Job | str | Path, *, grid: str, seeds: int, out: str | Path, epochs: int | None = None,
          reps: int = 2000) -> list[Row]:
    """Train every recipe of ``grid`` with ``seeds`` seeds into ``out``; write study.json and the
    report; return the classic rows (ranked by mean)."""
    if seeds < 2:
        raise UsageError(f"--seeds must be >= 2 to give a confidence interval, got {seeds}.")
    if reps < 100:
        raise UsageError(f"--reps must be >= 100 bootstrap resamples for a 95% interval, got {reps}.")
    missing = stats_available()
    if not isinstance(job, Job):
        job = load_job(job)
    if job.optimizer_fn is not None:
        raise UsageError(f"{job.path} defines its own optimizer(); a recipe study needs a job without one.")
    names = grid_recipes(grid)
    monitor = job.settings["monitor"]
    metric = "val_acc" if job.task == "classification" else "val_loss"
    out = Path(out)
    values: dict[str, list[float]] = {n: [] for n in names}
    runs: list[dict[str, Any]] = []
    for name in names:
        for s in range(seeds):
            seed = job.settings["seed"] + s
            res = Trainer(job, out / name / f"seed{seed}", recipe=name, epochs=epochs, checkpoint=False,
                          settings={"seed": seed}, evaluate_test=False).fit()
            value = res.best[metric] if res.best else math.nan
            values[name].append(value)
            runs.append({"recipe": name, "seed": seed, metric: value, "monitor": monitor})
    higher = metric == "val_acc"
    rows = summarise(values, higher_is_better=higher)
    doc: dict[str, Any] = {"schema": 1, "job": str(job.path), "metric": metric, "seeds": seeds, "runs": runs,
                           "rows": [r.__dict__ for r in rows]}
    if missing is None:
        from danfang.tools.seed_stats import seed_statistics

        doc["stats"] = seed_statistics(values, higher_is_better=higher, metric=metric, reps=reps,
                                       seed=job.settings["seed"]).to_dict()
    else:
        doc["stats_missing"] = missing
    atomic_write_text(out / "study.json", json.dumps(doc, indent=2))
    from danfang.report.html import write_report

    write_report(out)
    return rows
