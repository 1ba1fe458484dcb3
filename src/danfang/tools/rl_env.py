"""The environments of the RL study: physics resampled on every reset, reward scaling, and the
evaluation grids (one parameter varied at a time, the others at their nominal values).

Imports Gymnasium at module level: import this module only after
:func:`danfang.tools.rl_deps.gymnasium_module` has succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gymnasium
import numpy as np

Factory = Callable[[dict[str, float]], Any]


class PhysicsRandomiser(gymnasium.Wrapper):
    """Draws every parameter uniformly from its range at each ``reset()`` and rebuilds the inner
    env with the job's factory, so each episode runs on new physics. Reproducible: a seed given
    to ``reset`` seeds the draws, and each inner reset gets a seed from the same generator.
    ``params`` holds the physics of the current episode."""

    def __init__(self, factory: Factory, ranges: dict[str, tuple[float, float]], nominal: dict[str, float]):
        self._factory = factory
        self._ranges = dict(ranges)
        self.params = dict(nominal)
        super().__init__(factory(self.params))
        self._rng = np.random.default_rng()

    def _draw(self) -> dict[str, float]:
        drawn = {k: float(self._rng.uniform(lo, hi)) for k, (lo, hi) in self._ranges.items()}
        return {**self.params, **drawn}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.params = self._draw()
        self.env.close()
        self.env = self._factory(self.params)
        return self.env.reset(seed=int(self._rng.integers(2**31 - 1)), options=options)


class RewardScale(gymnasium.RewardWrapper):
    """Multiplies the training reward by ``scale`` (evaluation always reads the raw return)."""

    def __init__(self, env: Any, scale: float):
        super().__init__(env)
        self.scale = float(scale)

    def reward(self, reward: Any) -> Any:
        return reward * self.scale


def training_env(factory: Factory, arm: str, ranges: dict[str, tuple[float, float]], nominal: dict[str, float],
                 scale: float) -> Any:
    """One training env of ``arm``: ``"fixed"`` (nominal physics) or ``"randomised"``."""
    env = PhysicsRandomiser(factory, ranges, nominal) if arm == "randomised" else factory(dict(nominal))
    return RewardScale(env, scale) if scale != 1.0 else env


@dataclass(frozen=True)
class GridPoint:
    """One evaluation condition: ``set`` ("train", "inside", "outside", "nominal"), the parameter
    varied (None at the nominal point) and the full physics."""

    set: str
    param: str | None
    value: float | None
    physics: dict[str, float]


def evaluation_grid(sets: dict[str, dict[str, tuple[float, float]]], nominal: dict[str, float],
                    points: int) -> list[GridPoint]:
    """The nominal point, then for each set and each of its parameters ``points`` evenly spaced
    values across its range with every other parameter at its nominal value."""
    grid = [GridPoint("nominal", None, None, dict(nominal))]
    for name, ranges in sets.items():
        for key, (lo, hi) in ranges.items():
            values = np.linspace(lo, hi, points) if points > 1 else np.array([(lo + hi) / 2])
            grid += [GridPoint(name, key, float(v), {**nominal, key: float(v)}) for v in values]
    return grid
