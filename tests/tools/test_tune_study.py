"""Tuning (Optuna, SQLite, workers, trial folders) and multi-seed studies on a tiny job."""

from __future__ import annotations

import json
import subprocess
import sys

import optuna
import pytest

from danfang.tools.study import summarise
from danfang.tools.tune import tune
from tests.conftest import HEALTHY_JOB


def test_tune_runs_trials_into_sqlite_and_finds_a_good_config(healthy_job, tmp_path):
    result = tune(healthy_job, trials=4, out=tmp_path / "t", epochs=2)
    assert result.n_complete + result.n_pruned == 4
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    assert len(study.trials) == 4
    assert result.best_value < 0.5  # val_loss on separable blobs
    assert "recipe" in result.best_params and "lr" in result.best_settings


def test_tune_with_two_workers_shares_one_study(healthy_job, tmp_path):
    result = tune(healthy_job, trials=4, out=tmp_path / "t", epochs=1, workers=2)
    assert result.n_complete + result.n_pruned == 4


def test_two_studies_in_one_folder_keep_their_trials_apart(healthy_job, tmp_path):
    for name in ("a", "../b"):
        result = tune(healthy_job, trials=1, out=tmp_path / "t", epochs=1, study_name=name,
                      heartbeat_interval=1, grace_period=2)
        assert result.finished, result.problems
    trial_runs = sorted(p.parent.relative_to(tmp_path / "t") for p in (tmp_path / "t").rglob("run.json"))
    assert [str(p) for p in trial_runs] == ["trials/_b/0000", "trials/a/0000"]


def test_job_search_space_is_used(write_job, tmp_path):
    path = write_job(HEALTHY_JOB + '''
def search_space(trial):
    return {"recipe": "adamw", "lr": trial.suggest_float("lr", 1e-3, 1e-2, log=True)}
''')
    result = tune(path, trials=2, out=tmp_path / "t", epochs=1)
    assert set(result.best_params) == {"lr"}


def test_summarise_orders_and_tests_against_best():
    rows = summarise({"a": [0.90, 0.91, 0.92], "b": [0.80, 0.81, 0.79], "c": [0.905, 0.915, 0.91]},
                     higher_is_better=True)
    assert [r.recipe for r in rows] == ["a", "c", "b"]
    assert rows[0].p_vs_best is None and rows[2].p_vs_best < 0.01 and rows[1].p_vs_best > 0.5
    assert rows[0].ci95 == pytest.approx(0.0248, abs=1e-3)


def test_study_cli_writes_table_and_json(healthy_job, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "danfang", "study", str(healthy_job), "--grid",
                           "adamw,sgd-cosine", "--seeds", "2", "--epochs", "1", "--out", str(tmp_path / "s")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "s" / "study.json").read_text())
    assert len(doc["runs"]) == 4 and {r["recipe"] for r in doc["rows"]} == {"adamw", "sgd-cosine"}
    assert "95% CI" in proc.stdout
    page = (tmp_path / "s" / "report.html").read_text()
    assert "Recipes over 2 seeds" in page and "sgd-cosine" in page and "<svg" in page and "<script" not in page
    again = subprocess.run([sys.executable, "-m", "danfang", "report", str(tmp_path / "s")],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr


def test_study_rejects_one_seed_and_unknown_recipe(healthy_job, tmp_path):
    for args, msg in ((["--seeds", "1"], "--seeds must be >= 2"), (["--grid", "magic"], "unknown")):
        proc = subprocess.run([sys.executable, "-m", "danfang", "study", str(healthy_job), *args, "--out",
                               str(tmp_path / "s")], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and msg in proc.stderr
