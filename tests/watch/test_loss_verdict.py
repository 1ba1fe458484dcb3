"""The watch verdict from a script's training loss alone."""

from __future__ import annotations

import math
import random

from danfang.watch.runner import loss_verdict


def _noisy(start: float, end: float, n: int, noise: float, seed: int = 0) -> list[float]:
    rng = random.Random(seed)
    return [start + (end - start) * i / (n - 1) + rng.gauss(0, noise) for i in range(n)]


def test_a_language_models_slow_cross_entropy_fall_is_healthy():
    # word_language_model: CE 7.0 -> 6.4 over two short epochs (8%), per-batch noise ~0.05
    verdict, reason = loss_verdict(_noisy(7.0, 6.4, 168, 0.05), 168)
    assert verdict == "healthy", reason
    assert "168 optimizer steps" in reason


def test_the_same_small_drop_inside_the_noise_is_not_called_healthy():
    verdict, _ = loss_verdict(_noisy(7.0, 6.8, 168, 0.5), 168)
    assert verdict == "inconclusive"


def test_a_flat_or_rising_loss_is_inconclusive_not_broken():
    assert loss_verdict(_noisy(1.0, 1.0, 100, 0.05), 100)[0] == "inconclusive"
    assert loss_verdict(_noisy(-0.5, 3.0, 100, 0.05), 100)[0] == "inconclusive"   # a policy-gradient loss


def test_a_large_relative_fall_is_healthy_even_with_few_sampled_points():
    verdict, reason = loss_verdict([2.3, 2.1, 2.4, 0.3, 0.28, 0.25], 314)
    assert verdict == "healthy" and "314 optimizer steps" in reason


def test_a_non_finite_last_loss_is_diverged():
    assert loss_verdict(_noisy(2.0, 1.0, 20, 0.01) + [math.nan], 21)[0] == "diverged"


def test_no_optimizer_step_says_why_nothing_was_judged():
    verdict, reason = loss_verdict([], 0)
    assert verdict == "inconclusive" and "No training step" in reason
    verdict, reason = loss_verdict([1.0, 0.5], 200)
    assert verdict == "inconclusive" and "2 loss value(s)" in reason and "200" in reason
