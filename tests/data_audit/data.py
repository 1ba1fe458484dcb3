"""Small data sets made on the fly for the data-audit tests, and helpers to read findings."""

from __future__ import annotations

import numpy as np

import danfang
from danfang.findings import Finding


def blobs(n: int = 600, d: int = 8, classes: int = 3, seed: int = 0, spread: float = 4.0):
    """Well-separated Gaussian blobs: (x float32 (n, d), y int64 (n,)), balanced classes."""
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(123).normal(size=(classes, d)) * spread
    y = np.arange(n) % classes
    rng.shuffle(y)
    x = centers[y] + rng.normal(size=(n, d))
    return x.astype(np.float32), y.astype(np.int64)


def images(n: int = 400, side: int = 16, classes: int = 4, seed: int = 0):
    """Noisy bar images (n, 1, side, side) in [0, 1]: class c lights row band c."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    rng.shuffle(y)
    x = rng.uniform(0, 0.3, size=(n, 1, side, side))
    band = side // classes
    for c in range(classes):
        x[y == c, :, c * band:(c + 1) * band, :] += 0.6
    return np.clip(x, 0, 1).astype(np.float32), y.astype(np.int64)


def healthy_splits(seed: int = 0):
    x, y = blobs(800, seed=seed)
    return (x[:600], y[:600]), (x[600:], y[600:])


def of(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def severities(findings: list[Finding], code: str) -> list[str]:
    return [f.severity for f in of(findings, code)]


def loud(findings: list[Finding]) -> list[str]:
    """Codes of the warning/error findings (what a healthy data set must not produce)."""
    return [f"{f.code}: {f.message}" for f in findings if f.severity != "info"]


def audit(*splits, **kw) -> list[Finding]:
    return danfang.audit(*splits, **kw)
