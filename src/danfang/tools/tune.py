"""Hyperparameter search with Optuna: TPE sampling, median pruning on the per-epoch validation
metric, SQLite storage by default and a PostgreSQL URL for many workers or machines.

``tune(job, trials=N)`` runs worker processes that pull trials from one shared study until it
holds ``N`` finished (COMPLETE or PRUNED) trials; a rerun with the same storage resumes. A
worker that dies is restarted and its trial is failed and retried (heartbeats, Optuna's retry
callback); a trial the job itself makes fail is reported, not retried. See docs/tune.md.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from danfang.errors import DanfangError, UsageError
from danfang.job import load_job
from danfang.tools import tune_coarse_to_fine as c2f
from danfang.tools.tune_ledger import Ledger, ledger
from danfang.tools.tune_objective import default_space, make_pruner, make_sampler
from danfang.tools.tune_storage import (adopt_silent_trials, fail_stale_trials, open_storage, optuna_module,
                                        postgres_driver_url, shown_url)
from danfang.tools.tune_supervisor import Death, Supervisor
from danfang.tools.tune_worker import WorkerSpec

__all__ = ["TuneIncomplete", "TuneResult", "default_space", "postgres_driver_url", "tune"]


#: How a trial failed by ``fail_stale_trials`` (not a worker this call watched) lost its worker.
HEARTBEAT_STOPPED = "stopped sending heartbeats (its worker died in an earlier run or elsewhere)"


class TuneIncomplete(DanfangError):
    """The requested trials could not all be finished (failed trials, workers that kept dying).
    Not bad input, so the exit code is 1."""

    exit_code = 1


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
    target: int = 0                     # finished trials requested (--trials)
    n_failed: int = 0                   # trials of this call that failed and were not run again
    n_retried: int = 0                  # trials of this call that re-ran a trial whose worker died
    retried_after: list[str] = field(default_factory=list)   # "trial 3 killed by SIGKILL ...", ...
    problems: list[str] = field(default_factory=list)        # why trials are missing; [] when done
    bad_input: bool = False             # every failure was the job breaking danfang's contract
    search_space: list[str] = field(default_factory=list)    # coarse-to-fine: one line a stage

    @property
    def finished(self) -> bool:
        return self.n_complete + self.n_pruned >= self.target

    @property
    def shown_storage(self) -> str:
        return shown_url(self.storage)

    def raise_if_incomplete(self) -> None:
        """Raise :class:`TuneIncomplete` (exit 1), or the bad input (exit 2), naming what happened."""
        if self.finished:
            return
        done = self.n_complete + self.n_pruned
        text = f"study {self.study_name}: {done} of {self.target} trials finished. " + " ".join(self.problems)
        raise (UsageError(text) if self.bad_input else TuneIncomplete(text))


def _check_options(trials: int, workers: int, epochs: int | None, heartbeat_interval: int,
                   grace_period: int, max_retry: int, stages: int = 1) -> None:
    def positive(name: str, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(f"{name} must be a positive integer, got {value!r}.")

    positive("--trials", trials)
    positive("--workers", workers)
    positive("--heartbeat", heartbeat_interval)
    positive("--grace", grace_period)
    if epochs is not None:
        positive("--epochs", epochs)
    if grace_period <= heartbeat_interval:
        raise UsageError(f"--grace ({grace_period} s) must be longer than --heartbeat ({heartbeat_interval} s), "
                         "or live trials would be declared dead; pass e.g. --grace "
                         f"{3 * heartbeat_interval}.")
    if isinstance(max_retry, bool) or not isinstance(max_retry, int) or max_retry < 0:
        raise UsageError(f"--max-retry must be an integer >= 0, got {max_retry!r}.")
    if stages not in (1, 2):
        raise UsageError(f"--stages must be 1 (one search) or 2 (coarse-to-fine), got {stages!r}.")


def _describe_failures(state: Ledger, deaths: list[Death], gave_up: bool) -> tuple[list[str], bool]:
    how = {d.trial_number: d.how for d in deaths if d.trial_number is not None}
    lines, bad = [], []
    by_error: dict[str, list[int]] = {}
    for t in state.failed:
        chain = [*t.system_attrs.get("retry_history", []), t.number]
        if "error" in t.user_attrs:
            by_error.setdefault(t.user_attrs["error"], []).append(t.number)
            bad.append(bool(t.user_attrs.get("bad_input")))
        else:
            deaths_of = Counter(how.get(n, HEARTBEAT_STOPPED) for n in chain)
            tries = f" (tried {len(chain)} times: trials {', '.join(map(str, chain))})" if len(chain) > 1 else ""
            lines.append(f"Trial {t.number}{tries} never finished: its worker died each time: "
                         f"{'; '.join(f'{n} x {h}' if n > 1 else h for h, n in deaths_of.items())}.")
            bad.append(False)
    errors = []
    for error, numbers in by_error.items():
        which = f"Trial {numbers[0]}" if len(numbers) == 1 else f"Trials {', '.join(map(str, numbers))}"
        errors.append(f"{which} failed: {error.rstrip('.')}.")
    lines = errors + lines
    if state.hopeless:
        lines.append(f"Stopped asking for trials: the first {len(state.failed)} trials of this run all failed; "
                     "fix the job and rerun the same command.")
    if gave_up:
        codes = ", ".join(f"{n} {how}" for how, n in Counter(d.how for d in deaths).items())
        lines.append(f"Gave up after {len(deaths)} worker deaths ({codes}).")
        bad.append(False)
    if not lines:
        lines.append("Trials are still RUNNING in other processes; rerun the same command to wait for them.")
    own_finished = any(t.number >= state.first_number for t in state.finished)
    return lines, bool(bad) and all(bad) and not own_finished


def tune(job_path: str | Path, *, trials: int, out: str | Path, storage: str | None = None,
         study_name: str | None = None, workers: int = 1, epochs: int | None = None, seed: int = 0,
         heartbeat_interval: int = 10, grace_period: int = 30, max_retry: int = 3,
         stages: int = 1) -> TuneResult:
    """Run worker processes until the study holds ``trials`` finished trials.

    ``stages=2``: coarse-to-fine (:mod:`danfang.tools.tune_coarse_to_fine`): the first half of the
    trials in wide log-uniform ranges of lr and weight decay, the rest in ranges narrowed around
    the best of the first; only for jobs without their own ``search_space`` or ``optimizer``.

    Heartbeats every ``heartbeat_interval`` s; a trial silent for ``grace_period`` s (or whose
    worker this call saw die) is failed and retried with the same parameters, at most
    ``max_retry`` times. Returns a :class:`TuneResult`; ``result.raise_if_incomplete()`` turns
    missing trials into :class:`TuneIncomplete` (exit 1).
    """
    optuna = optuna_module()
    from sqlalchemy.exc import SQLAlchemyError  # Optuna's RDB storage runs on SQLAlchemy

    _check_options(trials, workers, epochs, heartbeat_interval, grace_period, max_retry, stages)
    job = load_job(job_path)
    if stages == 2:
        c2f.check_job(job, trials)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    url = postgres_driver_url(storage or f"sqlite:///{(out / 'tune.db').resolve()}")
    study_name = study_name or f"{job.name}-tune"
    direction = "maximize" if job.settings["monitor"] == "val_acc" else "minimize"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rdb = open_storage(url, heartbeat_interval=heartbeat_interval, grace_period=grace_period,
                       max_retry=max_retry)
    study = optuna.create_study(study_name=study_name, storage=rdb, direction=direction, load_if_exists=True,
                                sampler=make_sampler(seed), pruner=make_pruner())
    plan = c2f.open_plan(study, trials) if stages == 2 else None
    if plan is None:
        c2f.refuse_plain_rerun(study)
    fail_stale_trials(study)
    adopt_silent_trials(rdb, rdb.get_study_id_from_name(study_name))
    first_number = len(study.get_trials(deepcopy=False))
    spec = WorkerSpec(str(job_path), url, study_name, trials, first_number, str(out), epochs, seed,
                      heartbeat_interval, grace_period, max_retry)
    supervisors: list[Supervisor] = []

    def run_stage(target: int, stage: int = 0, ranges: dict[str, list[float]] | None = None) -> None:
        sup = Supervisor(dataclasses.replace(spec, target=target, stage=stage, ranges=ranges), study, rdb,
                         workers=workers, max_restarts=trials * max(1, max_retry))
        supervisors.append(sup)
        sup.run()

    narrow_problem = None
    try:
        if plan is None:
            run_stage(trials)
        else:
            if not ledger(study, plan.stage1_target, first_number).done:
                run_stage(plan.stage1_target, 1, plan.ranges(1))
            if ledger(study, plan.stage1_target, first_number).done:
                try:
                    fine = c2f.record_stage2(study, plan)
                except ValueError as exc:
                    narrow_problem = f"Stage 2 did not start: {exc}."
                else:
                    if not ledger(study, trials, first_number).done:
                        run_stage(trials, 2, fine)
        state = ledger(study, trials, first_number)
    except SQLAlchemyError as exc:
        raise TuneIncomplete(f"the storage {shown_url(url)} stopped answering ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0]}); finished trials are kept in it. Rerun the same "
                             "command when it is back: running trials are failed and retried.") from None
    complete = [t for t in state.finished if t.state == optuna.trial.TrialState.COMPLETE]
    best = study.best_trial if complete else None
    deaths = [d for sup in supervisors for d in sup.deaths]
    problems, bad_input = ([], False) if state.done else _describe_failures(
        state, deaths, any(sup.gave_up for sup in supervisors))
    if narrow_problem:
        problems = [narrow_problem] + [p for p in problems if not p.startswith("Trials are still RUNNING")]
    how = {d.trial_number: d.how for d in deaths}
    retried_after = [f"trial {t.system_attrs['retry_history'][-1]} "
                     f"{how.get(t.system_attrs['retry_history'][-1], HEARTBEAT_STOPPED)}"
                     for t in state.retries]
    return TuneResult(study_name, url, job.settings["monitor"], best.value if best else None,
                      best.params if best else {}, best.user_attrs.get("settings", {}) if best else {},
                      len(complete), len(state.finished) - len(complete), target=trials,
                      n_failed=len(state.failed), n_retried=len(state.retries), retried_after=retried_after,
                      problems=problems, bad_input=bad_input,
                      search_space=c2f.describe(study.user_attrs[c2f.ATTR]) if plan is not None else [])
