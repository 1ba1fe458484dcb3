"""Healthy real-world jobs of distinct kinds (bench/realworld/) get a healthy curve verdict and
no warning from the curves or training phases. The full table, with doctor's data and
preflight phases too, is `python bench/realworld.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from danfang.checks.curves import explain
from danfang.engine.trainer import Trainer
from danfang.job import load_job

JOBS = Path(__file__).resolve().parents[2] / "bench" / "realworld"

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("name, task", [
    ("binary_bce", "binary"), ("multilabel", "multilabel"), ("token_tagging", "classification"),
    ("tabular_regression", "regression"), ("gan", "other"), ("policy_gradient", "other"),
    ("autoencoder", "reconstruction"), ("lbfgs_regression", "regression"),
    ("rnn_language_model", "classification"),  # next-token prediction: its floor is the text's entropy
])
def test_healthy_job_gets_a_healthy_verdict(name, task, tmp_path):
    job = load_job(JOBS / f"{name}.py")
    assert job.task == task
    trainer = Trainer(job, tmp_path / "run", quiet=True, checkpoint=False)
    result = trainer.fit()
    d = explain(result.history, trainer.settings, status=result.status)
    assert d.verdict == "healthy", d.reason
    loud = [(f.code, f.message) for f in d.findings + result.findings if f.severity != "info"]
    assert loud == []
