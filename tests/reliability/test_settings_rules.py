"""Every settings key is checked for type and range before anything runs (issue 13)."""

from __future__ import annotations

import pytest

from danfang.errors import JobError
from danfang.job import load_job
from danfang.settings import RULES, SETTINGS, check_settings, validate_settings

from tests.reliability.conftest import HEALTHY_JOB, assert_clean, cli

NAN, INF = float("nan"), float("inf")

#: planted faults: key -> values that must be refused
BAD = {
    "task": ["cls", 3], "batch_size": [0, "32", 2.5, True], "eval_batch_size": [-1, 0, "big"],
    "epochs": [0, 20.0, "5"], "monitor": ["acc", None], "seed": ["0", True, 1.5, 2 ** 70],
    "deterministic": ["no", 1, "True"], "patience": ["soon", 0, -1], "restore_best": ["yes", 0],
    "lr": ["fast", 0, -1e-3, NAN, INF], "weight_decay": ["high", -0.1, NAN], "num_classes": ["ten", 1, 2.0],
    "device": ["gpu7", 3], "precision": ["fp16", None], "channels_last": ["yes", 1], "compile": ["false", 0],
    "num_workers": [-1, "4", 1.0], "scheduler_interval": ["batch", 1], "grad_clip": [-1.0, 0, "1"],
    "label_smoothing": [2.0, -0.1, 1.0, "0.1"], "accumulate": [0, -1, 1.5], "time_budget_s": [0, -5, "60", INF],
    "baseline_loss": [NAN, "2.3"], "chance_acc": [1.5, -0.1, "half"], "loss_floor_known": ["no", 1],
    "tta": ["mirror", True],
}
#: healthy twins: key -> values that must be accepted
GOOD = {
    "task": ["classification", None], "batch_size": [1, 64], "eval_batch_size": [None, 1, 512], "epochs": [1, 30],
    "monitor": ["val_acc"], "seed": [0, -3, 2 ** 40], "deterministic": [True, False], "patience": [None, 1, 5],
    "restore_best": [False], "lr": [None, 1, 3e-4], "weight_decay": [None, 0, 0.05], "num_classes": [None, 2, 10],
    "device": ["auto", "cpu", "cuda:1"], "precision": ["auto", "bf16", "fp32"], "channels_last": ["auto", True, False],
    "compile": [False], "num_workers": [0, 2], "scheduler_interval": [None, "epoch", "step"],
    "grad_clip": [None, 0.5, 5], "label_smoothing": [None, 0, 0.1], "accumulate": [1, 8],
    "time_budget_s": [None, 0.5, 60], "baseline_loss": [None, 2.3, -1.0], "chance_acc": [None, 0, 0.1, 1],
    "loss_floor_known": [None, True, False],
    "tta": [None, "flip"],
}


def test_every_key_has_a_rule_and_planted_faults():
    assert set(RULES) == set(SETTINGS)
    assert set(BAD) == set(SETTINGS) and set(GOOD) == set(SETTINGS)


@pytest.mark.parametrize("key,value", [(k, v) for k, vs in BAD.items() for v in vs], ids=repr)
def test_a_bad_value_is_refused_saying_what_why_and_what_to_pass(key, value):
    with pytest.raises(ValueError) as info:
        validate_settings({key: value})
    msg = str(info.value)
    assert msg.startswith(f"settings[{key!r}] = {value!r}"[:40]), msg      # what was given
    assert "is not valid: " in msg and f"{key} must be " in msg, msg      # why it fails
    assert f"Pass e.g. settings[{key!r}] = " in msg, msg                 # what to pass


@pytest.mark.parametrize("key,value", [(k, v) for k, vs in GOOD.items() for v in vs], ids=repr)
def test_a_good_value_is_kept(key, value):
    s = validate_settings({key: value})
    assert s[key] == value or (value != value and s[key] != s[key])
    check_settings(s)


def test_numpy_scalars_become_plain_python_values():
    np = pytest.importorskip("numpy")
    s = validate_settings({"batch_size": np.int64(16), "lr": np.float32(0.5), "deterministic": np.bool_(True)})
    assert type(s["batch_size"]) is int and type(s["lr"]) is float and s["deterministic"] is True


def test_a_bool_given_as_a_string_says_to_pass_a_python_bool():
    with pytest.raises(ValueError, match=r"a Python bool, not a string"):
        validate_settings({"restore_best": "False"})


#: the cases issue 13 names, each through `danfang fit` as a user runs it
ISSUE_CASES = {"lr": "'fast'", "num_classes": "'ten'", "patience": "'soon'", "label_smoothing": "2.0",
               "weight_decay": "'high'", "eval_batch_size": "-1", "grad_clip": "-1.0", "num_workers": "-1",
               "accumulate": "0", "batch_size": "0", "deterministic": "'no'"}


@pytest.mark.parametrize("key", list(ISSUE_CASES))
def test_fit_refuses_a_bad_setting_with_exit_2_and_leaves_no_folder(key, write_job, tmp_path, no_folder):
    job = write_job(HEALTHY_JOB + f"\nsettings[{key!r}] = {ISSUE_CASES[key]}\n")
    out = tmp_path / "run"
    text = assert_clean(cli("fit", job, "--out", out, "--quiet"), 2)
    assert f"settings[{key!r}] = " in text and "function `settings`" in text and str(job) in text
    no_folder(out)


def test_doctor_refuses_a_bad_setting_before_making_its_folder(write_job, tmp_path, no_folder):
    job = write_job(HEALTHY_JOB + "\nsettings['lr'] = 'fast'\n")
    text = assert_clean(cli("doctor", job, "--out", tmp_path / "doc", "--quiet"), 2)
    assert "settings['lr'] = 'fast' is not valid" in text
    no_folder(tmp_path / "doc")


def test_a_bad_override_is_refused_like_a_bad_setting(healthy_job, tmp_path, no_folder):
    text = assert_clean(cli("fit", healthy_job, "--grad-clip", "0", "--out", tmp_path / "run", "--quiet"), 2)
    assert "settings['grad_clip'] = 0.0 is not valid" in text
    no_folder(tmp_path / "run")


def test_the_healthy_twin_loads(healthy_job):
    assert load_job(healthy_job).settings["batch_size"] == 32


def test_a_settings_object_that_is_not_a_dict_is_a_job_error(write_job):
    with pytest.raises(JobError, match=r"`settings` must be a dict, got a list"):
        load_job(write_job(HEALTHY_JOB + "\nsettings = [1, 2]\n"))
