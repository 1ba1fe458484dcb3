"""Full-batch LBFGS on a small regression (optimizer(params) returns torch.optim.LBFGS,
which needs step(closure))."""
import torch
from torch import nn
from _gen import split

EXPECTED_TASK = "regression"


def _data(n=1000):
    g = torch.Generator().manual_seed(9)
    x = torch.rand(n, 3, generator=g) * 2 - 1
    y = (torch.sin(3 * x[:, :1]) + x[:, 1:2] * x[:, 2:3]) + 0.05 * torch.randn(n, 1, generator=g)
    return x, y


def model():
    return nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 1))


def data():
    return split(*_data(), 200)


def optimizer(params):
    return torch.optim.LBFGS(params, lr=1.0, max_iter=20, history_size=10, line_search_fn="strong_wolfe")


settings = {"batch_size": 800, "epochs": 15, "seed": 0}
