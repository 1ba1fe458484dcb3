"""Seeded synthetic data shared by the real-world calibration jobs (no downloads)."""
import numpy as np
import torch


def rng(seed=0):
    return np.random.default_rng(seed)


def split(x, y, n_val):
    return (x[:-n_val], y[:-n_val]), (x[-n_val:], y[-n_val:])


def digits(size=16):
    """sklearn's 8x8 digits (shipped with sklearn), upsampled to size x size, scaled to [0, 1]."""
    from sklearn.datasets import load_digits
    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0
    if size != 8:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    y = torch.tensor(d.target, dtype=torch.long)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    return x[perm], y[perm]


def sequences(n=2000, length=20, vocab=12, seed=0):
    """Token sequences; the class is the most frequent of the tokens 1..4 (ties by id)."""
    r = rng(seed)
    x = r.integers(0, vocab, size=(n, length))
    counts = np.stack([(x == t).sum(1) for t in range(1, 5)], 1)
    y = counts.argmax(1)
    return torch.tensor(x, dtype=torch.long), torch.tensor(y, dtype=torch.long)
