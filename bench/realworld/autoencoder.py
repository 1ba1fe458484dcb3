"""Autoencoder on 8x8 digits: sigmoid output, MSE to the input (the target is the input)."""
import torch
from torch import nn
from _gen import digits

EXPECTED_TASK = "reconstruction"


def model():
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 12), nn.ReLU(),
                         nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 64), nn.Sigmoid())


def data():
    x, _ = digits(8)
    x = x.flatten(1)
    return (x[:-400], x[:-400]), (x[-400:], x[-400:])


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"batch_size": 64, "epochs": 20, "seed": 0}
