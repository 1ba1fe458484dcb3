"""`danfang tune --coarse-to-fine`: a wide log-uniform stage, then a stage narrowed around the
best of the first; both recorded in the study; bad option combinations are exit 2."""

from __future__ import annotations

import math

import optuna
import pytest
from typer.testing import CliRunner

from danfang.cli.app import app
from danfang.errors import UsageError
from danfang.tools import tune_coarse_to_fine as c2f
from danfang.tools.tune import tune
from tests.conftest import HEALTHY_JOB

QUICK = {"heartbeat_interval": 1, "grace_period": 2, "epochs": 1}


def finished_trial(number: int, value: float, lr: float, wd: float) -> optuna.trial.FrozenTrial:
    dists = {name: optuna.distributions.FloatDistribution(lo, hi, log=True) for name, (lo, hi) in c2f.WIDE.items()}
    trial = optuna.trial.create_trial(value=value, params={"lr": lr, "weight_decay": wd}, distributions=dists,
                                      user_attrs={"stage": 1})
    trial.number = number
    return trial


def inside(inner, outer) -> bool:
    return outer[0] * (1 - 1e-9) <= inner[0] <= inner[1] <= outer[1] * (1 + 1e-9)


def test_narrowing_spans_the_best_trials_inside_the_wide_range():
    trials = [finished_trial(i, v, lr, wd) for i, (v, lr, wd) in enumerate(
        [(0.30, 1e-2, 1e-4), (0.25, 3e-2, 3e-4), (2.0, 1e-5, 1e-1), (1.5, 0.9, 1e-6), (0.9, 1e-4, 1e-3),
         (1.1, 1e-3, 1e-5), (1.2, 0.3, 3e-2), (2.2, 3e-5, 5e-6), (1.8, 0.5, 2e-2), (1.0, 2e-4, 4e-5)])]
    stage2 = c2f.narrow(trials, c2f.WIDE, maximize=False)
    assert stage2["from_trials"] == [1, 0] and stage2["best_trial"] == 1   # top 20% of 10 = 2, lowest loss
    lr_lo, lr_hi = stage2["ranges"]["lr"]
    assert inside((lr_lo, lr_hi), c2f.WIDE["lr"]) and lr_lo <= 1e-2 and lr_hi >= 3e-2
    assert math.log10(lr_hi / lr_lo) < 1.5        # narrowed from 5 decades to about one
    for name, rng in stage2["ranges"].items():
        assert inside(rng, c2f.WIDE[name]) and rng[0] <= stage2["best_params"][name] <= rng[1]
    flipped = c2f.narrow(trials, c2f.WIDE, maximize=True)     # accuracy: the highest values win
    assert flipped["best_trial"] == 7 and set(flipped["from_trials"]) == {7, 2}


def test_narrowing_at_the_edge_is_clipped_to_the_wide_range():
    trials = [finished_trial(0, 0.1, 1.0, 1e-6), finished_trial(1, 0.2, 0.8, 2e-6), finished_trial(2, 3.0, 1e-5, 0.1)]
    stage2 = c2f.narrow(trials, c2f.WIDE, maximize=False)
    assert stage2["ranges"]["lr"][1] == pytest.approx(1.0)
    assert stage2["ranges"]["weight_decay"][0] == pytest.approx(1e-6)
    with pytest.raises(ValueError, match="at least 2"):
        c2f.narrow(trials[:1], c2f.WIDE, maximize=False)


def test_two_stages_are_run_counted_and_recorded(healthy_job, tmp_path):
    result = tune(healthy_job, trials=5, out=tmp_path / "t", stages=2, **QUICK)
    assert result.finished and result.n_complete + result.n_pruned == 5, result.problems
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    stages = [t.user_attrs.get("stage") for t in study.trials]
    assert stages == [1, 1, 1, 2, 2]
    record = study.user_attrs[c2f.ATTR]
    wide, fine = record["stages"][0], record["stages"][1]
    assert (wide["trials"], fine["trials"]) == (3, 2)
    stage1 = [t for t in study.trials if t.user_attrs["stage"] == 1]
    best1 = min((t for t in stage1 if t.state == optuna.trial.TrialState.COMPLETE), key=lambda t: t.value)
    assert fine["best_trial"] == best1.number
    for name, rng in fine["ranges"].items():
        assert inside(rng, wide["ranges"][name]) and rng[0] <= best1.params[name] <= rng[1]
        for t in study.trials[3:]:
            assert rng[0] <= t.params[f"{name}_stage2"] <= rng[1]
    assert result.search_space[0].startswith("stage 1 (coarse, 3 trials")
    assert result.search_space[1].startswith("stage 2 (fine, 2 trials")
    assert "lr" in result.best_settings and result.best_settings["recipe"] == record["recipe"]

    again = tune(healthy_job, trials=5, out=tmp_path / "t", stages=2, **QUICK)   # resumes: nothing to do
    study = optuna.load_study(study_name=result.study_name, storage=result.storage)
    assert again.finished and len(study.trials) == 5 and study.user_attrs[c2f.ATTR]["stages"][1] == fine
    with pytest.raises(UsageError, match="coarse-to-fine search; rerun it with --coarse-to-fine"):
        tune(healthy_job, trials=7, out=tmp_path / "t", **QUICK)


def test_a_plain_study_is_not_continued_coarse_to_fine(healthy_job, tmp_path):
    tune(healthy_job, trials=1, out=tmp_path / "t", **QUICK)
    with pytest.raises(UsageError, match="without --coarse-to-fine"):
        tune(healthy_job, trials=4, out=tmp_path / "t", stages=2, **QUICK)


@pytest.mark.parametrize("extra, message", [
    (["--coarse-to-fine", "--stages", "1"], "cannot be combined with --stages 1"),
    (["--stages", "3"], "--stages must be 1"),
    (["--coarse-to-fine", "--trials", "3"], "needs --trials >= 4"),
])
def test_bad_option_combinations_exit_2(healthy_job, tmp_path, extra, message):
    res = CliRunner().invoke(app, ["tune", str(healthy_job), "--out", str(tmp_path / "t"), "--epochs", "1", *extra])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output


def test_a_job_with_its_own_search_space_refuses_coarse_to_fine(write_job, tmp_path):
    job = write_job(HEALTHY_JOB + '''
def search_space(trial):
    return {"lr": trial.suggest_float("lr", 1e-3, 1e-2, log=True)}
''')
    res = CliRunner().invoke(app, ["tune", str(job), "--coarse-to-fine", "--trials", "4", "--out", str(tmp_path / "t")])
    assert res.exit_code == 2 and "defines search_space(trial)" in res.output and "job.py" in res.output
