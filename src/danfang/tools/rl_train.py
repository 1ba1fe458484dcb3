"""One seed of one arm of the RL study: train with Stable-Baselines3, record the learning curve on
the nominal env, evaluate the final policy on every grid point, write the result atomically.

Runs in a worker process (spawned) or in the caller's; one torch thread, ``device="cpu"``.
Errors come back as ``{"error": message}`` (a JobError does not survive pickling).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from danfang.atomic import atomic_write_text
from danfang.errors import DanfangError

#: an evaluation episode that has not ended after this many steps is cut off (env without a time limit)
MAX_EVAL_STEPS = 10_000


def evaluate(model: Any, job: Any, physics: list[dict[str, float]], episodes: int, seed: int = 10_000) -> list[float]:
    """Mean raw return of the deterministic policy over ``episodes`` episodes at each physics,
    all episodes stepped together (one batched ``predict`` a step). Episode ``e`` of every point
    starts from ``reset(seed=seed + e)``, the same for every arm and seed (paired comparison)."""
    envs, owner, obs = [], [], []
    for i, p in enumerate(physics):
        for e in range(episodes):
            env = job.make_env(p)
            o, _ = env.reset(seed=seed + e)
            envs.append(env)
            owner.append(i)
            obs.append(o)
    returns = np.zeros(len(envs))
    active = list(range(len(envs)))
    for _ in range(MAX_EVAL_STEPS):
        if not active:
            break
        actions, _ = model.predict(np.stack([obs[j] for j in active]), deterministic=True)
        still = []
        for j, action in zip(active, actions):
            o, r, terminated, truncated, _ = envs[j].step(action)
            returns[j] += float(r)
            obs[j] = o
            if not (terminated or truncated):
                still.append(j)
        active = still
    for env in envs:
        env.close()
    means = np.zeros(len(physics))
    np.add.at(means, owner, returns)
    return [float(m) / episodes for m in means]


def _curve_callback(job: Any, every: int, episodes: int) -> Any:
    from stable_baselines3.common.callbacks import BaseCallback

    class LearningCurve(BaseCallback):
        """Evaluates the policy on the nominal physics at step 0 and every ``every`` timesteps."""

        def __init__(self) -> None:
            super().__init__()
            self.steps: list[int] = []
            self.returns: list[float] = []
            self._next = 0

        def _record(self) -> None:
            self.steps.append(int(self.num_timesteps))
            self.returns.append(evaluate(self.model, job, [job.nominal], episodes)[0])
            self._next = self.num_timesteps + every

        def _on_training_start(self) -> None:
            self._record()

        def _on_step(self) -> bool:
            if self.num_timesteps >= self._next:
                self._record()
            return True

    return LearningCurve()


def steps_to_threshold(steps: list[int], returns: list[float], threshold: float | None) -> float:
    """The first evaluation step after the start whose return reaches ``threshold``; NaN when
    never (or no threshold). The policy at initialisation is not counted: an untrained
    deterministic policy can balance CartPole by chance."""
    if threshold is None:
        return math.nan
    for s, r in zip(steps, returns):
        if s > 0 and r >= threshold:
            return float(s)
    return math.nan


def train_seed(job: Any, arm: str, scale: float, seed: int) -> dict[str, Any]:
    """Train one policy and evaluate it; the result as a JSON-ready dict."""
    import stable_baselines3
    from stable_baselines3.common.vec_env import DummyVecEnv

    from danfang.tools.rl_env import evaluation_grid, training_env

    s = job.settings
    start = time.perf_counter()
    venv = DummyVecEnv([lambda: training_env(job.make_env, arm, job.params, job.nominal, scale)] * s["n_envs"])
    algorithm = getattr(stable_baselines3, s["algorithm"])
    try:
        model = algorithm(s["policy"], venv, seed=seed, device="cpu", verbose=0, **s["hyperparams"])
    except (TypeError, ValueError, KeyError) as exc:
        raise DanfangError(f"{job.path}, settings: {s['algorithm']}({s['policy']!r}, ..., **hyperparams) "
                           f"failed: {exc}. Check settings['hyperparams'] and settings['policy'].") from None
    curve = _curve_callback(job, s["eval_every"], s["curve_episodes"])
    model.learn(total_timesteps=s["timesteps"], callback=curve)
    train_s = time.perf_counter() - start
    grid = evaluation_grid({"train": job.params, **job.held_out}, job.nominal, s["grid_points"])
    returns = evaluate(model, job, [g.physics for g in grid], s["eval_episodes"])
    venv.close()
    rows = [{"set": g.set, "param": g.param, "value": g.value, "return": r} for g, r in zip(grid, returns)]
    score = {name: float(np.mean([r["return"] for r in rows if r["set"] == name]))
             for name in ("nominal", "train", *job.held_out)}
    return {"schema": 1, "arm": arm, "reward_scale": scale, "seed": seed, "timesteps": s["timesteps"],
            "curve": {"timesteps": curve.steps, "return": curve.returns},
            "steps_to_threshold": steps_to_threshold(curve.steps, curve.returns, s["return_threshold"]),
            "grid": rows, "score": score, "train_s": round(train_s, 2),
            "wall_s": round(time.perf_counter() - start, 2)}


def seed_path(out: Path, arm: str, scale: float, seed: int) -> Path:
    return Path(out) / "seeds" / f"{arm}-r{scale:g}" / f"seed{seed}.json"


def run_seed(task: dict[str, Any]) -> dict[str, Any]:
    """Worker entry: load the job, train one seed, write ``seed_path(...)`` atomically, return it
    (or ``{"error": message}``). ``task``: path, overrides, arm, scale, seed, out, fingerprint."""
    import torch

    from danfang.tools.rl_job import load_rl_job

    torch.set_num_threads(1)
    try:
        job = load_rl_job(task["path"], **task["overrides"])
        result = train_seed(job, task["arm"], task["scale"], task["seed"])
    except DanfangError as exc:
        return {"error": str(exc), **{k: task[k] for k in ("arm", "scale", "seed")}}
    except Exception as exc:  # noqa: BLE001 - the user's env failed mid-training: say where, no traceback
        from danfang.job import user_frame

        return {"error": f"{task['path']}: training raised {type(exc).__name__}: {exc}"
                         f"{user_frame(exc, Path(task['path']))}. The env's reset() or step() failed during "
                         "training; fix it for every physics in PARAMS.",
                **{k: task[k] for k in ("arm", "scale", "seed")}}
    result["fingerprint"] = task["fingerprint"]
    atomic_write_text(seed_path(Path(task["out"]), task["arm"], task["scale"], task["seed"]),
                      json.dumps(result, indent=1))
    return result
