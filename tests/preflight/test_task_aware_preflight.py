"""Preflight false alarms seen on healthy real-world jobs (issue 11), each reproduced, beside
the planted fault that must still fire."""

from __future__ import annotations

import torch
from torch import nn

from danfang.checks.preflight import preflight


class Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -g


class Doubled(torch.autograd.Function):  # a planted wrong backward
    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        return 2 * g


class WithFunction(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn, self.lin = fn, nn.Linear(4, 3)

    def forward(self, x):
        return self.lin(self.fn.apply(x))


def _data(n=64):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    return x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long()


def _codes(findings, severity=None):
    return {f.code for f in findings if severity is None or f.severity == severity}


def test_gradient_reversal_is_info_and_a_wrong_backward_is_still_an_error():
    reversal = preflight(WithFunction(Reverse), _data(), nn.CrossEntropyLoss())
    assert "gradcheck_failed" not in _codes(reversal, "error")
    assert "gradcheck_failed" in _codes(reversal, "info")
    wrong = preflight(WithFunction(Doubled), _data(), nn.CrossEntropyLoss())
    assert "gradcheck_failed" in _codes(wrong, "error")


def test_weight_decay_on_norm_params_warns_only_when_large_enough_to_hurt():
    model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 3))
    default = preflight(model, _data(), nn.CrossEntropyLoss(), torch.optim.AdamW(model.parameters(), lr=1e-3))
    assert "weight_decay_on_norm_bias" in _codes(default, "info")
    heavy = preflight(model, _data(), nn.CrossEntropyLoss(),
                      torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1))
    assert "weight_decay_on_norm_bias" in _codes(heavy, "warning")


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc, self.dec = nn.Linear(8, 4), nn.Linear(2, 8)

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return torch.sigmoid(self.dec(z)), mu, logvar


def vae_loss(out, x):
    recon, mu, logvar = out
    bce = nn.functional.binary_cross_entropy(recon, x)
    return bce - 0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())


def test_vae_with_its_own_loss_is_not_called_unable_to_overfit():
    x = torch.rand(64, 8, generator=torch.Generator().manual_seed(0))
    found = preflight(VAE(), (x, x), vae_loss, task="reconstruction")
    assert not _codes(found, "error") & {"cannot_overfit_batch", "input_independent"}
    assert {"cannot_overfit_batch", "input_independent"} <= _codes(found, "info")
