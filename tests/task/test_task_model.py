"""The task model: what a job trains is read from its targets, output and loss (DESIGN §1),
and each task gets its own default loss, accuracy and baseline."""

from __future__ import annotations

import math

import pytest
import torch

from danfang.engine.trainer import Trainer
from danfang.errors import JobError
from danfang.job import load_job
from danfang.task import AccuracyMeter, constant_baseline, infer_task

pytestmark = pytest.mark.usefixtures("one_thread")

PER_POSITION = '''
import torch
from torch import nn

class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 16)
        self.out = nn.Conv1d(16, 4, 1)
    def forward(self, x):
        return self.out(self.emb(x).transpose(1, 2))      # (N, C=4, L)

def model():
    return Tagger()

def data():
    g = torch.Generator().manual_seed(0)
    def split(n):
        x = torch.randint(0, 20, (n, 12), generator=g)
        y = x % 4                                          # the tag is a function of the token
        y[:, -2:] = -100                                   # padding, ignored by the loss
        return x, y
    return split(256), split(128)

def loss():
    return nn.CrossEntropyLoss(ignore_index=-100)

settings = {"epochs": 3, "batch_size": 32, "seed": 0}
'''

SEGMENTATION = '''
import torch
from torch import nn

def model():
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 3, 1))   # (N, 3, H, W)

def data():
    g = torch.Generator().manual_seed(0)
    def split(n):
        x = torch.rand(n, 1, 8, 8, generator=g)
        y = (x[:, 0] * 3).long().clamp(max=2)              # (N, H, W) labels
        return x, y
    return split(128), split(64)

settings = {"epochs": 2, "batch_size": 32}
'''

BINARY = '''
import torch
from torch import nn

def model():
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))

def data():
    g = torch.Generator().manual_seed(0)
    def split(n):
        x = torch.randn(n, 4, generator=g)
        y = (x[:, :1] + x[:, 1:2] > 0).float()             # (N, 1) float 0/1
        return x, y
    return split(512), split(256)

def loss():
    return nn.BCEWithLogitsLoss()

settings = {"epochs": 3, "batch_size": 64}
'''

MULTILABEL = '''
import torch
from torch import nn

def model():
    return nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 5))

def data():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(6, 5, generator=g)
    def split(n):
        x = torch.randn(n, 6, generator=g)
        y = (x @ w > 0.5).float()                          # multi-hot (N, 5)
        return x, y
    return split(512), split(256)

settings = {"epochs": 2, "batch_size": 64}
'''


def _fit(write_job, body, tmp_path):
    job = load_job(write_job(body))
    trainer = Trainer(job, tmp_path / "run", quiet=True, checkpoint=False)
    result = trainer.fit()
    return trainer, result


def test_per_position_labels_with_ignore_index_load_and_report_accuracy(write_job, tmp_path):
    trainer, result = _fit(write_job, PER_POSITION, tmp_path)
    assert trainer.job.task == "classification" and trainer.job.num_classes == 4
    acc = result.history[-1]["val_acc"]
    assert acc is not None and acc > 0.9      # the padded positions are not counted


def test_segmentation_logits_with_pixel_labels_load(write_job, tmp_path):
    trainer, result = _fit(write_job, SEGMENTATION, tmp_path)
    assert trainer.job.task == "classification" and trainer.job.num_classes == 3
    assert 0.0 <= result.history[-1]["val_acc"] <= 1.0


def test_single_logit_bce_is_binary_with_accuracy(write_job, tmp_path):
    trainer, result = _fit(write_job, BINARY, tmp_path)
    assert trainer.job.task == "binary"
    assert result.history[-1]["val_acc"] > 0.85
    assert trainer.settings["chance_acc"] == pytest.approx(0.5, abs=0.1)
    assert trainer.settings["baseline_loss"] == pytest.approx(math.log(2), abs=0.02)


def test_multi_hot_targets_are_multilabel_with_bce_by_default(write_job, tmp_path):
    trainer, result = _fit(write_job, MULTILABEL, tmp_path)
    assert trainer.job.task == "multilabel"
    assert isinstance(trainer.job.make_loss(), torch.nn.BCEWithLogitsLoss)
    assert result.history[-1]["val_acc"] > trainer.settings["chance_acc"]


def test_float_labels_for_classification_still_rejected(write_job):
    body = BINARY.replace('settings = {', 'settings = {"task": "classification", ').replace(
        "def loss():\n    return nn.BCEWithLogitsLoss()\n", "")
    with pytest.raises(JobError, match="float targets"):
        load_job(write_job(body))


@pytest.mark.parametrize("loss, y, out, x, task", [
    (None, torch.randint(0, 3, (8,)), torch.zeros(8, 3), torch.zeros(8, 2), "classification"),
    (torch.nn.CrossEntropyLoss(), torch.randint(0, 3, (8, 5)), torch.zeros(8, 3, 5), None, "classification"),
    (None, torch.randint(0, 3, (8, 5)), torch.zeros(8, 5, 3), None, "classification"),
    (torch.nn.BCEWithLogitsLoss(), torch.ones(8), torch.zeros(8), None, "binary"),
    (torch.nn.BCEWithLogitsLoss(), torch.ones(8, 4), torch.zeros(8, 4), None, "multilabel"),
    (None, torch.eye(4)[torch.arange(8) % 4], torch.zeros(8, 4), None, "classification"),
    (None, torch.randn(8, 2), torch.zeros(8, 2), torch.randn(8, 3), "regression"),
    (torch.nn.MSELoss(), torch.full((8, 3), 0.5), torch.zeros(8, 3), torch.full((8, 3), 0.5), "reconstruction"),
    (lambda out, y: out.mean(), torch.randn(8), torch.zeros(8), torch.randn(8, 2), "other"),
])
def test_infer_task(loss, y, out, x, task):
    assert infer_task(x, y, out, loss) == task


def test_accuracy_skips_ignored_positions_and_handles_channel_last_logits():
    y = torch.tensor([[0, 1, -100]])
    out = torch.tensor([[[5.0, 0.0], [0.0, 5.0], [5.0, 0.0]]])  # (N, L, C)
    meter = AccuracyMeter("classification", torch.nn.CrossEntropyLoss())
    meter.add(out, y)
    assert meter.value() == 1.0


def test_constant_baseline_of_binary_is_the_base_rate_entropy():
    y = torch.tensor([1.0, 0.0, 0.0, 0.0])
    loss, acc = constant_baseline("binary", torch.nn.BCEWithLogitsLoss(), torch.zeros(4, 1), y.view(4, 1))
    p = 0.25
    assert loss == pytest.approx(-(p * math.log(p) + (1 - p) * math.log(1 - p)), rel=1e-4)
    assert acc == pytest.approx(0.75)


LBFGS_JOB = '''
import torch
from torch import nn

def model():
    return nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 1))

def data():
    g = torch.Generator().manual_seed(0)
    def split(n):
        x = torch.randn(n, 3, generator=g)
        return x, (x[:, :1] * 2 - x[:, 1:2]).tanh()
    return split(256), split(128)

def optimizer(params):
    return torch.optim.LBFGS(params, lr=0.5, max_iter=5)

settings = {"epochs": 3, "batch_size": 256}
'''


def test_lbfgs_job_trains_through_a_closure(write_job, tmp_path):
    trainer, result = _fit(write_job, LBFGS_JOB, tmp_path)
    losses = [row["val_loss"] for row in result.history]
    assert trainer.job.task == "regression"
    assert losses[-1] < 0.2 * trainer.settings["baseline_loss"]
