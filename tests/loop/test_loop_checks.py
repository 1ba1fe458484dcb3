"""Each loop check: a planted fault in a small plain PyTorch loop fires it, the healthy twin does not."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from danfang.loop import LoopObserver
from tests.conftest import blobs


def _net(dropout: bool = False) -> nn.Module:
    torch.manual_seed(0)
    layers = [nn.Linear(8, 32), nn.ReLU()] + ([nn.Dropout(0.2)] if dropout else []) + [nn.Linear(32, 3)]
    return nn.Sequential(*layers)


def _codes(obs: LoopObserver) -> set[str]:
    return {f.code for f in obs.findings}


def _train(model=None, opt=None, steps=30, zero=True, eval_every=0, val_eval=True, retrain=True,
           replace_model=False, freeze=False, accumulate=1):
    x, y = blobs()
    model = model or _net(dropout=True)
    if freeze:
        model.requires_grad_(False)
    opt = opt or torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    if replace_model:
        model = _net(dropout=True)
    loss_fn = nn.CrossEntropyLoss()
    with LoopObserver(cadence=5) as obs:
        for i in range(steps):
            j = (i * 32) % (len(x) - 32)
            if zero and i % accumulate == 0:
                opt.zero_grad()
            out = model(x[j:j + 32])
            loss = loss_fn(out, y[j:j + 32])
            if freeze:
                loss = loss + 0 * out.sum()
            if not freeze or loss.requires_grad:
                (loss / accumulate).backward() if loss.requires_grad else None
            if (i + 1) % accumulate == 0:
                opt.step()
            if eval_every and (i + 1) % eval_every == 0:
                if val_eval:
                    model.eval()
                with torch.no_grad():
                    for k in range(3):
                        loss_fn(model(x[k * 32:(k + 1) * 32]), y[k * 32:(k + 1) * 32])
                if retrain:
                    model.train()
    return obs


def test_healthy_loop_is_quiet_and_summarised():
    obs = _train(eval_every=10)
    assert obs.findings == [], [f.message for f in obs.findings]
    s = obs.summary()
    assert s["steps"] == 30 and s["validation_passes"] == 3
    assert s["models"][0]["name"] == "Sequential" and s["optimizers"][0]["name"] == "SGD"
    assert len(s["loss_curve"]) == 30 and s["loss_curve"][-1] < s["loss_curve"][0]
    assert s["losses"]["CrossEntropyLoss"] > 30


def test_detach_is_idempotent_and_removes_hooks():
    obs = LoopObserver().attach()
    obs.detach()
    obs.detach()
    _net()(torch.zeros(2, 8))
    assert obs.record.models == {}


@pytest.mark.parametrize("planted", [True, False])
def test_grad_not_cleared(planted):
    obs = _train(zero=not planted)
    assert ("grad_not_cleared" in _codes(obs)) == planted


@pytest.mark.parametrize("set_to_none", [True, False])
def test_deliberate_accumulation_is_not_grad_not_cleared(set_to_none):
    x, y = blobs()
    model = _net()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    with LoopObserver(cadence=5) as obs:
        for i in range(40):
            if i % 4 == 0:
                opt.zero_grad(set_to_none=set_to_none)
            (nn.functional.cross_entropy(model(x[i * 8:(i + 1) * 8]), y[i * 8:(i + 1) * 8]) / 4).backward()
            if (i + 1) % 4 == 0:
                opt.step()
    assert "grad_not_cleared" not in _codes(obs)


@pytest.mark.parametrize("planted", [True, False])
def test_step_in_eval_mode(planted):
    obs = _train(eval_every=5, retrain=not planted)
    assert ("step_in_eval_mode" in _codes(obs)) == planted


@pytest.mark.parametrize("planted", [True, False])
def test_eval_in_train_mode(planted):
    obs = _train(eval_every=10, val_eval=not planted)
    assert ("eval_in_train_mode" in _codes(obs)) == planted


@pytest.mark.parametrize("planted", [True, False])
def test_optimizer_not_holding_model(planted):
    obs = _train(replace_model=planted)
    assert ("optimizer_not_holding_model" in _codes(obs)) == planted
    assert "step_changes_nothing" not in _codes(obs)


def test_new_head_after_optimizer_names_the_unheld_layer():
    x, y = blobs()
    model = _net()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    model[2] = nn.Linear(32, 3)  # replaced after the optimizer was built
    with LoopObserver(cadence=5) as obs:
        for i in range(12):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[:32]), y[:32]).backward()
            opt.step()
    f = next(f for f in obs.findings if f.code == "optimizer_not_holding_model")
    assert f.evidence["unheld"] == ["2.weight", "2.bias"]


@pytest.mark.parametrize("planted", ["frozen", "lr0", None])
def test_step_changes_nothing(planted):
    x, y = blobs()
    model = _net()
    if planted == "frozen":
        model.requires_grad_(False)
    opt = torch.optim.SGD(model.parameters(), lr=0.0 if planted == "lr0" else 0.05)
    head = nn.Linear(3, 3)  # keeps the loss differentiable while the model is frozen
    with LoopObserver(cadence=5) as obs:
        for i in range(12):
            opt.zero_grad()
            nn.functional.cross_entropy(head(model(x[:32])), y[:32]).backward()
            opt.step()
    assert ("step_changes_nothing" in _codes(obs)) == (planted is not None)


@pytest.mark.parametrize("planted", [True, False])
def test_loss_shape_broadcast(planted):
    torch.manual_seed(0)
    x = torch.randn(256, 8)
    t = x.sum(1)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    with LoopObserver(cadence=5) as obs, pytest.warns(UserWarning) if planted else _nothing():
        for i in range(10):
            opt.zero_grad()
            out = model(x[i * 16:(i + 1) * 16])
            loss_fn(out if planted else out.squeeze(-1), t[i * 16:(i + 1) * 16]).backward()
            opt.step()
    assert ("loss_shape_broadcast" in _codes(obs)) == planted


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_training_checks_also_run_on_the_stepped_model():
    obs = _train(opt=None, steps=30)
    assert obs.also_training_checks is not None
    x, y = blobs()
    model = _net()
    opt = torch.optim.SGD(model.parameters(), lr=80.0, momentum=0.9)
    with LoopObserver(cadence=5) as obs:
        for i in range(40):
            opt.zero_grad()
            nn.CrossEntropyLoss()(model(x[:64]), y[:64]).backward()
            opt.step()
    assert {"loss_nan", "update_ratio_high", "exploding_gradients"} & _codes(obs), _codes(obs)
