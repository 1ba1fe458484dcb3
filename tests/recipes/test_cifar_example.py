"""The CIFAR-10 example's training path on the CPU: its model (device augmentation in front of
the ResNet-18), its settings (a time budget that plans the epochs, flip TTA) and the trainer,
on a few images. The real benchmark needs a GPU (bench/accuracy_cifar10.py)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from danfang.engine.callback import Callback
from danfang.engine.trainer import Trainer
from danfang.job import load_job
from danfang.settings import validate_settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CIFAR = Path("/work/shared/data/cifar10-jpeg.tar.xz")

JOB = '''
import sys
sys.path.insert(0, {examples!r})
import torch
import cifar10_resnet18 as example

model = example.model

def data():
{data}

# the example's settings, with CPU-sized batches
settings = {{**example.settings, "batch_size": 8, "eval_batch_size": 8, "device": "cpu"}}
'''
SYNTHETIC = '''    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 3, 32, 32, generator=g), torch.randint(0, 10, (16,), generator=g)
    return (x[:8], y[:8]), (x[8:], y[8:])'''
REAL = '''    (xtr, ytr), (xte, yte) = example.data()
    return (xtr[:64], ytr[:64]), (xte[:32], yte[:32])'''


class Clock(Callback):
    """A fake clock: 1 s a training batch."""

    t = 0.0

    def __call__(self) -> float:
        return self.t

    def batch_end(self, state) -> None:
        self.t += 1.0


@pytest.fixture
def cleanup_modules():
    yield
    sys.modules.pop("cifar10_resnet18", None)
    sys.modules.pop("gpu_augment", None)
    while str(EXAMPLES) in sys.path:
        sys.path.remove(str(EXAMPLES))


def test_example_settings_use_a_time_budget_and_flip_tta():
    settings = validate_settings(_example_settings())
    assert settings["tta"] == "flip" and 0 < settings["time_budget_s"] < 60
    assert settings["epochs"] > 18, "epochs is the cap: the budget plans the run"


def _example_settings() -> dict:
    sys.path.insert(0, str(EXAMPLES))
    try:
        import cifar10_resnet18

        return dict(cifar10_resnet18.settings)
    finally:
        sys.path.remove(str(EXAMPLES))


def test_example_model_settings_and_trainer_on_a_few_images(write_job, tmp_path, one_thread, cleanup_modules):
    path = write_job(JOB.format(examples=str(EXAMPLES), data=SYNTHETIC))
    clock = Clock()
    # 1 batch an epoch = 1 s on the fake clock; a 3.5-s budget plans 3 of the 40 epochs
    trainer = Trainer(load_job(path), tmp_path / "run", callbacks=[clock], settings={"time_budget_s": 3.5})
    trainer.clock = clock
    result = trainer.fit()
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert result.status == "finished" and len(result.history) == 3
    assert run["budget"]["planned_epochs"] == 3 and run["budget"]["max_epochs"] == 40
    assert run["settings"]["tta"] == "flip" and run["recipe"] == "sgd-cosine"
    assert all(np.isfinite(row["val_loss"]) for row in result.history)


@pytest.mark.slow
@pytest.mark.skipif(not CIFAR.exists() and not os.environ.get("DANFANG_CIFAR10"), reason="no CIFAR-10 archive")
def test_example_on_real_cifar10_images(write_job, tmp_path, one_thread, cleanup_modules, monkeypatch):
    monkeypatch.setenv("DANFANG_CIFAR10", os.environ.get("DANFANG_CIFAR10", str(CIFAR)))
    path = write_job(JOB.format(examples=str(EXAMPLES), data=REAL))
    clock = Clock()
    # 8 batches an epoch = 8 s on the fake clock: a 20-s budget plans 2 epochs
    trainer = Trainer(load_job(path), tmp_path / "run", callbacks=[clock], settings={"time_budget_s": 20.0})
    trainer.clock = clock
    result = trainer.fit()
    assert result.status == "finished" and len(result.history) == 2
    x, _ = trainer.val_split.arrays(limit=4)
    assert tuple(x.shape) == (4, 3, 32, 32)
