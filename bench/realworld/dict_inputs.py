"""Dict inputs: a Dataset yielding ({'num': ..., 'cat': ...}, y); the model is called model(**x)."""
import torch
from torch import nn

EXPECTED_TASK = "classification"


class DictData(torch.utils.data.Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.num = torch.randn(n, 6, generator=g)
        self.cat = torch.randint(0, 5, (n,), generator=g)
        score = self.num[:, 0] + (self.cat.float() - 2) * 0.8 - self.num[:, 1] * self.num[:, 2]
        self.y = torch.bucketize(score, torch.tensor([-1.0, 0.0, 1.0]))

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return {"num": self.num[i], "cat": self.cat[i]}, self.y[i]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 4)
        self.mlp = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 4))

    def forward(self, num, cat):
        return self.mlp(torch.cat([num, self.emb(cat)], 1))


def model():
    return Net()


def data():
    return DictData(2000, 0), DictData(500, 1)


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"batch_size": 64, "epochs": 12, "seed": 0}
