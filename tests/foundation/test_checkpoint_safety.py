"""Checkpoints: two kept, a fallback with a message, stale temp files cleaned, truthful
messages for files that are not checkpoints, and spacing by elapsed time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from danfang.checkpoint import clean_stale_temps, load_checkpoint, load_latest, save_rotating
from danfang.engine.checkpoint_writer import CheckpointWriter
from danfang.engine.trainer import fit
from danfang.errors import CheckpointError

from tests.kill import Killed, KillAt

DEAD_PID = 2 ** 22 + 12345   # above the default pid_max: no such process


@pytest.fixture
def every_epoch(monkeypatch):
    monkeypatch.setattr(CheckpointWriter, "share_inverse", 0.0)




def _weights_equal(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_two_checkpoints_are_kept(healthy_job, tmp_path, one_thread, every_epoch):
    fit(healthy_job, tmp_path / "run")
    folder = tmp_path / "run" / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == ["last.pt", "prev.pt"]
    assert load_checkpoint(folder / "last.pt")["epoch"] == 2
    assert load_checkpoint(folder / "prev.pt")["epoch"] == 1


def test_corrupt_newest_falls_back_to_the_previous_with_a_message(healthy_job, tmp_path, one_thread,
                                                                  every_epoch, capsys):
    ref = fit(healthy_job, tmp_path / "ref")
    out = tmp_path / "run"
    with pytest.raises(Killed):                # epochs 1-2 done: last.pt = epoch 2, prev.pt = epoch 1
        fit(healthy_job, out, callbacks=[KillAt(2)])
    last = out / "checkpoints" / "last.pt"
    last.write_bytes(last.read_bytes()[:100])  # the newest is damaged
    capsys.readouterr()
    resumed = fit(healthy_job, out, resume=True)
    err = capsys.readouterr().err
    assert "newest checkpoint cannot be used" in err and "prev.pt" in err and "truncated" in err
    assert (out / "checkpoints" / "last.pt.corrupt").exists()
    assert resumed.status == "finished" and len(resumed.history) == 3
    assert _weights_equal(ref.model.state_dict(), resumed.model.state_dict())
    assert [r["val_loss"] for r in ref.history] == [r["val_loss"] for r in resumed.history]


def test_both_checkpoints_unusable_is_a_clear_error(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    (folder / "last.pt").write_bytes(os.urandom(256))
    (folder / "prev.pt").write_bytes(b"")
    with pytest.raises(CheckpointError, match="No usable checkpoint is left"):
        load_latest(folder)


def test_a_kill_between_rotation_steps_leaves_prev(tmp_path):
    folder = tmp_path / "checkpoints"
    save_rotating({"epoch": 0}, folder / "last.pt")
    save_rotating({"epoch": 1}, folder / "last.pt")
    os.replace(folder / "last.pt", folder / "prev.pt")   # as a kill right after the rename
    ckpt, path = load_latest(folder)
    assert path.name == "prev.pt" and ckpt["epoch"] == 1


def test_stale_temp_files_are_cleaned_on_resume(healthy_job, tmp_path, one_thread):
    out = tmp_path / "run"
    fit(healthy_job, out, epochs=1)
    stale = [out / "checkpoints" / f".last.pt.tmp-{DEAD_PID}", out / f".run.json.tmp-{DEAD_PID}"]
    for p in stale:
        p.write_bytes(b"half a write")
    live = out / "checkpoints" / f".last.pt.tmp-{os.getppid()}"   # a live process's write: kept
    live.write_bytes(b"in progress")
    fit(healthy_job, out, resume=True)
    assert not any(p.exists() for p in stale)
    assert live.exists()


def test_clean_stale_temps_leaves_other_files(tmp_path):
    keep = [tmp_path / "last.pt", tmp_path / "notes.tmp-1", tmp_path / ".x.tmp-abc"]
    for p in keep:
        p.write_text("x")
    (tmp_path / f".last.pt.tmp-{DEAD_PID}").write_text("x")
    assert [p.name for p in clean_stale_temps(tmp_path)] == [f".last.pt.tmp-{DEAD_PID}"]
    assert all(p.exists() for p in keep)


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/danfang_pwned_by_checkpoint_2",))


@pytest.mark.parametrize("kind", ["random", "empty", "text", "truncated", "evil_zip", "evil_pickle"])
def test_messages_say_what_the_file_is(tmp_path, kind):
    import pickle

    marker = Path("/tmp/danfang_pwned_by_checkpoint_2")
    marker.unlink(missing_ok=True)
    path = tmp_path / "last.pt"
    if kind == "random":
        path.write_bytes(bytes(range(1, 256)) * 8)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("epoch: 3\n")
    elif kind == "truncated":
        torch.save({"w": torch.ones(100)}, path)
        path.write_bytes(path.read_bytes()[:300])
    elif kind == "evil_zip":
        torch.save({"model": _Evil()}, path)
    else:
        path.write_bytes(pickle.dumps({"model": _Evil()}))
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    msg = str(info.value)
    assert not marker.exists(), "loading must never run code"
    if kind.startswith("evil"):
        assert "could run code" in msg and "system" in msg and "weights_only" in msg
    else:
        assert "run code" not in msg
        expected = {"random": "is not a checkpoint", "text": "is not a checkpoint", "empty": "is empty",
                    "truncated": "truncated"}[kind]
        assert expected in msg


def test_a_good_checkpoint_still_loads(tmp_path):
    path = tmp_path / "c.pt"
    torch.save({"w": torch.arange(3), "opt": {"state": {}, "lr": [0.1]}}, path)
    assert torch.equal(load_checkpoint(path)["w"], torch.arange(3))


def test_checkpoints_are_spaced_by_their_cost():
    w = CheckpointWriter()
    assert w.due(0.0), "the first checkpoint is always due"
    w.last_at, w.cost_s = 10.0, 0.02          # a 20 ms checkpoint: at most one every 4 s
    assert not w.due(13.0) and w.due(14.0)
    w.cost_s = 10.0                            # a huge one: still at least every max_interval_s
    assert not w.due(10.0 + w.max_interval_s - 1) and w.due(10.0 + w.max_interval_s)


def test_short_epochs_skip_checkpoints_but_not_the_last(healthy_job, tmp_path, one_thread, monkeypatch):
    monkeypatch.setattr(CheckpointWriter, "max_interval_s", 3600.0)
    monkeypatch.setattr(CheckpointWriter, "share_inverse", 1e9)   # never due again after the first
    result = fit(healthy_job, tmp_path / "run", epochs=4)
    folder = tmp_path / "run" / "checkpoints"
    assert load_checkpoint(folder / "last.pt")["epoch"] == 3, "the end is always checkpointed"
    assert load_checkpoint(folder / "prev.pt")["epoch"] == 0, "epochs 2-3 were skipped"
    assert len(result.history) == 4
