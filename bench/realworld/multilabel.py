"""Multi-label classifier: 8 logits, float multi-hot targets, BCEWithLogitsLoss (labels 5% noisy)."""
import torch
from torch import nn
from _gen import split

EXPECTED_TASK = "multilabel"


def _data(n=3000):
    g = torch.Generator().manual_seed(5)
    x = torch.randn(n, 16, generator=g)
    w = torch.randn(16, 8, generator=g)
    y = (x @ w > 0.5).float()
    flip = torch.rand(n, 8, generator=g) < 0.05
    return x, torch.where(flip, 1 - y, y)


def model():
    return nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 8))


def data():
    return split(*_data(), 600)


def loss():
    return nn.BCEWithLogitsLoss()


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"batch_size": 64, "epochs": 15, "seed": 0}
