"""GAN on a 2-D Gaussian, written as ONE custom-loss job.

The job form has one model, one loss and one optimizer, so the two-player game is expressed
with a gradient-reversal layer between generator and discriminator: one backward pass makes
D descend and G ascend the same minimax BCE objective. forward(x_real) returns the stacked
discriminator logits [D(real); D(G(z))]; the target is a dummy. Task "other": the loss is a
game value, not expected to fall to a floor.
"""
import torch
from torch import nn

EXPECTED_TASK = "other"
MEAN, STD = torch.tensor([2.0, -1.0]), 0.5


class Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -g


class GAN(nn.Module):
    def __init__(self):
        super().__init__()
        self.G = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
        self.D = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))

    def sample(self, n):
        return self.G(torch.randn(n, 4))

    def forward(self, x):
        fake = Reverse.apply(self.sample(x.shape[0]))
        return torch.cat([self.D(x), self.D(fake)], 1)         # (N, 2)


class GANLoss(nn.Module):
    def forward(self, out, target):
        real, fake = out[:, 0], out[:, 1]
        bce = nn.functional.binary_cross_entropy_with_logits
        return bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))


def model():
    return GAN()


def data():
    g = torch.Generator().manual_seed(7)
    x = MEAN + STD * torch.randn(3000, 2, generator=g)
    y = torch.zeros(3000, 1)
    return (x[:2500], y[:2500]), (x[2500:], y[2500:])


def loss():
    return GANLoss()


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3, betas=(0.5, 0.999))


settings = {"task": "other", "batch_size": 64, "epochs": 10, "seed": 0}
