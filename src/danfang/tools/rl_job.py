"""Load and validate an RL job file (docs/rl.md): an environment factory and its physics.

```python
def env(params: dict) -> gymnasium.Env: ...      # required: a fresh env with these physics
PARAMS = {"length": (0.25, 0.75), ...}           # required: training ranges (randomised arm)
NOMINAL = {"length": 0.5, ...}                   # required: the fixed arm's values
HELD_OUT = {"inside": {...}, "outside": {...}}   # required: evaluation ranges
settings = {"algorithm": "PPO", "timesteps": 20000, "seeds": 10, "reward_scale": [1.0]}
```

Everything is checked before any training: the factory is called at the nominal values and at
both ends of every range (reset and one step each). Every breach raises a
:class:`~danfang.errors.JobError` naming the file, the part and what was expected (exit 2).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from danfang.errors import JobError
from danfang.job import _call, describe, import_job_module

ALGORITHMS = ("PPO", "A2C", "DQN")
HELD_OUT_SETS = ("inside", "outside")
DEFAULTS: dict[str, Any] = {
    "algorithm": "PPO", "policy": "MlpPolicy", "timesteps": 20000, "seeds": 10, "seed": 0,
    "reward_scale": [1.0], "n_envs": 1, "hyperparams": {}, "eval_every": None, "curve_episodes": 3,
    "eval_episodes": 3, "grid_points": 5, "return_threshold": None,
}

Ranges = dict[str, tuple[float, float]]


@dataclass
class RLJob:
    """A validated RL job: the factory, the ranges and the effective settings."""

    path: Path
    module: ModuleType
    env_fn: Callable[[dict[str, float]], Any]
    params: Ranges
    nominal: dict[str, float]
    held_out: dict[str, Ranges]
    settings: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.stem

    def make_env(self, params: dict[str, float]) -> Any:
        """``env(params)`` through the job-error boundary; the result must be a gymnasium.Env."""
        from danfang.tools.rl_deps import gymnasium_module

        env = _call(self.path, "env", self.env_fn, dict(params))
        if not isinstance(env, gymnasium_module().Env):
            raise JobError(self.path, "env", f"must return a gymnasium.Env built with the physics it is given, "
                           f"got {describe(env)}.")
        return env

    def fingerprint(self) -> str:
        """Hash of what a seed's result depends on: the file, the ranges and the settings (but not
        the number of seeds, so that more seeds extend a study without redoing it)."""
        settings = {k: v for k, v in self.settings.items() if k != "seeds"}
        blob = json.dumps({"file": self.path.read_bytes().decode("utf-8", "replace"), "params": self.params,
                           "nominal": self.nominal, "held_out": self.held_out, "settings": settings},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _number(path: Path, part: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise JobError(path, part, f"{key}: expected a finite number, got {describe(value)}.")
    return float(value)


def _ranges(path: Path, part: str, obj: Any, known: Ranges | None) -> Ranges:
    if not isinstance(obj, dict) or not obj:
        raise JobError(path, part, f"expected a non-empty dict of parameter -> (lo, hi), got {describe(obj)}.")
    out: Ranges = {}
    for key, rng in obj.items():
        if known is not None and key not in known:
            raise JobError(path, part, f"unknown parameter {key!r}; PARAMS defines {sorted(known)}.")
        if not isinstance(rng, (tuple, list)) or len(rng) != 2:
            raise JobError(path, part, f"{key}: expected a range (lo, hi), got {describe(rng)}.")
        lo, hi = (_number(path, part, key, v) for v in rng)
        if lo > hi:
            raise JobError(path, part, f"{key}: range ({lo:g}, {hi:g}) has lo > hi; write it as ({hi:g}, {lo:g}).")
        out[str(key)] = (lo, hi)
    return out


def _held_out(path: Path, obj: Any, params: Ranges) -> dict[str, Ranges]:
    if not isinstance(obj, dict) or not obj or set(obj) - set(HELD_OUT_SETS):
        raise JobError(path, "HELD_OUT", f"expected a dict with keys from {list(HELD_OUT_SETS)}, each a dict "
                       f"of parameter -> (lo, hi); got {describe(obj)}.")
    sets = {name: _ranges(path, f"HELD_OUT[{name!r}]", obj[name], params) for name in HELD_OUT_SETS if name in obj}
    for key, (lo, hi) in sets.get("inside", {}).items():
        tlo, thi = params[key]
        if lo < tlo or hi > thi:
            raise JobError(path, "HELD_OUT['inside']", f"{key}: ({lo:g}, {hi:g}) leaves the training range "
                           f"({tlo:g}, {thi:g}); put values outside it under 'outside'.")
    for key, (lo, hi) in sets.get("outside", {}).items():
        tlo, thi = params[key]
        if tlo <= lo and hi <= thi:
            raise JobError(path, "HELD_OUT['outside']", f"{key}: ({lo:g}, {hi:g}) lies inside the training range "
                           f"({tlo:g}, {thi:g}); an 'outside' range must reach beyond it.")
    return sets


def _settings(path: Path, obj: Any) -> dict[str, Any]:
    if obj is None:
        obj = {}
    if not isinstance(obj, dict):
        raise JobError(path, "settings", f"expected a dict, got {describe(obj)}.")
    unknown = sorted(set(obj) - set(DEFAULTS))
    if unknown:
        raise JobError(path, "settings", f"unknown key(s) {unknown}; the RL study knows {sorted(DEFAULTS)}.")
    s = {**DEFAULTS, **obj}
    if s["algorithm"] not in ALGORITHMS:
        raise JobError(path, "settings", f"algorithm {s['algorithm']!r} is not one of {list(ALGORITHMS)} "
                       "(Stable-Baselines3's PPO, A2C, DQN).")
    for key, low in (("timesteps", 1), ("seeds", 2), ("n_envs", 1), ("curve_episodes", 1), ("eval_episodes", 1),
                     ("grid_points", 1)):
        v = s[key]
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise JobError(path, "settings", f"{key}: expected an integer >= {low}, got {describe(v)}.")
    if s["eval_every"] is None:
        s["eval_every"] = max(1, s["timesteps"] // 10)
    elif isinstance(s["eval_every"], bool) or not isinstance(s["eval_every"], int) or s["eval_every"] < 1:
        raise JobError(path, "settings", f"eval_every: expected an integer >= 1, got {describe(s['eval_every'])}.")
    scales = s["reward_scale"]
    scales = [scales] if isinstance(scales, (int, float)) and not isinstance(scales, bool) else scales
    if not isinstance(scales, (list, tuple)) or not scales:
        raise JobError(path, "settings", f"reward_scale: expected a list of positive numbers, got {describe(scales)}.")
    s["reward_scale"] = [_number(path, "settings", "reward_scale", v) for v in scales]
    if any(v <= 0 for v in s["reward_scale"]) or len(set(s["reward_scale"])) != len(s["reward_scale"]):
        raise JobError(path, "settings", f"reward_scale: expected distinct positive numbers, got {s['reward_scale']}.")
    if s["return_threshold"] is not None:
        s["return_threshold"] = _number(path, "settings", "return_threshold", s["return_threshold"])
    if not isinstance(s["hyperparams"], dict):
        raise JobError(path, "settings", f"hyperparams: expected a dict of {s['algorithm']} arguments, "
                       f"got {describe(s['hyperparams'])}.")
    if not isinstance(s["seed"], int) or isinstance(s["seed"], bool):
        raise JobError(path, "settings", f"seed: expected an integer, got {describe(s['seed'])}.")
    return s


def _probe_env(job: RLJob, params: dict[str, float], label: str) -> Any:
    """Build, reset and step the env once at ``params``: a broken factory fails here, not mid-study."""
    stage = "build"
    try:
        env = job.make_env(params)
        stage = "reset or step"
        _call(job.path, "env", lambda: env.reset(seed=0))
        _call(job.path, "env", lambda: env.step(env.action_space.sample()))
    except JobError as exc:
        detail = str(exc).split("function `env`: ", 1)[-1]
        raise JobError(job.path, "env", f"failed to {stage} the env at the {label} values {params}: "
                       f"{detail}") from exc
    return env


def load_rl_job(path: str | Path, **overrides: Any) -> RLJob:
    """Import, validate and probe an RL job; ``overrides`` (e.g. ``seeds=3``) replace settings."""
    path = Path(path)
    module = import_job_module(path)
    env_fn = getattr(module, "env", None)
    if not callable(env_fn):
        raise JobError(path, "env", "missing: an RL job defines env(params) returning a gymnasium.Env "
                       "with the given physics parameters (see docs/rl.md).")
    for name in ("PARAMS", "NOMINAL", "HELD_OUT"):
        if not hasattr(module, name):
            raise JobError(path, name, f"missing: an RL job defines {name} (see docs/rl.md).")
    params = _ranges(path, "PARAMS", module.PARAMS, None)
    nominal_obj = module.NOMINAL
    if not isinstance(nominal_obj, dict) or set(nominal_obj) != set(params):
        got = sorted(nominal_obj) if isinstance(nominal_obj, dict) else describe(nominal_obj)
        raise JobError(path, "NOMINAL", f"expected one value for each parameter of PARAMS {sorted(params)}, "
                       f"got {got}.")
    nominal = {k: _number(path, "NOMINAL", k, nominal_obj[k]) for k in params}
    held_out = _held_out(path, module.HELD_OUT, params)
    settings = _settings(path, {**(getattr(module, "settings", None) or {}),
                                **{k: v for k, v in overrides.items() if v is not None}})
    job = RLJob(path, module, env_fn, params, nominal, held_out, settings)
    probes = [("nominal", nominal), ("lower", {k: lo for k, (lo, _) in params.items()}),
              ("upper", {k: hi for k, (_, hi) in params.items()})]
    for set_name, ranges in held_out.items():
        for key, (lo, hi) in ranges.items():
            probes += [(f"HELD_OUT[{set_name!r}] {key} end", {**nominal, key: v}) for v in (lo, hi)]
    for label, values in probes:
        env = _probe_env(job, values, label)
        if settings["algorithm"] == "DQN" and type(env.action_space).__name__ != "Discrete":
            raise JobError(path, "settings", f"algorithm DQN needs a Discrete action space; env has "
                           f"{env.action_space}. Use PPO or A2C.")
        env.close()
    return job
