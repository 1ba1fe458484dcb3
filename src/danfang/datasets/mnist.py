"""MNIST from a local ``.npz`` (keys ``x_train``, ``y_train``, ``x_test``, ``y_test``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from danfang.errors import UsageError

DEFAULT_PATHS = ("~/.cache/danfang/mnist.npz", "~/.keras/datasets/mnist.npz")


def find_file(path: str | os.PathLike | None, defaults: tuple[str, ...], what: str) -> Path:
    candidates = [path] if path is not None else [os.environ.get(f"DANFANG_{what.upper()}"), *defaults]
    for c in candidates:
        if c and Path(c).expanduser().exists():
            return Path(c).expanduser()
    raise UsageError(f"load_{what}: no {what} file found (looked at {[c for c in candidates if c]}); pass "
                     f"its path, or set DANFANG_{what.upper()}.")


def load_mnist(path: str | os.PathLike | None = None, *, val_size: int = 0, flatten: bool = False):
    """Return ``(train, val, test)`` of MNIST as float32 in [0, 1], shape (N, 1, 28, 28).

    With ``val_size=0`` the official 60,000/10,000 split is returned as ``(train, test)``
    (the test set doubling as validation); otherwise the last ``val_size`` training images
    become the validation split and ``(train, val, test)`` is returned.
    """
    f = find_file(path, DEFAULT_PATHS, "mnist")
    with np.load(f) as d:
        try:
            xtr, ytr, xte, yte = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
        except KeyError as exc:
            raise UsageError(f"load_mnist: {f} lacks key {exc}; expected x_train, y_train, x_test, y_test.") from exc

    def prep(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32) / 255.0
        return x.reshape(len(x), -1) if flatten else x[:, None, :, :]

    xtr, xte = prep(xtr), prep(xte)
    ytr, yte = ytr.astype(np.int64), yte.astype(np.int64)
    if val_size:
        return (xtr[:-val_size], ytr[:-val_size]), (xtr[-val_size:], ytr[-val_size:]), (xte, yte)
    return (xtr, ytr), (xte, yte)
