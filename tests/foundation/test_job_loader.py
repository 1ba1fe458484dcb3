"""Every breach of the job-file contract (DESIGN §1) gets a clear JobError and exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from danfang.errors import JobError
from danfang.job import load_job

MLP = "nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))"


def _job(data_body: str, extra: str = "", model_body: str = MLP) -> str:
    return f'''
import torch, numpy as np
from torch import nn

def model():
    return {model_body}

def data():
{data_body}
{extra}
'''


BREACHES = {
    "model_missing": ("import torch\ndef data():\n    return (torch.randn(4, 8), torch.zeros(4).long()), (torch.randn(4, 8), torch.zeros(4).long())\n",
                      "model", "not defined"),
    "data_missing": ("import torch\ndef model():\n    return torch.nn.Linear(8, 3)\n", "data", "not defined"),
    "model_not_callable": ("import torch\nmodel = torch.nn.Linear(8, 3)\ndef data():\n    return None\n",
                           "model", "must be a function"),
    "data_wrong_arity": (_job("    return (torch.randn(4, 8), torch.zeros(4).long()),"), "data",
                         "must return (train, val) or (train, val, test), got 1 items"),
    "data_wrong_type": (_job("    return {'train': 1}"), "data", "must return (train, val)"),
    "split_wrong_type": (_job("    return 'abc', 'def'"), "data", "must be a torch Dataset or a pair (X, y)"),
    "mismatched_lengths": (_job("    return (torch.randn(10, 8), torch.zeros(9).long()), (torch.randn(4, 8), torch.zeros(4).long())"),
                           "data", "10 inputs but 9 targets"),
    "empty_split": (_job("    return (torch.randn(10, 8), torch.zeros(10).long()), (torch.randn(0, 8), torch.zeros(0).long())"),
                    "data", "the val split is empty"),
    "labels_out_of_range": (_job("    return (torch.randn(10, 8), torch.arange(10) % 5), (torch.randn(4, 8), torch.zeros(4).long())"),
                            "data", "labels in [0, 4] but labels must lie in [0, 3-1]"),
    "negative_labels": (_job("    return (torch.randn(10, 8), torch.arange(10) - 1), (torch.randn(4, 8), torch.zeros(4).long())"),
                        "data", "labels in [-1, 8]"),
    "float_labels": (_job("    return (torch.randn(10, 8), torch.zeros(10)), (torch.randn(4, 8), torch.zeros(4))",
                          "settings = {'task': 'classification'}"), "data", "float targets"),
    "optimizer_not_optimizer": (_job("    return (torch.randn(10, 8), torch.zeros(10).long()), (torch.randn(4, 8), torch.zeros(4).long())",
                                     "def optimizer(params):\n    return 0.1"), "optimizer", "must return a torch.optim.Optimizer"),
    "model_not_module": (_job("    return (torch.randn(10, 8), torch.zeros(10).long()), (torch.randn(4, 8), torch.zeros(4).long())",
                              model_body="'a model'"), "model", "must return a torch.nn.Module"),
    "data_raises": (_job("    raise FileNotFoundError('train.csv')"), "data", "raised FileNotFoundError: train.csv"),
    "model_fails_on_inputs": (_job("    return (torch.randn(10, 5), torch.zeros(10).long()), (torch.randn(4, 5), torch.zeros(4).long())"),
                              "model", "the model failed on a batch of training inputs of shape (8, 5)"),
    "unknown_setting": (_job("    return (torch.randn(10, 8), torch.zeros(10).long()), (torch.randn(4, 8), torch.zeros(4).long())",
                             "settings = {'batchsize': 32}"), "settings", "did you mean 'batch_size'"),
    "bad_setting_value": (_job("    return (torch.randn(10, 8), torch.zeros(10).long()), (torch.randn(4, 8), torch.zeros(4).long())",
                               "settings = {'epochs': 0}"), "settings", "epochs must be an integer >= 1"),
}


@pytest.mark.parametrize("name", sorted(BREACHES))
def test_breach_raises_job_error_naming_file_and_function(name, write_job):
    body, function, expected = BREACHES[name]
    path = write_job(body, name=f"{name}.py")
    with pytest.raises(JobError) as info:
        load_job(path)
    msg = str(info.value)
    assert str(path) in msg
    assert info.value.function == function
    assert f"function `{function}`" in msg
    assert expected in msg, msg


def test_missing_file(tmp_path):
    with pytest.raises(JobError, match="no such file"):
        load_job(tmp_path / "nope.py")


def test_syntax_error_shows_file_and_line(write_job):
    path = write_job("import torch\n\ndef model(:\n    pass\n")
    with pytest.raises(JobError) as info:
        load_job(path)
    assert f"{path}:3" in str(info.value)


def test_import_error_inside_job_names_the_line(write_job):
    path = write_job("import torch\nimport not_a_module_danfang\n")
    with pytest.raises(JobError) as info:
        load_job(path)
    assert "ModuleNotFoundError" in str(info.value) and f"{path}:2" in str(info.value)


def test_healthy_job_loads_and_infers_task(healthy_job):
    job = load_job(healthy_job)
    assert job.task == "classification" and job.num_classes == 3
    assert len(job.splits.train) == 600 and len(job.splits.val) == 200


def test_job_folder_is_on_sys_path(write_job, tmp_path):
    (tmp_path / "helpers_for_job.py").write_text("N = 8\n")
    path = write_job("import torch\nfrom helpers_for_job import N\n"
                     "def model():\n    return torch.nn.Linear(N, 2)\n"
                     "def data():\n    return (torch.randn(6, N), torch.arange(6) % 2), (torch.randn(4, N), torch.arange(4) % 2)\n")
    assert load_job(path).num_classes == 2


def test_dataset_splits_and_regression_are_accepted(write_job):
    path = write_job('''
import torch
from torch.utils.data import TensorDataset
def model():
    return torch.nn.Linear(4, 1)
def data():
    x = torch.randn(20, 4)
    y = x.sum(1, keepdim=True)
    return TensorDataset(x[:16], y[:16]), TensorDataset(x[16:], y[16:])
''')
    job = load_job(path)
    assert job.task == "regression"


@pytest.mark.parametrize("name", ["labels_out_of_range", "data_wrong_arity"])
def test_cli_exit_code_2_and_no_traceback(name, write_job):
    body, function, expected = BREACHES[name]
    path = write_job(body)
    proc = subprocess.run([sys.executable, "-m", "danfang", "fit", str(path), "--quiet", "--out",
                           str(path.parent / "run")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert expected.split("[")[0] in " ".join(proc.stderr.split())
    assert not (path.parent / "run").exists(), "a rejected job must not leave a half-written run"
