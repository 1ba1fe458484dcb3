"""The Lightning callback (skipped when Lightning is not installed)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

pl = pytest.importorskip("lightning.pytorch", reason="PyTorch Lightning is not installed "
                         '(pip install "danfang[lightning]")')

from danfang.integrations.lightning import DanfangCallback  # noqa: E402


class Blobs(pl.LightningModule):
    def __init__(self, bias: float = 0.0, lr: float = 0.02) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))
        with torch.no_grad():
            self.net[0].bias.fill_(bias) if bias else None
        self.lr = lr

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(self.net(x), y)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)


def _fit(module: pl.LightningModule) -> DanfangCallback:
    g = torch.Generator().manual_seed(0)
    centers = torch.randn(3, 8, generator=g) * 3
    y = torch.randint(0, 3, (640,), generator=g)
    x = centers[y] + torch.randn(640, 8, generator=g)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)
    cb = DanfangCallback(cadence=5, verbose=False)
    trainer = pl.Trainer(max_epochs=3, callbacks=[cb], logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, accelerator="cpu")
    trainer.fit(module, loader)
    return cb


def test_lightning_healthy_is_quiet():
    cb = _fit(Blobs())
    assert cb.findings == [], cb.report()
    assert len(cb.series["loss"]) == 12


def test_lightning_planted_dying_relu():
    cb = _fit(Blobs(bias=-50.0))
    assert any(f.code == "dying_relu" and f.where == "net.1" for f in cb.findings), cb.report()
