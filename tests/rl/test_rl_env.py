"""The randomising wrapper really changes the physics, reproducibly; the fixed arm does not."""

from __future__ import annotations

import pytest

from tests.rl.conftest import MISSING

pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"RL extra missing: {MISSING}")


@pytest.fixture
def job(rl_job):
    from danfang.tools.rl_job import load_rl_job

    return load_rl_job(rl_job())


def _lengths(env, resets: int, seed: int = 3) -> list[float]:
    seen = []
    for i in range(resets):
        env.reset(seed=seed if i == 0 else None)
        seen.append(env.unwrapped.length)
    return seen


def test_randomised_arm_resamples_pole_length_on_every_reset(job):
    from danfang.tools.rl_env import training_env

    env = training_env(job.make_env, "randomised", job.params, job.nominal, 1.0)
    seen = _lengths(env, 8)
    assert len(set(seen)) == 8                              # new physics every episode
    assert all(0.25 <= x <= 0.75 for x in seen)             # inside the training range
    env.reset()
    pole = env.unwrapped                                    # the derived quantities follow
    assert pole.polemass_length == pytest.approx(pole.masspole * pole.length)
    assert env.params["length"] == pole.length
    again = training_env(job.make_env, "randomised", job.params, job.nominal, 1.0)
    assert _lengths(again, 8) == seen                       # same seed, same draws


def test_fixed_arm_keeps_nominal_physics(job):
    from danfang.tools.rl_env import training_env

    env = training_env(job.make_env, "fixed", job.params, job.nominal, 1.0)
    assert set(_lengths(env, 5)) == {0.5}
    assert env.unwrapped.gravity == 9.8


def test_reward_scale_multiplies_training_reward(job):
    from danfang.tools.rl_env import training_env

    env = training_env(job.make_env, "fixed", job.params, job.nominal, 0.1)
    env.reset(seed=0)
    _, reward, *_ = env.step(0)
    assert reward == pytest.approx(0.1)


def test_evaluation_grid_varies_one_parameter_at_a_time(job):
    from danfang.tools.rl_env import evaluation_grid

    grid = evaluation_grid(job.held_out, job.nominal, 3)
    assert grid[0].set == "nominal" and grid[0].physics == job.nominal
    outside_g = [g for g in grid if g.set == "outside" and g.param == "gravity"]
    assert [g.value for g in outside_g] == [13.0, 16.5, 20.0]
    assert all(g.physics == {**job.nominal, "gravity": g.value} for g in outside_g)
