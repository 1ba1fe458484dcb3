"""Synthetic learning curves for the curve checks (imported by the tests beside it)."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

SETTINGS = {"task": "classification", "num_classes": 10, "monitor": "val_loss", "epochs": 30}


def history(train: Sequence[float], val: Sequence[float], acc: Sequence[float] | None = None,
            lr: Sequence[float] | float = 1e-3) -> list[dict]:
    """Rows like run.json's ``history``."""
    n = len(train)
    lrs = [lr] * n if isinstance(lr, float) else list(lr)
    return [{"epoch": i + 1, "train_loss": float(train[i]), "val_loss": float(val[i]),
             "val_acc": None if acc is None else float(acc[i]), "lr": float(lrs[i]), "wall_s": float(i)}
            for i in range(n)]


def decay(start: float, end: float, n: int, rate: float = 4.0) -> np.ndarray:
    """A smooth exponential fall from ``start`` towards ``end``."""
    t = np.arange(n) / max(n - 1, 1)
    return end + (start - end) * np.exp(-rate * t)


def healthy_run(n: int = 30) -> list[dict]:
    """Train and val fall together and flatten; accuracy high: the healthy twin."""
    train = decay(2.0, 0.05, n, rate=8)
    val = decay(2.0, 0.15, n, rate=8)
    acc = 1 - val / (val[0] * 1.05) * 0.85
    return history(train, val, acc)


LN10 = math.log(10)
