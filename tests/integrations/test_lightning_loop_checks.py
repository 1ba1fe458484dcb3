"""The loop checks in the Lightning callback: healthy Lightning runs (its own zero_grad,
``optimizer.step(closure)``, sanity-check validation, dropout and BatchNorm) stay silent;
planted loop faults fire. Skipped when Lightning is not installed."""

from __future__ import annotations

import pytest
import torch
from torch import nn

pl = pytest.importorskip("lightning.pytorch", reason="PyTorch Lightning is not installed "
                         '(pip install "danfang[lightning]")')

from danfang.integrations.lightning import DanfangCallback  # noqa: E402
from tests.conftest import blobs  # noqa: E402


class Classifier(pl.LightningModule):
    """Blobs classifier with dropout and BatchNorm; ``manual`` steps by hand, ``zero`` decides
    whether that hand-written step clears the gradients."""

    def __init__(self, lr: float = 0.05, manual: bool = False, zero: bool = True, call_self: bool = False) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(8, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 3))
        self.lr, self.zero, self.call_self = lr, zero, call_self
        self.automatic_optimization = not manual

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = nn.functional.cross_entropy(self(x) if self.call_self else self.net(x), y)
        if self.automatic_optimization:
            return loss
        opt = self.optimizers()
        if self.zero:
            opt.zero_grad()
        self.manual_backward(loss)
        opt.step()
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", nn.functional.cross_entropy(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)


class Regressor(pl.LightningModule):
    """One output unit against a 1-D target: ``squeeze`` False plants the broadcast."""

    def __init__(self, squeeze: bool) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
        self.squeeze, self.loss_fn = squeeze, nn.MSELoss()

    def training_step(self, batch, batch_idx):
        x, t = batch
        out = self.net(x)
        return self.loss_fn(out.squeeze(-1) if self.squeeze else out, t)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def _loader(x, y, shuffle=True):
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=shuffle,
                                       generator=torch.Generator().manual_seed(0))


def _fit(module: pl.LightningModule, data=None, validate: bool = False, epochs: int = 3) -> DanfangCallback:
    x, y = data if data is not None else blobs(640)
    cb = DanfangCallback(cadence=5, verbose=False)
    trainer = pl.Trainer(max_epochs=epochs, callbacks=[cb], logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
                         num_sanity_val_steps=2 if validate else 0, limit_val_batches=3 if validate else 0)
    trainer.fit(module, _loader(x, y), _loader(x[:96], y[:96], shuffle=False) if validate else None)
    return cb


def _loud(cb: DanfangCallback) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in cb.findings if f.severity != "info"]


@pytest.mark.parametrize("call_self", [False, True], ids=["self.net(x)", "self(x)"])
def test_healthy_lightning_run_with_validation_is_quiet(call_self):
    cb = _fit(Classifier(call_self=call_self), validate=True)
    assert _loud(cb) == []
    observer = cb.loop.observer
    assert observer.record.steps == 60 and observer.record.optimizers
    assert sum(m.nograd_forwards for m in observer.record.models.values()) >= 2 + 3 * 3  # sanity check + 3 epochs


def test_healthy_manual_optimization_is_quiet():
    assert _loud(_fit(Classifier(manual=True))) == []


def test_manual_optimization_without_zero_grad_fires():
    cb = _fit(Classifier(manual=True, zero=False))
    found = {f.code: f for f in cb.findings}
    assert "grad_not_cleared" in found, cb.report()
    assert found["grad_not_cleared"].severity == "error"


def test_zero_learning_rate_fires_step_changes_nothing():
    assert "step_changes_nothing" in {f.code for f in _fit(Classifier(lr=0.0)).findings}


@pytest.mark.parametrize("planted", [True, False])
def test_loss_shape_broadcast(planted):
    torch.manual_seed(0)
    x = torch.randn(320, 8)
    t = x.sum(1)
    if planted:
        with pytest.warns(UserWarning):
            cb = _fit(Regressor(squeeze=False), data=(x, t), epochs=2)
    else:
        cb = _fit(Regressor(squeeze=True), data=(x, t), epochs=2)
    assert ("loss_shape_broadcast" in {f.code for f in cb.findings}) == planted, cb.report()


def test_fit_end_removes_the_global_hooks():
    from torch.nn.modules import module as M

    before = len(M._global_forward_pre_hooks)
    _fit(Classifier(), epochs=1)
    assert len(M._global_forward_pre_hooks) == before


class SoftmaxIntoCrossEntropy(Classifier):
    """A planted fault: probabilities fed to a loss that applies log-softmax itself."""

    def training_step(self, batch, batch_idx):
        x, y = batch
        return nn.functional.cross_entropy(torch.softmax(self.net(x), dim=1), y)


def test_probabilities_into_cross_entropy_fires_inside_the_closure():
    cb = _fit(SoftmaxIntoCrossEntropy(), validate=True)
    found = {f.code: f for f in cb.findings}
    assert found.get("probabilities_to_logit_loss") and found["probabilities_to_logit_loss"].severity == "error", \
        cb.report()
