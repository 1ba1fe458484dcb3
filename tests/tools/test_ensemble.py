"""danfang ensemble: every kind end to end on a tiny job, the properties each must have, and
bad arguments (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from danfang.errors import UsageError
from danfang.tools.distillation import DistillationLoss, packed_targets
from danfang.tools.ensemble import ensemble
from danfang.tools.ensemble_metrics import Scores, gain

#: overlapping blobs (members disagree near the borders) with BatchNorm (SWA must recompute it)
NOISY_BN_JOB = '''
import torch
from torch import nn

def model():
    return nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 3))

def data():
    g = torch.Generator().manual_seed(0)
    centers = torch.randn(3, 8, generator=g)
    def split(n):
        y = torch.randint(0, 3, (n,), generator=g)
        return centers[y] + torch.randn(n, 8, generator=g), y
    return split(600), split(300), split(600)

settings = {"batch_size": 40, "epochs": 4, "seed": 0}   # 600 = 15 x 40: update_bn's batch means average to the mean
'''

REGRESSION_JOB = '''
import torch
from torch import nn

def model():
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))

def data():
    g = torch.Generator().manual_seed(0)
    def split(n):
        x = torch.randn(n, 4, generator=g)
        return x, x.sum(1, keepdim=True) + 0.3 * torch.randn(n, 1, generator=g)
    return split(400), split(200)

settings = {"batch_size": 32, "epochs": 3, "seed": 0}
'''

REPS = 200


@pytest.fixture
def noisy_job(write_job):
    return write_job(NOISY_BN_JOB, "noisy.py")


def _gain(doc, model, against="mean member", metric="acc"):
    return next(g for g in doc["gains"] if (g["model"], g["against"], g["metric"]) == (model, against, metric))


def test_seed_ensemble_is_not_worse_than_its_average_member(noisy_job, tmp_path, one_thread):
    res = ensemble(noisy_job, kind="seeds", members=3, out=tmp_path / "e", reps=REPS)
    doc = json.loads((tmp_path / "e" / "ensemble.json").read_text())
    members = [m for m in doc["models"] if m["role"] == "member"]
    assert [m["name"] for m in members] == ["seed0", "seed1", "seed2"] and doc["split"] == "test"
    ens = next(m for m in doc["models"] if m["role"] == "ensemble")
    assert ens["acc"] >= doc["mean_member"]["acc"]
    assert ens["nll"] <= doc["mean_member"]["nll"]          # Jensen: -log of a mean <= mean of -log
    assert len({m["acc"] for m in members}) > 1             # the members really differ
    g = _gain(doc, "ensemble")
    assert g["gain"] == pytest.approx(ens["acc"] - doc["mean_member"]["acc"])
    assert g["ci"][0] <= g["gain"] <= g["ci"][1]
    # the ensemble's prediction is the mean of the members' softmax outputs
    pred = np.load(tmp_path / "e" / "predictions.npz")
    assert np.allclose(pred["ensemble_3"], np.mean([pred[f"member_{i}"] for i in range(3)], axis=0), atol=1e-6)
    assert (tmp_path / "e" / "members" / "seed1" / "run.json").is_file()
    page = (tmp_path / "e" / "report.html").read_text()
    assert "data:image/png;base64," in page and "seed2" in page and "<script" not in page
    assert res.doc["summary"].startswith("The ensemble of 3 seeds is")


def test_snapshots_warm_up_then_restart_the_cosine_schedule_every_cycle(noisy_job, tmp_path, one_thread):
    ensemble(noisy_job, kind="snapshots", members=2, epochs=5, out=tmp_path / "e", reps=REPS)
    doc = json.loads((tmp_path / "e" / "ensemble.json").read_text())
    assert (doc["details"]["warmup_epochs"], doc["details"]["cycle_epochs"]) == (1, 2)   # sgd-cosine: 1 epoch
    assert [m["name"] for m in doc["models"] if m["role"] == "member"] == ["snapshot 1 (epoch 3)", "snapshot 2 (epoch 5)"]
    lrs = [row["lr"] for row in json.loads((tmp_path / "e" / "members" / "run" / "run.json").read_text())["history"]]
    assert lrs[0] < lrs[1]                                            # warmup
    assert lrs[1] == pytest.approx(lrs[3]) and lrs[2] < lrs[1]        # a cycle starts at epochs 2 and 4
    weights = torch.load(tmp_path / "e" / "weights.pt")
    a, b = weights["members"]
    assert not torch.equal(a["0.weight"], b["0.weight"])
    assert {g["against"] for g in doc["gains"]} == {"mean member", "last member (snapshot 2 (epoch 5))"}


def test_swa_averages_the_last_epochs_and_recomputes_batchnorm(noisy_job, tmp_path, one_thread):
    from danfang.job import load_job

    ensemble(noisy_job, kind="swa", members=2, out=tmp_path / "e", reps=REPS)
    doc = json.loads((tmp_path / "e" / "ensemble.json").read_text())
    assert doc["details"]["swa_start_epoch"] == 3 and doc["details"]["bn_recomputed"] is True
    w = torch.load(tmp_path / "e" / "weights.pt")
    swa, members = w["swa"], w["members"]
    assert len(members) == 2
    for key in ("0.weight", "1.weight", "3.bias"):
        assert torch.allclose(swa[key], (members[0][key] + members[1][key]) / 2, atol=1e-6)
    # BatchNorm's running mean is that of the averaged weights on the training data, not an average
    x, _ = load_job(noisy_job).splits.train.arrays()
    with torch.no_grad():
        h = x @ swa["0.weight"].T + swa["0.bias"]
    assert torch.allclose(swa["1.running_mean"], h.mean(0), atol=1e-4)
    assert not torch.allclose(swa["1.running_mean"], (members[0]["1.running_mean"] + members[1]["1.running_mean"]) / 2,
                              atol=1e-4)
    roles = {m["name"]: m["role"] for m in doc["models"]}
    assert roles["swa"] == "ensemble" and roles["before averaging (epoch 2)"] == "base"


def test_distillation_trains_one_student_and_reports_its_share(noisy_job, tmp_path, one_thread):
    ensemble(noisy_job, kind="distill", members=2, out=tmp_path / "e", reps=REPS, temperature=2.0)
    doc = json.loads((tmp_path / "e" / "ensemble.json").read_text())
    student = next(m for m in doc["models"] if m["role"] == "student")
    teacher, student_gain = _gain(doc, "ensemble")["gain"], _gain(doc, "student")["gain"]
    if abs(teacher) > 1e-12:
        assert doc["share_of_gain"]["acc"] == pytest.approx(student_gain / teacher)
    assert doc["details"]["temperature"] == 2.0 and student["acc"] > 0.5
    w = torch.load(tmp_path / "e" / "weights.pt")
    # the student has the original size
    assert {k: v.shape for k, v in w["student"].items()} == {k: v.shape for k, v in w["members"][0].items()}


def test_distillation_loss_is_kl_to_the_soft_targets_plus_the_hard_loss():
    torch.manual_seed(0)
    logits, labels = torch.randn(6, 3), torch.tensor([0, 1, 2, 0, 1, 2])
    ce = torch.nn.CrossEntropyLoss()
    t = 3.0
    soft = torch.softmax(logits / t, 1)                       # a teacher that agrees with the student
    only_soft = DistillationLoss(ce, 3, temperature=t, alpha=1.0)
    assert only_soft(logits, packed_targets(labels, soft)).item() == pytest.approx(0.0, abs=1e-6)
    other = torch.softmax(torch.randn(6, 3), 1)
    kl = torch.nn.functional.kl_div(torch.log_softmax(logits / t, 1), other, reduction="batchmean") * t * t
    half = DistillationLoss(ce, 3, temperature=t, alpha=0.5)
    assert half(logits, packed_targets(labels, other)).item() == pytest.approx(0.5 * kl.item() + 0.5 * ce(logits, labels).item())
    assert half(logits, labels).item() == pytest.approx(ce(logits, labels).item())   # validation: labels only


def test_gain_is_the_paired_difference_with_a_bootstrap_interval():
    rng = np.random.default_rng(0)
    a = Scores({"acc": (rng.random(500) < 0.8).astype(float), "nll": rng.random(500)})
    b = Scores({"acc": (rng.random(500) < 0.7).astype(float), "nll": rng.random(500) + 0.2})
    g = gain(a, [b], "acc", reps=500)
    assert g["gain"] == pytest.approx(a.per_example["acc"].mean() - b.per_example["acc"].mean())
    assert g["ci"][0] < g["gain"] < g["ci"][1] and g["ci"][0] > 0
    # a loss: the reference minus the model, so lower is a positive gain
    assert gain(a, [b], "nll", reps=500)["gain"] == pytest.approx(b.per_example["nll"].mean() - a.per_example["nll"].mean())
    same = gain(a, [a], "acc", reps=500)
    assert same["gain"] == 0 and same["ci"] == [0.0, 0.0]


def test_regression_seed_ensemble_averages_outputs(write_job, tmp_path, one_thread):
    job = write_job(REGRESSION_JOB, "reg.py")
    doc = ensemble(job, kind="seeds", members=2, out=tmp_path / "e", reps=REPS).doc
    assert doc["metrics"] == ["mse"] and doc["split"] == "val"
    ens = next(m for m in doc["models"] if m["role"] == "ensemble")
    assert ens["mse"] <= doc["mean_member"]["mse"]               # convexity of the squared error
    with pytest.raises(UsageError, match="handles classification jobs"):
        ensemble(job, kind="distill", members=2, out=tmp_path / "d")


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "snapshots", "members": 3, "epochs": 2}, "into --members 3 cycles; give at least 4 epochs"),
    ({"kind": "swa", "members": 4, "epochs": 4}, "needs at least one epoch before them"),
    ({"kind": "distill", "members": 2, "temperature": 0.0}, "--temperature must be > 0"),
    ({"kind": "seeds", "members": 2, "reps": 10}, "--reps must be >= 100"),
])
def test_impossible_settings_are_usage_errors(noisy_job, tmp_path, kwargs, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ensemble(noisy_job, out=tmp_path / "e", **kwargs)


@pytest.mark.parametrize("args, message", [(["--kind", "bagging"], "expected one of seeds, snapshots, swa, distill"),
                                           (["--members", "1"], "--members must be between 2 and")])
def test_bad_kind_or_members_exit_2(noisy_job, tmp_path, args, message):
    proc = subprocess.run([sys.executable, "-m", "danfang", "ensemble", str(noisy_job), *args, "--out",
                           str(tmp_path / "e")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in " ".join(proc.stderr.split()) and "Traceback" not in proc.stderr


def test_cli_prints_the_gain_and_report_rebuilds(noisy_job, tmp_path):
    out = tmp_path / "e"
    proc = subprocess.run([sys.executable, "-m", "danfang", "ensemble", str(noisy_job), "--kind", "seeds",
                           "--members", "2", "--epochs", "2", "--reps", "200", "--quiet", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    printed = " ".join(proc.stdout.split())
    assert "gain of ensemble over mean member in acc" in printed and "The ensemble of 2 seeds is" in printed
    (out / "report.html").unlink()
    again = subprocess.run([sys.executable, "-m", "danfang", "report", str(out)], capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    assert "Members and ensemble" in (out / "report.html").read_text()
