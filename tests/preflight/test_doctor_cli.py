"""``danfang doctor`` names a planted preflight fault in findings.json (exit 1 for an error)
and stays quiet about preflight on healthy jobs, including the demo job."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from danfang.checks.preflight import preflight_job
from danfang.cli import app
from danfang.job import load_job

from tests.conftest import HEALTHY_JOB

DEMO_JOB = Path(__file__).parents[2] / "src" / "danfang" / "demo" / "mnist1d_cnn.py"


def _doctor(job: Path, out: Path, in_process: bool = False) -> tuple[int, dict]:
    args = ["doctor", str(job), "--quiet", "--epochs", "1", "--out", str(out)]
    if in_process:
        result = CliRunner().invoke(app, args)
        code, output = result.exit_code, result.output
    else:
        proc = subprocess.run([sys.executable, "-m", "danfang", *args], capture_output=True, text=True,
                              timeout=300)
        code, output = proc.returncode, proc.stderr
    assert code in (0, 1), output
    return code, json.loads((out / "findings.json").read_text())


def _preflight(doc: dict) -> list[tuple[str, str]]:
    return [(f["code"], f["severity"]) for f in doc["findings"] if f["phase"] == "preflight"]


def test_doctor_names_a_final_softmax_with_evidence_and_exits_1(write_job, tmp_path):
    job = write_job(HEALTHY_JOB.replace("nn.Linear(32, 3))", "nn.Linear(32, 3), nn.Softmax(dim=1))"))
    code, doc = _doctor(job, tmp_path / "out")
    assert code == 1 and doc["schema"] == 1
    found = {f["code"]: f for f in doc["findings"] if f["phase"] == "preflight"}
    assert found["double_softmax"]["severity"] == "error" and found["double_softmax"]["where"] == "3"
    assert found["double_softmax"]["fix"] and found["double_softmax"]["evidence"]["output_min"] >= 0
    assert "cannot_overfit_batch" in found  # the consequence, measured


def test_doctor_names_a_scheduler_watching_accuracy_the_wrong_way(write_job, tmp_path):
    job = write_job(HEALTHY_JOB.replace('"seed": 0}', '"seed": 0, "monitor": "val_acc"}') + '''
def scheduler(optimizer):
    return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", min_lr=1e-5)
''')
    code, doc = _doctor(job, tmp_path / "out", in_process=True)
    assert code == 1
    assert _preflight(doc) == [("scheduler_mode_mismatch", "error")]


def test_preflight_is_quiet_on_the_healthy_job(healthy_job):
    assert preflight_job(load_job(healthy_job)) == []


def test_preflight_on_the_demo_job_is_quiet_and_within_budget():
    job = load_job(DEMO_JOB)
    start = time.perf_counter()
    findings = preflight_job(job)
    elapsed = time.perf_counter() - start
    assert [(f.code, f.severity, f.message) for f in findings] == []
    assert elapsed < 30.0, f"preflight took {elapsed:.1f} s on the demo job"


def test_preflight_job_with_its_own_optimizer_and_a_dataset_split(write_job):
    job = write_job('''
import torch
from torch import nn

class Pairs(torch.utils.data.Dataset):
    def __init__(self, n):
        g = torch.Generator().manual_seed(n)
        self.y = torch.randint(0, 2, (n,), generator=g)
        self.x = torch.randn(n, 6, generator=g) + 2 * self.y[:, None]
    def __len__(self):
        return len(self.y)
    def __getitem__(self, i):
        return self.x[i], self.y[i]

def model():
    return nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))

def data():
    return Pairs(300), Pairs(100)

def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3)

settings = {"batch_size": 4, "epochs": 2}
''')
    findings = preflight_job(load_job(job))
    assert sorted(f.code for f in findings) == ["batchnorm_small_batch", "weight_decay_on_norm_bias"]
