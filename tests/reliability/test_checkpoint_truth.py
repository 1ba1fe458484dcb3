"""Checkpoints tell the truth (issue 13): a file of random bytes is called unreadable, not a
file that "asks to run code"; the older checkpoint is used with a message; stale temp files
of a kill during a write are cleaned."""

from __future__ import annotations

import os

from tests.reliability.conftest import assert_clean, cli


def test_random_bytes_as_last_pt_fall_back_to_prev_pt_with_a_truthful_message(healthy_job, tmp_path):
    out = tmp_path / "run"
    assert_clean(cli("fit", healthy_job, "--out", out, "--quiet", "--epochs", "2"), 0)
    ckpts = out / "checkpoints"
    (ckpts / "last.pt").write_bytes(os.urandom(4096))
    stale = ckpts / ".last.pt.tmp-999999"
    stale.write_bytes(b"half a checkpoint")
    text = assert_clean(cli("fit", healthy_job, "--out", out, "--quiet", "--epochs", "3", "--resume"), 0)
    assert "run code" not in text and "is not a checkpoint" in text and "Resuming from the previous one" in text
    assert not stale.exists(), "the stale temp file of a dead process is removed"


def test_random_bytes_in_both_checkpoints_are_a_clear_error(healthy_job, tmp_path):
    out = tmp_path / "run"
    assert_clean(cli("fit", healthy_job, "--out", out, "--quiet", "--epochs", "2"), 0)
    for name in ("last.pt", "prev.pt"):
        (out / "checkpoints" / name).write_bytes(os.urandom(4096))
    text = assert_clean(cli("fit", healthy_job, "--out", out, "--quiet", "--epochs", "3", "--resume"), 2)
    assert "run code" not in text and "No usable checkpoint is left" in text
