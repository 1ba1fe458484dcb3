"""Siamese network with a contrastive (margin) loss on pairs of 8x8 digits.

Inputs (N, 2, 64): two images; target 1.0 same digit, 0.0 different. The model returns the
embedding distance (N,). Task "other": a contrastive loss has no known floor.
"""
import torch
from torch import nn
from _gen import digits

EXPECTED_TASK = "other"


class Siamese(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 16))

    def forward(self, pair):
        a, b = self.f(pair[:, 0]), self.f(pair[:, 1])
        return (a - b).pow(2).sum(1).add(1e-6).sqrt()


class Contrastive(nn.Module):
    def forward(self, d, same):
        return (same * d.pow(2) + (1 - same) * torch.relu(2.0 - d).pow(2)).mean()


def _pairs(x, y, n, seed):
    g = torch.Generator().manual_seed(seed)
    i = torch.randint(0, len(y), (n,), generator=g)
    j = torch.randint(0, len(y), (n,), generator=g)
    same_idx = torch.rand(n, generator=g) < 0.5
    for k in torch.nonzero(same_idx).flatten().tolist():   # half the pairs share the class
        cands = torch.nonzero(y == y[i[k]]).flatten()
        j[k] = cands[torch.randint(0, len(cands), (1,), generator=g)]
    return torch.stack([x[i], x[j]], 1), (y[i] == y[j]).float()


def model():
    return Siamese()


def data():
    x, y = digits(8)
    x = x.flatten(1)
    return _pairs(x[:-400], y[:-400], 3000, 0), _pairs(x[-400:], y[-400:], 600, 1)


def loss():
    return Contrastive()


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


settings = {"task": "other", "batch_size": 64, "epochs": 10, "seed": 0}
