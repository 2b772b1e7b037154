"""Per-fold sufficient statistics in one pass, for the cross-validated linear models.

By default folds are contiguous row ranges, exactly those of ``KFold(n_splits,
shuffle=False)`` over the whole data set (the first ``n % n_splits`` folds one row
longer), whatever the chunking: a chunk that straddles a fold boundary contributes to
both folds. Other partitions of the rows (shuffled KFold, explicit (train, test)
lists) are given as one fold id per row, broadcast to the chunks. One pass returns,
for every fold ``k``, the weighted mean and centred cross-product of ``[X, y]`` on the
rows of fold ``k`` (the test statistics); the training statistics of fold ``k`` are
the exact (Chan) merge of the other folds' statistics, so nothing is subtracted and
no precision is lost.

The kernel must know where its chunk starts in the data set: ``map_reduce(...,
pass_row_offset=True)`` gives it ``row_offset``.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.model_selection import KFold, check_cv

from dml._engine.inputs import raise_if_not_finite
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import to_numpy
from dml.linear_model._base import SufficientStats, check_sample_weights
from dml.linear_model._cv_stats_kernels import _merge_stacked, combine_folds, fold_gram_kernel


def kfold_bounds(n_samples, n_splits):
    """Row boundaries of ``KFold(n_splits, shuffle=False)``: array of n_splits + 1."""
    sizes = np.full(n_splits, n_samples // n_splits, dtype=np.int64)
    sizes[: n_samples % n_splits] += 1
    return np.concatenate([[0], np.cumsum(sizes)])


class Folds:
    """The folds of a cross-validation: contiguous ``bounds`` (KFold without
    shuffling) or, for other partitions of the rows, a fold id per row."""

    def __init__(self, n_splits, bounds=None, fold_ids=None):
        self.n_splits = n_splits
        self.bounds = bounds
        self.fold_ids = fold_ids


def resolve_folds(cv, n_samples, name):
    """``cv`` (None, int, a splitter or an iterable of (train, test)) -> :class:`Folds`.

    The statistics of every fold come from one pass, so the test sets must partition
    the rows and each training set must be the complement of its test set (KFold,
    shuffled KFold, GroupKFold-like splits passed as an iterable, ...). Other
    schemes raise a ValueError that says so.
    """
    if cv is None or (isinstance(cv, Integral) and not isinstance(cv, bool)):
        n_splits = 5 if cv is None else int(cv)
        _check_n_splits(n_splits, n_samples)
        return Folds(n_splits, bounds=kfold_bounds(n_samples, n_splits))
    if isinstance(cv, KFold) and not cv.shuffle:
        _check_n_splits(cv.n_splits, n_samples)
        return Folds(cv.n_splits, bounds=kfold_bounds(n_samples, cv.n_splits))
    try:
        splits = list(check_cv(cv).split(np.zeros((n_samples, 1))))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} could not form the folds of cv={cv!r} from the number of rows alone "
            f"({exc}). Pass an int, a KFold, or the list of (train, test) index pairs."
        ) from exc
    fold_ids = np.full(n_samples, -1, dtype=np.int32)
    for k, (train, test) in enumerate(splits):
        test = np.asarray(test)
        if (
            np.any(fold_ids[test] != -1)
            or len(train) + len(test) != n_samples
            or np.intersect1d(train, test).size
        ):
            fold_ids = None
            break
        fold_ids[test] = k
    if fold_ids is None or np.any(fold_ids < 0):
        raise ValueError(
            f"{name} computes every fold's statistics in one pass, so the test sets of cv "
            "must partition the rows and each training set must be the complement of its "
            "test set; the given cv does not."
        )
    n_splits = len(splits)
    contiguous = np.all(np.diff(fold_ids) >= 0) and np.array_equal(np.unique(fold_ids), np.arange(n_splits))
    if contiguous:
        sizes = np.bincount(fold_ids, minlength=n_splits)
        return Folds(n_splits, bounds=np.concatenate([[0], np.cumsum(sizes)]))
    return Folds(n_splits, fold_ids=fold_ids)


def _check_n_splits(n_splits, n_samples):
    if n_splits < 2:
        raise ValueError(
            "k-fold cross-validation requires at least one train/test split by setting "
            f"n_splits=2 or more, got n_splits={n_splits}."
        )
    if n_splits > n_samples:
        raise ValueError(
            f"Cannot have number of splits n_splits={n_splits} greater than the number "
            f"of samples: n_samples={n_samples}."
        )


class FoldStats:
    """Per-fold one-pass statistics.

    Attributes
    ----------
    test : list of SufficientStats
        The statistics of each fold's rows.
    total : SufficientStats
        All rows.
    """

    def __init__(self, stacked, n_features):
        s = {k: to_numpy(v) for k, v in stacked.items()}
        self.n_splits = len(s["n"])
        self._s = s
        self.p = n_features
        self.test = [self._one(k) for k in range(self.n_splits)]
        self.total = self._merge(range(self.n_splits))

    def _one(self, k):
        return SufficientStats({key: v[k] for key, v in self._s.items()}, self.p)

    def _merge(self, folds):
        folds = list(folds)
        merged = {key: v[folds[0] : folds[0] + 1] for key, v in self._s.items()}
        for k in folds[1:]:
            merged = _merge_stacked(merged, {key: v[k : k + 1] for key, v in self._s.items()})
        return SufficientStats({key: v[0] for key, v in merged.items()}, self.p)

    def train(self, k):
        """Statistics of every row outside fold ``k`` (an exact merge, no subtraction)."""
        return self._merge(j for j in range(self.n_splits) if j != k)

    def w_neg(self):
        """Number of negative sample weights, over all folds."""
        return int(self._s["w_neg"].sum())

    def w_nonzero(self):
        """Number of non-zero sample weights, over all folds."""
        return int(self._s["w_nonzero"].sum())


def compute_fold_stats(data, folds, *, check_weights=True):
    """One pass over ``data`` -> :class:`FoldStats` of the :class:`Folds` ``folds``.

    Ride-along checks as :func:`~dml.linear_model._base.compute_sufficient_stats`.
    """
    if folds.bounds is not None:
        stacked = map_reduce(
            fold_gram_kernel,
            data,
            combine=combine_folds,
            pass_row_offset=True,
            n_splits=folds.n_splits,
            bounds=tuple(int(b) for b in folds.bounds),
        )
    else:
        stacked = map_reduce(
            fold_gram_kernel,
            data,
            broadcast=(folds.fold_ids,),
            combine=combine_folds,
            pass_row_offset=True,
            n_splits=folds.n_splits,
        )
    raise_if_not_finite(data, stacked["scatter"], stacked["mean"])
    folds = FoldStats(stacked, data.n_features)
    if check_weights:
        check_sample_weights(data, negative=folds.w_neg(), nonzero=folds.w_nonzero())
    return folds


def holdout_sse(stats, coefs, intercepts):
    """Weighted sum of squared errors on the rows of ``stats`` for many models.

    Parameters
    ----------
    stats : SufficientStats
        Statistics of the evaluation rows (centred on their own means).
    coefs : ndarray of shape (t, p, m)
        ``m`` models (e.g. a path of alphas) for each of ``t`` targets.
    intercepts : ndarray of shape (t, m)

    Returns
    -------
    ndarray of shape (t, m)
        ``sum_i w_i (y_i - x_i @ coef - intercept)^2``, from
        ``n (y_mean - x_mean @ coef - b)^2 + Syy - 2 coef @ Sxy + coef @ Sxx @ coef``.
    """
    bias = stats.y_mean[:, None] - np.einsum("p,tpm->tm", stats.x_mean, coefs) - intercepts
    quad = np.einsum("tpm,pq,tqm->tm", coefs, stats.xx, coefs)
    lin = np.einsum("pt,tpm->tm", stats.xy, coefs)
    syy = np.diag(stats.yy)[:, None]
    sse = stats.n * bias**2 + syy - 2.0 * lin + quad
    return np.maximum(sse, 0.0)
