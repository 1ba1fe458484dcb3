"""A bad RL job is one paragraph and exit 2, before any training, with nothing written."""

from __future__ import annotations

import pytest

from tests.rl.conftest import MISSING, cli

pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"RL extra missing: {MISSING}")

FAULTS = {
    "factory raises": ({'    e = gym.make("CartPole-v1", max_episode_steps=50)':
                        '    raise RuntimeError("no simulator")'}, "no simulator"),
    "factory returns no env": ({"    return e\n": "    return 42\n"}, "failed to build the env at the nominal values"),
    "range lo > hi": ({'"length": (0.25, 0.75)': '"length": (0.75, 0.25)'}, "lo > hi"),
    "unknown held-out parameter": ({'"inside": {"length": (0.3, 0.7)}': '"inside": {"mass": (0.3, 0.7)}'},
                                   "unknown parameter 'mass'"),
    "unknown algorithm": ({'"algorithm": "PPO"': '"algorithm": "TRPO"'}, "'TRPO' is not one of"),
    "inside range leaves training range": ({'"inside": {"length": (0.3, 0.7)}': '"inside": {"length": (0.3, 0.9)}'},
                                           "leaves the training range"),
    "outside range inside training range": ({'"outside": {"length": (0.05, 0.2)': '"outside": {"length": (0.3, 0.4)'},
                                            "must reach beyond it"),
    "nominal misses a parameter": ({'NOMINAL = {"length": 0.5, ': 'NOMINAL = {'}, "one value for each parameter"),
    "unknown hyperparameter": ({'"n_epochs": 1}': '"n_epochs": 1, "nonsense": 3}'},
                               "unexpected keyword argument 'nonsense'"),
    "unknown settings key": ({'"seeds": 2,': '"sedes": 2,'}, "unknown key(s) ['sedes']"),
    "factory fails at a range end": ({"    pole.length = params":
                                      '    assert params["gravity"] < 19\n    pole.length = params'},
                                     "failed to build the env at the HELD_OUT['outside'] gravity end"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_bad_job_exits_2_with_one_paragraph_and_writes_nothing(rl_job, tmp_path, fault):
    edits, expected = FAULTS[fault]
    out = tmp_path / "out"
    result = cli("rl-study", rl_job(edits), "--out", out, "--quiet")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert expected in result.output.replace("\n", " ")
    assert "job.py" in result.output
    assert not out.exists()


def test_healthy_job_loads_with_its_settings(rl_job):
    from danfang.tools.rl_job import load_rl_job

    job = load_rl_job(rl_job(), seeds=4)
    assert job.settings["seeds"] == 4 and job.settings["timesteps"] == 128
    assert set(job.held_out) == {"inside", "outside"}
    assert job.params["length"] == (0.25, 0.75)


def test_missing_dependency_says_what_to_install(monkeypatch):
    import builtins

    from danfang.errors import UsageError
    from danfang.tools import rl_deps

    real = builtins.__import__

    def no_sb3(name, *args, **kwargs):
        if name.startswith("stable_baselines3"):
            raise ImportError("no module")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sb3)
    with pytest.raises(UsageError, match=r"danfang\[rl\]"):
        rl_deps.sb3_module()


def test_env_failing_mid_training_exits_2_naming_the_file(rl_job, tmp_path):
    """The probes step once; an env that breaks on its 30th step fails inside SB3's learn()."""
    job = rl_job({"    return e\n": "    steps = [0]\n    real = e.step\n"
                  "    def step(a):\n        steps[0] += 1\n"
                  "        if steps[0] > 30:\n            raise ValueError('simulator blew up')\n"
                  "        return real(a)\n    e.step = step\n    return e\n"})
    result = cli("rl-study", job, "--out", tmp_path / "out", "--workers", "1", "--quiet")
    assert result.exit_code == 2, result.output
    text = result.output.replace("\n", " ")
    assert "simulator blew up" in text and "job.py" in text and "Traceback" not in text

