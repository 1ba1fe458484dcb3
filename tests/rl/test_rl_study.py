"""The RL study end to end on a tiny CartPole job (seconds), and its resumption: a rerun after a
kill trains only the seeds that had not finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.rl.conftest import MISSING, cli

pytestmark = [pytest.mark.skipif(MISSING is not None, reason=f"RL extra missing: {MISSING}"),
              pytest.mark.filterwarnings("ignore::UserWarning")]


def test_tiny_study_end_to_end(rl_job, tmp_path):
    out = tmp_path / "out"
    result = cli("rl-study", rl_job(), "--out", out, "--workers", "1", "--reps", "100", "--quiet")
    assert result.exit_code == 0, result.output
    assert "cannot tell from 2 seeds" in result.output.replace("\n", " ")    # 2 seeds never decide
    doc = json.loads((out / "rl_study.json").read_text())
    assert doc["schema"] == 1 and len(doc["runs"]) == 4
    run = doc["runs"][0]
    assert run["curve"]["timesteps"][0] == 0 and run["curve"]["timesteps"][-1] >= 128
    assert {row["set"] for row in run["grid"]} == {"nominal", "train", "inside", "outside"}
    fixed = [r["score"]["outside"] for r in doc["runs"] if r["arm"] == "fixed"]
    agg = {a["recipe"]: a for a in doc["stats"]["returns"]["outside"]["aggregates"]}
    assert min(fixed) <= agg["fixed"]["iqm"] <= max(fixed)                 # the statistics are the seeds'
    html = (out / "report.html").read_text()
    for part in ("Does randomisation generalise?", "Learning curves", "Evaluation grid", "Seed sensitivity"):
        assert part in html
    assert "<script" not in html


def test_rerun_keeps_finished_seeds_and_trains_the_missing_one(rl_job, tmp_path):
    from danfang.tools.rl_study import rl_study

    out, job = tmp_path / "out", rl_job()
    rl_study(job, out=out, workers=1, reps=100)
    seeds = sorted((out / "seeds").rglob("seed*.json"))
    assert len(seeds) == 4
    before = {p: p.stat().st_mtime_ns for p in seeds}
    seeds[0].unlink()                                         # as if the kill came before it finished
    lines: list[str] = []
    rl_study(job, out=out, workers=1, reps=100, log=lines.append)
    assert lines[0].startswith("kept 3 finished seed(s) of 4")
    assert "training 1 seed(s)" in lines[1]
    assert all(p.stat().st_mtime_ns == before[p] for p in seeds[1:])   # not redone
    assert seeds[0].is_file()
    # a changed setting makes the stored seeds stale: they are trained again
    job.write_text(job.read_text().replace('"timesteps": 128', '"timesteps": 192'))
    lines.clear()
    rl_study(job, out=out, workers=1, reps=100, log=lines.append)
    assert "training 4 seed(s)" in lines[0]


def test_reward_scale_is_a_second_factor(rl_job, tmp_path):
    from danfang.tools.rl_study import rl_study

    doc = rl_study(rl_job({'"seeds": 2,': '"seeds": 2, "reward_scale": [0.5, 1.0],'}), out=tmp_path / "out",
                   workers=1, reps=100)
    assert len(doc["runs"]) == 8
    assert set(doc["stats"]["final_values"]) == {"fixed r×0.5", "fixed r×1", "randomised r×0.5", "randomised r×1"}
    assert "reward scale" in (tmp_path / "out" / "report.html").read_text()


@pytest.mark.slow
def test_killed_study_resumes_without_redoing_finished_seeds(rl_job, tmp_path):
    """A real SIGKILL of `danfang rl-study` with 2 workers, then the same command again."""
    out, job = tmp_path / "out", rl_job({'"seeds": 2': '"seeds": 4'})
    cmd = [sys.executable, "-m", "danfang", "rl-study", str(job), "--out", str(out), "--workers", "2",
           "--reps", "100", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((out / "seeds").rglob("seed*.json"))) < 2:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p: p.stat().st_mtime_ns for p in (out / "seeds").rglob("seed*.json")}
    assert 2 <= len(finished) < 8 and not (out / "rl_study.json").exists()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert all(p.stat().st_mtime_ns == t for p, t in finished.items())
    assert len(json.loads((out / "rl_study.json").read_text())["runs"]) == 8
