"""The LR range test suggests a rate below divergence and above uselessly small, with a spread."""

from __future__ import annotations

import json
import subprocess
import sys

import torch

from danfang.job import load_job
from danfang.tools.lr_finder import find_lr

LINEAR_SGD = '''
import torch
from torch import nn

def model():
    return nn.Linear(10, 1)

def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2000, 10, generator=g)
    y = x @ torch.linspace(-1, 1, 10).unsqueeze(1) + 0.1 * torch.randn(2000, 1, generator=g)
    return (x[:1600], y[:1600]), (x[1600:], y[1600:])

def optimizer(params):
    return torch.optim.SGD(params, lr=0.01)

settings = {"batch_size": 64, "seed": 0}
'''


def test_suggestion_lies_below_the_divergence_point(write_job):
    # SGD on MSE with unit-variance features diverges above lr = 2 / lambda_max(2 E[xx^T]) ~ 1
    job = load_job(write_job(LINEAR_SGD))
    result = find_lr(job, repeats=3, steps=120, min_lr=1e-5, max_lr=10)
    assert result.suggestion is not None
    assert 1e-3 < result.suggestion < 0.5, result.to_dict()["sweeps"][0]["suggestion"]
    assert result.low <= result.suggestion <= result.high and result.factor >= 1.0


def test_does_not_touch_global_rng(write_job):
    job = load_job(write_job(LINEAR_SGD))
    before = torch.get_rng_state()
    find_lr(job, repeats=1, steps=20)
    assert torch.equal(before, torch.get_rng_state())


def test_cli_prints_suggestion_and_writes_json(write_job, tmp_path):
    path = write_job(LINEAR_SGD)
    proc = subprocess.run([sys.executable, "-m", "danfang", "lr-find", str(path), "--repeats", "2",
                           "--steps", "60", "--out", str(tmp_path / "lr.json")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "suggested learning rate" in proc.stdout
    assert len(json.loads((tmp_path / "lr.json").read_text())["sweeps"]) == 2


def test_bad_range_is_exit_2(write_job):
    path = write_job(LINEAR_SGD)
    proc = subprocess.run([sys.executable, "-m", "danfang", "lr-find", str(path), "--min-lr", "1",
                           "--max-lr", "0.1"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "min_lr < max_lr" in proc.stderr
