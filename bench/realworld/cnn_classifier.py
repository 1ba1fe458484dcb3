"""Small CNN classifier on 8x8 digits upsampled to 16x16."""
import torch
from torch import nn
from _gen import digits, split

EXPECTED_TASK = "classification"


def model():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 16, 10))


def data():
    x, y = digits(16)
    return split(x, y, 400)


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


settings = {"batch_size": 64, "epochs": 10, "seed": 0}
