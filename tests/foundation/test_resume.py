"""A run killed with SIGKILL in the middle of an epoch resumes to bit-identical weights."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from danfang.checkpoint import load_checkpoint, save_checkpoint
from danfang.errors import CheckpointError

SLOW_JOB = '''
import os, time
import torch
from torch import nn

class Slow(nn.Module):
    """Sleeps a little per training batch when asked, so a test can kill mid-epoch."""
    def forward(self, x):
        if self.training and os.environ.get("DANFANG_TEST_SLOW"):
            time.sleep(0.01)
        return x

def model():
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Dropout(0.3), Slow(), nn.Linear(64, 4))

def data():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1200, 16, generator=g)
    y = (x[:, :4].argmax(1))
    return (x[:1000], y[:1000]), (x[1000:], y[1000:])

settings = {"batch_size": 20, "epochs": 5, "seed": 3, "deterministic": True}
'''


def _fit(job: Path, out: Path, *extra: str, slow: bool = False) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.pop("DANFANG_TEST_SLOW", None)
    if slow:
        env["DANFANG_TEST_SLOW"] = "1"
    return subprocess.Popen([sys.executable, "-m", "danfang", "fit", str(job), "--out", str(out), "--quiet",
                             *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _epochs_done(out: Path) -> int:
    try:
        return len(json.loads((out / "run.json").read_text())["history"])
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def test_sigkill_mid_epoch_then_resume_is_bit_identical(write_job, tmp_path):
    job = write_job(SLOW_JOB)
    ref_out, killed_out = tmp_path / "ref", tmp_path / "killed"
    ref = _fit(job, ref_out)
    victim = _fit(job, killed_out, slow=True)
    deadline = time.time() + 120
    while _epochs_done(killed_out) < 2 and time.time() < deadline and victim.poll() is None:
        time.sleep(0.05)
    assert _epochs_done(killed_out) >= 2, victim.communicate()[1]
    time.sleep(0.25)  # an epoch is 50 batches x 10 ms: this lands inside epoch 3
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    done_at_kill = _epochs_done(killed_out)
    assert done_at_kill < 5, "the run finished before it could be killed"
    assert json.loads((killed_out / "run.json").read_text())["status"] == "running"

    resumed = _fit(job, killed_out, "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.communicate()[1]
    assert ref.wait(timeout=300) == 0, ref.communicate()[1]

    a = load_checkpoint(ref_out / "checkpoints" / "last.pt")
    b = load_checkpoint(killed_out / "checkpoints" / "last.pt")
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    for key in a["best_model"]:
        assert torch.equal(a["best_model"][key], b["best_model"][key]), key
    run_a = json.loads((ref_out / "run.json").read_text())
    run_b = json.loads((killed_out / "run.json").read_text())
    assert run_b["status"] == "finished" and len(run_b["history"]) == 5
    for row_a, row_b in zip(run_a["history"], run_b["history"]):
        assert row_a["val_loss"] == row_b["val_loss"] and row_a["train_loss"] == row_b["train_loss"]


def test_fit_refuses_to_overwrite_a_run_without_resume(write_job, tmp_path):
    job = write_job(SLOW_JOB.replace('"epochs": 5', '"epochs": 1'))
    out = tmp_path / "run"
    assert _fit(job, out).wait(timeout=120) == 0
    again = _fit(job, out)
    assert again.wait(timeout=120) == 2
    assert "--resume" in again.communicate()[1]


def test_resume_refuses_a_run_of_another_job(write_job, tmp_path):
    job = write_job(SLOW_JOB.replace('"epochs": 5', '"epochs": 1'))
    other = write_job(SLOW_JOB.replace('"epochs": 5', '"epochs": 2'), name="other.py")
    out = tmp_path / "run"
    assert _fit(job, out).wait(timeout=120) == 0
    proc = _fit(other, out, "--resume")
    assert proc.wait(timeout=120) == 2
    assert "holds a run of" in proc.communicate()[1]


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/danfang_pwned_by_checkpoint",))


def test_loading_a_checkpoint_never_executes_code(tmp_path):
    marker = Path("/tmp/danfang_pwned_by_checkpoint")
    marker.unlink(missing_ok=True)
    path = tmp_path / "evil.pt"
    torch.save({"model": _Evil()}, path)
    with pytest.raises(CheckpointError, match="weights_only"):
        load_checkpoint(path)
    assert not marker.exists()


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    save_checkpoint({"w": torch.ones(3)}, path)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError):
        save_checkpoint({"w": torch.zeros(3)}, path)
    assert torch.equal(load_checkpoint(path)["w"], torch.ones(3)), "old checkpoint must survive"
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"], "no temp file left behind"


def test_findings_and_repairs_survive_a_resume(write_job, tmp_path):
    # an absurd LR: the monitor finds it in epoch 1; a resumed run must still report it
    job = write_job(SLOW_JOB.replace('"epochs": 5', '"epochs": 2') +
                    "\ndef optimizer(params):\n    return torch.optim.SGD(params, lr=50.0)\n")
    out = tmp_path / "run"
    first = _fit(job, out, "--epochs", "1")
    first.wait(timeout=120)
    before = {f["code"] for f in json.loads((out / "run.json").read_text())["findings"]}
    assert before, "the planted LR must be found in the first epoch"
    saved = {f["code"] for f in load_checkpoint(out / "checkpoints" / "last.pt")["findings"]}
    assert saved == before, "the checkpoint carries the findings so far"
    resumed = _fit(job, out, "--resume")
    resumed.wait(timeout=120)
    after = {f["code"] for f in json.loads((out / "run.json").read_text())["findings"]}
    assert before <= after
