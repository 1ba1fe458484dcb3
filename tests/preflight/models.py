"""Small healthy models and data for the preflight tests, and a helper to run one check."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from danfang.checks.base import Check
from danfang.checks.preflight import run_checks
from danfang.checks.preflight._context import PreflightContext
from danfang.checks.preflight._sources import context_from_objects
from danfang.findings import Finding


def blobs(n: int = 256, d: int = 8, c: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Well-separated Gaussian classes."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(c, d, generator=g) * 3
    y = torch.randint(0, c, (n,), generator=g)
    return centers[y] + torch.randn(n, d, generator=g), y


def signals(n: int = 256, length: int = 16, c: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """1-channel signals whose class is the position of a bump, (n, 1, length)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, c, (n,), generator=g)
    x = 0.3 * torch.randn(n, 1, length, generator=g)
    pos = (y * (length // c) + 2).long()
    x[torch.arange(n), 0, pos] += 3.0
    return x, y


def regression(n: int = 256, d: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    w = torch.randn(d, 1, generator=g)
    return x, torch.tanh(x @ w) + 0.05 * torch.randn(n, 1, generator=g)


def mlp(d: int = 8, c: int = 3, hidden: int = 32, act: type[nn.Module] = nn.ReLU) -> nn.Module:
    return nn.Sequential(nn.Linear(d, hidden), act(), nn.Linear(hidden, hidden), act(), nn.Linear(hidden, c))


def cnn(c: int = 4, length: int = 16) -> nn.Module:
    return nn.Sequential(nn.Conv1d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv1d(8, 8, 3, padding=1), nn.ReLU(),
                         nn.Flatten(), nn.Linear(8 * length, c))


def bn_mlp(d: int = 8, c: int = 3, hidden: int = 32) -> nn.Module:
    """BatchNorm between layers, Dropout only after the last BatchNorm (the healthy order)."""
    return nn.Sequential(nn.Linear(d, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                         nn.Dropout(0.2), nn.Linear(hidden, c))


def regressor(d: int = 4) -> nn.Module:
    return nn.Sequential(nn.Linear(d, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))


#: name -> (model factory, data factory): the healthy set every check must stay quiet on.
HEALTHY = {"mlp": (mlp, blobs), "cnn": (cnn, signals), "batchnorm": (bn_mlp, blobs),
           "regression": (regressor, regression)}


def context(model: nn.Module, data: Any, loss_fn: Any = None, optimizer: Any = None,
            scheduler: Any = None, **settings: Any) -> PreflightContext:
    torch.manual_seed(0)
    return context_from_objects(model, data, loss_fn, optimizer, scheduler, task=None,
                                settings=settings or None)


def run(check: type[Check], model: nn.Module, data: Any, loss_fn: Any = None, optimizer: Any = None,
        scheduler: Any = None, **settings: Any) -> list[Finding]:
    """Run the single check ``check`` as the preflight runner would."""
    return run_checks(context(model, data, loss_fn, optimizer, scheduler, **settings), [check])


def codes(findings: list[Finding], severities: tuple[str, ...] = ("error", "warning")) -> list[str]:
    return [f.code for f in findings if f.severity in severities]
