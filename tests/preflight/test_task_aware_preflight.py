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


def _digit_like_images(n=256, d=64, seed=0):
    """Pixels in [0, 1] whose per-pixel mean runs from ~0 (borders) to ~0.75 (strokes), as
    8x8 digits do: far from the 0.5 a sigmoid output starts at."""
    g = torch.Generator().manual_seed(seed)
    level = torch.linspace(0, 1, d) ** 2 * 0.75
    return (torch.rand(n, d, generator=g) < level).float() * torch.rand(n, d, generator=g).add(0.5).clamp(max=1)


def _sigmoid_autoencoder(d=64, final_gain=1.0, functional=False):
    torch.manual_seed(0)
    layers = [nn.Linear(d, 16), nn.ReLU(), nn.Linear(16, d)]
    with torch.no_grad():
        layers[-1].weight.mul_(final_gain)
    if functional:
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(*layers)

            def forward(self, x):
                return torch.sigmoid(self.body(x)).view(len(x), -1)
        return Net()
    return nn.Sequential(*layers, nn.Sigmoid())


def test_sigmoid_autoencoder_at_init_is_calm_and_a_saturated_one_is_off():
    x = _digit_like_images()
    for functional in (False, True):
        for loss in (nn.MSELoss(), nn.BCELoss()):
            healthy = preflight(_sigmoid_autoencoder(functional=functional), (x, x), loss, task="reconstruction")
            assert "init_loss_off" not in _codes(healthy, "warning"), (functional, loss)
    for loss in (nn.BCELoss(), nn.MSELoss()):
        loud = preflight(_sigmoid_autoencoder(final_gain=200.0), (x, x), loss, task="reconstruction")
        found = [f for f in loud if f.code == "init_loss_off" and f.severity == "warning"]
        assert found, f"saturated sigmoid outputs (final weights x200) must fire with {loss}"
    f = found[0]
    assert f.evidence["output_activation"] == "sigmoid" and "logit(target mean)" in f.fix
    mean = x.mean(0).clamp(1e-3, 1 - 1e-3)
    assert torch.allclose(torch.tensor(f.evidence["suggested_bias"]), torch.log(mean / (1 - mean)), atol=1e-4)
    assert "to the target mean [" not in f.fix  # never the mean itself as a pre-sigmoid bias


def test_binary_logits_far_off_at_init_get_a_log_odds_bias():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 8, generator=g)
    y = (torch.rand(256, 1, generator=g) < 0.1).float()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    with torch.no_grad():
        model[-1].bias.fill_(6.0)  # starts confident that every sample is positive
    found = [f for f in preflight(model, (x, y), nn.BCEWithLogitsLoss(), task="binary") if f.code == "init_loss_off"]
    assert found and found[0].severity == "warning" and "logit(target mean)" in found[0].fix
    assert found[0].evidence["suggested_bias"][0] < -1.5  # log(0.1 / 0.9) = -2.2
    calm = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    assert "init_loss_off" not in _codes(preflight(calm, (x, y), nn.BCEWithLogitsLoss(), task="binary"))


class Reinforce(nn.Module):
    """A policy-gradient surrogate: it samples actions, so two calls on the same outputs differ."""

    def forward(self, logits, best):
        dist = torch.distributions.Categorical(logits=logits)
        a = dist.sample()
        r = (a == best).float()
        return -((r - r.mean()) * dist.log_prob(a)).mean()


def test_a_sampling_loss_is_not_called_summed_and_a_summed_one_still_is():
    x, y = _data(256)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3))
    for seed in range(5):  # the surrogate's ratio is noise around a mean near 0: any seed once warned
        found = preflight(model, (x, y), Reinforce(), task="other", settings={"seed": seed})
        assert "loss_reduction_sum" not in _codes(found, "warning")
    assert "loss_reduction_sum" in _codes(preflight(model, (x, y), Reinforce(), task="other"), "info")
    summed = preflight(model, (x, y), nn.CrossEntropyLoss(reduction="sum"))
    assert "loss_reduction_sum" in _codes(summed, "warning")
