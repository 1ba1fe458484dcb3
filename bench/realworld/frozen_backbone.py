"""Frozen-backbone fine-tune: a fixed random-feature conv backbone (requires_grad False),
only the linear head trains, on 16x16 digits."""
import torch
from torch import nn
from _gen import digits, split

EXPECTED_TASK = "classification"


def model():
    torch.manual_seed(0)
    backbone = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
                             nn.Flatten())
    for p in backbone.parameters():
        p.requires_grad_(False)
    return nn.Sequential(backbone, nn.Linear(32 * 16, 10))


def data():
    x, y = digits(16)
    return split(x, y, 400)


def optimizer(params):
    return torch.optim.Adam([p for p in params if p.requires_grad], lr=3e-3)


settings = {"batch_size": 64, "epochs": 10, "seed": 0}
