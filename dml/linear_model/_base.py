"""Pieces shared by the linear models: sufficient statistics and their solves."""

from __future__ import annotations

import numpy as np

from dml._engine.inputs import raise_if_not_finite
from dml._engine.kernels import combine_centered, gram_kernel
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import to_numpy


class SufficientStats:
    """The one-pass statistics of a weighted squared-error problem ``[X, y]``.

    Attributes
    ----------
    n : float
        Sum of sample weights (number of samples when unweighted).
    n_rows : int
        Number of rows.
    x_mean, y_mean : ndarray
        Weighted means of X (n_features,) and y (n_targets,).
    xx, xy, yy : ndarray
        Centred cross-products ``Xc^T W Xc`` (p, p), ``Xc^T W yc`` (p, t) and
        ``yc^T W yc`` (t, t).
    """

    def __init__(self, stats, n_features):
        p = n_features
        self.n = float(to_numpy(stats["n"]))
        self.n_rows = int(to_numpy(stats["n_rows"]))
        mean = to_numpy(stats["mean"])
        S = to_numpy(stats["scatter"])
        self.x_mean, self.y_mean = mean[:p], mean[p:]
        self.xx, self.xy, self.yy = S[:p, :p], S[:p, p:], S[p:, p:]

    def uncentered(self):
        """``(X^T W X, X^T W y)`` about the origin (models without intercept)."""
        xx = self.xx + self.n * np.outer(self.x_mean, self.x_mean)
        xy = self.xy + self.n * np.outer(self.x_mean, self.y_mean)
        return xx, xy


def compute_sufficient_stats(data, *, check_weights=True):
    """One pass over ``data`` (X, y, sample_weight) -> :class:`SufficientStats`.

    Checks ride along: non-finite values (scikit-learn's NaN/inf messages), negative or
    all-zero sample weights.
    """
    stats = map_reduce(gram_kernel, data, combine=combine_centered)
    raise_if_not_finite(data, stats["scatter"], stats["mean"])
    if check_weights and data.sample_weight is not None:
        if int(to_numpy(stats["w_neg"])):
            raise ValueError("Negative values in data passed to `sample_weight`")
        if int(to_numpy(stats["w_nonzero"])) == 0:
            raise ValueError("Sample weights must contain at least one non-zero number.")
    return SufficientStats(stats, data.n_features)


def lstsq_from_gram(xx, xy, *, cond):
    """Minimum-norm least squares from the normal equations, via ``eigh(xx)``.

    Singular values ``s = sqrt(eig(xx))`` below ``cond * s.max()`` (and eigenvalues
    at round-off level) count as zero, as ``scipy.linalg.lstsq(cond=...)`` does.

    Returns
    -------
    coef : ndarray of shape (p, t)
    rank : int
    singular : ndarray of shape (p,), descending
    """
    lam, V = np.linalg.eigh(xx)
    lam = np.clip(lam, 0.0, None)
    lam_max = lam.max() if lam.size else 0.0
    s = np.sqrt(lam)
    noise = lam_max * xx.shape[0] * np.finfo(np.float64).eps
    keep = (s > cond * np.sqrt(lam_max)) & (lam > noise)
    inv = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
    coef = V @ (inv[:, None] * (V.T @ xy))
    return coef, int(keep.sum()), s[::-1].copy()


def gram_system(stats, fit_intercept):
    """``(xx, xy, yy)``: centred (with intercept) or about the origin (without).

    ``xx`` (p, p), ``xy`` (p, t), ``yy`` (t, t), all float64 and weighted.
    """
    if fit_intercept:
        return stats.xx, stats.xy, stats.yy
    xx, xy = stats.uncentered()
    yy = stats.yy + stats.n * np.outer(stats.y_mean, stats.y_mean)
    return xx, xy, yy


def set_coef_intercept(estimator, coef, stats, *, fit_intercept, y_1d, dtype,
                       ravel_single=False):
    """Store ``coef_`` / ``intercept_`` from ``coef`` (t, p), scikit-learn's shapes.

    The intercept is ``y_mean - coef @ x_mean`` with an intercept, else 0. With
    ``ravel_single`` a 2-D y of one column gives a 1-D ``coef_`` and an
    ``intercept_`` of shape (1,) (as scikit-learn's Ridge and ElasticNet).
    """
    coef = np.asarray(coef, dtype=np.float64)
    if fit_intercept:
        intercept = stats.y_mean - coef @ stats.x_mean
    else:
        intercept = np.zeros(coef.shape[0])
    if y_1d:
        estimator.coef_ = coef[0].astype(dtype, copy=False)
        estimator.intercept_ = float(intercept[0]) if fit_intercept else 0.0
    else:
        single = ravel_single and coef.shape[0] == 1
        estimator.coef_ = (coef[0] if single else coef).astype(dtype, copy=False)
        estimator.intercept_ = intercept.astype(dtype, copy=False)
    return estimator


#: Above this many features (plus targets) the (p, p) Gram matrix is not formed:
#: it would take ``8 * p**2`` bytes per task (512 MiB at 8192) and ``O(n p^2)``
#: flops. The squared-error models then use a distributed iterative solver that
#: ships only O(p) vectors per round trip (see ``dml.linear_model._wide``).
GRAM_MAX_FEATURES = 8192


def use_gram(n_features):
    """Whether the one-pass Gram route applies (``n_features <= GRAM_MAX_FEATURES``)."""
    import dml.linear_model._base as _self

    return n_features <= _self.GRAM_MAX_FEATURES
