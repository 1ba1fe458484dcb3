"""The audit's cheap embedding of inputs.

Images are average-pooled to at most 16x16 per channel (near-duplicates survive
downscaling, the cost drops 3-4x); tables are standardised per feature (so one feature in
thousands does not decide every distance); then, when more than 64 features remain, a PCA
keeps 32 components. PCA is a contraction, so two inputs that are close stay close; 32
components keep most of the variance of image data sets (84 % of pooled MNIST, enough for a
97 % nearest-neighbour classifier) and make a brute-force neighbour search of all 60,000
MNIST images a few seconds of matrix products.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

PCA_ABOVE, PCA_DIM, PCA_FIT_ROWS = 64, 32, 20_000
POOL_TO = 16


def input_kind(x: np.ndarray) -> str:
    """``image`` for (N, C, H, W) and (N, H, W) with H, W >= 8; ``signal`` for (N, C<=8, L); else ``table``."""
    if x.ndim == 4:
        return "image"
    if x.ndim == 3:
        return "signal" if x.shape[1] <= 8 else "image"
    return "table"


def as_images(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) view of image inputs."""
    return x if x.ndim == 4 else x[:, None]


def downscale(x: np.ndarray, side: int = POOL_TO) -> np.ndarray:
    """Average-pool images so that no spatial side exceeds ``side`` (other kinds unchanged)."""
    if input_kind(x) != "image":
        return x
    img = as_images(x)
    f = int(np.ceil(max(img.shape[2:]) / side))
    if f <= 1:
        return img
    t = torch.nn.functional.avg_pool2d(torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32)),
                                       f, f, ceil_mode=True)
    return t.numpy()


def one_thread() -> Any:
    """Run numpy/scikit-learn (BLAS, OpenMP) on one thread.

    On a busy 2-core machine their spinning worker threads made a PCA of 20,000 MNIST
    images 10x slower (2.3 s instead of 0.2 s) and the domain classifier 20x slower.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def flat_features(x: np.ndarray) -> np.ndarray:
    """(n, d) float32 features of inputs: non-finite values zeroed, images downscaled."""
    f = downscale(np.nan_to_num(x.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0))
    return f.reshape(len(f), -1).astype(np.float32, copy=False)


def fit_embedding(rows: np.ndarray, *, standardise: bool) -> Callable[[np.ndarray], np.ndarray]:
    """Fit the embedding (centre, maybe standardise, PCA above 64 features) on ``rows``."""
    mean = rows.mean(0)
    scale = rows.std(0) if standardise else np.ones_like(mean)
    scale = np.where(scale > 1e-12, scale, 1.0).astype(np.float32)
    pca = None
    if rows.shape[1] > PCA_ABOVE:
        from sklearn.decomposition import PCA

        with one_thread():
            pca = PCA(min(PCA_DIM, len(rows)), svd_solver="randomized", random_state=0).fit((rows - mean) / scale)

    def embed(x: np.ndarray) -> np.ndarray:
        z = (x - mean) / scale
        if pca is not None:
            with one_thread():
                z = pca.transform(z)
        return np.ascontiguousarray(z, dtype=np.float32)

    return embed
