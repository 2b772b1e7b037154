"""Ranking metrics at k against scikit-learn and hand computations, in memory and on Dask."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, ndcg_score

from dml.metrics import mean_average_precision, ndcg_at_k, precision_at_k, recall_at_k


def _data(seed=0, n=37, m=12, ties=False):
    rng = np.random.default_rng(seed)
    y_true = (rng.random((n, m)) < 0.3) * rng.integers(1, 4, (n, m))
    y_score = rng.integers(0, 4, (n, m)).astype(float) if ties else rng.random((n, m))
    return y_true, y_score


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("k", [1, 3, 12, 50])
def test_ndcg_equals_scikit_learn(k, ties):
    y_true, y_score = _data(ties=ties)
    expected = ndcg_score(y_true, y_score, k=k)
    assert ndcg_at_k(y_true, y_score, k=k) == pytest.approx(expected, rel=1e-12)
    lazy = ndcg_at_k(da.from_array(y_true, chunks=(10, 12)), da.from_array(y_score, chunks=(7, 5)), k=k)
    assert lazy == pytest.approx(expected, rel=1e-12)
    if not ties:
        assert ndcg_at_k(y_true, y_score, k=k, ignore_ties=True) == pytest.approx(
            ndcg_score(y_true, y_score, k=k, ignore_ties=True), rel=1e-12
        )


def _hand(y_true, y_score, k):
    prec, rec, ap = [], [], []
    for t, s in zip(y_true > 0, y_score):
        order = sorted(range(len(s)), key=lambda j: (-s[j], j))[:k]
        hits = [bool(t[j]) for j in order]
        n_rel = int(t.sum())
        prec.append(sum(hits) / k)
        rec.append(sum(hits) / n_rel if n_rel else 0.0)
        run, total = 0, 0.0
        for i, h in enumerate(hits, 1):
            if h:
                run += 1
                total += run / i
        ap.append(total / min(n_rel, k) if n_rel else 0.0)
    return np.mean(prec), np.mean(rec), np.mean(ap)


@pytest.mark.parametrize("k", [1, 4, 12])
@pytest.mark.parametrize("ties", [False, True])
def test_precision_recall_map_hand_computed(k, ties):
    y_true, y_score = _data(seed=1, ties=ties)
    p, r, a = _hand(y_true, y_score, k)
    assert precision_at_k(y_true, y_score, k=k) == pytest.approx(p)
    assert recall_at_k(y_true, y_score, k=k) == pytest.approx(r)
    assert mean_average_precision(y_true, y_score, k=k) == pytest.approx(a)
    dt, ds = da.from_array(y_true, chunks=(9, 12)), da.from_array(y_score, chunks=(9, 12))
    assert precision_at_k(dt, ds, k=k) == pytest.approx(p)
    assert recall_at_k(dt, ds, k=k) == pytest.approx(r)
    assert mean_average_precision(dt, ds, k=k) == pytest.approx(a)


def test_map_without_k_is_scikit_learn_average_precision():
    y_true, y_score = _data(seed=2)
    keep = (y_true > 0).any(axis=1)
    per_row = [average_precision_score(t > 0, s) for t, s in zip(y_true[keep], y_score[keep])]
    assert mean_average_precision(y_true[keep], y_score[keep]) == pytest.approx(np.mean(per_row), rel=1e-12)


def test_small_cases():
    assert precision_at_k([[1, 0, 1, 0]], [[0.9, 0.8, 0.1, 0.0]], k=2) == 0.5
    assert recall_at_k([[1, 0, 1, 0]], [[0.9, 0.8, 0.1, 0.0]], k=3) == 1.0
    assert mean_average_precision([[0, 0, 0]], [[1, 2, 3]]) == 0.0
    assert precision_at_k([[1, 1]], [[0.1, 0.2]], k=4) == 0.5  # divides by k, as Spark


def test_bad_input():
    with pytest.raises(ValueError, match="k must be a positive integer"):
        precision_at_k([[1, 0]], [[0.2, 0.1]], k=0)
    with pytest.raises(ValueError, match="2-D"):
        recall_at_k([1, 0], [0.2, 0.1])
    with pytest.raises(ValueError, match="different shape"):
        ndcg_at_k([[1, 0]], [[0.2, 0.1, 0.3]])
    with pytest.raises(ValueError, match="negative y_true"):
        ndcg_at_k([[-1, 0]], [[0.2, 0.1]])
