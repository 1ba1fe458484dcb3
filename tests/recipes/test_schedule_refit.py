"""``refit_schedule``: a schedule re-sized in the middle of a run continues exactly on the
curve of the same schedule built for the new length, and reaches its end at the last step.
What cannot be re-sized is left alone and says so."""

from __future__ import annotations

import pytest
import torch

from danfang.recipes import get_recipe
from danfang.recipes.schedules import Warmup, WarmupCosine, can_refit, refit_schedule

LR = torch.optim.lr_scheduler


def make(kind: str, total: int, momentum: bool = False):
    """An optimizer and a ``kind`` schedule sized to ``total`` steps."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1, momentum=0.9)
    if kind == "cosine":
        return opt, LR.LambdaLR(opt, WarmupCosine(4, total, 0.01))
    if kind == "one-cycle":
        return opt, LR.OneCycleLR(opt, max_lr=0.1, total_steps=total, pct_start=0.25,
                                  div_factor=25.0, final_div_factor=1e3, cycle_momentum=momentum)
    if kind == "one-cycle-3":
        return opt, LR.OneCycleLR(opt, max_lr=0.1, total_steps=total, pct_start=0.2, three_phase=True)
    if kind == "cosine-annealing":
        return opt, LR.CosineAnnealingLR(opt, T_max=total, eta_min=1e-3)
    raise ValueError(kind)


def run(opt, sched, steps: int) -> list[tuple[float, float]]:
    """The (lr, momentum) each of ``steps`` optimizer steps sees, stepping the schedule after each."""
    seen = []
    for _ in range(steps):
        g = opt.param_groups[0]
        seen.append((g["lr"], g["momentum"]))
        opt.step()
        if sched.last_epoch < getattr(sched, "total_steps", float("inf")):
            sched.step()
    return seen


@pytest.mark.parametrize("kind", ["cosine", "one-cycle", "one-cycle-3", "cosine-annealing"])
@pytest.mark.parametrize("new", [24, 80])   # shrink and grow
def test_refit_mid_run_continues_on_the_fresh_schedules_curve(kind, new):
    old, at = 50, 12
    opt, sched = make(kind, old, momentum=kind == "one-cycle")
    run(opt, sched, at)
    assert refit_schedule(sched, old, new, 1)
    after = run(opt, sched, new - at)

    ref_opt, ref = make(kind, new, momentum=kind == "one-cycle")
    expected = run(ref_opt, ref, new)[at:]
    assert [a[0] for a in after] == pytest.approx([e[0] for e in expected], rel=1e-9, abs=1e-12)
    assert [a[1] for a in after] == pytest.approx([e[1] for e in expected], rel=1e-9)
    if kind in ("one-cycle", "one-cycle-3"):
        # the last planned step runs at the schedule's end: min_lr
        assert after[-1][0] == pytest.approx(opt.param_groups[0]["min_lr"], rel=1e-9)


def test_refit_counts_schedule_steps_per_epoch():
    opt, sched = make("cosine", 10 * 8)   # 10 epochs of 8 steps
    run(opt, sched, 16)
    assert refit_schedule(sched, 10, 4, 8)
    assert sched.lr_lambdas[0].total == 32
    run(opt, sched, 16)
    assert sched.last_epoch == 32 and opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.01)


def test_refit_survives_state_dict_round_trip():
    opt, sched = make("one-cycle", 50)
    run(opt, sched, 10)
    refit_schedule(sched, 50, 30, 1)
    opt2, fresh = make("one-cycle", 50)
    fresh.load_state_dict(sched.state_dict())
    opt2.param_groups[0].update({k: v for k, v in opt.param_groups[0].items() if k != "params"})
    assert fresh.total_steps == 30 and fresh._schedule_phases == sched._schedule_phases
    assert run(opt2, fresh, 20) == run(opt, sched, 20)


def test_recipe_step_schedule_rescales_its_step_size():
    recipe = get_recipe("sgd-step")
    model = torch.nn.Linear(2, 2)
    settings = {"batch_size": 8, "lr": None, "weight_decay": None}
    opt, sched, interval = recipe.build(model, settings, steps_per_epoch=5, epochs=40)
    assert interval == "epoch" and sched.step_size == 12
    for _ in range(5):
        opt.step()
        sched.step()
    assert refit_schedule(sched, 40, 10, 1, recipe)
    assert sched.step_size == 3
    # closed form at the current epoch: 5 // 3 = one decay so far
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.1)
    # without the recipe (a job's own StepLR) it is not re-sized
    assert not can_refit(sched) and not refit_schedule(sched, 10, 8, 1)
    assert sched.step_size == 3


def test_schedules_with_nothing_to_refit_or_that_cannot_be_refit():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    assert refit_schedule(None, 10, 5, 1)
    plateau = LR.ReduceLROnPlateau(opt)
    assert refit_schedule(plateau, 10, 5, 1)
    warm = LR.LambdaLR(opt, Warmup(3))
    assert refit_schedule(warm, 10, 5, 1)
    expo = LR.ExponentialLR(opt, gamma=0.9)
    assert not can_refit(expo) and not refit_schedule(expo, 10, 5, 1)
    custom = LR.LambdaLR(opt, lambda step: 1.0 / (1 + step))
    assert not refit_schedule(custom, 10, 5, 1)
    # a schedule sized to something other than the run is the job's design: left alone
    _, cosine = make("cosine-annealing", 7)
    assert not refit_schedule(cosine, 10, 5, 1) and cosine.T_max == 7
