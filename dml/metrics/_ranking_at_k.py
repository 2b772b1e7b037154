"""Ranking metrics at k for recommenders: precision@k, recall@k, NDCG@k and MAP.

Inputs are matrices as scikit-learn's ``ndcg_score``: ``y_true`` of shape
(n_users, n_items) holds the relevance of each item to each user (relevant means
``> 0``; NDCG uses the values as gains), ``y_score`` the scores the recommender gave
(each user's recommended list is its items by decreasing score; ties go to the lower
column). Each metric is the mean over the rows; a row with no relevant item scores 0
and counts in the mean (Spark's ``RankingMetrics`` does the same).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from dml.metrics._common import align, any_lazy, one_pass
from dml.metrics._ranking_at_k_kernels import hits_at_k_block, ndcg_block


def _prepare(y_true, y_score, k, func, *, allow_none=False):
    if k is None and allow_none:
        pass
    elif not isinstance(k, Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"{func}: k must be a positive integer, got {k!r}.")
    lazy = any_lazy(y_true, y_score)
    if not lazy:
        y_true, y_score = np.asarray(y_true), np.asarray(y_score)
    if y_true.ndim != 2 or y_score.ndim != 2:
        raise ValueError(
            f"{func} expects 2-D y_true and y_score of shape (n_users, n_items); "
            f"got shapes {y_true.shape} and {y_score.shape}."
        )
    if y_true.shape[1:] != y_score.shape[1:] or (not lazy and y_true.shape != y_score.shape):
        raise ValueError(f"y_true and y_score have different shape: {y_true.shape} and {y_score.shape}.")
    if lazy:
        y_true, y_score = align(y_true, y_score)
    k = int(y_true.shape[1]) if k is None else int(k)
    return y_true, y_score, k, lazy


def _run(kernel, y_true, y_score, lazy, **kwargs):
    if lazy:
        out = one_pass(kernel, y_true, y_score, **kwargs)
    else:
        out = kernel(y_true, y_score, **kwargs)
    return {key: float(v) for key, v in out.items()}


def precision_at_k(y_true, y_score, *, k=10):
    """Mean over users of the share of the top ``k`` scored items that are relevant.

    Parameters
    ----------
    y_true : array-like or Dask array of shape (n_users, n_items)
        Relevance; an item is relevant when its value is > 0.
    y_score : array-like or Dask array of shape (n_users, n_items)
        Scores; each user's recommended list is its items by decreasing score.
    k : int, default=10
        Length of the list (divides the hit count, as Spark's ``precisionAt``).

    Returns
    -------
    float

    Notes
    -----
    Computation: one pass over Dask input (per row chunk: a sort of each row);
    in memory otherwise.

    Examples
    --------
    >>> from dml.metrics import precision_at_k
    >>> precision_at_k([[1, 0, 1, 0]], [[0.9, 0.8, 0.1, 0.0]], k=2)
    0.5
    """
    y_true, y_score, k, lazy = _prepare(y_true, y_score, k, "precision_at_k")
    out = _run(hits_at_k_block, y_true, y_score, lazy, k=k)
    return out["precision"] / out["n"]


def recall_at_k(y_true, y_score, *, k=10):
    """Mean over users of the share of their relevant items found in the top ``k``.

    Parameters
    ----------
    y_true : array-like or Dask array of shape (n_users, n_items)
        Relevance; an item is relevant when its value is > 0.
    y_score : array-like or Dask array of shape (n_users, n_items)
        Scores.
    k : int, default=10
        Length of the recommended list.

    Returns
    -------
    float

    Notes
    -----
    Computation: one pass over Dask input; in memory otherwise.

    Examples
    --------
    >>> from dml.metrics import recall_at_k
    >>> recall_at_k([[1, 0, 1, 0]], [[0.9, 0.8, 0.1, 0.0]], k=2)
    0.5
    """
    y_true, y_score, k, lazy = _prepare(y_true, y_score, k, "recall_at_k")
    out = _run(hits_at_k_block, y_true, y_score, lazy, k=k)
    return out["recall"] / out["n"]


def mean_average_precision(y_true, y_score, *, k=None):
    """Mean over users of the average precision of the recommended list.

    Average precision of a user: the sum of precision@i over the positions ``i`` of
    relevant items in the top ``k``, divided by ``min(n_relevant, k)`` (Spark's
    ``meanAveragePrecisionAt``); ``k=None`` ranks all items and divides by
    ``n_relevant`` (Spark's ``meanAveragePrecision``; per row, scikit-learn's
    ``average_precision_score`` when no scores tie).

    Parameters
    ----------
    y_true : array-like or Dask array of shape (n_users, n_items)
        Relevance; an item is relevant when its value is > 0.
    y_score : array-like or Dask array of shape (n_users, n_items)
        Scores.
    k : int or None, default=None
        Length of the recommended list; None for all items.

    Returns
    -------
    float

    Notes
    -----
    Computation: one pass over Dask input; in memory otherwise.

    Examples
    --------
    >>> from dml.metrics import mean_average_precision
    >>> mean_average_precision([[1, 0, 1, 0]], [[0.9, 0.8, 0.1, 0.0]])
    0.8333333333333333
    """
    y_true, y_score, k, lazy = _prepare(y_true, y_score, k, "mean_average_precision", allow_none=True)
    out = _run(hits_at_k_block, y_true, y_score, lazy, k=k)
    return out["ap"] / out["n"]


def ndcg_at_k(y_true, y_score, *, k=10, ignore_ties=False):
    """Normalized discounted cumulative gain at ``k``: scikit-learn's ``ndcg_score``.

    Parameters
    ----------
    y_true : array-like or Dask array of shape (n_users, n_items)
        Non-negative gains (linear gains, as scikit-learn).
    y_score : array-like or Dask array of shape (n_users, n_items)
        Scores.
    k : int, default=10
        Only the top ``k`` positions count.
    ignore_ties : bool, default=False
        As scikit-learn: False averages the gains of tied scores over their positions;
        True ranks ties by the lower column first.

    Returns
    -------
    float

    Notes
    -----
    Computation: one pass over Dask input; in memory otherwise. Equal to
    ``sklearn.metrics.ndcg_score(y_true, y_score, k=k)`` (which needs in-memory input).

    Examples
    --------
    >>> from dml.metrics import ndcg_at_k
    >>> round(ndcg_at_k([[3, 2, 0, 1]], [[0.1, 0.9, 0.5, 0.2]], k=3), 6)
    0.525005
    """
    y_true, y_score, k, lazy = _prepare(y_true, y_score, k, "ndcg_at_k")
    if not lazy and np.any(np.asarray(y_true) < 0):
        raise ValueError("ndcg_score should not be used on negative y_true values.")
    out = _run(ndcg_block, y_true, y_score, lazy, k=k, ignore_ties=bool(ignore_ties))
    return out["ndcg"] / out["n"]
