"""Exact and nearest-neighbour search, brute force in matrix products (torch, CPU)."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

#: Pair searches stop collecting beyond this many pairs (a degenerate data set).
MAX_PAIRS = 200_000
#: Entries of one block of scores (float32): 25M = 100 MB at a time.
SCORES = 25_000_000


def row_hashes(x: np.ndarray) -> np.ndarray:
    """A 16-byte digest of each sample's raw bytes (exact-duplicate detection)."""
    rows = np.ascontiguousarray(x).reshape(len(x), -1).view(np.uint8)
    return np.array([hashlib.blake2b(r.tobytes(), digest_size=16).digest() for r in rows], dtype="S16")


def knn(query: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean k nearest neighbours of each query row among the ``base`` rows (brute force).

    Returns (distances, indices into base), each (n_query, k), nearest first.
    """
    k = min(k, len(base))
    q, b = torch.from_numpy(query), torch.from_numpy(base)
    half_bn, qn = -0.5 * (b * b).sum(1), (q * q).sum(1)
    chunk = max(64, SCORES // max(len(b), 1))
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
    found, s = [], 0
    while s < len(sa):
        rows = 2048
        while True:  # shrink the block until its score matrix stays under SCORES entries
            blk = sa[s:s + rows]
            lo = int(np.searchsorted(key, float(blk[:, 0].min()) - radius, "left"))
            hi = int(np.searchsorted(key, float(blk[:, 0].max()) + radius, "right"))
            if rows <= 64 or len(blk) * (hi - lo) <= SCORES:
                break
            rows //= 2
        start, s = s, s + len(blk)
        if hi <= lo:
            continue
        # |a - b|^2 <= r^2  <=>  a.b - |b|^2/2 >= (|a|^2 - r^2)/2
        score = torch.addmm(half_bn[None, lo:hi], blk, sb[lo:hi].T)
        r, c = torch.nonzero(score >= 0.5 * ((blk * blk).sum(1)[:, None] - radius * radius), as_tuple=True)
        found.append(np.stack([oa[start + r.numpy()], ob[lo + c.numpy()]], 1))
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
