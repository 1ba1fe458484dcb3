"""``settings['time_budget_s']`` / ``fit --time-budget``: the trainer plans the epochs to the
budget, re-fits the LR schedule so it still ends where it should, records the plan in
run.json and the checkpoint, and keeps it across a resume.

Most tests run on a fake clock (``Trainer.clock``) that advances a fixed time per batch, so
the plans are exact on a loaded machine; one runs on the real clock and asserts relations.
"""

from __future__ import annotations

import itertools
import json

import pytest
import torch
from typer.testing import CliRunner

from danfang.checkpoint import load_checkpoint
from danfang.cli.app import app
from danfang.engine.callback import Callback
from danfang.engine.time_plan import EpochPlan
from danfang.engine.trainer import Trainer
from danfang.errors import JobError, UsageError
from danfang.job import load_job
from danfang.recipes.schedules import WarmupCosine
from tests.kill import Killed, KillAt

# 320 samples in batches of 40: 8 optimizer steps an epoch
JOB = '''
import torch
from torch import nn

def model():
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 3))

def data():
    g = torch.Generator().manual_seed(0)
    centers = torch.randn(3, 8, generator=g) * 2
    def split(n):
        y = torch.randint(0, 3, (n,), generator=g)
        return centers[y] + torch.randn(n, 8, generator=g), y
    return split(320), split(80)

settings = {"batch_size": 40, "epochs": 50, "seed": 0, "deterministic": True, "time_budget_s": 10.0}
'''
STEPS = 8


class FakeClock(Callback):
    """``dt`` seconds a training batch, plus ``warmup`` once on the run's first batch (like cuDNN
    autotuning or torch.compile); dt = 1/8 s makes an epoch exactly 1 s."""

    def __init__(self, dt: float = 0.125, warmup: float = 2.0) -> None:
        self.t, self.dt, self.warmup = 0.0, dt, warmup

    def __call__(self) -> float:
        return self.t

    def batch_end(self, state) -> None:
        self.t += self.dt + (self.warmup if state.step == 1 else 0.0)


class LRs(Callback):
    """The LR every optimizer step ran at."""

    def __init__(self) -> None:
        self.lrs: list[float] = []

    def batch_start(self, state) -> None:
        self.lrs.append(state.lr)




def trainer(job_path, out, *, clock=None, callbacks=(), resume=False, recipe=None, **settings):
    clock = clock or FakeClock()
    t = Trainer(load_job(job_path), out, callbacks=[clock, *callbacks], resume=resume, recipe=recipe,
                settings=settings)
    t.clock = clock
    return t


@pytest.fixture(autouse=True)
def _single_thread(one_thread):
    """Every test here on one thread (the ``one_thread`` fixture of tests/conftest.py)."""
    yield


@pytest.fixture
def job(write_job):
    return write_job(JOB)


def test_budget_plans_epochs_and_refits_the_cosine_to_end_at_its_floor(job, tmp_path):
    # epoch 1: 3 s (2 s warm-up) -> plan 1 + 7 // 3 = 3; epoch 2: 1 s -> plan 2 + 6 = 8, kept
    lrs = LRs()
    result = trainer(job, tmp_path / "run", callbacks=[lrs]).fit()
    assert result.status == "finished" and len(result.history) == 8
    assert result.final["wall_s"] == pytest.approx(10.0)
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["budget"] == {"seconds": 10.0, "max_epochs": 50, "planned_epochs": 8, "epoch_s": 1.0,
                             "schedule": "re-fit"}
    assert run["stop_reason"].startswith("time budget: planned 8 epochs of 50")
    assert run["settings"]["epochs"] == 8 and run["settings"]["time_budget_s"] == 10.0
    # from epoch 3 on the run is exactly the recipe's schedule built for 8 epochs
    fresh = WarmupCosine(STEPS, 8 * STEPS, 0.01)
    assert len(lrs.lrs) == 8 * STEPS
    assert lrs.lrs[2 * STEPS:] == pytest.approx([0.1 * fresh(k) for k in range(2 * STEPS, 8 * STEPS)], rel=1e-12)
    ckpt = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert ckpt["budget"]["planned"] == 8
    assert ckpt["scheduler"]["lr_lambdas"][0]["total"] == 8 * STEPS
    assert ckpt["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.1 * 0.01)  # the floor


def test_one_cycle_is_refit_to_end_on_the_last_planned_step(job, tmp_path):
    lrs = LRs()
    result = trainer(job, tmp_path / "run", callbacks=[lrs], recipe="one-cycle").fit()
    assert len(result.history) == 8
    sched_min = 3e-3 / 25.0 / 1e3
    assert lrs.lrs[-1] == pytest.approx(sched_min, rel=1e-9)
    # from epoch 3 on: the same LRs as a OneCycleLR built for 8 epochs
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=3e-3)
    ref = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=8 * STEPS, pct_start=0.25,
                                              div_factor=25.0, final_div_factor=1e3, cycle_momentum=False)
    expected = []
    for _ in range(8 * STEPS):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        ref.step()
    assert lrs.lrs[2 * STEPS:] == pytest.approx(expected[2 * STEPS:], rel=1e-9)


