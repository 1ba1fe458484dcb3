"""3-D convolutions: classify 12^3 noisy volumes by the axis of a bright bar in them."""
import torch
from torch import nn
from _gen import split

EXPECTED_TASK = "classification"


def _data(n=900, s=12):
    g = torch.Generator().manual_seed(10)
    x = 0.5 * torch.randn(n, 1, s, s, s, generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    pos = torch.randint(2, s - 2, (n, 2), generator=g)
    for i in range(n):
        a, b = pos[i].tolist()
        if y[i] == 0:
            x[i, 0, :, a, b] += 1.5
        elif y[i] == 1:
            x[i, 0, a, :, b] += 1.5
        else:
            x[i, 0, a, b, :] += 1.5
    return x, y


def model():
    return nn.Sequential(nn.Conv3d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
                         nn.Conv3d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool3d(1),
                         nn.Flatten(), nn.Linear(16, 3))


def data():
    return split(*_data(), 200)


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"batch_size": 32, "epochs": 8, "seed": 0}
