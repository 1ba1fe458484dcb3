"""Exit codes that never lie (issue 13): 0 only for a finished run with no error finding; a
run whose loss goes NaN, that blew up, took no optimizer step or trained an optimizer that
holds none of the model is an error finding with a fix naming the cause, and exit 1."""

from __future__ import annotations

import pytest
import torch

from danfang.engine.callback import Callback
from danfang.engine.trainer import Trainer
from danfang.job import load_job

from tests.reliability.conftest import HEALTHY_JOB, assert_clean, cli

NAN_MODEL = HEALTHY_JOB + '''
class NanOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 3)
    def forward(self, x):
        return self.fc(x) * float("nan")
def model():
    return NanOut()
'''
NAN_LOSS = HEALTHY_JOB + '''
def loss():
    def log_of_zero(out, y):
        return torch.nn.functional.cross_entropy(out, y) + torch.log(torch.zeros(()))
    return log_of_zero
'''
BLOW_UP = HEALTHY_JOB.replace('"epochs": 3', '"epochs": 6') + '''
def optimizer(params):
    return torch.optim.SGD(params, lr=0.3, momentum=0.999)
'''
FOREIGN_OPTIMIZER = HEALTHY_JOB + '''
def optimizer(params):
    return torch.optim.SGD([torch.zeros(3, requires_grad=True)], lr=0.1)
'''


def errors(result) -> dict:
    return {(f.code, f.where): f for f in result.findings if f.severity == "error"}


def fit_quietly(path, tmp_path, callbacks=(), **settings):
    return Trainer(load_job(path), tmp_path / "run", callbacks=callbacks, settings=settings).fit()


def test_a_model_that_returns_nan_is_named_as_the_cause(write_job, tmp_path):
    res = fit_quietly(write_job(NAN_MODEL), tmp_path)
    f = errors(res)[("loss_nan", "model")]
    assert "before any update" in f.message and "lower learning rate will not help" in f.fix


def test_a_loss_that_returns_nan_is_named_as_the_cause(write_job, tmp_path):
    res = fit_quietly(write_job(NAN_LOSS), tmp_path)
    f = errors(res)[("loss_nan", "loss")]
    assert "Fix the loss" in f.fix and "log(0)" in f.fix


def test_a_blow_up_of_the_updates_is_an_error_whose_fix_is_the_learning_rate(write_job, tmp_path):
    res = fit_quietly(write_job(BLOW_UP), tmp_path)
    found = errors(res)
    assert ("loss_diverged", None) in found or ("loss_nan", None) in found, found
    assert all("learning rate" in f.fix for f in found.values())


def test_an_optimizer_over_foreign_tensors_is_an_error_and_training_stops(write_job, tmp_path):
    res = fit_quietly(write_job(FOREIGN_OPTIMIZER), tmp_path)
    f = errors(res)[("optimizer_not_holding_model", "optimizer")]
    assert "none of them among the model's 4 trainable parameters" in f.message
    assert "def optimizer(params)" in f.fix and len(res.history) == 1 and res.status == "stopped_early"


class SkipEveryStep(Callback):
    def after_backward(self, state):
        state.skip_step = True


def test_a_run_that_takes_no_optimizer_step_is_an_error_not_diverged(healthy_job, tmp_path):
    res = fit_quietly(healthy_job, tmp_path, callbacks=[SkipEveryStep()])
    f = errors(res)[("no_optimizer_step", None)]
    assert "No optimizer step was taken in 1 epoch(s)" in f.message and "never changed" in f.message
    assert res.status == "stopped_early" and "no optimizer step" in res.stop_reason
    assert res.history[0]["train_loss"] > 0, "the loss of the batches it saw, not NaN"


def test_the_healthy_twin_has_no_error_finding(healthy_job, tmp_path):
    res = fit_quietly(healthy_job, tmp_path)
    assert not errors(res) and res.status == "finished"


def test_accumulate_larger_than_an_epoch_steps_once_an_epoch_with_the_batches_it_has(healthy_job, tmp_path):
    """600 samples in batches of 32 make 19 batches; accumulate=100 steps once at each epoch's end."""
    steps = []

    class CountSteps(Callback):
        def batch_end(self, state):
            steps.append(state.optimizer_steps)

    job = load_job(healthy_job)
    before = {k: v.clone() for k, v in job.make_model().state_dict().items()}
    res = Trainer(job, tmp_path / "run", callbacks=[CountSteps()], settings={"accumulate": 100}).fit()
    assert steps == [1, 2, 3] and not errors(res)
    assert any(not torch.equal(before[k], v) for k, v in res.model.state_dict().items()), "the model trained"


def test_a_partial_accumulation_steps_with_the_mean_gradient_of_its_batches(write_job, tmp_path):
    """One epoch of 3 batches with accumulate=8 takes the same step as accumulate=3 would."""
    body = HEALTHY_JOB.replace('"epochs": 3', '"epochs": 1') + '''
def optimizer(params):
    return torch.optim.SGD(params, lr=0.1)
'''
    path = write_job(body.replace("split(600)", "split(96)"))
    partial = fit_quietly(path, tmp_path / "a", accumulate=8, restore_best=False).model.state_dict()
    full = fit_quietly(path, tmp_path / "b", accumulate=3, restore_best=False).model.state_dict()
    for k in full:
        torch.testing.assert_close(partial[k], full[k])


def test_batch_size_one_trains_without_batchnorm(write_job, tmp_path):
    path = write_job(HEALTHY_JOB.replace('"batch_size": 32, "epochs": 3', '"batch_size": 1, "epochs": 1')
                     .replace("split(600), split(200)", "split(40), split(20)"))
    res = fit_quietly(path, tmp_path)
    assert not errors(res) and res.history[0]["train_loss"] == res.history[0]["train_loss"]


@pytest.mark.parametrize("job,code", [(NAN_MODEL, 1), (FOREIGN_OPTIMIZER, 1), (HEALTHY_JOB, 0)],
                         ids=["nan_model", "foreign_optimizer", "healthy"])
def test_fit_exit_code_follows_the_error_findings_even_unmonitored(write_job, tmp_path, job, code):
    text = assert_clean(cli("fit", write_job(job), "--no-monitor", "--out", tmp_path / "run", "--quiet"), code)
    assert ("error" in text) == bool(code)


def test_doctor_exits_1_for_a_model_that_returns_nan(write_job, tmp_path):
    text = assert_clean(cli("doctor", write_job(NAN_MODEL), "--epochs", "1", "--budget", "20",
                            "--out", tmp_path / "doc", "--quiet"), 1)
    assert "loss_nan" in text
