"""On CUDA the trainer uses bf16 autocast and channels_last and keeps the data on the device."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from danfang.engine.callback import Callback
from danfang.engine.trainer import Trainer
from danfang.job import load_job

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]

IMAGE_JOB = '''
import torch
from torch import nn

def model():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))

def data():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(256, 3, 16, 16, generator=g), torch.randint(0, 4, (256,), generator=g)
    return (x, y), (x[:64], y[:64])

settings = {"batch_size": 64, "epochs": 1}
'''


class Seen(Callback):
    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def after_loss(self, state) -> None:
        x = state.batch[0]
        self.seen.append((x.device.type, x.is_contiguous(memory_format=torch.channels_last),
                          state.outputs.dtype))


def test_bf16_channels_last_and_data_on_device(write_job, tmp_path):
    seen = Seen()
    trainer = Trainer(load_job(write_job(IMAGE_JOB)), tmp_path / "run", callbacks=[seen], checkpoint=False)
    result = trainer.fit()
    assert trainer.autocast and trainer.channels_last
    assert trainer.train_split.x.device.type == "cuda"
    assert set(seen.seen) == {("cuda", True, torch.bfloat16)}
    conv = next(m for m in result.model.modules() if isinstance(m, nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
