"""One ``danfang tune`` worker process: it pulls trials from the shared study until the study has
its requested trials, sending a heartbeat while each one trains.

A worker never owns a fixed share: whichever worker is free asks for the next trial (a trial
queued again after a dead worker comes first). If it dies mid-trial, its heartbeat stops and
the trial is marked FAIL and queued again (by the parent at once, or by any process after the
grace period). A trial the job makes fail is recorded with the error and the worker goes on.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from danfang.errors import DanfangError
from danfang.job import load_job, user_frame
from danfang.tools.tune_ledger import ledger
from danfang.tools.tune_objective import make_objective, make_pruner, make_sampler
from danfang.tools.tune_storage import ask_lock, open_storage, optuna_module


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker process needs (picklable, for ``spawn``)."""

    job_path: str
    storage: str
    study_name: str
    target: int
    first_number: int
    out: str
    epochs: int | None
    seed: int
    heartbeat_interval: int
    grace_period: int
    max_retry: int
    stage: int = 0                                # coarse-to-fine stage (1, 2); 0: one stage
    ranges: dict[str, list[float]] | None = None  # that stage's log-uniform ranges


def worker_id(pid: int | None = None) -> str:
    """``host:pid``, stored on each trial as the user attribute ``worker``."""
    return f"{socket.gethostname()}:{pid if pid is not None else os.getpid()}"


def describe_error(exc: BaseException, job_path: str) -> str:
    """One line: the exception and where in the job file it was raised."""
    if isinstance(exc, SystemExit):
        text = f"the job called sys.exit({exc.code!r})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    if not isinstance(exc, DanfangError):  # a JobError already says where
        text = text.rstrip(".") + user_frame(exc, Path(job_path))
    return text


@contextmanager
def heartbeat(storage: Any, trial_id: int, interval: int) -> Iterator[None]:
    """Record the trial's heartbeat every ``interval`` s while the body runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                storage.record_heartbeat(trial_id)
            except Exception:  # a busy database: the next beat will do
                pass

    thread = threading.Thread(target=beat, name=f"heartbeat-{trial_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _run_trial(study: Any, trial: Any, objective: Any, job_path: str) -> None:
    optuna = optuna_module()
    state = optuna.trial.TrialState
    try:
        value = objective(trial)
    except optuna.TrialPruned:
        study.tell(trial, state=state.PRUNED)
        return
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # the job's own failure
        trial.set_user_attr("error", describe_error(exc, job_path))
        trial.set_user_attr("bad_input", isinstance(exc, DanfangError))
        study.tell(trial, state=state.FAIL)
        return
    if math.isnan(value):
        trial.set_user_attr("error", "the monitored metric was NaN")
        study.tell(trial, state=state.FAIL)
        return
    study.tell(trial, value)


def pull_trials(spec: WorkerSpec) -> None:
    """Ask for and run trials while the study has fewer than ``spec.target`` finished."""
    optuna = optuna_module()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Optuna's heartbeat thread lives in Study.optimize; ours (above) does the same for ask().
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
    job = load_job(spec.job_path)
    storage = open_storage(spec.storage, heartbeat_interval=spec.heartbeat_interval,
                           grace_period=spec.grace_period, max_retry=spec.max_retry)
    study = optuna.load_study(study_name=spec.study_name, storage=storage,
                              sampler=make_sampler(spec.seed), pruner=make_pruner())
    study_id = storage.get_study_id_from_name(spec.study_name)
    objective = make_objective(job, Path(spec.out), spec.epochs, spec.stage, spec.ranges)
    while True:
        with ask_lock(spec.storage, Path(spec.out), spec.study_name):
            if not ledger(study, spec.target, spec.first_number).has_work:
                return
            # The parent stops workers with SIGTERM: not before the trial says whose it is.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
            try:
                trial = study.ask()
                trial.set_user_attr("worker", worker_id())
                trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
                storage.record_heartbeat(trial_id)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        with heartbeat(storage, trial_id, spec.heartbeat_interval):
            _run_trial(study, trial, objective, spec.job_path)


def run_worker(spec: WorkerSpec) -> None:
    """Process entry point. Ctrl-C is the parent's to handle; exit 0 when there is no more work,
    1 (with one line on stderr) when the worker itself broke."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pull_trials(spec)
    except Exception as exc:
        print(f"danfang tune: worker {os.getpid()} stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
