"""Binary classifier with one logit (N, 1) and BCEWithLogitsLoss on float 0/1 targets."""
import torch
from torch import nn
from _gen import split

EXPECTED_TASK = "binary"


def _data(n=3000):
    g = torch.Generator().manual_seed(4)
    x = torch.randn(n, 10, generator=g)
    logit = 2 * x[:, 0] - 1.5 * x[:, 1] * x[:, 2] + x[:, 3]
    y = (torch.rand(n, generator=g) < torch.sigmoid(2 * logit)).float().unsqueeze(1)
    return x, y


def model():
    return nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 1))


def data():
    return split(*_data(), 600)


def loss():
    return nn.BCEWithLogitsLoss()


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"batch_size": 64, "epochs": 15, "seed": 0}
