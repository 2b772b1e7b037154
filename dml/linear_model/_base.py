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
