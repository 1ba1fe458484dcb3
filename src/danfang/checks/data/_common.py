"""What every data check reads: the audit context.

:class:`AuditContext` holds each split as numpy arrays (a bounded sample for big Dataset
splits) and computes, once and lazily, what several checks share: row hashes, a cheap
embedding and nearest neighbours in it.

The embedding: images are average-pooled to at most 16x16 per channel (near-duplicates
survive downscaling, the cost drops 3-4x); tables are standardised per feature (so one
feature in thousands does not decide every distance); then, when more than 64 features
remain, a PCA fitted on (a sample of) the training split keeps 32 components. PCA is a
contraction, so two inputs that are close stay close; 32 components keep most of the
variance of image data sets (about 75 % on MNIST, enough for a 97 % nearest-neighbour
classifier) and make a brute-force neighbour search of all 60,000 MNIST images a few
seconds of matrix products.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

#: Samples per split the audit reads at most. Array splits above this (and Dataset splits
#: above DATASET_LIMIT, which must be decoded one by one) are audited on their first rows.
SAMPLE_LIMIT = 60_000
DATASET_LIMIT = 10_000
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
MAX_PAIRS = 200_000
PCA_ABOVE, PCA_DIM, PCA_FIT_ROWS = 64, 32, 20_000
POOL_TO = 16


@dataclass
class SplitData:
    """One split as arrays: ``x`` float32 (n, ...) or None when inputs are not one tensor."""

    name: str
    x: np.ndarray | None
    y: np.ndarray
    size: int  # samples in the whole split; n = len(y) may be fewer (a bounded sample)

    def __len__(self) -> int:
        return len(self.y)

    def described(self) -> str:
        """"600 samples", or "the first 10000 of 50000 samples" for a bounded sample."""
        return f"{len(self)} samples" if len(self) == self.size else f"the first {len(self)} of {self.size} samples"


def to_numpy(a: Any) -> np.ndarray | None:
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    if isinstance(a, np.ndarray):
        return a
    try:
        return np.asarray(a)
    except Exception:
        return None


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


def row_hashes(x: np.ndarray) -> np.ndarray:
    """A 16-byte digest of each sample's raw bytes (exact-duplicate detection)."""
    rows = np.ascontiguousarray(x).reshape(len(x), -1).view(np.uint8)
    return np.array([hashlib.blake2b(r.tobytes(), digest_size=16).digest() for r in rows], dtype="S16")


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


def knn(query: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean k nearest neighbours of each query row among the ``base`` rows (brute force).

    Returns (distances, indices into base), each (n_query, k), nearest first.
    """
    k = min(k, len(base))
    q, b = torch.from_numpy(query), torch.from_numpy(base)
    half_bn, qn = -0.5 * (b * b).sum(1), (q * q).sum(1)
    chunk = max(256, 50_000_000 // max(len(b), 1))
    dists, idxs = [], []
    for s in range(0, len(q), chunk):
        # score = q.b - |b|^2/2 = (|q|^2 - d^2)/2: one fused matrix product, larger is nearer
        v, i = torch.topk(torch.addmm(half_bn[None, :], q[s:s + chunk], b.T), k, dim=1)
        dists.append((qn[s:s + chunk, None] - 2.0 * v).clamp_min_(0).sqrt_())
        idxs.append(i)
    return torch.cat(dists).numpy(), torch.cat(idxs).numpy()


def close_pairs(a: np.ndarray, b: np.ndarray, radius: float, *, same: bool) -> np.ndarray:
    """All pairs (i, j) with ``|a[i] - b[j]| <= radius``: an exact fixed-radius search.

    Both sets are sorted on their first coordinate (the first principal component when
    the embedding is a PCA); a block of ``a`` is compared only with the window of ``b``
    whose first coordinate lies within ``radius`` of the block's, since no pair outside
    it can be closer. With the small radii used for near-duplicates the windows hold a
    few percent of ``b``. ``same``: a and b are one set; only i < j is returned.
    """
    oa, ob = np.argsort(a[:, 0], kind="stable"), np.argsort(b[:, 0], kind="stable")
    sa, sb = torch.from_numpy(a[oa]), torch.from_numpy(b[ob])
    key = b[ob, 0]
    half_bn = -0.5 * (sb * sb).sum(1)
    found = []
    for s in range(0, len(sa), 2048):
        blk = sa[s:s + 2048]
        lo = int(np.searchsorted(key, float(blk[:, 0].min()) - radius, "left"))
        hi = int(np.searchsorted(key, float(blk[:, 0].max()) + radius, "right"))
        if hi <= lo:
            continue
        # |a - b|^2 <= r^2  <=>  a.b - |b|^2/2 >= (|a|^2 - r^2)/2
        score = torch.addmm(half_bn[None, lo:hi], blk, sb[lo:hi].T)
        r, c = torch.nonzero(score >= 0.5 * ((blk * blk).sum(1)[:, None] - radius * radius), as_tuple=True)
        found.append(np.stack([oa[s + r.numpy()], ob[lo + c.numpy()]], 1))
        if sum(map(len, found)) > MAX_PAIRS:  # a degenerate data set: enough evidence
            break
    pairs = np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64)
    if same:
        pairs = pairs[pairs[:, 0] < pairs[:, 1]]
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def exact_pairs(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Pairs of equal hashes: (first occurrence, later copy) inside ``a`` when ``b`` is None,
    else (i in a, j in b) for each ``a[i]`` found in ``b``. Shape (p, 2)."""
    if b is None:
        _, first, inverse = np.unique(a, return_index=True, return_inverse=True)
        rep = first[inverse.ravel()]
        idx = np.arange(len(a))
        return np.stack([rep[rep != idx], idx[rep != idx]], 1)
    order = np.argsort(b, kind="stable")
    pos = np.clip(np.searchsorted(b[order], a), 0, max(len(b) - 1, 0))
    hit = np.flatnonzero(b[order][pos] == a) if len(b) else np.zeros(0, dtype=np.int64)
    return np.stack([hit, order[pos[hit]]], 1)


def redundant(n: int, pairs: np.ndarray) -> int:
    """Samples that are copies of another: N minus the number of groups the pairs join."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if len(pairs) == 0:
        return 0
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return int(n - connected_components(g, directed=False)[0])


@dataclass
class AuditContext:
    """The splits of a job as arrays, plus lazily computed shared quantities."""

    splits: dict[str, SplitData]
    task: str
    num_classes: int | None = None
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

    def classes(self) -> int:
        """Number of classes: the job's setting, else the largest label + 1."""
        if self.num_classes:
            return int(self.num_classes)
        return int(max(int(s.y.max()) for s in self.splits.values() if len(s.y)) + 1)

    def _cached(self, key: str, make: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def hashes(self, name: str) -> np.ndarray:
        return self._cached(f"hash:{name}", lambda: row_hashes(self.splits[name].x))

    def embedding(self, name: str) -> np.ndarray:
        """(n, d) float32 embedding of a split's inputs (see the module docstring)."""
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
            d = self.train_neighbours()[0][:, 0]
            d = d[d > 0]
            nn = float(np.median(d)) if len(d) else float("inf")
            return min(NEAR * self.typical_distance(), NEAR_NN * nn)

        return self._cached("radius", make)

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
