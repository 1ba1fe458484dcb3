"""The command line as a user runs it: demo, fit, help, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys


def _danfang(*args: str, cwd=None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "danfang", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def test_demo_runs_end_to_end(tmp_path):
    proc = _danfang("demo", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    run = json.loads((tmp_path / "runs" / "demo" / "fit" / "run.json").read_text())
    assert (tmp_path / "runs" / "demo" / "doctor" / "findings.json").exists()
    assert (tmp_path / "runs" / "demo" / "fit" / "report.html").exists()
    assert run["status"] == "finished" and len(run["history"]) == 20
    assert run["best"]["val_acc"] > 0.9, "the demo CNN must learn MNIST-1D"
    assert "run directory" in proc.stdout and "val_acc" in proc.stdout


def test_fit_with_recipe_and_epochs(healthy_job, tmp_path):
    proc = _danfang("fit", str(healthy_job), "--recipe", "sgd-cosine", "--epochs", "2", "--out",
                    str(tmp_path / "r"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    run = json.loads((tmp_path / "r" / "run.json").read_text())
    assert run["recipe"] == "sgd-cosine" and len(run["history"]) == 2
    assert (tmp_path / "r" / "report.html").exists()


def test_unknown_recipe_is_a_usage_error(healthy_job, tmp_path):
    proc = _danfang("fit", str(healthy_job), "--recipe", "magic", "--out", str(tmp_path / "r"))
    assert proc.returncode == 2
    assert "unknown recipe 'magic'" in proc.stderr and "Traceback" not in proc.stderr


def test_fit_help_lists_the_recipes():
    proc = _danfang("fit", "--help")
    assert proc.returncode == 0
    for name in ("adamw", "sgd-cosine", "sgd-step", "plateau", "one-cycle"):
        assert name in proc.stdout


def test_missing_job_file_exit_2(tmp_path):
    proc = _danfang("fit", str(tmp_path / "missing.py"))
    assert proc.returncode == 2 and "no such file" in proc.stderr
