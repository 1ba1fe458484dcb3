"""``danfang watch SCRIPT ARGS``: the script runs as python runs it, the doctor watches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TRAIN = '''
import sys
import torch
from torch import nn

print("argv:", sys.argv[1:])
torch.manual_seed(0)
epochs = int(sys.argv[sys.argv.index("--epochs") + 1]) if "--epochs" in sys.argv else 3
g = torch.Generator().manual_seed(0)
centers = torch.randn(3, 8, generator=g) * 3
y = torch.randint(0, 3, (512,), generator=g)
x = centers[y] + torch.randn(512, 8, generator=g)
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(epochs):
    model.train()
    for i in range(0, 512, 32):
        CLEAR
        loss = loss_fn(model(x[i:i + 32]), y[i:i + 32])
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
print("accuracy", round(acc, 3))
EXIT
'''


def _script(tmp_path: Path, clear: str = "opt.zero_grad()", exit: str = "") -> Path:
    path = tmp_path / "train.py"
    path.write_text(textwrap.dedent(TRAIN).replace("CLEAR", clear).replace("EXIT", exit))
    return path


def _watch(tmp_path: Path, script: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "danfang", "watch", "--out", str(tmp_path / "out"), str(script),
                           *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)


def test_healthy_script_runs_unchanged_with_its_arguments_and_gets_a_clean_report(tmp_path):
    proc = _watch(tmp_path, _script(tmp_path), "--epochs", "4", "--out", "theirs", "-h")
    assert proc.returncode == 0, proc.stderr
    assert "argv: ['--epochs', '4', '--out', 'theirs', '-h']" in proc.stdout   # untouched
    assert "accuracy" in proc.stdout
    found = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert [f for f in found["findings"] if f["severity"] != "info"] == []
    assert found["verdict"] == "healthy"
    assert (tmp_path / "out" / "report.html").read_text().startswith("<!doctype html>")
    watch = json.loads((tmp_path / "out" / "watch.json").read_text())
    assert watch["summary"]["steps"] == 4 * 16
    assert "seen: 64 steps of SGD on Sequential · 1 model(s) with parameters" in proc.stderr


def test_missing_zero_grad_is_found_by_its_cause(tmp_path):
    proc = _watch(tmp_path, _script(tmp_path, clear="pass"))
    found = json.loads((tmp_path / "out" / "findings.json").read_text())
    codes = {f["code"] for f in found["findings"]}
    assert "grad_not_cleared" in codes, proc.stderr
    assert "grad_not_cleared" in proc.stderr


@pytest.mark.parametrize("exit, status", [("sys.exit(3)", 3), ("raise RuntimeError('boom')", 1)])
def test_the_scripts_own_exit_status_comes_back_and_the_report_is_still_written(tmp_path, exit, status):
    proc = _watch(tmp_path, _script(tmp_path, exit=exit))
    assert proc.returncode == status
    if status == 1:
        assert "RuntimeError: boom" in proc.stderr and "train.py" in proc.stderr
    assert json.loads((tmp_path / "out" / "findings.json").read_text())["exit_status"] == status


def test_a_missing_script_is_a_usage_error(tmp_path):
    proc = _watch(tmp_path, tmp_path / "nope.py")
    assert proc.returncode == 2
    assert "no such file" in proc.stderr and "Traceback" not in proc.stderr


SPAWN = '''
import multiprocessing as mp
import torch


def work(q):
    q.put(float(torch.ones(3).sum()))


if __name__ == "__main__":
    mp.set_start_method("spawn", force=True)
    q = mp.Queue()
    p = mp.Process(target=work, args=(q,))
    p.start()
    print("child said", q.get(timeout=60))
    p.join()
'''


def test_a_script_that_spawns_workers_from_its_own_main_runs_as_under_python(tmp_path):
    # mnist_hogwild's pattern: spawned children re-import the script by its __main__ path
    script = tmp_path / "spawner.py"
    script.write_text(SPAWN)
    proc = _watch(tmp_path, script)
    assert proc.returncode == 0, proc.stderr
    assert "child said 3.0" in proc.stdout
