"""A 2,000,000 x 100 regression table made lazily (each row from its own seed, so memory stays
bounded); it records which rows were read, to show that the audit samples at random."""
import torch

N, D = 2_000_000, 100
W = torch.randn(D, generator=torch.Generator().manual_seed(1))


class Rows(torch.utils.data.Dataset):
    def __init__(self, n, offset):
        self.n, self.offset = n, offset
        self.read = []

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.read.append(int(i))
        g = torch.Generator().manual_seed(self.offset + int(i))
        x = torch.randn(D, generator=g)
        return x, (x @ W / 10).unsqueeze(0)


def model():
    return torch.nn.Sequential(torch.nn.Linear(D, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))


def data():
    return Rows(N, 0), Rows(20_000, 10**9)


settings = {"task": "regression", "batch_size": 256, "epochs": 10}
