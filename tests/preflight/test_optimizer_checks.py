"""weight_decay_on_norm_bias, scheduler_mode_mismatch, no_min_lr: planted faults and twins."""

from __future__ import annotations

import torch
from torch.optim.lr_scheduler import ReduceLROnPlateau

from danfang.checks.preflight.no_min_lr import NoMinLr
from danfang.checks.preflight.scheduler_mode import SchedulerModeMismatch
from danfang.checks.preflight.weight_decay_on_norm_bias import WeightDecayOnNormBias
from danfang.recipes.param_groups import param_groups

from tests.preflight.models import bn_mlp, blobs, codes, run


def test_weight_decay_on_norm_bias_fires_on_adamw_over_all_parameters():
    model = bn_mlp()
    findings = run(WeightDecayOnNormBias, model, blobs(), None,
                   torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05))  # lr x wd = 5e-4 a step
    assert codes(findings) == ["weight_decay_on_norm_bias"]
    decayed = findings[0].evidence["parameters"]
    assert {"0.bias", "1.weight", "1.bias", "7.bias"} <= set(decayed) and "0.weight" not in decayed


def test_weight_decay_on_norm_bias_is_quiet_with_two_groups_or_no_decay():
    model = bn_mlp()
    grouped = torch.optim.AdamW(param_groups(model, 0.05))
    assert run(WeightDecayOnNormBias, model, blobs(), None, grouped) == []
    assert run(WeightDecayOnNormBias, model, blobs(), None, torch.optim.Adam(model.parameters())) == []


def _plateau(**kw) -> tuple:
    model = bn_mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return model, opt, ReduceLROnPlateau(opt, **kw)


def test_scheduler_mode_mismatch_fires_both_ways():
    model, opt, sched = _plateau(mode="min", min_lr=1e-4)
    findings = run(SchedulerModeMismatch, model, blobs(), None, opt, sched, monitor="val_acc")
    assert [(f.code, f.severity) for f in findings] == [("scheduler_mode_mismatch", "error")]
    assert "mode='max'" in findings[0].fix
    model, opt, sched = _plateau(mode="max", min_lr=1e-4)
    assert codes(run(SchedulerModeMismatch, model, blobs(), None, opt, sched,
                     monitor="val_loss")) == ["scheduler_mode_mismatch"]


def test_scheduler_mode_mismatch_is_quiet_when_modes_agree_or_without_plateau():
    model, opt, sched = _plateau(mode="max", min_lr=1e-4)
    assert run(SchedulerModeMismatch, model, blobs(), None, opt, sched, monitor="val_acc") == []
    model, opt, sched = _plateau(mode="min", min_lr=1e-4)
    assert run(SchedulerModeMismatch, model, blobs(), None, opt, sched, monitor="val_loss") == []
    step = torch.optim.lr_scheduler.StepLR(opt, 5)
    assert run(SchedulerModeMismatch, model, blobs(), None, opt, step, monitor="val_acc") == []


def test_no_min_lr_fires_on_the_default_floor_of_zero_with_the_reachable_lr():
    model, opt, sched = _plateau(factor=0.1, patience=2)
    findings = run(NoMinLr, model, blobs(), None, opt, sched, epochs=30)
    assert codes(findings) == ["no_min_lr"]
    ev = findings[0].evidence
    assert ev["max_cuts"] == 10 and abs(ev["lowest_lr"] - 0.1 * 1e-10) < 1e-20


def test_no_min_lr_is_only_a_note_when_the_run_is_too_short_to_reach_the_bottom():
    model, opt, sched = _plateau()  # patience 10, factor 0.1
    findings = run(NoMinLr, model, blobs(), None, opt, sched, epochs=20)
    assert [(f.code, f.severity) for f in findings] == [("no_min_lr", "info")]
    assert findings[0].evidence["max_cuts"] == 1


def test_no_min_lr_is_quiet_with_a_floor():
    model, opt, sched = _plateau(min_lr=1e-5)
    assert run(NoMinLr, model, blobs(), None, opt, sched) == []
