"""The 001 study's recipes build what they say: the plateau arms keep their forced mode and
their floor (or none), Adam is torch's Adam, and the core recipes are unchanged."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from danfang.errors import UsageError
from danfang.recipes import ALL_RECIPES, RECIPES, STUDY_001, Recipe, get_recipe
from danfang.tools.study import GRIDS, grid_recipes

SETTINGS = {"batch_size": 8, "monitor": "val_acc"}
Plateau = torch.optim.lr_scheduler.ReduceLROnPlateau


def model() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def build(name: str, monitor: str = "val_acc"):
    return get_recipe(name).build(model(), {**SETTINGS, "monitor": monitor}, steps_per_epoch=10, epochs=10)


def test_the_bug_arm_is_min_mode_on_accuracy_with_no_floor():
    _, sched, interval = build("plateau-acc-min")
    assert isinstance(sched, Plateau) and interval == "epoch"
    assert sched.mode == "min" and sched.min_lrs == [0.0, 0.0]


def test_healthy_twin_steps_in_max_mode_and_the_fixed_arm_has_a_floor():
    _, sched, _ = build("plateau-acc-max")
    assert sched.mode == "max" and sched.min_lrs == [0.0, 0.0]
    _, floored, _ = build("plateau-acc-min-floor")
    assert floored.mode == "min" and floored.min_lrs == [pytest.approx(0.01)] * 2


def test_forced_min_mode_collapses_the_lr_while_accuracy_rises_and_the_floor_stops_it():
    rising = [0.5 + 0.04 * i for i in range(10)]
    final = {}
    for name in ("plateau-acc-min", "plateau-acc-min-floor", "plateau-acc-max"):
        opt, sched, _ = build(name)
        for acc in rising:
            sched.step(acc)
        final[name] = opt.param_groups[0]["lr"]
    assert final["plateau-acc-min"] < 1e-3            # cut three times while improving
    assert final["plateau-acc-min-floor"] == pytest.approx(0.01)
    assert final["plateau-acc-max"] == pytest.approx(0.1)  # never cut: the metric improved


def test_core_plateau_recipe_still_takes_its_mode_from_the_monitor():
    for monitor, mode in (("val_acc", "max"), ("val_loss", "min")):
        _, sched, _ = build("plateau", monitor)
        assert sched.mode == mode and sched.min_lrs[0] == pytest.approx(1e-3 * 1e-3)


def test_adam_is_coupled_l2_adam_and_the_lr_momentum_arms_are_constant_sgd():
    opt, sched, _ = build("adam")
    assert type(opt) is torch.optim.Adam and sched is None
    for name, lr, momentum in (("sgd-lr0.01-m0.5", 0.01, 0.5), ("sgd-lr0.1-m0.9", 0.1, 0.9)):
        opt, sched, _ = build(name)
        assert type(opt) is torch.optim.SGD and sched is None
        assert opt.param_groups[0]["lr"] == lr and opt.param_groups[0]["momentum"] == momentum


def test_l2_arms_differ_only_in_weight_decay():
    base = STUDY_001["sgd-cos"]
    for name, wd in (("sgd-cos-wd0", 0.0), ("sgd-cos-wd5e-3", 5e-3)):
        other = STUDY_001[name]
        assert other.weight_decay == wd
        assert other.with_options(name=base.name, description=base.description, weight_decay=base.weight_decay) == base


def test_study_arms_are_named_recipes_but_not_in_the_core_list():
    assert set(RECIPES) == {"adamw", "sgd-cosine", "sgd-step", "plateau", "one-cycle"}
    assert set(ALL_RECIPES) == set(RECIPES) | set(STUDY_001)
    assert get_recipe("plateau-acc-min") is STUDY_001["plateau-acc-min"]
    with pytest.raises(UsageError, match="arm of the 001 study"):
        get_recipe("plateau-acc-mid")


def test_grid_001_holds_every_sub_grid_once():
    subs = [g for g in GRIDS if g.startswith("001-")]
    assert len(subs) == 5
    assert grid_recipes("001") == list(dict.fromkeys(n for g in subs for n in GRIDS[g]))
    assert len(grid_recipes("001")) == 13 and "sgd-step" in grid_recipes("001")
    assert GRIDS["recipes"] == list(RECIPES)


def test_a_bad_plateau_mode_is_refused():
    with pytest.raises(ValueError, match="plateau_mode"):
        Recipe("x", "x", schedule="plateau", plateau_mode="maximum")
