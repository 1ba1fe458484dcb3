"""An output location that cannot be written (a full disk, a read-only folder) is a clear
message and exit 2; nothing half-written is left and completed checkpoints are kept (issue 13)."""

from __future__ import annotations

import builtins
import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import danfang.atomic
from danfang.checkpoint import load_latest

from tests.reliability.conftest import HEALTHY_JOB, assert_clean, cli

REAL_OPEN = builtins.open


class FullDisk:
    """``open`` for danfang.atomic: the ``fail_from``-th checkpoint and later ones hit a full
    disk half-way through their bytes (as a real ENOSPC does: after part of the file is written)."""

    def __init__(self, fail_from: int) -> None:
        self.fail_from, self.checkpoints = fail_from, 0

    def __call__(self, path, mode="r", *args, **kwargs):
        fh = REAL_OPEN(path, mode, *args, **kwargs)
        if ".last.pt.tmp-" not in Path(path).name:
            return fh
        self.checkpoints += 1
        return _Filling(fh) if self.checkpoints >= self.fail_from else fh


class _Filling:
    def __init__(self, fh) -> None:
        self.fh, self.written = fh, 0

    def write(self, data) -> int:
        if self.written > 512:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.written += len(data)
        return self.fh.write(data)

    def __getattr__(self, name):
        return getattr(self.fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()


def temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if ".tmp-" in p.name]


def test_a_full_disk_at_a_later_checkpoint_keeps_the_completed_one(healthy_job, tmp_path, monkeypatch):
    monkeypatch.setattr(danfang.atomic, "open", FullDisk(fail_from=2), raising=False)
    out = tmp_path / "run"
    text = assert_clean(cli("fit", healthy_job, "--out", out, "--quiet", "--epochs", "3"), 2)
    assert "No space left on device (ENOSPC)" in text and "are kept" in text and "--resume" in text
    assert not temp_files(out), "no half-written file is left"
    ckpt, _ = load_latest(out / "checkpoints")
    assert ckpt["epoch"] == 0, "the first epoch's checkpoint survives"
    monkeypatch.undo()  # space freed: the run continues from it
    assert_clean(cli("fit", healthy_job, "--out", out, "--quiet", "--epochs", "3", "--resume"), 0)


def test_a_full_disk_before_any_checkpoint_leaves_no_folder(healthy_job, tmp_path, monkeypatch, no_folder):
    monkeypatch.setattr(danfang.atomic, "open", FullDisk(fail_from=1), raising=False)
    text = assert_clean(cli("fit", healthy_job, "--out", tmp_path / "run", "--quiet", "--epochs", "2"), 2)
    assert "cannot write" in text and "Free some space" in text
    no_folder(tmp_path / "run")


def test_a_full_disk_for_the_doctor_findings_is_exit_2_and_no_folder(healthy_job, tmp_path, monkeypatch,
                                                                     no_folder):
    def full(path, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr("danfang.findings.atomic_write_text", full)
    text = assert_clean(cli("doctor", healthy_job, "--out", tmp_path / "doc", "--quiet", "--epochs", "1",
                            "--budget", "20"), 2)
    assert "cannot write" in text and ".json: No space left on device (ENOSPC)" in text
    no_folder(tmp_path / "doc")


def test_a_full_disk_in_a_real_process_is_exit_2_without_traceback(healthy_job, tmp_path):
    script = textwrap.dedent(f"""
        import errno, os, sys
        import danfang.atomic
        def full(path, *args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        danfang.atomic.open = full
        from danfang.cli import main
        sys.argv = ["danfang", "fit", {str(healthy_job)!r}, "--out", {str(tmp_path / 'run')!r}, "--quiet",
                    "--epochs", "1"]
        main()
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 2, proc.stderr
    assert "No space left on device" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run").exists()


def test_a_read_only_output_location_is_exit_2(healthy_job, tmp_path, monkeypatch, no_folder):
    """Simulated (root ignores chmod): the folder cannot be made on a read-only file system."""
    real_mkdir = Path.mkdir
    target = tmp_path / "ro"

    def read_only(self, *args, **kwargs):
        if self == target or target in self.parents:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    text = assert_clean(cli("fit", healthy_job, "--out", target / "run", "--quiet", "--epochs", "1"), 2)
    assert "Read-only file system (EROFS)" in text and "pass --out to a folder you can write" in text
    no_folder(target)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores chmod 0o500")
def test_a_chmod_read_only_output_folder_is_exit_2(healthy_job, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        text = assert_clean(cli("fit", healthy_job, "--out", folder / "run", "--quiet", "--epochs", "1"), 2)
        assert "Permission denied" in text and not (folder / "run").exists()
    finally:
        folder.chmod(0o700)


def test_the_healthy_twin_writes_its_run(healthy_job, tmp_path):
    assert_clean(cli("fit", healthy_job, "--out", tmp_path / "run", "--quiet", "--epochs", "1"), 0)
    assert (tmp_path / "run" / "checkpoints" / "last.pt").exists() and not temp_files(tmp_path / "run")
