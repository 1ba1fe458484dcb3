"""What one tuning trial trains: the search space (the job's ``search_space(trial)`` or a
coarse-to-fine default), a short fit that reports the monitored metric each epoch, and median
pruning of trials that fall behind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from danfang.engine.callback import Callback
from danfang.engine.state import State
from danfang.engine.trainer import Trainer
from danfang.job import Job
from danfang.recipes import RECIPES
from danfang.tools.tune_storage import optuna_module


def default_space(trial: Any, job: Job) -> dict[str, Any]:
    """Recipe, LR (log, around the recipe's own), weight decay (log) and label smoothing."""
    if job.optimizer_fn is not None:
        return {"batch_size": trial.suggest_categorical("batch_size", [32, 64, 128, 256])}
    recipe = trial.suggest_categorical("recipe", ["one-cycle", "sgd-cosine", "adamw"])
    base = RECIPES[recipe].lr
    params: dict[str, Any] = {
        "recipe": recipe,
        "lr": base * 10 ** trial.suggest_float("lr_log10_factor", -1.0, 1.0),
        "weight_decay": trial.suggest_float("weight_decay", 1e-5, 1e-1, log=True),
    }
    if job.task == "classification":
        params["label_smoothing"] = trial.suggest_float("label_smoothing", 0.0, 0.2)
    return params


def make_sampler(seed: int) -> Any:
    """TPE after 5 random trials."""
    return optuna_module().samplers.TPESampler(seed=seed, n_startup_trials=5)


def make_pruner() -> Any:
    """Median pruning from the 4th trial, after the first epoch."""
    return optuna_module().pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)


class _ReportToTrial(Callback):
    """Reports the monitored metric each epoch and stops pruned trials."""

    def __init__(self, trial: Any, monitor: str) -> None:
        self.trial, self.monitor = trial, monitor
        self.pruned = False

    def epoch_end(self, state: State) -> None:
        value = state.metrics.get(self.monitor)
        if value is None or not math.isfinite(value):
            return
        self.trial.report(value, state.epoch)
        if self.trial.should_prune():
            self.pruned = True
            state.stop_training = True
            state.stop_reason = "pruned by the tuner"


def trial_dir(out: Path, study_name: str, number: int) -> Path:
    """``out/trials/<study>/NNNN``, a fresh folder even when an earlier study of the same name
    (its database deleted) left one there."""
    base = out / "trials" / (re.sub(r"[^A-Za-z0-9._-]", "_", study_name).lstrip(".") or "study") / f"{number:04d}"
    candidate, k = base, 1
    while (candidate / "run.json").exists():
        k += 1
        candidate = base.with_name(f"{base.name}-{k}")
    return candidate


def make_objective(job: Job, out: Path, epochs: int | None, stage: int = 0,
                   ranges: dict[str, list[float]] | None = None) -> Callable[[Any], float]:
    """``objective(trial) -> monitored metric`` of a fit in :func:`trial_dir`; raises
    ``optuna.TrialPruned`` when the pruner stopped it. ``stage`` (1 or 2) with its ``ranges``:
    a coarse-to-fine trial (:mod:`danfang.tools.tune_coarse_to_fine`) instead of the usual space."""
    optuna = optuna_module()
    monitor = job.settings["monitor"]

    def objective(trial: Any) -> float:
        space = getattr(job.module, "search_space", None)
        if stage:
            from danfang.tools.tune_coarse_to_fine import suggest

            params = suggest(trial, stage, ranges or {})
        else:
            params = dict(space(trial)) if space is not None else default_space(trial, job)
        trial.set_user_attr("settings", dict(params))
        recipe = params.pop("recipe", None)
        reporter = _ReportToTrial(trial, monitor)
        run_dir = trial_dir(out, trial.study.study_name, trial.number)
        trial.set_user_attr("run_dir", str(run_dir))
        trainer = Trainer(job, run_dir, recipe=recipe, epochs=epochs,
                          callbacks=[reporter], checkpoint=False, settings=params, evaluate_test=False)
        result = trainer.fit()
        if reporter.pruned:
            raise optuna.TrialPruned()
        best = result.best
        if best is None or best.get(monitor) is None:
            return math.inf if monitor == "val_loss" else 0.0
        return float(best[monitor])

    return objective
