"""`danfang tune` survives dead workers: a worker killed mid-trial is restarted and its trial
failed and retried; stale RUNNING trials of an earlier run are failed and retried on rerun;
trials the job makes fail are reported (exit 1), bad input is exit 2, and nothing is exit 2
because a worker died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from typer.testing import CliRunner

from danfang.cli.app import app
from danfang.tools.tune import TuneIncomplete, tune
from danfang.tools.tune_ledger import ledger
from danfang.tools.tune_storage import open_storage
from danfang.tools.tune_supervisor import Death
from tests.conftest import HEALTHY_JOB

#: The first training forward pass of the study kills its own worker (kill -9); the marker file
#: beside the job makes the retry, and every later trial, train normally.
KILLS_ITS_WORKER_ONCE = HEALTHY_JOB + '''
import os, signal, pathlib
_MARK = pathlib.Path(__file__).with_name("killed-once")

class KillsItsWorkerOnce(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))

    def forward(self, x):
        if self.training and torch.is_grad_enabled() and not _MARK.exists():
            _MARK.write_text("the worker of the first trial was killed here")
            os.kill(os.getpid(), signal.SIGKILL)
        return self.net(x)

def model():
    return KillsItsWorkerOnce()
'''

#: Fast heartbeats so that a dead trial is stale within seconds.
QUICK = {"heartbeat_interval": 1, "grace_period": 2, "epochs": 1}

State = optuna.trial.TrialState


def assert_killed_trial_was_retried(result, killed_marker: Path, target: int) -> None:
    """All ``target`` trials finished; exactly one FAIL, re-run with its parameters by a finished trial."""
    assert killed_marker.exists(), "the planted kill never ran"
    assert result.finished and result.n_complete + result.n_pruned == target
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    failed = [t for t in study.trials if t.state == State.FAIL]
    assert len(failed) == 1
    retries = [t for t in study.trials if t.system_attrs.get("retry_history") == [failed[0].number]]
    assert len(retries) == 1 and retries[0].state in (State.COMPLETE, State.PRUNED)
    assert retries[0].params == failed[0].params
    assert result.n_retried == 1 and "SIGKILL" in result.retried_after[0]
    assert len(study.trials) == target + 1


def test_a_worker_killed_mid_trial_is_restarted_and_its_trial_retried(write_job, tmp_path):
    job = write_job(KILLS_ITS_WORKER_ONCE)
    result = tune(job, trials=3, out=tmp_path / "t", **QUICK)
    assert_killed_trial_was_retried(result, job.with_name("killed-once"), target=3)
    result.raise_if_incomplete()  # finished: no error


def test_healthy_twin_retries_nothing(healthy_job, tmp_path):
    result = tune(healthy_job, trials=2, out=tmp_path / "t", **QUICK)
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    assert [t.state for t in study.trials].count(State.FAIL) == 0 and len(study.trials) == 2
    assert result.n_retried == 0 and result.finished and result.problems == []


def test_kill_through_the_cli_exits_0_and_says_what_was_retried(write_job, tmp_path):
    job = write_job(KILLS_ITS_WORKER_ONCE)
    proc = subprocess.run([sys.executable, "-m", "danfang", "tune", str(job), "--trials", "2", "--epochs", "1",
                           "--workers", "2", "--heartbeat", "1", "--grace", "2", "--out", str(tmp_path / "t")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "1 retried after a dead worker" in proc.stdout and "SIGKILL" in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
@pytest.mark.parametrize("with_heartbeat", [True, False], ids=["heartbeat-stopped", "never-beat"])
def test_stale_running_trial_of_an_earlier_run_is_failed_and_retried_on_rerun(healthy_job, tmp_path,
                                                                                with_heartbeat):
    """A worker of an earlier run died and nobody restarted it: its trial is still RUNNING."""
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    storage = open_storage(url, heartbeat_interval=1, grace_period=2, max_retry=3)
    study = optuna.create_study(study_name="s", storage=storage)
    stuck = study.ask({"lr": optuna.distributions.FloatDistribution(1e-3, 1e-1, log=True)})
    if with_heartbeat:  # the worker had been beating, then was killed
        storage.record_heartbeat(storage.get_trial_id_from_study_id_trial_number(
            storage.get_study_id_from_name("s"), stuck.number))
    job = Path(healthy_job)
    job.write_text(job.read_text() + '''
def search_space(trial):
    return {"recipe": "adamw", "lr": trial.suggest_float("lr", 1e-3, 1e-1, log=True)}
''')
    result = tune(job, trials=2, out=tmp_path / "t", storage=url, study_name="s", **QUICK)
    trials = optuna.load_study(study_name="s", storage=url).trials
    assert trials[stuck.number].state == State.FAIL
    retry = [t for t in trials if t.system_attrs.get("retry_history") == [stuck.number]]
    assert len(retry) == 1 and retry[0].state in (State.COMPLETE, State.PRUNED)
    assert retry[0].params == trials[stuck.number].params
    assert result.finished and not any(t.state == State.RUNNING for t in trials)


def test_rerun_resumes_the_study_to_its_target(healthy_job, tmp_path):
    first = tune(healthy_job, trials=2, out=tmp_path / "t", **QUICK)
    again = tune(healthy_job, trials=3, out=tmp_path / "t", **QUICK)
    assert first.finished and again.finished
    assert len(optuna.load_study(study_name=again.study_name, storage=again.storage).trials) == 3
    # the target already reached: nothing runs
    tune(healthy_job, trials=3, out=tmp_path / "t", **QUICK)
    assert len(optuna.load_study(study_name=again.study_name, storage=again.storage).trials) == 3


def _wait_for(predicate, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupting_tune_stops_the_workers_and_queues_their_trials_for_the_rerun(healthy_job, tmp_path, how):
    out = tmp_path / "t"
    proc = subprocess.Popen([sys.executable, "-m", "danfang", "tune", str(healthy_job), "--trials", "2",
                             "--epochs", "500", "--heartbeat", "1", "--grace", "2", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    url = f"sqlite:///{out / 'tune.db'}"

    def running() -> bool:
        try:
            return any(t.state == State.RUNNING for t in optuna.load_study(study_name="job-tune", storage=url).trials)
        except Exception:  # not created yet
            return False

    try:
        _wait_for(running)
        if how == "ctrl-c":  # the terminal sends SIGINT to the whole process group
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "rerun the same command" in " ".join(stderr.split())
    trials = optuna.load_study(study_name="job-tune", storage=url).trials
    assert trials[0].state == State.FAIL and trials[1].state == State.WAITING
    assert trials[1].system_attrs["retry_history"] == [0]


RAISES_IN_SEARCH_SPACE = HEALTHY_JOB + '''
def search_space(trial):
    lr = trial.suggest_float("lr", 1e-3, 1e-1, log=True)
    raise ValueError("no space left in this search space")
'''


def test_trials_the_job_makes_fail_are_reported_exit_1_and_not_retried(write_job, tmp_path):
    job = write_job(RAISES_IN_SEARCH_SPACE)
    proc = subprocess.run([sys.executable, "-m", "danfang", "tune", str(job), "--trials", "5", "--epochs", "1",
                           "--heartbeat", "1", "--grace", "2", "--out", str(tmp_path / "t")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "0 of 5 trials finished" in proc.stderr and "ValueError: no space left" in proc.stderr
    assert "job.py:" in proc.stderr and "Traceback" not in proc.stderr
    assert "first 3 trials of this run all failed" in proc.stderr
    trials = optuna.load_study(study_name="job-tune", storage=f"sqlite:///{tmp_path / 't' / 'tune.db'}").trials
    assert len(trials) == 3 and all(t.state == State.FAIL for t in trials)  # stopped, never retried


def test_a_trial_that_breaks_danfangs_contract_is_bad_input_exit_2(write_job, tmp_path):
    job = write_job(HEALTHY_JOB + '''
def search_space(trial):
    return {"device": trial.suggest_categorical("device", ["tpu9"])}
''')
    with pytest.raises(Exception) as caught:
        tune(job, trials=2, out=tmp_path / "t", **QUICK).raise_if_incomplete()
    assert caught.value.exit_code == 2 and not isinstance(caught.value, TuneIncomplete)
    assert "tpu9" in str(caught.value)


@pytest.mark.slow
def test_a_trial_whose_worker_always_dies_ends_with_exit_1_naming_the_signal(write_job, tmp_path):
    job = write_job(KILLS_ITS_WORKER_ONCE.replace("not _MARK.exists()", "True"))
    result = tune(job, trials=1, out=tmp_path / "t", max_retry=1, **QUICK)
    assert not result.finished
    with pytest.raises(TuneIncomplete) as caught:
        result.raise_if_incomplete()
    assert caught.value.exit_code == 1
    assert "tried 2 times" in str(caught.value) and "SIGKILL" in str(caught.value)


@pytest.mark.slow
def test_workers_that_die_before_holding_a_trial_are_not_restarted_forever(write_job, tmp_path):
    job = write_job(HEALTHY_JOB + '''
import multiprocessing, os, signal
if multiprocessing.current_process().name == "danfang-tune-worker":  # only in the workers
    os.kill(os.getpid(), signal.SIGKILL)
''')
    result = tune(job, trials=2, out=tmp_path / "t", **QUICK)
    assert not result.finished and result.n_complete == 0
    assert "Gave up after 3 worker deaths (3 killed by SIGKILL" in " ".join(result.problems)


@pytest.mark.parametrize("args, says", [
    (["--workers", "0"], "--workers must be a positive integer"),
    (["--heartbeat", "2", "--grace", "2"], "--grace (2 s) must be longer than --heartbeat"),
    (["--max-retry", "-1"], "--max-retry must be an integer >= 0"),
    (["--storage", "sqlite://"], "in-memory SQLite"),
    (["--storage", "nonsense://x"], "cannot be opened"),
])
def test_bad_options_are_exit_2_with_a_message(healthy_job, tmp_path, args, says):
    res = CliRunner().invoke(app, ["tune", str(healthy_job), "--trials", "1", "--out", str(tmp_path / "t"), *args])
    assert res.exit_code == 2, res.output
    assert says in " ".join(res.stderr.split()) and "Traceback" not in res.output


def _in_memory_study():
    return optuna.create_study(storage=optuna.storages.InMemoryStorage())


def test_ledger_keeps_a_dead_trials_slot_open_but_spends_a_job_failure():
    study = _in_memory_study()
    dist = {"x": optuna.distributions.FloatDistribution(0, 1)}
    study.add_trial(optuna.create_trial(value=1.0, params={"x": 0.1}, distributions=dist))
    study.add_trial(optuna.create_trial(state=State.FAIL, params={"x": 0.2}, distributions=dist))  # died
    study.add_trial(optuna.create_trial(state=State.WAITING, params={"x": 0.2}, distributions=dist,
                                        system_attrs={"failed_trial": 1, "retry_history": [1]}))
    state = ledger(study, target=3, first_number=0)
    assert len(state.retried) == 1 and state.failed == [] and state.open_slots == 2 and state.has_work
    study.add_trial(optuna.create_trial(state=State.FAIL, params={"x": 0.3}, distributions=dist,
                                        user_attrs={"error": "ValueError: boom"}))  # the job failed
    state = ledger(study, target=3, first_number=0)
    assert [t.number for t in state.failed] == [3] and state.open_slots == 1 and not state.done
    # an earlier call's failure does not spend this call's slots
    assert ledger(study, target=3, first_number=4).open_slots == 2


def test_ledger_gives_up_when_the_first_trials_all_fail_but_not_after_a_success():
    study = _in_memory_study()
    for _ in range(3):
        study.add_trial(optuna.create_trial(state=State.FAIL, user_attrs={"error": "boom"}))
    assert ledger(study, target=10, first_number=0).hopeless
    study.add_trial(optuna.create_trial(value=1.0))
    assert not ledger(study, target=10, first_number=0).hopeless


def test_death_says_how_the_worker_ended():
    assert Death(1, -signal.SIGKILL, 0).how.startswith("killed by SIGKILL")
    assert Death(1, -signal.SIGTERM, 0).how == "killed by SIGTERM"
    assert Death(1, 0, 3).how == "exited with code 0 in the middle of the trial"
    assert Death(1, 3, None).how == "exited with code 3"
