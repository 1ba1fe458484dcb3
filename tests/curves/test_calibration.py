"""Calibration on real MNIST-1D runs with known outcomes (small and fast; the CNN one is slow).

The numbers these runs gave are recorded in docs/report.md.
"""

from __future__ import annotations

import pytest

from danfang.checks.curves import explain
from danfang.engine.trainer import fit

JOB = '''
import torch
from torch import nn
from danfang.datasets import load_mnist1d

def model():
    return {model}

def data():
    return load_mnist1d(n_train={n}, channel={channel})

def optimizer(params):
    return torch.optim.AdamW(params, lr={lr})

settings = {{"task": "classification", "batch_size": {bs}, "epochs": {epochs}, "seed": 0}}
'''
LOGREG = "nn.Linear(40, 10)"
MLP = "nn.Sequential(nn.Linear(40, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))"
CNN = ("nn.Sequential(nn.Conv1d(1, 32, 5, padding=2), nn.BatchNorm1d(32), nn.ReLU(), "
       "nn.Conv1d(32, 64, 3, padding=1, stride=2), nn.BatchNorm1d(64), nn.ReLU(), "
       "nn.Conv1d(64, 64, 3, padding=1, stride=2), nn.BatchNorm1d(64), nn.ReLU(), "
       "nn.Flatten(), nn.Linear(640, 10))")


def run_verdict(write_job, tmp_path, **job) -> tuple[str, set[str]]:
    spec = {"n": 4000, "channel": False, "lr": 1e-3, "bs": 128, "epochs": 20, **job}
    result = fit(write_job(JOB.format(**spec)), tmp_path / "run", checkpoint=False)
    settings = {"task": "classification", "num_classes": 10, "monitor": "val_loss", "epochs": spec["epochs"]}
    d = explain(result.history, settings, status=result.status)
    return d.verdict, {f.code for f in d.findings}


def test_logistic_regression_underfits(write_job, tmp_path):
    verdict, codes = run_verdict(write_job, tmp_path, model=LOGREG, lr=1e-2, epochs=20)
    assert verdict == "underfitting" and "underfitting" in codes


def test_big_mlp_on_300_samples_overfits(write_job, tmp_path):
    verdict, codes = run_verdict(write_job, tmp_path, model=MLP, n=300, bs=32, epochs=25)
    assert verdict == "overfitting" and "overfitting" in codes


def test_tiny_learning_rate_is_not_learning(write_job, tmp_path):
    verdict, _ = run_verdict(write_job, tmp_path, model=LOGREG, lr=1e-7, epochs=6)
    assert verdict == "not_learning"


def test_three_epochs_are_inconclusive(write_job, tmp_path):
    verdict, _ = run_verdict(write_job, tmp_path, model=MLP, n=300, bs=32, epochs=3)
    assert verdict == "inconclusive"


@pytest.mark.slow
def test_cnn_on_4000_samples_is_healthy_and_on_300_overfits(write_job, tmp_path):
    verdict, codes = run_verdict(write_job, tmp_path / "a", model=CNN, channel=True, lr=3e-3, epochs=20)
    assert verdict == "healthy", codes
    verdict, codes = run_verdict(write_job, tmp_path / "b", model=CNN, channel=True, n=300, bs=32,
                                 lr=3e-3, epochs=40)
    assert verdict == "overfitting"
