"""Data the planted-fault scripts share: seeded Gaussian blobs and a smooth regression."""

import torch


def blobs(n=512, classes=3, dim=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(classes, dim, generator=g) * 3
    y = torch.randint(0, classes, (n,), generator=g)
    return centers[y] + torch.randn(n, dim, generator=g), y


def regression(n=512, dim=8, seed=0, scale=2.0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=g)
    w = torch.randn(dim, generator=g)
    t = scale * torch.tanh(x @ w / dim ** 0.5) + 0.05 * torch.randn(n, generator=g)
    return x, t
