"""``doctor --budget S`` bounds the whole doctor run (audit, preflight, training, curves), each
phase shortening itself to its share and saying what it cut (issue 11: a whole doctor run took
208 s with --budget 60, which bounded only the training)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from danfang import doctor_budget
from danfang.checks.curves import diagnose
from danfang.checks.data import audit_context, rows_for, run_checks
from danfang.checks.preflight import run_checks as preflight_checks
from danfang.data import ArraySplit
from danfang.doctor_budget import BudgetPlan, shorten_training
from danfang.job import load_job

HERE = Path(__file__).resolve().parent
BIG = HERE / "big_table_job.py"


def test_each_phase_gets_its_share_and_late_phases_a_minimum():
    plan = BudgetPlan(100.0, start=time.perf_counter())
    assert 24 < plan.seconds_for("data") <= 25
    assert 44 < plan.seconds_for("preflight") <= 45
    late = BudgetPlan(100.0, start=time.perf_counter() - 80)  # the audit overran
    assert late.seconds_for("preflight") == 15 and late.seconds_for("training") == 20


def test_the_audit_samples_big_splits_at_random_seeded_and_bounded():
    job = load_job(BIG)
    job.splits.train.dataset.read.clear()  # loading the job read a few first rows
    rows = rows_for(2.0)
    ctx = audit_context(job.splits.items(), job.task, max_rows=rows)
    read = np.array(job.splits.train.dataset.read)
    # the sample, plus row 0 once to read a sample's width
    assert len(ctx.train) == rows and len(read) <= rows + 1 and ctx.train.described().startswith("a random sample")
    assert read.min() < 100_000 and read.max() > 1_900_000 and abs(np.median(read) - 1e6) < 1e5
    again = load_job(BIG)
    again.splits.train.dataset.read.clear()
    audit_context(again.splits.items(), again.task, max_rows=rows)
    assert again.splits.train.dataset.read == job.splits.train.dataset.read  # seeded
    assert ctx.train.x.nbytes <= rows * 100 * 4


def test_checks_past_the_deadline_are_reported_as_not_run():
    job = load_job(BIG)
    ctx = audit_context(job.splits.items(), job.task, max_rows=1000)
    skipped = run_checks(ctx, deadline=time.perf_counter() - 1)
    assert skipped and all(f.severity == "info" and "not run" in f.message for f in skipped)
    from tests.preflight.models import context, mlp, blobs

    pre = context(mlp(), blobs())
    pre.deadline = time.perf_counter() - 1
    found = preflight_checks(pre)
    assert found and all(f.severity == "info" and f.evidence == {"reason": "budget"} for f in found)


WIDE_JOB = """
import torch
def model():
    return torch.nn.Linear(4, 1)
def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(24000, 4, generator=g)
    y = x.sum(1, keepdim=True)
    return (x[:20000], y[:20000]), (x[20000:], y[20000:])
settings = {"task": "regression", "batch_size": 64, "epochs": 10}
"""


def test_a_training_that_does_not_fit_is_cut_to_a_random_subset_and_says_so(monkeypatch, write_job):
    job = load_job(write_job(WIDE_JOB))
    monkeypatch.setattr(doctor_budget, "seconds_per_sample", lambda job, settings: 1e-4)
    short, info = shorten_training(job, seconds=10.0, epochs=10)
    # 50 % of 10 s for 8 epochs at 0.1 ms a sample: 6250 rows an epoch
    assert info["train_rows"] == len(short.splits.train) == 6250 and info["train_size"] == 20000
    assert len(short.splits.val) == 4000 and short.settings is job.settings
    monkeypatch.setattr(doctor_budget, "seconds_per_sample", lambda job, settings: 1e-9)
    assert shorten_training(job, seconds=10.0, epochs=10) == (job, None)  # fits: untouched


def test_the_cost_of_a_sample_is_measured_from_real_steps(write_job):
    job = load_job(write_job(WIDE_JOB))
    cost = doctor_budget.seconds_per_sample(job, job.settings)
    assert 0 < cost < 1e-2


def test_subset_is_random_seeded_and_keeps_weights():
    x, y = torch.arange(1000.0)[:, None], torch.arange(1000)
    split = ArraySplit(x, y, torch.ones(1000))
    a, b = doctor_budget.subset(split, 100, seed=0), doctor_budget.subset(split, 100, seed=0)
    assert torch.equal(a.y, b.y) and len(a) == 100 and a.weights is not None and len(a.weights) == 100
    assert int(a.y.max()) > 800 and bool((a.y[1:] > a.y[:-1]).all())


def test_shortened_run_is_noted_and_a_full_run_is_not():
    rows = [{"epoch": i + 1, "train_loss": 1.0 / (i + 1), "val_loss": 1.1 / (i + 1), "val_acc": None,
             "lr": 1e-3, "wall_s": float(i)} for i in range(8)]
    settings = {"task": "regression", "epochs": 8, "monitor": "val_loss", "baseline_loss": 2.0}
    info = {"train_rows": 5000, "train_size": 2_000_000, "val_rows": 5000, "val_size": 20000,
            "seconds": 10.0, "seconds_per_sample": 2e-5, "target_epochs": 8}
    _, cut = diagnose(rows, settings, shortened=info)
    noted = [f for f in cut if f.code == "shortened_run"]
    assert [f.severity for f in noted] == ["info"] and "5000 of 2000000" in noted[0].message
    _, full = diagnose(rows, settings)
    assert not [f for f in full if f.code == "shortened_run"]


@pytest.mark.slow
def test_doctor_budget_bounds_the_whole_run_on_two_million_rows(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "danfang", "doctor", str(BIG), "--quiet", "--budget", "20",
                        "--out", str(tmp_path / "doc")], env=env, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - start
    assert p.returncode in (0, 1), p.stderr[-2000:]
    assert wall <= 1.5 * 20 + 5, f"took {wall:.1f} s for a 20 s budget"  # + the interpreter's start
    doc = json.loads((tmp_path / "doc" / "findings.json").read_text())
    short = [f for f in doc["findings"] if f["code"] == "shortened_run"]
    assert short and short[0]["evidence"]["train_rows"] < 2_000_000
    assert sum(doc["timings_s"].values()) <= 1.5 * 20


def test_a_job_whose_step_fails_is_left_whole_for_training_to_report(monkeypatch, write_job):
    job = load_job(write_job(WIDE_JOB))

    def broken(job, settings):
        raise RuntimeError("the loss wants three arguments")

    monkeypatch.setattr(doctor_budget, "seconds_per_sample", broken)
    assert shorten_training(job, seconds=1.0, epochs=10) == (job, None)
