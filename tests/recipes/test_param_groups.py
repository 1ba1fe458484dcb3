"""Weight decay skips biases and normalisation parameters by default."""

from __future__ import annotations

import pytest
from torch import nn

from danfang.recipes import RECIPES
from danfang.recipes.param_groups import no_decay_names, param_groups


def model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 5),
                         nn.LayerNorm(5), nn.GroupNorm(1, 5), nn.Linear(5, 2, bias=False))


def test_biases_and_norm_parameters_are_not_decayed():
    m = model()
    assert no_decay_names(m) == {"0.bias", "1.weight", "1.bias", "3.bias", "4.weight", "4.bias",
                                 "5.weight", "5.bias"}
    decay, no_decay = param_groups(m, 0.1)
    assert {id(p) for p in decay["params"]} == {id(m[0].weight), id(m[3].weight), id(m[6].weight)}
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_uses_the_exclusions(name):
    m = model()
    opt, _, _ = RECIPES[name].build(m, {"batch_size": 8, "monitor": "val_loss"}, 1, 1)
    decayed = {id(p) for g in opt.param_groups if g["weight_decay"] > 0 for p in g["params"]}
    assert id(m[1].weight) not in decayed and id(m[3].bias) not in decayed
    assert sum(p.numel() for g in opt.param_groups for p in g["params"]) == \
        sum(p.numel() for p in m.parameters())


def test_frozen_parameters_are_left_out():
    m = nn.Linear(3, 3)
    m.weight.requires_grad_(False)
    groups = param_groups(m, 0.1)
    assert sum(len(g["params"]) for g in groups) == 1
