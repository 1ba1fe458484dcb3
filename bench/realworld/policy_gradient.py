"""REINFORCE on a contextual bandit, as a job file.

A multi-step environment loop cannot be written in the job form (data() is a fixed dataset;
issue 12's `watch` covers real RL scripts). A contextual bandit can: each sample is a context,
the model outputs action logits, and the loss samples an action, gets reward 1 if it is the
context's (hidden) best action, and returns the REINFORCE surrogate -(r - baseline) log pi(a).
Task "other": the surrogate's value is not expected to fall to a floor; the expected reward
(plain_loop prints it) rises.
"""
import torch
from torch import nn

EXPECTED_TASK = "other"


class Reinforce(nn.Module):
    def forward(self, logits, best):
        dist = torch.distributions.Categorical(logits=logits)
        a = dist.sample()
        r = (a == best).float()
        return -((r - r.mean()) * dist.log_prob(a)).mean()


def model():
    return nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 4))


def data():
    g = torch.Generator().manual_seed(8)
    x = torch.randn(3000, 6, generator=g)
    best = (x[:, :4] + 0.3 * x[:, 4:5]).argmax(1)
    return (x[:2500], best[:2500]), (x[2500:], best[2500:])


def loss():
    return Reinforce()


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


settings = {"task": "other", "batch_size": 64, "epochs": 10, "seed": 0}
