"""Tabular regression: sklearn's diabetes data (shipped with sklearn), standardised, MSE."""
import torch
from torch import nn

EXPECTED_TASK = "regression"


def data():
    from sklearn.datasets import load_diabetes
    d = load_diabetes()
    x = torch.tensor(d.data, dtype=torch.float32)
    x = (x - x.mean(0)) / x.std(0)
    y = torch.tensor(d.target, dtype=torch.float32)
    y = ((y - y.mean()) / y.std()).unsqueeze(1)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    x, y = x[perm], y[perm]
    return (x[:350], y[:350]), (x[350:], y[350:])


def model():
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3, weight_decay=1e-4)


settings = {"batch_size": 32, "epochs": 30, "seed": 0}
