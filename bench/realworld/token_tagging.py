"""Token tagging (per-position classification, logits (N, C, L), labels (N, L), padding ignored).

Tag = the token's class (id mod 3) unless the previous token is 0, then tag 3; pads (-100) ignored.
"""
import torch
from torch import nn
from _gen import rng, split

EXPECTED_TASK = "classification"


def _data(n=1500, L=16, V=15):
    r = rng(2)
    x = torch.tensor(r.integers(1, V, (n, L)))
    x[torch.tensor(r.random((n, L)) < 0.1)] = 0
    prev = torch.cat([torch.ones(n, 1, dtype=torch.long), x[:, :-1]], 1)
    y = torch.where(prev == 0, torch.tensor(3), x % 3)
    lengths = torch.tensor(r.integers(8, L + 1, n))
    pad = torch.arange(L)[None] >= lengths[:, None]
    x = x.masked_fill(pad, V)
    y = y.masked_fill(pad, -100)
    return x, y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(16, 24)
        self.rnn = nn.GRU(24, 32, batch_first=True, bidirectional=True)
        self.head = nn.Linear(64, 4)

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        return self.head(h).transpose(1, 2)


def model():
    return Net()


def data():
    return split(*_data(), 300)


def loss():
    return nn.CrossEntropyLoss(ignore_index=-100)


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"batch_size": 64, "epochs": 10, "seed": 0}
