"""MNIST-1D (Greydanus 2020), generated offline with the ``mnist1d`` package."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=8)
def _generate(num_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = num_samples
    args.seed = seed
    data = make_dataset(args)  # never get_dataset(download=True): no network
    return (data["x"].astype(np.float32), data["y"].astype(np.int64),
            data["x_test"].astype(np.float32), data["y_test"].astype(np.int64))


def load_mnist1d(n_train: int | None = None, *, num_samples: int = 5000, seed: int = 42,
                 channel: bool = False) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return ``((x_train, y_train), (x_val, y_val))`` of MNIST-1D (4,000/1,000 by default).

    ``n_train`` keeps only the first ``n_train`` training samples (for small-data studies);
    ``channel=True`` shapes inputs as (N, 1, 40) for 1-D convolutions.
    """
    x, y, xt, yt = _generate(num_samples, seed)
    if n_train is not None:
        x, y = x[:n_train], y[:n_train]
    if channel:
        x, xt = x[:, None, :], xt[:, None, :]
    return (x.copy(), y.copy()), (xt.copy(), yt.copy())
