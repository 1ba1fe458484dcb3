"""The doctor stops training once the verdict is clear, and only then (DESIGN §2)."""

from __future__ import annotations

import json

from danfang.doctor import run_doctor

OVERFIT_JOB = '''
import torch
from torch import nn
from danfang.datasets import load_mnist1d

def model():
    return nn.Sequential(nn.Linear(40, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))

def data():
    return load_mnist1d(n_train=300)

def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.0)

settings = {"batch_size": 32, "epochs": 40, "seed": 0}
'''


def test_overfitting_run_is_stopped_once_clear(write_job, tmp_path):
    result = run_doctor(write_job(OVERFIT_JOB), tmp_path / "doc", phases=("training", "curves"))
    assert result.verdict == "overfitting"
    assert len(result.run.history) < 40
    assert any("the verdict was clear (overfitting)" in n for n in result.notes)
    assert json.loads((tmp_path / "doc" / "findings.json").read_text())["verdict"] == "overfitting"


def test_healthy_run_trains_all_its_epochs(healthy_job, tmp_path):
    result = run_doctor(healthy_job, tmp_path / "doc", epochs=8, phases=("training", "curves"))
    assert len(result.run.history) == 8
    assert not any("verdict was clear" in n for n in result.notes)
