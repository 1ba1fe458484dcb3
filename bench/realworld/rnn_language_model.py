"""LSTM language model: next-token prediction on a seeded order-1 Markov chain.

Logits (N, C, L) with labels (N, L), the CrossEntropyLoss per-position form.
"""
import numpy as np
import torch
from torch import nn
from _gen import rng, split

EXPECTED_TASK = "classification"
V, L = 10, 24


def _chain(n=1500):
    r = rng(1)
    trans = r.dirichlet(np.full(V, 0.3), size=V)
    seq = np.zeros((n, L + 1), dtype=np.int64)
    seq[:, 0] = r.integers(0, V, n)
    for t in range(L):
        u = r.random(n)[:, None]
        seq[:, t + 1] = (np.cumsum(trans[seq[:, t]], 1) < u).sum(1).clip(0, V - 1)
    return torch.tensor(seq)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 32)
        self.rnn = nn.LSTM(32, 64, batch_first=True)
        self.head = nn.Linear(64, V)

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        return self.head(h).transpose(1, 2)          # (N, C, L)


def model():
    return Net()


def data():
    s = _chain()
    return split(s[:, :-1], s[:, 1:], 300)


def loss():
    return nn.CrossEntropyLoss()


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"batch_size": 64, "epochs": 10, "seed": 0}
