"""The neighbour searches against a plain all-pairs reference (scipy's cdist)."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from danfang.checks.data import _search
from danfang.checks.data._search import close_pairs, exact_pairs, knn, redundant, row_hashes


def points(n, seed):
    return np.random.default_rng(seed).normal(size=(n, 5)).astype(np.float32)


def test_knn_matches_all_pairs_distances():
    q, b = points(300, 0), points(500, 1)
    d, i = knn(q, b, 4)
    ref = cdist(q, b)
    np.testing.assert_array_equal(i, np.argsort(ref, 1)[:, :4])
    np.testing.assert_allclose(d, np.sort(ref, 1)[:, :4], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("scores", [25_000_000, 5_000])  # 5,000 forces the smallest blocks
def test_close_pairs_is_exact(monkeypatch, scores):
    monkeypatch.setattr(_search, "SCORES", scores)
    a, b = points(700, 2), points(400, 3)
    r = 1.0
    got = close_pairs(a, b, r, same=False)
    ref = np.argwhere(cdist(a, b) <= r)
    np.testing.assert_array_equal(got, ref[np.lexsort((ref[:, 1], ref[:, 0]))])
    inside = close_pairs(a, a, r, same=True)
    ref = np.argwhere(np.triu(cdist(a, a) <= r, 1))
    np.testing.assert_array_equal(inside, ref[np.lexsort((ref[:, 1], ref[:, 0]))])


def test_exact_pairs_and_redundant_count():
    x = points(10, 4)
    x[7] = x[2]
    x[9] = x[2]
    h = row_hashes(x)
    assert exact_pairs(h).tolist() == [[2, 7], [2, 9]]
    assert redundant(10, exact_pairs(h)) == 2
    other = np.stack([x[9], points(1, 5)[0], x[0]])
    assert exact_pairs(row_hashes(other), h).tolist() in ([[0, 2], [2, 0]], [[0, 7], [2, 0]], [[0, 9], [2, 0]])
