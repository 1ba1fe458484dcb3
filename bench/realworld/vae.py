"""VAE on 8x8 digits. The model returns one tensor [recon logits | mu | logvar] so the job's
loss(output, target) can compute BCE reconstruction + KL (DESIGN §1 form)."""
import torch
from torch import nn
from _gen import digits

EXPECTED_TASK = "reconstruction"
Z = 8


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2 * Z))
        self.dec = nn.Sequential(nn.Linear(Z, 64), nn.ReLU(), nn.Linear(64, 64))

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, 1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        return torch.cat([self.dec(z), mu, logvar], 1)


class VAELoss(nn.Module):
    def forward(self, out, target):
        recon, mu, logvar = out[:, :64], out[:, 64:64 + Z], out[:, 64 + Z:]
        rec = nn.functional.binary_cross_entropy_with_logits(recon, target, reduction="none").sum(1)
        kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1)
        return (rec + kl).mean() / 64


def model():
    return VAE()


def data():
    x, _ = digits(8)
    x = x.flatten(1)
    return (x[:-400], x[:-400]), (x[-400:], x[-400:])


def loss():
    return VAELoss()


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"batch_size": 64, "epochs": 20, "seed": 0}
