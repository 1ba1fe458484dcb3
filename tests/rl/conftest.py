"""Helpers of the RL study tests: a tiny CartPole job file (edited copies for the faults), the
CLI in-process. Every test here skips, saying why, when Gymnasium or Stable-Baselines3 is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from danfang.tools.rl_deps import rl_missing

MISSING = rl_missing()

#: A tiny, valid RL job: CartPole with pole length, pole mass and gravity; seconds to study.
TINY_JOB = '''
import gymnasium as gym

def env(params):
    e = gym.make("CartPole-v1", max_episode_steps=50)   # short episodes: a test in seconds
    pole = e.unwrapped
    pole.length = params["length"]
    pole.masspole = params["masspole"]
    pole.gravity = params["gravity"]
    pole.total_mass = pole.masspole + pole.masscart
    pole.polemass_length = pole.masspole * pole.length
    return e

NOMINAL = {"length": 0.5, "masspole": 0.1, "gravity": 9.8}
PARAMS = {"length": (0.25, 0.75), "masspole": (0.05, 0.2), "gravity": (7.0, 12.0)}
HELD_OUT = {"inside": {"length": (0.3, 0.7)}, "outside": {"length": (0.05, 0.2), "gravity": (13.0, 20.0)}}
settings = {"algorithm": "PPO", "timesteps": 128, "seeds": 2, "n_envs": 1, "eval_every": 64,
            "curve_episodes": 1, "eval_episodes": 1, "grid_points": 2, "return_threshold": 40.0,
            "hyperparams": {"n_steps": 64, "batch_size": 64, "n_epochs": 1}}
'''


@pytest.fixture
def rl_job(tmp_path: Path):
    """``rl_job(replace=None, name='job.py') -> Path``: the tiny job, with ``{old: new}`` edits."""
    def write(replace: dict[str, str] | None = None, name: str = "job.py") -> Path:
        text = TINY_JOB
        for old, new in (replace or {}).items():
            assert old in text, old
            text = text.replace(old, new)
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


def cli(*args: object):
    """``danfang ARGS`` in this process; click's Result."""
    from typer.testing import CliRunner

    from danfang.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])
