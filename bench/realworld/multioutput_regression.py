"""Multi-output regression: 3 smooth targets of 8 inputs plus noise (noise floor 0.01)."""
import torch
from torch import nn
from _gen import split

EXPECTED_TASK = "regression"


def _data(n=3000):
    g = torch.Generator().manual_seed(6)
    x = torch.rand(n, 8, generator=g) * 2 - 1
    y = torch.stack([torch.sin(2 * x[:, 0]) + x[:, 1], x[:, 2] * x[:, 3], torch.cos(x[:, 4] + x[:, 5])], 1)
    return x, y + 0.1 * torch.randn(y.shape, generator=g)


def model():
    return nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 3))


def data():
    return split(*_data(), 600)


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"batch_size": 64, "epochs": 20, "seed": 0}
