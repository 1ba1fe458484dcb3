"""Every training check: a planted fault that must fire it and a healthy twin that must not,
on synthetic probe histories, plus one contract test over all of them."""

from __future__ import annotations

import math

import pytest
from torch import nn

from danfang.checks import registered_checks
from danfang.checks.training import ProbeHistory, TrainingCheck
from danfang.findings import Finding
from danfang.probes import QUANTITIES, ProbeSample

NET = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 20), nn.ReLU(), nn.Linear(20, 3))
NAMES = [n for n, _ in NET.named_parameters()]


def history(n: int, total_steps: int | None = None, **series) -> ProbeHistory:
    """``n`` samples; each keyword is a function i -> value for that ProbeSample field."""
    h = ProbeHistory(NET, total_steps)
    for i in range(n):
        h.add(ProbeSample(step=10 * (i + 1), epoch=i // 3, lr=0.1,
                          **{k: f(i) for k, f in series.items()}))
    return h


def falling(i: int) -> float:
    return 2.3 * 0.8 ** i


def grads(first: float, last: float = 1.0):
    return lambda i: {n: (first if n.startswith("0.") else last) for n in NAMES}


def ratios(value: float):
    return lambda i: {n: value for n in NAMES}


def codes(h: ProbeHistory) -> set[str]:
    return {f.code for cls in registered_checks("training") if issubclass(cls, TrainingCheck)
            for f in cls().run(h)}


HEALTHY = dict(loss=falling, grad_norm=grads(0.3, 1.0), update_ratio=ratios(1e-3),
               dead_fraction=lambda i: {"1": 0.1, "3": 0.2}, saturated_fraction=lambda i: {})

PLANTED = {
    "loss_nan": dict(loss=lambda i: float("nan") if i == 9 else falling(i)),
    "exploding_gradients": dict(grad_norm=lambda i: {n: 10.0 ** i for n in NAMES}, update_ratio=ratios(0.05)),
    "vanishing_gradients": dict(grad_norm=grads(1e-7), loss=lambda i: 2.3),
    "dying_relu": dict(dead_fraction=lambda i: {"1": 0.1, "3": 0.95}),
    "activation_saturation": dict(saturated_fraction=lambda i: {"1": 0.8}),
    "update_ratio_high": dict(update_ratio=ratios(0.3)),
    "update_ratio_low": dict(update_ratio=ratios(1e-7)),
    "loss_oscillating": dict(loss=lambda i: 1.0 if i % 2 else 3.0),
    "slow_convergence": dict(loss=lambda i: 2.3 - 0.001 * i),
}


def test_healthy_history_fires_nothing():
    assert codes(history(10, **HEALTHY)) == set()


@pytest.mark.parametrize("code", sorted(PLANTED))
def test_planted_fault_fires_its_check(code):
    found = codes(history(10, **{**HEALTHY, **PLANTED[code]}))
    assert code in found


def test_converged_model_with_wobbling_tiny_gradients_is_not_exploding():
    # grad norm 1e-5 -> 1e-2 (x1000) while the loss sits near 0 and updates stay tiny
    h = history(10, **{**HEALTHY, "grad_norm": lambda i: {n: 1e-5 * 2.0 ** i for n in NAMES},
                       "update_ratio": ratios(1e-4), "loss": lambda i: 2.3 if i == 0 else 1e-4 * (1 + i % 2)})
    assert "exploding_gradients" not in codes(h)


#: the checks that judge a probe history (no_optimizer_step and loss_diverged judge a finished
#: run instead: tests/reliability/test_exit_codes.py)
HISTORY_CHECKS = [cls for cls in registered_checks("training") if issubclass(cls, TrainingCheck)]


def test_every_code_has_a_planted_case():
    assert {cls.code for cls in HISTORY_CHECKS} == set(PLANTED)


