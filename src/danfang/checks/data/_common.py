"""What every data check reads: the audit context.

:class:`AuditContext` holds each split as numpy arrays (a bounded sample for big Dataset
splits) and computes, once and lazily, what several checks share: row hashes, a cheap
embedding and nearest neighbours in it.

The embedding lives in ``_embedding``, the searches in ``_search``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from danfang.checks.data._embedding import PCA_FIT_ROWS, fit_embedding, flat_features, input_kind
from danfang.checks.data._search import close_pairs, knn, row_hashes

#: Samples per split the audit reads at most. Array splits above this (and Dataset splits
#: above DATASET_LIMIT, which must be decoded one by one) are audited on a random sample,
#: drawn with :data:`SEED` (never the first rows: a split sorted by label would look like
#: one class). Findings name samples by their index in the whole split.
SAMPLE_LIMIT = 60_000
DATASET_LIMIT = 10_000
#: Bytes of float32 inputs one split may hold in the audit; wide samples (large images)
#: lower the row limit so that memory stays bounded (at least MIN_ROWS rows).
MAX_BYTES = 512 * 2**20
MIN_ROWS = 1000
SEED = 0
#: Integer labels below 0 are never classes: CrossEntropyLoss's default ignore_index is -100.
DEFAULT_IGNORE = -100
#: Neighbours kept per training sample (label noise votes with them; duplicates use the first).
NEIGHBOURS = 10
#: Training samples the neighbour votes are drawn from (a fixed random subset above this).
REFERENCE = 20_000
#: "Near" means closer than NEAR x the median distance between two random training
#: samples. Measured: nearest-neighbour distances sit at 0.25-0.45 of it on MNIST-1D,
#: 0.1-0.36 on digits and mostly 0.07-0.3 on MNIST; a copy with a little noise or a
#: one-pixel edit sits below 0.03. See :meth:`AuditContext.near_radius` for NEAR_NN.
NEAR = 0.04
NEAR_NN = 0.25
#: Share of samples allowed to have a neighbour within the near radius by chance alone. In
#: d dimensions a fraction ln2 * f**d of the samples has its nearest neighbour closer than
#: f x the median nearest-neighbour distance, so NEAR_NN = 0.25 holds 1e-5 of them at d = 8
#: but 4 % at d = 2, where points of a smooth 2-D distribution are "near" by nature. The
#: factor is lowered to (CHANCE_NEAR / ln2) ** (1 / d) for the data's intrinsic dimension d.
CHANCE_NEAR = 1e-3


@dataclass
class SplitData:
    """One split as arrays: ``x`` float32 (n, ...) or None when inputs are not one tensor."""

    name: str
    x: np.ndarray | None
    y: np.ndarray
    size: int  # samples in the whole split; n = len(y) may be fewer (a bounded sample)
    index: np.ndarray | None = None  # the split index of each row (None: row i is sample i)
    dtype: Any = None  # the inputs' own dtype before the float32 copy (None: not one tensor)

    def __len__(self) -> int:
        return len(self.y)

    def original(self, rows: Any) -> np.ndarray:
        """Split indices of audited ``rows`` (the identity unless the split was sampled)."""
        rows = np.asarray(rows, dtype=np.int64)
        return rows if self.index is None else self.index[rows]

    def described(self) -> str:
        """"600 samples", or "a random sample of 10000 of 50000 samples" for a bounded sample."""
        return f"{len(self)} samples" if len(self) == self.size else \
            f"a random sample of {len(self)} of {self.size} samples"


def sample_indices(n: int, limit: int, seed: int = SEED) -> np.ndarray | None:
    """Sorted random indices of ``limit`` of ``n`` samples (None when all fit).

    Uses a seeded generator, so the same split gives the same sample; the draw costs
    O(limit), not O(n) (2M rows sample as fast as 20k).
    """
    if n <= limit:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def row_limit(limit: int, features: int) -> int:
    """``limit`` lowered so that the rows' float32 inputs fit in :data:`MAX_BYTES`."""
    return min(limit, max(MIN_ROWS, MAX_BYTES // max(4 * features, 1)))


def class_labels(y: np.ndarray, task: str, ignore_index: int | None = None) -> np.ndarray | None:
    """The integer class labels of targets ``y`` flattened over positions, ignored ones dropped.

    ``classification``: labels (N,) or per position (N, L), (N, H, W), ...; values equal to
    ``ignore_index`` or negative (CrossEntropyLoss's default ignore_index is -100) are
    dropped. ``binary``: 0/1 targets, (N,) or (N, 1). None for tasks without class labels
    (multilabel, regression, reconstruction, other) or labels that are not integers.
    """
    if task == "binary":
        if y.ndim > 2 or (y.ndim == 2 and y.shape[1] != 1):
            return None
        flat = y.reshape(-1)
        if not np.isin(flat, (0, 1)).all():
            return None
        return flat.astype(np.int64)
    if task != "classification":
        return None
    flat = y.reshape(-1)
    if flat.dtype.kind == "f":
        if not np.all(np.isfinite(flat)) or not np.all(flat == np.round(flat)):
            return None
    flat = flat.astype(np.int64)
    keep = flat >= 0
    if ignore_index is not None:
        keep &= flat != ignore_index
    return flat[keep]


def to_numpy(a: Any) -> np.ndarray | None:
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    if isinstance(a, np.ndarray):
        return a
    try:
        return np.asarray(a)
    except Exception:
        return None


@dataclass
class AuditContext:
    """The splits of a job as arrays, plus lazily computed shared quantities."""

    splits: dict[str, SplitData]
    task: str
    num_classes: int | None = None
    ignore_index: int | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def train(self) -> SplitData:
        return self.splits["train"]

    @property
    def has_inputs(self) -> bool:
        return all(s.x is not None and s.x.dtype.kind in "fiub" for s in self.splits.values())

    @property
    def kind(self) -> str:
        return input_kind(self.train.x) if self.train.x is not None else "table"

    def labels(self, name: str) -> np.ndarray | None:
        """Split ``name``'s class labels, flattened over positions (see :func:`class_labels`)."""
        return self._cached(f"labels:{name}", lambda: class_labels(self.splits[name].y, self.task, self.ignore_index))

    def per_position(self) -> bool:
        """Classification with one label a position (labels (N, L), (N, H, W), ...)."""
        return self.task == "classification" and self.train.y.ndim > 1

    def classes(self) -> int:
        """Number of classes: the job's setting, else the largest label + 1 (2 for binary)."""
        if self.num_classes:
            return int(self.num_classes)
        if self.task == "binary":
            return 2
        found = [self.labels(n) for n in self.splits]
        return int(max((int(v.max()) for v in found if v is not None and len(v)), default=0) + 1)

    def _cached(self, key: str, make: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def hashes(self, name: str) -> np.ndarray:
        return self._cached(f"hash:{name}", lambda: row_hashes(self.splits[name].x))

    def embedding(self, name: str) -> np.ndarray:
        """(n, d) float32 embedding of a split's inputs (``_embedding``), fitted on train."""
        return self._cached(f"emb:{name}", lambda: self._embed()[name])

    def _embed(self) -> dict[str, np.ndarray]:
        feats = {name: flat_features(s.x) for name, s in self.splits.items()}
        rows = np.random.default_rng(0).permutation(len(feats["train"]))[:PCA_FIT_ROWS]
        embed = fit_embedding(feats["train"][rows], standardise=self.kind == "table")
        for k, v in feats.items():
            self._cache[f"emb:{k}"] = embed(v)
        return {k: self._cache[f"emb:{k}"] for k in feats}

    def train_neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        """Each training sample's :data:`NEIGHBOURS` nearest training samples, itself excluded.

        They are searched among a fixed random reference set of at most :data:`REFERENCE`
        training samples (all of them for small splits), which keeps the search linear in N.
        Returns (distances, training indices), each (n, k).
        """
        def make() -> tuple[np.ndarray, np.ndarray]:
            e = self.embedding("train")
            ref = np.sort(np.random.default_rng(0).permutation(len(e))[:REFERENCE])
            d, i = knn(e, np.ascontiguousarray(e[ref]), NEIGHBOURS + 1)
            i = ref[i]
            keep = i != np.arange(len(e))[:, None]
            keep[keep.sum(1) > NEIGHBOURS, -1] = False  # itself not among them: drop the farthest
            k = min(NEIGHBOURS, keep.sum(1).min())
            return d[keep].reshape(len(e), -1)[:, :k], i[keep].reshape(len(e), -1)[:, :k]

        return self._cached("nn:train", make)

    def near_pairs(self, name: str, other: str) -> np.ndarray:
        """Pairs (i, j) with split ``name``'s sample i within :meth:`near_radius` of ``other``'s j.

        Within one split (``name == other``) only i < j is listed. Includes exact duplicates.
        Shape (p, 2).
        """
        def make() -> np.ndarray:
            return close_pairs(self.embedding(name), self.embedding(other), self.near_radius(), same=name == other)

        return self._cached(f"near:{name}:{other}", make)

    def near_radius(self) -> float:
        """How close two samples must be to count as near-duplicates.

        ``NEAR`` x the median distance between random training samples, but at most
        ``NEAR_NN`` x the median distance of a training sample to its nearest other one
        (exact copies aside): where classes are far apart and samples within a class alike,
        the first bound alone would call a whole class "near".
        """
        def make() -> float:
            d = self.train_neighbours()[0][:, :1].ravel()
            d = d[d > 0]
            nn = float(np.median(d)) if len(d) else float("inf")
            return min(NEAR * self.typical_distance(), self.near_factor() * nn)

        return self._cached("radius", make)

    def near_factor(self) -> float:
        """``NEAR_NN``, lowered for data of low intrinsic dimension so that at most
        :data:`CHANCE_NEAR` of the samples fall inside the radius by chance (see there)."""
        dim = self.intrinsic_dimension()
        return min(NEAR_NN, (CHANCE_NEAR / np.log(2)) ** (1.0 / dim)) if np.isfinite(dim) and dim > 0 else NEAR_NN

    def intrinsic_dimension(self) -> float:
        """The training inputs' intrinsic dimension, by the maximum-likelihood estimator of
        Levina & Bickel (2004) on each sample's 2nd..10th neighbour distances (the nearest one
        is skipped, so a near copy does not lower the estimate), pooled by the median over
        samples and capped at the embedding's width. About 2 for points of a 2-D Gaussian,
        10-15 for MNIST; inf when it cannot be measured (a few samples, all copies)."""
        def make() -> float:
            d = self.train_neighbours()[0].astype(np.float64)
            if d.shape[1] < 4:
                return float("inf")
            t = d[:, 1:]
            ok = np.all(t > 0, axis=1)
            if ok.sum() < 10:
                return float("inf")
            t = t[ok]
            logs = np.log(t[:, -1:] / t[:, :-1]).mean(1)
            med = float(np.median(logs))
            width = self.embedding("train").shape[1]
            return min(1.0 / med, float(width)) if med > 0 else float("inf")

        return self._cached("intrinsic_dim", make)

    def typical_distance(self) -> float:
        """Median distance between random pairs of training samples: the unit of "near"."""
        def make() -> float:
            e = self.embedding("train")
            rng = np.random.default_rng(0)
            a, b = rng.integers(0, len(e), 4000), rng.integers(0, len(e), 4000)
            keep = a != b
            d = np.linalg.norm(e[a[keep]] - e[b[keep]], axis=1)
            return float(np.median(d)) if len(d) else 0.0

        return self._cached("typical", make)


def examples(pairs: list[tuple[int, int]] | np.ndarray, n: int = 5) -> list[list[int]]:
    """The first ``n`` index pairs as plain lists (for evidence)."""
    return [[int(a), int(b)] for a, b in list(pairs)[:n]]


def percent(x: float) -> str:
    return f"{100 * x:.2g}%" if x < 0.1 else f"{100 * x:.0f}%"
