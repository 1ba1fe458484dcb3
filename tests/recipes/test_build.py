"""Each named recipe builds the optimizer and the schedule it promises."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from danfang.errors import UsageError
from danfang.recipes import DEFAULT, RECIPES, Recipe, get_recipe

LR = torch.optim.lr_scheduler
SETTINGS = {"batch_size": 32, "monitor": "val_loss"}


def build(name: str, steps: int = 10, epochs: int = 10, **settings):
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
    return get_recipe(name).build(model, {**SETTINGS, **settings}, steps, epochs)


def lrs(opt, sched, n: int) -> list[float]:
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def test_the_five_recipes_exist_and_the_default_is_one_of_them():
    assert set(RECIPES) == {"adamw", "sgd-cosine", "sgd-step", "plateau", "one-cycle"}
    assert DEFAULT in RECIPES and get_recipe(None) is RECIPES[DEFAULT]


def test_adamw_is_the_constant_baseline():
    opt, sched, _ = build("adamw")
    assert isinstance(opt, torch.optim.AdamW) and sched is None
    assert opt.param_groups[0]["lr"] == pytest.approx(3e-4)


def test_sgd_cosine_warms_up_linearly_then_decays_to_its_floor():
    recipe = RECIPES["sgd-cosine"]
    opt, sched, interval = build("sgd-cosine", steps=10, epochs=10)
    assert isinstance(opt, torch.optim.SGD) and interval == "step"
    assert opt.defaults["nesterov"] and opt.defaults["momentum"] == 0.9
    seq = lrs(opt, sched, 100)
    warm = int(recipe.warmup_epochs * 10)
    assert seq[:warm] == pytest.approx([recipe.lr * (i + 1) / warm for i in range(warm)])
    assert all(a >= b for a, b in zip(seq[warm:], seq[warm + 1:])), "cosine must not rise"
    assert seq[-1] == pytest.approx(recipe.lr * recipe.min_lr_ratio, rel=0.05)


def test_sgd_step_decays_by_gamma_per_epoch_interval():
    opt, sched, interval = build("sgd-step", epochs=10)
    assert isinstance(sched, LR.StepLR) and interval == "epoch"
    assert sched.step_size == 3 and sched.gamma == 0.1


@pytest.mark.parametrize("monitor,mode", [("val_loss", "min"), ("val_acc", "max")])
def test_plateau_mode_follows_the_monitor_and_has_a_floor(monitor, mode):
    opt, sched, interval = build("plateau", monitor=monitor)
    assert isinstance(sched, LR.ReduceLROnPlateau) and interval == "epoch"
    assert sched.mode == mode
    assert min(sched.min_lrs) > 0


def test_one_cycle_peaks_at_the_recipe_lr_and_anneals_far_below():
    recipe = RECIPES["one-cycle"]
    opt, sched, interval = build("one-cycle", steps=10, epochs=10)
    assert isinstance(sched, LR.OneCycleLR) and interval == "step"
    seq = lrs(opt, sched, 100)
    assert max(seq) == pytest.approx(recipe.lr, rel=1e-3)
    assert seq.index(max(seq)) == pytest.approx(recipe.pct_start * 100, abs=2)
    assert seq[-1] < recipe.lr / 1000


def test_settings_override_lr_and_weight_decay():
    opt, _, _ = build("sgd-cosine", lr=0.01, weight_decay=0.0)
    assert opt.param_groups[0]["initial_lr"] == pytest.approx(0.01)
    assert all(g["weight_decay"] == 0.0 for g in opt.param_groups)


def test_linear_lr_scaling_rule():
    recipe = get_recipe("adamw").with_options(base_batch_size=64)
    assert recipe.scaled_lr(128, accumulate=2) == pytest.approx(4 * 3e-4)
    assert recipe.scaled_lr(32) == pytest.approx(1.5e-4)
    assert RECIPES["adamw"].scaled_lr(1024) == pytest.approx(3e-4), "off without base_batch_size"
    opt, _, _ = recipe.build(nn.Linear(2, 2), {"batch_size": 256, "lr": 1e-3}, 1, 1)
    assert opt.param_groups[0]["lr"] == pytest.approx(4e-3), "scales the settings' lr too"


def test_unknown_names_and_bad_fields_are_explained():
    with pytest.raises(UsageError, match="unknown recipe 'magic'"):
        get_recipe("magic")
    with pytest.raises(ValueError, match="schedule must be one of"):
        Recipe("x", "", schedule="linear")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        Recipe("x", "", optimizer="lion")


def test_a_recipe_object_passes_through():
    r = Recipe("mine", "custom", lr=1e-2)
    assert get_recipe(r) is r
    assert math.isclose(r.with_options(lr=None, weight_decay=0.1).lr, 1e-2)
