"""Every registered preflight check on healthy models stays quiet, leaves the caller's
state alone, and turns a crash into an ``info`` finding."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn

import danfang
from danfang.checks.base import registered_checks
from danfang.checks.preflight import run_checks
from danfang.checks.preflight.no_gradient import NoGradient
from danfang.findings import CODES
from danfang.recipes import get_recipe

from tests.preflight.models import HEALTHY, blobs, codes, context, mlp

PREFLIGHT_CODES = sorted(c for c, (phase, _) in CODES.items() if phase == "preflight")


def test_every_preflight_code_has_exactly_one_check():
    found = sorted(cls.code for cls in registered_checks("preflight"))
    assert found == PREFLIGHT_CODES


@pytest.mark.parametrize("name", sorted(HEALTHY))
def test_every_check_is_quiet_on_a_healthy_model(name):
    make_model, make_data = HEALTHY[name]
    model = make_model()
    task = "regression" if name == "regression" else "classification"
    settings = {"batch_size": 32, "epochs": 20, "monitor": "val_loss", "task": task}
    opt, sched, _ = get_recipe("plateau").build(model, settings, steps_per_epoch=8, epochs=20)
    findings = run_checks(context(model, make_data(), None, opt, sched, **settings))
    loud = [(f.code, f.severity, f.message) for f in findings if f.severity != "info"]
    assert loud == []
    assert [f for f in findings if f.severity == "info"] == []


def test_preflight_leaves_model_optimizer_and_random_state_alone():
    model = mlp()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x, y = blobs()
    nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    opt_state = {k: v.clone() for k, v in opt.state[next(iter(model.parameters()))].items()}
    model.train()
    threads = torch.get_num_threads()

    danfang.preflight(model, (x, y), nn.CrossEntropyLoss(), opt)

    for k, v in model.state_dict().items():
        assert torch.equal(v, weights[k]), k
    for k, v in opt.state[next(iter(model.parameters()))].items():
        assert torch.equal(v, opt_state[k]), k
    assert model.training and torch.get_num_threads() == threads and torch.is_grad_enabled()
    assert "apply" in torch.autograd.Function.__dict__
    assert torch.autograd.Function.__dict__["apply"].__func__.__module__ == "torch.autograd.function"


def test_random_streams_continue_exactly_as_without_preflight():
    x, y = blobs()
    model = mlp()
    torch.manual_seed(1)
    np.random.seed(1)
    random.seed(1)
    danfang.preflight(model, (x, y))
    after = (torch.rand(4).tolist(), np.random.rand(2).tolist(), random.random())
    torch.manual_seed(1)
    np.random.seed(1)
    random.seed(1)
    assert after == (torch.rand(4).tolist(), np.random.rand(2).tolist(), random.random())


def test_a_crashing_check_becomes_an_info_finding(monkeypatch):
    def boom(self, ctx):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(NoGradient, "run", boom)
    findings = run_checks(context(mlp(), blobs()), [NoGradient])
    assert [(f.code, f.severity) for f in findings] == [("no_gradient", "info")]
    assert "kaboom" in findings[0].message and findings[0].phase == "preflight"


class TwoInputs(nn.Module):
    """Several inputs, passed as a dict batch."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.head = nn.Linear(8, 16), nn.Linear(4, 16), nn.Linear(16, 3)

    def forward(self, image: torch.Tensor, meta: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.a(image) + self.b(meta)))


class NoOutputLayer(nn.Module):
    """No Linear/Conv layer at all: a learned prototype distance."""

    def __init__(self) -> None:
        super().__init__()
        self.protos = nn.Parameter(torch.randn(3, 8))
        self.scale = nn.Parameter(torch.tensor(0.01))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return -self.scale * torch.cdist(x, self.protos) ** 2


class DictDataset(torch.utils.data.Dataset):
    def __init__(self) -> None:
        self.x, self.y = blobs()
        self.meta = torch.randn(len(self.y), 4)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return {"image": self.x[i], "meta": self.meta[i]}, self.y[i]


@pytest.mark.parametrize("make_model,data", [(TwoInputs, DictDataset), (NoOutputLayer, blobs)],
                         ids=["dict-inputs", "no-output-layer"])
def test_unusual_models_never_crash_and_stay_quiet(make_model, data):
    findings = danfang.preflight(make_model(), data())
    assert codes(findings) == []
    assert all("could not run" not in f.message for f in findings), [f.message for f in findings]


def test_a_model_returning_no_tensor_gets_info_findings_not_a_crash():
    class Weird(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(8, 3)

        def forward(self, x):
            self.lin(x)
            return {"note": "nothing here"}

    findings = run_checks(context(Weird(), blobs(), loss_fn=lambda out, y: torch.tensor(0.0),
                                  task="classification", num_classes=3))
    assert findings and {f.severity for f in findings} == {"info"}
    assert any("does not apply" in f.message for f in findings)


def test_a_dict_output_with_a_loss_that_reads_the_dict_works_like_the_trainer():
    class DictOut(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = mlp()

        def forward(self, x):
            return {"logits": self.net(x), "features": x}

    def loss(out, y):
        return nn.functional.cross_entropy(out["logits"], y)

    findings = danfang.preflight(DictOut(), blobs(), loss, settings={"num_classes": 3})
    assert findings == []
    summed = danfang.preflight(DictOut(), blobs(), lambda out, y: loss(out, y) * len(y),
                               settings={"num_classes": 3})
    assert codes(summed) == ["loss_reduction_sum"]  # init loss is judged per sample: not flagged twice