@pytest.mark.parametrize("cls", HISTORY_CHECKS, ids=lambda c: c.code)
def test_contract(cls):
    """Docstring sections, known quantities, quiet on a short history, stamped findings."""
    doc = cls.__doc__ or ""
    for part in ("Symptom", "Evidence", "Likely causes", "Fix"):
        assert part in doc, f"{cls.__name__} docstring lacks {part}"
    assert set(cls.requires) <= set(QUANTITIES) and cls.requires
    assert cls().run(history(1, **HEALTHY)) == []
    for f in cls().run(history(10, **{**HEALTHY, **PLANTED[cls.code]})):
        assert isinstance(f, Finding) and f.phase == "training" and f.step == 100 and f.fix
        assert f.evidence


def test_dying_relu_names_the_layer():
    from danfang.checks.training.dying_relu import DyingRelu

    [f] = DyingRelu().run(history(5, **{**HEALTHY, **PLANTED["dying_relu"]}))
    assert f.where == "3" and f.evidence["dead_fraction"] == [0.95] * 3


def test_update_ratio_low_quiet_while_a_schedule_anneals():
    late = history(10, total_steps=110, **{**HEALTHY, **PLANTED["update_ratio_low"]})
    assert "update_ratio_low" not in codes(late)


def test_oscillation_quiet_for_noise_near_a_converged_loss():
    noisy = history(12, **{**HEALTHY, "loss": lambda i: 2.3 if i == 0 else (0.010 if i % 2 else 0.013)})
    assert "loss_oscillating" not in codes(noisy)


def test_vanishing_quiet_while_learning():
    learning = history(10, **{**HEALTHY, "grad_norm": grads(1e-7)})
    assert "vanishing_gradients" not in codes(learning)


def test_exploding_fires_on_non_finite_gradients():
    h = history(4, **{**HEALTHY, "grad_norm": lambda i: {n: (math.inf if i == 3 else 1.0) for n in NAMES}})
    assert "exploding_gradients" in codes(h)


def test_vanishing_skips_a_row_sparse_embedding_table():
    """An LM's embedding gets gradients only in the rows of the batch's tokens: its per-element
    gradient is tiny by nature (word_language_model drew a false vanishing_gradients)."""
    lm = nn.Sequential(nn.Embedding(5000, 20), nn.Linear(20, 20), nn.ReLU(), nn.Linear(20, 3))
    names = [n for n, _ in lm.named_parameters()]

    def lm_history(first_linear: float) -> ProbeHistory:
        h = ProbeHistory(lm)
        for i in range(10):
            g = {n: (1e-7 if n == "0.weight" else first_linear if n.startswith("1.") else 1.0) for n in names}
            h.add(ProbeSample(step=10 * (i + 1), epoch=0, lr=0.1, loss=2.3, grad_norm=g))
        return h

    assert "vanishing_gradients" not in codes(lm_history(0.3))   # healthy: only the table is sparse
    assert "vanishing_gradients" in codes(lm_history(1e-7))      # planted: the first Linear starves


def test_rl_objective_a_growing_gradient_with_a_rising_loss_is_not_an_explosion():
    """An actor-critic's loss is a sum over episodes that lengthen as it learns: loss and
    gradient norm both grow ~50x while the updates stay normal (pytorch/examples actor_critic)."""
    series = {**HEALTHY, "grad_norm": lambda i: {n: 3.0 * 2 ** i for n in NAMES}, "loss": lambda i: 10.0 + 5 * i}
    supervised = history(10, **series)
    assert "exploding_gradients" in codes(supervised)
    rl = history(10, **series)
    rl.task = "other"
    assert "exploding_gradients" not in codes(rl)


def test_dead_units_of_an_rl_policy_are_info():
    from danfang.checks.training.dying_relu import DyingRelu

    h = history(5, **{**HEALTHY, **PLANTED["dying_relu"]})
    assert [f.severity for f in DyingRelu().run(h)] == ["warning"]
    h.task = "other"
    assert [f.severity for f in DyingRelu().run(h)] == ["info"]
