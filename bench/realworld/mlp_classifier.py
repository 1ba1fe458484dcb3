"""MLP classifier on 8x8 digits (flattened)."""
import torch
from torch import nn
from _gen import digits, split

EXPECTED_TASK = "classification"


def model():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def data():
    x, y = digits(8)
    return split(x.flatten(1), y, 400)


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


settings = {"batch_size": 64, "epochs": 15, "seed": 0}
