"""Segmentation: (N, C, H, W) logits with (N, H, W) labels; random discs and squares on noise."""
import torch
from torch import nn
from _gen import split

EXPECTED_TASK = "classification"


def _data(n=600, s=24):
    g = torch.Generator().manual_seed(3)
    yy, xx = torch.meshgrid(torch.arange(s), torch.arange(s), indexing="ij")
    x = 0.3 * torch.randn(n, 1, s, s, generator=g)
    y = torch.zeros(n, s, s, dtype=torch.long)
    for i in range(n):
        cx, cy, r = torch.randint(5, s - 5, (3,), generator=g)
        r = 3 + r % 3
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
        qx, qy = torch.randint(2, s - 8, (2,), generator=g)
        sq = (xx >= qx) & (xx < qx + 6) & (yy >= qy) & (yy < qy + 6)
        y[i][sq] = 2
        y[i][disc] = 1
        x[i, 0][disc] += 1.0
        x[i, 0][sq] -= 1.0
    return x, y


def model():
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(16, 16, 3, padding=2, dilation=2), nn.ReLU(),
                         nn.Conv2d(16, 3, 1))


def data():
    return split(*_data(), 150)


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"batch_size": 32, "epochs": 10, "seed": 0}
