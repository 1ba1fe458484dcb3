"""``danfang rl-study``: does environment randomisation generalise, or is it the seed?

Trains the arms "fixed" (nominal physics) and "randomised" (physics redrawn from ``PARAMS`` at
every episode), times each reward scale, over the same seeds, with Stable-Baselines3; several
seeds run at once in spawned processes (one torch thread each). Each finished seed is written
atomically to ``OUT/seeds/<arm>-r<scale>/seed<k>.json``; a rerun (after a crash or a kill, or
with more ``--seeds``) keeps every finished seed whose job, ranges and settings are unchanged.
``OUT/rl_study.json`` (schema 1) holds the runs and :func:`~danfang.tools.rl_stats.study_statistics`;
``OUT/report.html`` shows them.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path
from typing import Any, Callable

from danfang.atomic import atomic_write_text
from danfang.errors import DanfangError, Interrupted, UsageError
from danfang.tools.rl_deps import sb3_module
from danfang.tools.rl_stats import ARMS, study_statistics
from danfang.tools.rl_train import run_seed, seed_path


def _finished(path: Path, fingerprint: str) -> dict[str, Any] | None:
    """The seed's stored result when it belongs to this job and settings, else None."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("fingerprint") == fingerprint and doc.get("schema") == 1 else None


def _run_all(tasks: list[dict[str, Any]], workers: int, done: Callable[[dict[str, Any]], None]) -> None:
    """Run ``tasks`` (in this process with one worker, else in a spawn pool); stop at the first error."""
    def check(result: dict[str, Any]) -> None:
        if "error" in result:
            raise DanfangError(f"{result['arm']} seed {result['seed']}: {result['error']}")
        done(result)

    if not tasks:
        return
    if workers == 1 or len(tasks) == 1:
        for task in tasks:
            check(run_seed(task))
        return
    pool = multiprocessing.get_context("spawn").Pool(min(workers, len(tasks)), maxtasksperchild=4)
    try:
        for result in pool.imap_unordered(run_seed, tasks):
            check(result)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def rl_study(path: str | Path, *, out: str | Path, seeds: int | None = None, timesteps: int | None = None,
             workers: int = 2, reps: int = 2000, log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Run (or finish) the study of the RL job at ``path`` into ``out``; return ``rl_study.json``'s content."""
    from danfang import __version__
    from danfang.tools.rl_job import load_rl_job
    from danfang.tools.seed_stats import rliable_modules

    sb3_module()
    rliable_modules()
    if workers < 1:
        raise UsageError(f"--workers must be >= 1, got {workers}.")
    if reps < 100:
        raise UsageError(f"--reps must be >= 100 bootstrap resamples for a 95% interval, got {reps}.")
    if seeds is not None and seeds < 2:
        raise UsageError(f"--seeds must be >= 2 to give an interval (10 or more to judge an arm), got {seeds}.")
    if timesteps is not None and timesteps < 1:
        raise UsageError(f"--timesteps must be >= 1, got {timesteps}.")
    job = load_rl_job(path, seeds=seeds, timesteps=timesteps)
    s, out = job.settings, Path(out)
    fingerprint = job.fingerprint()
    overrides = {"seeds": seeds, "timesteps": timesteps}
    runs, tasks = [], []
    for scale in s["reward_scale"]:
        for arm in ARMS:
            for seed in range(s["seed"], s["seed"] + s["seeds"]):
                kept = _finished(seed_path(out, arm, scale, seed), fingerprint)
                if kept:
                    runs.append(kept)
                else:
                    tasks.append({"path": str(job.path), "overrides": overrides, "arm": arm, "scale": scale,
                                  "seed": seed, "out": str(out), "fingerprint": fingerprint})
    total = len(runs) + len(tasks)
    if runs:
        log(f"kept {len(runs)} finished seed(s) of {total} from {out / 'seeds'}")
    start = time.perf_counter()

    def done(result: dict[str, Any]) -> None:
        runs.append(result)
        score = ", ".join(f"{k} {v:.1f}" for k, v in result["score"].items())
        log(f"[{len(runs)}/{total}] {result['arm']} r×{result['reward_scale']:g} seed {result['seed']}: "
            f"{score} ({result['wall_s']:.0f} s)")

    if tasks:
        log(f"training {len(tasks)} seed(s) with {s['algorithm']}, {s['timesteps']} timesteps each, "
            f"{min(workers, len(tasks))} at a time")
    try:
        _run_all(tasks, workers, done)
    except KeyboardInterrupt:
        raise Interrupted(f"{len(runs)} of {total} seeds are finished and kept in {out / 'seeds'}; "
                          "rerun the same command to train the rest.") from None
    stats = study_statistics(runs, list(job.held_out), s["reward_scale"], s["return_threshold"], reps=reps,
                             seed=s["seed"])
    runs.sort(key=lambda r: (r["reward_scale"], r["arm"], r["seed"]))
    doc = {"schema": 1, "danfang": __version__, "job": str(job.path), "fingerprint": fingerprint,
           "settings": s, "params": job.params, "nominal": job.nominal, "held_out": job.held_out,
           "arms": list(ARMS), "seeds": list(range(s["seed"], s["seed"] + s["seeds"])),
           "wall_s": round(time.perf_counter() - start, 1), "stats": stats, "runs": runs}
    atomic_write_text(out / "rl_study.json", json.dumps(doc, indent=1))
    from danfang.report.html import write_report

    write_report(out)
    return doc
