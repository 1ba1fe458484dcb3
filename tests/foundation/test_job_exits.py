"""Job code that tries to end the process is reported as an error naming its function (exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from danfang.errors import JobError
from danfang.job import load_job

from tests.conftest import HEALTHY_JOB

CASES = {
    "sys.exit(0) in model": ("def model():\n    import sys; sys.exit(0)\n", "model", "sys.exit(0)"),
    "sys.exit(3) in data": ("def data():\n    import sys; sys.exit(3)\n", "data", "sys.exit(3)"),
    "os._exit(0) in model": ("def model():\n    import os; os._exit(0)\n", "model", "os._exit(0)"),
    "KeyboardInterrupt in data": ("def data():\n    raise KeyboardInterrupt\n", "data", "KeyboardInterrupt"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_exit_in_job_code_is_a_job_error(write_job, case):
    body, fn, said = CASES[case]
    job_path = write_job(HEALTHY_JOB + "\n" + body)
    with pytest.raises(JobError) as info:
        load_job(job_path).make_model()
    msg = str(info.value)
    assert said in msg and f"{fn}" in msg
    assert os._exit.__module__ in ("posix", "nt", "os"), "os._exit is put back after the call"


def test_the_healthy_twin_loads(healthy_job):
    assert load_job(healthy_job).make_model() is not None


def test_cli_exits_2_when_model_calls_os_exit(write_job, tmp_path):
    job_path = write_job(HEALTHY_JOB + "\ndef model():\n    import os; os._exit(0)\n")
    proc = subprocess.run([sys.executable, "-m", "danfang", "fit", str(job_path), "--out", str(tmp_path / "r"),
                           "--quiet"], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 2, proc.stderr
    assert "model" in proc.stderr and "os._exit" in proc.stderr and "Traceback" not in proc.stderr