def test_job_cosine_annealing_sized_to_the_run_is_refit(write_job, tmp_path):
    path = write_job(JOB + "\ndef scheduler(optimizer):\n"
                     "    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=50)\n")
    result = trainer(path, tmp_path / "run").fit()
    assert result.status == "finished" and len(result.history) == 8
    assert result.budget["schedule"] == "re-fit"
    ckpt = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert ckpt["scheduler"]["T_max"] == 8 and ckpt["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_a_schedule_that_cannot_be_refit_is_cut_short_and_says_so(write_job, tmp_path):
    path = write_job(JOB + "\ndef scheduler(optimizer):\n"
                     "    return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)\n")
    result = trainer(path, tmp_path / "run").fit()
    assert len(result.history) == 8 and result.status == "stopped_early"
    assert "cut short" in result.stop_reason and "ExponentialLR" in result.stop_reason
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["budget"]["schedule"] == "cut short (ExponentialLR)"
    assert run["settings"]["epochs"] == 50, "the schedule was built for the cap"


def test_cli_warns_when_the_schedule_is_cut_short(write_job, tmp_path):
    path = write_job(JOB.replace('"time_budget_s": 10.0', '"epochs": 1000') + "\ndef scheduler(optimizer):\n"
                     "    return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.999)\n")
    res = CliRunner().invoke(app, ["fit", str(path), "--out", str(tmp_path / "run"), "--quiet",
                                   "--no-monitor", "--time-budget", "0.5"])
    assert res.exit_code == 0, res.output
    assert "warning" in res.output and "cut short" in res.output
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["budget"]["seconds"] == 0.5 and len(run["history"]) < 1000


def test_without_a_budget_or_with_an_ample_one_the_run_trains_every_epoch(job, tmp_path):
    settings = {"epochs": 4}
    none = trainer(job, tmp_path / "none", time_budget_s=None, **settings).fit()
    ample = trainer(job, tmp_path / "ample", time_budget_s=1000.0, **settings).fit()
    for result in (none, ample):
        assert result.status == "finished" and len(result.history) == 4 and result.stop_reason is None
    assert none.budget is None and json.loads((tmp_path / "none" / "run.json").read_text())["budget"] is None
    assert ample.budget["planned_epochs"] == 4 and ample.budget["schedule"] == "re-fit"
    # the same schedule and the same weights: an ample budget changes nothing
    for key, value in none.model.state_dict().items():
        assert torch.equal(value, ample.model.state_dict()[key]), key


def test_running_late_shrinks_the_plan(job, tmp_path):
    class SlowDown(FakeClock):
        def batch_end(self, state) -> None:   # from epoch 4 on, epochs take 2 s
            super().batch_end(state)
            if state.epoch >= 3:
                self.t += self.dt

    result = trainer(job, tmp_path / "run", clock=SlowDown(), time_budget_s=14.0).fit()
    # plan after epoch 2: 2 + (14 - 4) = 12; epochs 4.. take 2 s: the plan shrinks, never grows
    assert len(result.history) < 12
    assert result.final["wall_s"] <= 14.0 + 2.0
    assert result.budget["planned_epochs"] == len(result.history)


def test_real_clock_stops_within_budget_plus_one_epoch(job, tmp_path):
    t = Trainer(load_job(job), tmp_path / "run", settings={"time_budget_s": 1.5, "epochs": 10_000,
                                                          "deterministic": False})
    result = t.fit()
    walls = [0.0] + [row["wall_s"] for row in result.history]
    epoch_times = [b - a for a, b in itertools.pairwise(walls)]
    assert result.status == "finished"
    assert 2 <= len(result.history) == result.budget["planned_epochs"] < 10_000
    assert result.final["wall_s"] <= 1.5 + max(epoch_times) + 1e-6
    assert result.stop_reason.startswith(f"time budget: planned {len(result.history)} epochs of 10000")


def test_kill_and_resume_keeps_the_plan_and_is_bit_identical(job, tmp_path, monkeypatch):
    from danfang.engine.checkpoint_writer import CheckpointWriter
    monkeypatch.setattr(CheckpointWriter, "share_inverse", 0.0)   # a checkpoint every epoch
    ref = trainer(job, tmp_path / "ref").fit()

    with pytest.raises(Killed):
        trainer(job, tmp_path / "killed", callbacks=[KillAt(epoch=4)]).fit()
    ckpt = load_checkpoint(tmp_path / "killed" / "checkpoints" / "last.pt")
    assert ckpt["epoch"] == 3 and ckpt["budget"]["planned"] == 8
    assert ckpt["scheduler"]["lr_lambdas"][0]["total"] == 8 * STEPS

    # the resumed session has no warm-up on this clock: the same epoch times, the same plan
    resumed = trainer(job, tmp_path / "killed", resume=True).fit()
    assert resumed.status == "finished" and len(resumed.history) == 8
    assert resumed.budget == ref.budget
    for key, value in ref.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
    for a, b in zip(ref.history, resumed.history):
        assert (a["train_loss"], a["val_loss"], a["lr"], a["wall_s"]) == \
            (b["train_loss"], b["val_loss"], b["lr"], b["wall_s"])


def test_resume_after_the_planned_end_trains_nothing_more(job, tmp_path):
    trainer(job, tmp_path / "run").fit()
    again = trainer(job, tmp_path / "run", resume=True).fit()
    assert again.status == "finished" and len(again.history) == 8
    assert again.stop_reason.startswith("time budget: planned 8 epochs of 50")


def test_plan_rules():
    plan = EpochPlan(seconds=10.0, max_epochs=50, planned=50)
    # a slow first epoch alone never ends the run: at least 2 epochs while budget is left
    assert plan.after_epoch(1, 9.0, 9.0, None) == 2
    assert plan.after_epoch(2, 9.5, 0.5, None) == 3          # planned from epoch 2's time
    assert plan.after_epoch(3, 9.6, 0.1, 0.3) == 3           # early: never grows after epoch 2
    plan = EpochPlan(seconds=10.0, max_epochs=5, planned=5)
    assert plan.after_epoch(1, 1.0, 1.0, None) == 5          # capped
    plan = EpochPlan(seconds=10.0, max_epochs=50, planned=50)
    assert plan.after_epoch(1, 11.0, 11.0, None) == 1        # budget spent in epoch 1: stop


@pytest.mark.parametrize("bad", [0, -3, "60", True, float("nan"), float("inf")])
def test_bad_budget_is_a_clear_error(write_job, tmp_path, bad):
    path = write_job(JOB.replace('"time_budget_s": 10.0', f'"time_budget_s": {bad!r}'.replace("nan", "float('nan')")
                                 .replace("inf", "float('inf')")))
    with pytest.raises(JobError, match=r"settings\['time_budget_s'\] = .* is not valid.*time_budget_s must be a number > 0"):
        load_job(path)
    with pytest.raises(UsageError, match=r"time_budget_s"):
        Trainer(load_job(write_job(JOB, name="ok.py")), tmp_path / "run", settings={"time_budget_s": bad})


def test_cli_time_budget_flag(write_job, tmp_path):
    path = write_job(JOB.replace(', "time_budget_s": 10.0', ""))
    bad = CliRunner().invoke(app, ["fit", str(path), "--out", str(tmp_path / "bad"), "--quiet", "--time-budget", "0"])
    assert bad.exit_code == 2 and "time_budget_s" in bad.output
    assert not (tmp_path / "bad" / "run.json").exists()
    assert "--time-budget" in CliRunner().invoke(app, ["fit", "--help"], env={"COLUMNS": "200"}).output


class PlannedSteps(Callback):
    """What the training monitor takes as the run's length, at every epoch's end."""

    def __init__(self, monitor) -> None:
        self.monitor, self.seen = monitor, []

    def epoch_end(self, state) -> None:
        self.seen.append((state.epochs * state.steps_per_epoch, self.monitor.watch.history.total_steps))


def test_the_training_monitor_follows_the_plan(job, tmp_path):
    """update_ratio_low stays quiet in the last quarter of a run, where schedules anneal the LR
    on purpose: with a budget, that is the last quarter of the planned run, not of the cap."""
    from danfang.checks.training import TrainingMonitor

    monitor = TrainingMonitor()
    seen = PlannedSteps(monitor)
    result = trainer(job, tmp_path / "run", callbacks=[monitor, seen]).fit()
    planned = result.budget["planned_epochs"] * STEPS
    assert planned < 50 * STEPS
    assert seen.seen[0][1] == 50 * STEPS  # epoch 1 ran before any plan: the cap
    assert seen.seen[-1][1] == planned and all(total == planned for _, total in seen.seen[2:])
