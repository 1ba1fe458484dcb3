"""GRU sequence classifier on token sequences (class = most frequent of tokens 1..4)."""
import torch
from torch import nn
from _gen import sequences, split

EXPECTED_TASK = "classification"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(12, 16)
        self.rnn = nn.GRU(16, 48, batch_first=True)
        self.head = nn.Linear(48, 4)

    def forward(self, x):
        _, h = self.rnn(self.emb(x))
        return self.head(h[-1])


def model():
    return Net()


def data():
    return split(*sequences(2000), 400)


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"batch_size": 64, "epochs": 12, "seed": 0}
