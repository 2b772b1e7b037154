"""Per-row ranking metrics at k over a chunk of rows of (y_true, y_score) matrices.

Each kernel returns the sum over the chunk's rows of the per-row metric (the caller
divides by the number of rows). NumPy only.
"""

from __future__ import annotations

import numpy as np


def _order(y_score, k):
    """Columns of each row by decreasing score (ties: lower column first), first ``k``."""
    n = y_score.shape[1]
    cols = np.broadcast_to(np.arange(n), y_score.shape)
    order = np.lexsort((cols, -y_score), axis=1)
    return order[:, :k]


def hits_at_k_block(y_true, y_score, w=None, *, xp=None, k):
    """Sums of precision@k, recall@k and average precision@k over the rows.

    Signature of a map-reduce kernel (``w`` and ``xp`` unused: NumPy chunks).
    """
    y_true, y_score = np.asarray(y_true), np.asarray(y_score)
    relevant = y_true > 0
    top = np.take_along_axis(relevant, _order(y_score, k), axis=1)
    hits = top.sum(axis=1)
    n_rel = relevant.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(n_rel > 0, hits / n_rel, 0.0)
        prec_at_i = np.cumsum(top, axis=1) / np.arange(1, top.shape[1] + 1)
        denom = np.minimum(n_rel, k)
        ap = np.where(n_rel > 0, (prec_at_i * top).sum(axis=1) / np.maximum(denom, 1), 0.0)
    return {
        "precision": hits.sum() / k,
        "recall": recall.sum(),
        "ap": ap.sum(),
        "n": np.float64(y_true.shape[0]),
    }


def _tie_averaged_dcg(y_true, y_score, discount_cumsum):
    _, inv, counts = np.unique(-y_score, return_inverse=True, return_counts=True)
    ranked = np.zeros(len(counts))
    np.add.at(ranked, inv, y_true)
    ranked /= counts
    groups = np.cumsum(counts) - 1
    discount_sums = np.empty(len(counts))
    discount_sums[0] = discount_cumsum[groups[0]]
    discount_sums[1:] = np.diff(discount_cumsum[groups])
    return (ranked * discount_sums).sum()


def ndcg_block(y_true, y_score, w=None, *, xp=None, k, ignore_ties):
    """Sum over the rows of NDCG@k as scikit-learn's ``ndcg_score`` (linear gains)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    n = y_true.shape[1]
    discount = 1 / np.log2(np.arange(n) + 2)
    discount[k:] = 0
    ideal = np.take_along_axis(y_true, np.argsort(-y_true, axis=1, kind="stable")[:, :k], axis=1)
    norm = ideal @ discount[: ideal.shape[1]]
    if ignore_ties:
        gains = np.take_along_axis(y_true, _order(y_score, k), axis=1)
        dcg = gains @ discount[: gains.shape[1]]
    else:
        cum = np.cumsum(discount)
        dcg = np.array([_tie_averaged_dcg(t, s, cum) for t, s in zip(y_true, y_score)])
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(norm == 0, 0.0, dcg / norm)
    return {"ndcg": scores.sum(), "n": np.float64(y_true.shape[0])}
