"""The verdict and the gap come from the per-seed numbers: planted seeds move them."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rliable", reason="the RL study's statistics need rliable (pip install 'danfang[stats]')")


def _returns(centre: float, n: int = 10, spread: float = 10.0, seed: int = 0) -> list[float]:
    return list(centre + np.random.default_rng(seed).normal(0, spread, n))


def test_clear_gain_on_held_out_is_decided_with_its_interval():
    from danfang.tools.rl_stats import compare_arms

    c = compare_arms(_returns(400, seed=1), _returns(300, seed=2), "outside", reps=100)
    assert c["decided"]
    assert c["verdict"].startswith("randomisation helps on held-out physics (outside) by")
    assert c["diff_ci"][0] > 50 and c["diff_ci"][1] < 150 and c["diff_ci"][0] < c["diff"] < c["diff_ci"][1]
    assert c["p_ci"][0] > 0.5


def test_clear_loss_says_hurts():
    from danfang.tools.rl_stats import compare_arms

    c = compare_arms(_returns(200, seed=1), _returns(300, seed=2), "inside", reps=100)
    assert c["decided"] and c["verdict"].startswith("randomisation hurts on held-out physics (inside)")


def test_same_distribution_cannot_tell():
    from danfang.tools.rl_stats import compare_arms

    c = compare_arms(_returns(300, spread=80, seed=1), _returns(300, spread=80, seed=2), "outside", reps=100)
    assert not c["decided"] and c["verdict"].startswith("cannot tell from 10 seeds")


def test_few_seeds_cannot_tell_even_with_a_big_gap():
    from danfang.tools.rl_stats import compare_arms

    c = compare_arms(_returns(400, n=3, seed=1), _returns(300, n=3, seed=2), "outside", reps=100)
    assert not c["decided"] and "cannot tell from 3 seeds" in c["verdict"]


def _run(arm: str, seed: int, train: float, outside: float, steps: float) -> dict:
    return {"arm": arm, "reward_scale": 1.0, "seed": seed, "steps_to_threshold": steps,
            "score": {"nominal": train, "train": train, "outside": outside}}


def test_study_statistics_gap_and_sample_cost_follow_the_planted_seeds():
    from danfang.tools.rl_stats import study_statistics

    runs = [_run("fixed", s, 500.0, 100.0 + s, 1000.0 + 10 * s) for s in range(10)]
    runs += [_run("randomised", s, 480.0, 450.0 + s, 3000.0 + 10 * s) for s in range(10)]
    stats = study_statistics(runs, ["outside"], [1.0], 475.0, reps=100)
    gap = {a["recipe"]: a for a in stats["gap"]["outside"]["aggregates"]}
    assert gap["fixed"]["iqm"] == pytest.approx(500 - 104.5, abs=1.0)
    assert gap["randomised"]["iqm"] == pytest.approx(480 - 454.5, abs=1.0)
    assert stats["steps_to_threshold"]["ratio"] == pytest.approx(3045 / 1045, rel=0.01)
    assert stats["comparison"]["outside"]["decided"]
    assert stats["verdict"].startswith("randomisation helps on held-out physics (outside) by 350.0")
    # the same study with the outside returns swapped between arms flips the verdict
    for r in runs:
        r["score"]["outside"] = 550.0 - r["score"]["outside"]
    flipped = study_statistics(runs, ["outside"], [1.0], 475.0, reps=100)
    assert flipped["verdict"].startswith("randomisation hurts")


def test_reward_scales_become_arms_of_the_seed_spread():
    from danfang.tools.rl_stats import study_statistics

    runs = [{**_run(arm, s, 100.0 * scale + s, 50.0, float("nan")), "reward_scale": scale}
            for arm in ("fixed", "randomised") for scale in (0.1, 1.0) for s in range(5)]
    stats = study_statistics(runs, ["outside"], [0.1, 1.0], None, reps=100)
    assert set(stats["final_values"]) == {"fixed r×0.1", "fixed r×1", "randomised r×0.1", "randomised r×1"}
    assert stats["final_values"]["fixed r×0.1"] == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert stats["main_scale"] == 1.0 and "stats" not in stats["steps_to_threshold"]
