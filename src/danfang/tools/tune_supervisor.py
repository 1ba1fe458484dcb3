"""The ``danfang tune`` parent: it starts the worker processes, watches them, and restarts a
worker that died (kill -9, the OOM killer, a hard exit in the job) until the study has its
requested trials or the restart budget is spent.

The trial a dead worker was running is marked FAIL at once and queued again with the same
parameters (Optuna's retry callback); trials left RUNNING by workers that died elsewhere (an
earlier run, another machine) are failed and queued the same way once their heartbeat is
older than the grace period.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

from danfang.tools.tune_ledger import ledger
from danfang.tools.tune_storage import fail_and_retry, fail_stale_trials, optuna_module
from danfang.tools.tune_worker import WorkerSpec, run_worker, worker_id

#: Seconds between two looks at the workers and the study.
POLL_S = 0.5
#: Workers that die without holding a trial before the supervisor stops restarting them.
CRASHES_BEFORE_GIVING_UP = 3


@dataclass(frozen=True)
class Death:
    """A worker that ended abnormally: killed, or exited while it still held a trial."""

    pid: int
    exitcode: int | None
    trial_number: int | None           # the trial it was running, if any

    @property
    def how(self) -> str:
        code = self.exitcode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = " (kill -9, or the out-of-memory killer)" if -code == signal.SIGKILL else ""
            return f"killed by {name}{hint}"
        if code == 0:
            return "exited with code 0 in the middle of the trial"
        return f"exited with code {code}"


def _own_running(study: Any, pids: set[int]) -> dict[int, list[Any]]:
    """RUNNING trials by the pid of the (local) worker that asked for them."""
    state = optuna_module().trial.TrialState
    ids = {worker_id(pid): pid for pid in pids}
    found: dict[int, list[Any]] = {pid: [] for pid in pids}
    for t in study.get_trials(deepcopy=False, states=(state.RUNNING,)):
        pid = ids.get(t.user_attrs.get("worker"))
        if pid is not None:
            found[pid].append(t)
    return found


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class Supervisor:
    """Runs up to ``workers`` worker processes on ``spec`` and restarts dead ones, at most
    ``max_restarts`` times in all. :attr:`deaths` says who died and how."""

    def __init__(self, spec: WorkerSpec, study: Any, storage: Any, *, workers: int, max_restarts: int) -> None:
        self.spec, self.study, self.storage = spec, study, storage
        self.workers, self.max_restarts = workers, max_restarts
        self.deaths: list[Death] = []
        self.started = 0
        self._procs: dict[int, Any] = {}
        self._ctx = mp.get_context("spawn")
        self._study_id = storage.get_study_id_from_name(spec.study_name)

    @property
    def gave_up(self) -> bool:
        """Too many deaths in all, or workers that keep breaking before they hold a trial (the
        worker itself failing, e.g. a storage it cannot reach: restarting will not help)."""
        crashes = sum(d.trial_number is None for d in self.deaths)
        return len(self.deaths) > self.max_restarts or crashes >= CRASHES_BEFORE_GIVING_UP

    def _start(self) -> None:
        spec = dataclasses.replace(self.spec, seed=self.spec.seed + self.started)  # no two sample alike
        proc = self._ctx.Process(target=run_worker, args=(spec,), name="danfang-tune-worker", daemon=False)
        proc.start()
        self._procs[proc.pid] = proc
        self.started += 1

    def _fail_trials_of(self, pid: int) -> list[Any]:
        held = _own_running(self.study, {pid})[pid]
        for trial in held:
            trial_id = self.storage.get_trial_id_from_study_id_trial_number(self._study_id, trial.number)
            fail_and_retry(self.study, self.storage, trial_id)
        return held

    def _reap(self) -> None:
        for pid, proc in list(self._procs.items()):
            if proc.exitcode is None:
                continue
            proc.join()
            del self._procs[pid]
            held = self._fail_trials_of(pid)
            if held or proc.exitcode != 0:
                self.deaths.append(Death(pid, proc.exitcode, held[0].number if held else None))

    def run(self) -> None:
        """Until the study has its trials, or there is nothing left that a worker could do.
        Ctrl-C or SIGTERM stops the workers (their trials are queued again) and raises
        KeyboardInterrupt."""
        previous = signal.getsignal(signal.SIGTERM)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)
        try:
            while True:
                self._reap()
                fail_stale_trials(self.study)
                state = ledger(self.study, self.spec.target, self.spec.first_number)
                will_start = state.has_work and not self.gave_up
                if will_start:
                    busy = sum(bool(ts) for ts in _own_running(self.study, set(self._procs)).values())
                    while len(self._procs) < min(self.workers, state.open_slots + busy):
                        self._start()
                # trials RUNNING elsewhere finish, or go stale and come back as work: wait for them
                if not self._procs and not will_start and (state.running == 0 or self.gave_up):
                    return
                time.sleep(POLL_S)
        except BaseException:
            self.stop()
            raise
        finally:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, previous)

    def stop(self) -> None:
        """Terminate the workers; their trials are failed and queued again for the next run."""
        for proc in self._procs.values():
            proc.terminate()
        for pid, proc in list(self._procs.items()):
            proc.join()
            try:
                self._fail_trials_of(pid)
            except Exception:  # the storage is gone too: the heartbeat grace period will do it
                pass
        self._procs.clear()
