"""Checkpoints are written off the training thread, yet are on disk when ``fit`` returns and a
failed write is not swallowed."""

from __future__ import annotations

import pytest
import torch

from danfang.checkpoint import load_checkpoint
from danfang.engine.checkpoint_writer import CheckpointWriter
from danfang.engine.trainer import fit
from danfang.job import load_job


def test_the_last_checkpoint_is_on_disk_when_fit_returns(healthy_job, tmp_path):
    result = fit(load_job(healthy_job), tmp_path / "run")
    ckpt = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert ckpt["epoch"] == len(result.history) - 1 and len(ckpt["history"]) == len(result.history)


def test_the_snapshot_is_taken_at_submit_time(tmp_path):
    weights, writer = torch.zeros(3), CheckpointWriter()
    writer.submit({"w": weights, "rows": [{"epoch": 1}]}, tmp_path / "c.pt")
    weights += 1  # training goes on while the file is written
    writer.wait()
    assert torch.equal(load_checkpoint(tmp_path / "c.pt")["w"], torch.zeros(3))


def test_a_failed_write_is_raised_by_fit(healthy_job, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "checkpoints").write_text("a file where the folder should be")
    with pytest.raises(OSError):
        fit(load_job(healthy_job), run_dir)
