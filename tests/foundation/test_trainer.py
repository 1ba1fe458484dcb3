"""The trainer: run directory, early stopping with restore-best, plateau stepping, seeds."""

from __future__ import annotations

import json

import pytest
import torch

from danfang.engine import Callback, Event
from danfang.engine.trainer import fit, next_run_dir
from danfang.job import load_job
from tests.conftest import HEALTHY_JOB


def test_fit_writes_run_json_with_history_and_environment(healthy_job, tmp_path):
    result = fit(healthy_job, tmp_path / "run")
    doc = json.loads((tmp_path / "run" / "run.json").read_text())
    assert doc["schema"] == 1 and doc["status"] == "finished"
    assert [r["epoch"] for r in doc["history"]] == [1, 2, 3]
    assert set(doc["history"][0]) >= {"epoch", "train_loss", "val_loss", "val_acc", "lr", "wall_s"}
    assert doc["best"]["val_loss"] == min(r["val_loss"] for r in doc["history"])
    assert doc["environment"]["torch"] == torch.__version__
    assert (tmp_path / "run" / "checkpoints" / "last.pt").exists()
    assert result.best["val_acc"] > 0.9, "separable blobs must be learned"


def test_same_seed_same_result_different_seed_different(healthy_job, tmp_path):
    a = fit(healthy_job, tmp_path / "a", settings={"deterministic": True})
    b = fit(healthy_job, tmp_path / "b", settings={"deterministic": True})
    c = fit(healthy_job, tmp_path / "c", settings={"seed": 7})
    assert a.history[-1]["val_loss"] == b.history[-1]["val_loss"]
    assert a.history[-1]["val_loss"] != c.history[-1]["val_loss"]


def test_early_stopping_restores_best_weights(write_job, tmp_path):
    # a constant absurd LR: val loss gets worse after the first epoch, so patience 2 stops early
    path = write_job(HEALTHY_JOB + '''
def optimizer(params):
    return torch.optim.SGD(params, lr=3.0)
settings = {"batch_size": 32, "epochs": 30, "seed": 0, "patience": 2}
''')
    result = fit(path, tmp_path / "run")
    assert result.status == "stopped_early"
    assert len(result.history) < 30
    best_epoch = result.best["epoch"]
    assert len(result.history) == best_epoch + 2
    job = load_job(path)
    # the returned model carries the best epoch's weights
    from danfang.engine.trainer import Trainer

    trainer = Trainer(job, tmp_path / "eval", checkpoint=False)
    state = trainer._build()
    state.model.load_state_dict(result.model.state_dict())
    assert trainer.evaluate(state, job.splits.val)["loss"] == pytest.approx(result.best["val_loss"], rel=1e-5)


def test_reduce_on_plateau_is_stepped_with_the_monitored_metric(write_job, tmp_path):
    path = write_job(HEALTHY_JOB + '''
def optimizer(params):
    return torch.optim.SGD(params, lr=0.1)
def scheduler(opt):
    return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=0, factor=0.5)
settings = {"batch_size": 32, "epochs": 4, "seed": 0, "monitor": "val_acc"}
''')
    seen = []

    class Spy(Callback):
        def eval_end(self, state):
            seen.append(state.metrics["val_acc"])

    result = fit(path, tmp_path / "run", callbacks=[Spy()])
    lrs = [r["lr"] for r in result.history]
    # mode=max on val_acc: the LR halves exactly after epochs whose accuracy did not improve
    best = -1.0
    for i, acc in enumerate(seen[:-1]):
        halved = lrs[i + 1] == pytest.approx(lrs[i] / 2)
        assert halved == (acc <= best), (seen, lrs)
        best = max(best, acc)


def test_callbacks_see_events_in_order(healthy_job, tmp_path):
    events = []

    class Recorder(Callback):
        pass

    for ev in Event:
        setattr(Recorder, ev.value, lambda self, state, ev=ev: events.append(ev.value))
    fit(healthy_job, tmp_path / "run", epochs=1, callbacks=[Recorder()])
    assert events[0] == "fit_start" and events[-1] == "fit_end"
    first_epoch = events[1:events.index("epoch_end") + 1]
    assert first_epoch[:5] == ["epoch_start", "batch_start", "after_loss", "after_backward", "batch_end"]
    assert first_epoch[-2:] == ["eval_end", "epoch_end"]


def test_next_run_dir_never_overwrites(healthy_job, tmp_path):
    job = load_job(healthy_job)
    first = next_run_dir(job, root=tmp_path)
    fit(job, first, epochs=1)
    second = next_run_dir(job, root=tmp_path)
    assert second != first and second.name == f"{job.name}-2"
    assert next_run_dir(job, root=tmp_path, resume=True) == first


def test_sample_weights_change_the_loss(healthy_job, tmp_path):
    job = load_job(healthy_job)
    job.splits.train.weights = torch.ones(len(job.splits.train))
    a = fit(job, tmp_path / "a", epochs=1)
    job.splits.train.weights = torch.where(job.splits.train.y == 0, 10.0, 0.1)
    b = fit(job, tmp_path / "b", epochs=1)
    assert a.history[0]["train_loss"] != b.history[0]["train_loss"]
