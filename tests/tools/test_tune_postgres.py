"""`danfang tune --storage postgresql://…`: several worker processes share one study in a real
PostgreSQL server that this test starts on loopback and stops afterwards; a worker killed mid-trial
is restarted and its trial retried, and a stale RUNNING trial is failed and retried on rerun."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import optuna
import pytest

from danfang.tools.tune import postgres_driver_url, tune
from danfang.tools.tune_storage import open_storage
from tests.tools.test_tune_workers import KILLS_ITS_WORKER_ONCE, QUICK, assert_killed_trial_was_retried


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    pytest.importorskip("psycopg2", reason="pip install 'danfang[postgres]'")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="danfang-pg-"))
    if as_user:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run(as_user + [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log"),
                              "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}", "start"],
                   check=True, capture_output=True)
    try:
        import psycopg2

        con = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        con.autocommit = True
        con.cursor().execute("CREATE DATABASE danfang")
        con.close()
        yield f"postgresql://postgres@127.0.0.1:{port}/danfang"
    finally:
        subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_two_workers_share_a_postgres_study(healthy_job, tmp_path, postgres_url):
    result = tune(healthy_job, trials=4, out=tmp_path / "t", storage=postgres_url, workers=2,
                  study_name="shared", **QUICK)
    assert result.storage.startswith("postgresql+psycopg")
    study = optuna.load_study(study_name="shared", storage=result.storage)
    assert len(study.trials) == 4 and result.n_complete + result.n_pruned == 4
    # a second call resumes the same study up to its new target
    tune(healthy_job, trials=6, out=tmp_path / "t", storage=postgres_url, study_name="shared", **QUICK)
    assert len(optuna.load_study(study_name="shared", storage=result.storage).trials) == 6


def test_a_worker_killed_mid_trial_on_postgres_is_restarted_and_its_trial_retried(write_job, tmp_path,
                                                                                   postgres_url):
    job = write_job(KILLS_ITS_WORKER_ONCE)
    result = tune(job, trials=3, out=tmp_path / "t", storage=postgres_url, workers=2,
                  study_name="killed", **QUICK)
    assert_killed_trial_was_retried(result, job.with_name("killed-once"), target=3)


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
def test_a_stale_running_trial_on_postgres_is_failed_and_retried_on_rerun(healthy_job, tmp_path, postgres_url):
    url = postgres_driver_url(postgres_url)
    storage = open_storage(url, heartbeat_interval=1, grace_period=2, max_retry=3)
    stuck = optuna.create_study(study_name="stale", storage=storage).ask()
    storage.record_heartbeat(storage.get_trial_id_from_study_id_trial_number(
        storage.get_study_id_from_name("stale"), stuck.number))  # then its worker "died"
    result = tune(healthy_job, trials=2, out=tmp_path / "t", storage=postgres_url, study_name="stale", **QUICK)
    trials = optuna.load_study(study_name="stale", storage=url).trials
    assert trials[stuck.number].state == optuna.trial.TrialState.FAIL
    assert [t.system_attrs.get("retry_history") for t in trials].count([stuck.number]) == 1
    assert result.finished and len(trials) == 3


def test_postgres_url_names_an_installed_driver():
    pytest.importorskip("psycopg2")
    assert postgres_driver_url("postgresql://u@h:5432/db").startswith("postgresql+psycopg")
    assert postgres_driver_url("sqlite:///x.db") == "sqlite:///x.db"
