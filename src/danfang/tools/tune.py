"""Hyperparameter search with Optuna: random/TPE sampling, median pruning on the
per-epoch validation metric, SQLite storage by default and a PostgreSQL URL for many workers.

The search space is the job's own ``search_space(trial) -> dict`` of settings overrides
(and ``recipe``) when it defines one; otherwise a coarse-to-fine default over the recipe, its
learning rate (log scale, x0.1..x10 around the recipe's own), weight decay and label smoothing.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from danfang.engine.callback import Callback
from danfang.engine.state import State
from danfang.engine.trainer import Trainer
from danfang.errors import UsageError
from danfang.job import Job, load_job
from danfang.recipes import RECIPES


def _optuna():
    try:
        import optuna
    except ImportError as exc:  # pragma: no cover - optuna is a dependency
        raise UsageError("danfang tune needs Optuna: pip install optuna") from exc
    return optuna


def postgres_driver_url(url: str) -> str:
    """Name the driver in a ``postgresql://`` URL: SQLAlchemy 2.1 means psycopg 3 by default;
    with only psycopg2 installed (``danfang[postgres]``) the URL must say ``+psycopg2``."""
    scheme, sep, rest = url.partition("://")
    if scheme not in ("postgresql", "postgres") or not sep:
        return url
    for module, driver in (("psycopg", "psycopg"), ("psycopg2", "psycopg2")):
        try:
            __import__(module)
        except ImportError:
            continue
        return f"postgresql+{driver}://{rest}"
    raise UsageError("a PostgreSQL storage needs a driver: pip install 'danfang[postgres]' (psycopg2).")


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


@dataclass
class TuneResult:
    study_name: str
    storage: str
    monitor: str
    best_value: float | None
    best_params: dict[str, Any]
    best_settings: dict[str, Any]       # what the best trial trained with (recipe, lr, ...)
    n_complete: int
    n_pruned: int


def _objective(job: Job, out: Path, epochs: int | None):
    optuna = _optuna()
    monitor = job.settings["monitor"]

    def objective(trial: Any) -> float:
        space = getattr(job.module, "search_space", None)
        params = dict(space(trial)) if space is not None else default_space(trial, job)
        trial.set_user_attr("settings", {k: v for k, v in params.items()})
        recipe = params.pop("recipe", None)
        reporter = _ReportToTrial(trial, monitor)
        trainer = Trainer(job, out / "trials" / f"{trial.number:04d}", recipe=recipe, epochs=epochs,
                          callbacks=[reporter], checkpoint=False, settings=params, evaluate_test=False)
        result = trainer.fit()
        if reporter.pruned:
            raise optuna.TrialPruned()
        best = result.best
        if best is None or best.get(monitor) is None:
            return math.inf if monitor == "val_loss" else 0.0
        return float(best[monitor])

    return objective


def _worker(job_path: str, storage: str, study_name: str, n_trials: int, out: str, epochs: int | None) -> None:
    optuna = _optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    job = load_job(job_path)
    study = optuna.load_study(study_name=study_name, storage=storage)
    study.optimize(_objective(job, Path(out), epochs), n_trials=n_trials)


def tune(job_path: str | Path, *, trials: int, out: str | Path, storage: str | None = None,
         study_name: str | None = None, workers: int = 1, epochs: int | None = None,
         seed: int = 0) -> TuneResult:
    """Run ``trials`` trials (spread over ``workers`` processes) into a shared Optuna study."""
    optuna = _optuna()
    if trials < 1 or workers < 1:
        raise UsageError(f"--trials and --workers must be >= 1, got {trials} and {workers}.")
    job = load_job(job_path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    storage = storage or f"sqlite:///{(out / 'tune.db').resolve()}"
    storage = postgres_driver_url(storage)
    study_name = study_name or f"{job.name}-tune"
    direction = "maximize" if job.settings["monitor"] == "val_acc" else "minimize"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=study_name, storage=storage, direction=direction,
                                load_if_exists=True, sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=5),
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1))
    if workers == 1:
        study.optimize(_objective(job, out, epochs), n_trials=trials)
    else:
        shares = [trials // workers + (1 if i < trials % workers else 0) for i in range(workers)]
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_worker, args=(str(job_path), storage, study_name, n, str(out), epochs))
                 for n in shares if n]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        if any(p.exitcode != 0 for p in procs):
            raise UsageError(f"a tuning worker failed (exit codes {[p.exitcode for p in procs]}).")
        study = optuna.load_study(study_name=study_name, storage=storage)
    states = [t.state for t in study.trials]
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return TuneResult(study_name, storage, job.settings["monitor"], study.best_value if complete else None,
                      study.best_params if complete else {},
                      study.best_trial.user_attrs.get("settings", {}) if complete else {}, len(complete),
                      sum(s == optuna.trial.TrialState.PRUNED for s in states))
