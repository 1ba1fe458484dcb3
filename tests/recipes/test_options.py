"""The recipe options take effect in a real run: clipping, label smoothing, accumulation,
the linear LR scaling rule, and the ``danfang fit`` flags that set them."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from danfang.cli.app import app
from danfang.engine.callback import Callback
from danfang.engine.trainer import fit
from danfang.job import load_job
from danfang.recipes import Recipe, get_recipe

LINEAR_JOB = '''
import torch
from torch import nn

def model():
    return nn.Linear(6, 3)

def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 6, generator=g) * 5
    y = torch.randint(0, 3, (64,), generator=g)
    return (x, y), (x[:16], y[:16])

settings = {"batch_size": 16, "epochs": 2, "seed": 0}
'''


class Spy(Callback):
    """Records the loss function, the LR, and the global gradient norm each optimizer step sees."""

    def __init__(self) -> None:
        self.norms: list[float] = []
        self.loss_fn = None
        self.lr = None

    def fit_start(self, state) -> None:
        self.loss_fn, self.lr = state.loss_fn, state.lr
        params = [p for g in state.optimizer.param_groups for p in g["params"]]
        state.optimizer.register_step_pre_hook(lambda *_: self.norms.append(
            float(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in params])))))


def run(job_path, tmp_path, recipe=None, **settings):
    spy = Spy()
    result = fit(load_job(job_path), tmp_path / f"run{len(list(tmp_path.iterdir()))}", recipe=recipe,
                 settings=settings, checkpoint=False, callbacks=[spy])
    return result, spy


@pytest.fixture
def linear_job(write_job):
    return write_job(LINEAR_JOB)


def test_grad_clip_bounds_the_global_norm(linear_job, tmp_path):
    _, free = run(linear_job, tmp_path, "sgd-cosine")
    assert max(free.norms) > 1.0, "the unclipped job must have large gradients for this test"
    _, clipped = run(linear_job, tmp_path, "sgd-cosine", grad_clip=0.5)
    assert len(clipped.norms) == len(free.norms)
    # the pre-step hook sees the gradients after clipping
    assert max(clipped.norms) <= 0.5 + 1e-4


def test_label_smoothing_from_the_recipe_and_from_the_settings(linear_job, tmp_path):
    _, spy = run(linear_job, tmp_path, "one-cycle")
    assert spy.loss_fn.label_smoothing == pytest.approx(get_recipe("one-cycle").label_smoothing)
    _, spy = run(linear_job, tmp_path, "one-cycle", label_smoothing=0.2)
    assert spy.loss_fn.label_smoothing == pytest.approx(0.2)
    _, spy = run(linear_job, tmp_path, "adamw")
    assert spy.loss_fn.label_smoothing == 0.0


def test_accumulating_k_batches_of_b_equals_one_batch_of_k_times_b(linear_job, tmp_path):
    plain_sgd = Recipe("plain-sgd", "SGD, no momentum", optimizer="sgd", lr=0.05, momentum=0.0)
    big, spy_big = run(linear_job, tmp_path, plain_sgd, batch_size=64, restore_best=False)
    acc, spy_acc = run(linear_job, tmp_path, plain_sgd, batch_size=16, accumulate=4, restore_best=False)
    assert len(spy_big.norms) == len(spy_acc.norms) == 2, "one optimizer step an epoch"
    assert spy_acc.norms == pytest.approx(spy_big.norms, rel=1e-5)
    for a, b in zip(acc.model.parameters(), big.model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_linear_lr_scaling_in_a_run(linear_job, tmp_path):
    scaled = get_recipe("adamw").with_options(base_batch_size=8)
    _, spy = run(linear_job, tmp_path, scaled, batch_size=32, accumulate=2)
    assert spy.lr == pytest.approx(3e-4 * 32 * 2 / 8)


def test_fit_flags_reach_the_settings_and_the_recipe(linear_job, tmp_path):
    out = tmp_path / "cli"
    res = CliRunner().invoke(app, ["fit", str(linear_job), "--recipe", "adamw", "--out", str(out),
                                   "--quiet", "--no-monitor", "--epochs", "1", "--lr", "0.001",
                                   "--batch-size", "8", "--grad-clip", "2", "--label-smoothing",
                                   "0.05", "--accumulate", "2", "--scale-lr", "4"])
    assert res.exit_code == 0, res.output
    run_json = json.loads((out / "run.json").read_text())
    s = run_json["settings"]
    assert (s["lr"], s["batch_size"], s["grad_clip"], s["label_smoothing"], s["accumulate"]) == \
        (0.001, 8, 2.0, 0.05, 2)
    assert run_json["history"][0]["lr"] == pytest.approx(0.001 * 8 * 2 / 4)


def test_fit_flags_reject_bad_values(linear_job, tmp_path):
    res = CliRunner().invoke(app, ["fit", str(linear_job), "--accumulate", "0", "--out", str(tmp_path)])
    assert res.exit_code == 2
