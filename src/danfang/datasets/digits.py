"""scikit-learn's 8x8 digits (1,797 images, shipped with scikit-learn)."""

from __future__ import annotations

import numpy as np


def load_digits(val_fraction: float = 0.2, seed: int = 0, images: bool = False):
    """Return ``((x_train, y_train), (x_val, y_val))``; pixels scaled to [0, 1].

    ``images=True`` shapes inputs as (N, 1, 8, 8); otherwise (N, 64).
    """
    from sklearn.datasets import load_digits as _load
    from sklearn.model_selection import train_test_split

    d = _load()
    x = (d.data / 16.0).astype(np.float32)
    if images:
        x = x.reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    xtr, xva, ytr, yva = train_test_split(x, y, test_size=val_fraction, random_state=seed, stratify=y)
    return (xtr, ytr), (xva, yva)
