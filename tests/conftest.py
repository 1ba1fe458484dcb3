"""Shared test helpers: write job files, tiny models and data."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)  # one torch thread in tests: the CI machine has 2 cores, shared


@pytest.fixture
def write_job(tmp_path: Path):
    """``write_job(body, name='job.py') -> Path``: write a job file into a temp folder."""

    def _write(body: str, name: str = "job.py") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(body))
        return path

    return _write


#: A healthy, small classification job (MLP on separable blobs); tests edit copies of it.
HEALTHY_JOB = '''
import torch
from torch import nn

def model():
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 3))

def data():
    g = torch.Generator().manual_seed(0)
    centers = torch.randn(3, 8, generator=g) * 3
    def split(n):
        y = torch.randint(0, 3, (n,), generator=g)
        x = centers[y] + torch.randn(n, 8, generator=g)
        return x, y
    return split(600), split(200)

settings = {"batch_size": 32, "epochs": 3, "seed": 0}
'''


@pytest.fixture
def healthy_job(write_job):
    return write_job(HEALTHY_JOB)


@pytest.fixture
def one_thread():
    """Tiny models run fastest, and steadiest on a shared machine, on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def blobs(n: int = 512, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three separable Gaussian blobs in 8 dimensions: ``(x, y)``."""
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(3, 8, generator=g) * 3
    y = torch.randint(0, 3, (n,), generator=g)
    return centers[y] + torch.randn(n, 8, generator=g), y


def monitored_loop(model: torch.nn.Module, lr: float, steps: int = 60, cadence: int = 5):
    """A user's own SGD loop on :func:`blobs` with ``danfang.Monitor`` added; returns the monitor."""
    import danfang

    x, y = blobs()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    mon = danfang.Monitor(model, opt, cadence=cadence)
    for i in range(steps):
        j = (i * 32) % (len(x) - 32)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x[j:j + 32]), y[j:j + 32])
        loss.backward()
        opt.step()
        mon.step(loss)
    mon.close()
    return mon
