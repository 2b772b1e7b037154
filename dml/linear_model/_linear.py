"""LinearRegression: exact least squares from one pass of sufficient statistics."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin

from dml._base import CpuMixin, RegressorScoreMixin, check_params
from dml._compat.sklearn import Interval
from dml._engine.inputs import validate_fit_data
from dml._solvers._gram import lstsq_gram, nnls_gram
from dml.linear_model._base import (
    LinearModel,
    compute_sufficient_stats,
    set_coef_intercept,
    stats_intercept,
    use_gram,
)
from dml.linear_model._summary import SummaryMixin
from dml.linear_model._wide import ridge_cg


class LinearRegression(
    CpuMixin, SummaryMixin, LinearModel, MultiOutputMixin, RegressorScoreMixin, RegressorMixin, BaseEstimator
):
    """Ordinary least squares over row-chunked data, exact, in one pass.

    A drop-in for :class:`sklearn.linear_model.LinearRegression`.

    Parameters
    ----------
    fit_intercept : bool, default=True
        Whether to fit an intercept (the data are centred implicitly; never copied).
    copy_X : bool, default=True
        Accepted for compatibility: dml never writes to X, so X is never overwritten
        whatever the value.
    tol : float, default=1e-6
        Singular values of (the centred, weighted) X below ``tol * max singular value``
        count as zero, as ``scipy.linalg.lstsq(cond=tol)`` in scikit-learn. The
        minimum-norm solution is returned for rank-deficient X.
    n_jobs : int, default=None
        Number of jobs for the per-target non-negative solves when ``positive=True``
        and y has several targets (joblib semantics).
    positive : bool, default=False
        Force the coefficients to be non-negative (NNLS on the one-pass statistics).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    rank_ : int
        Rank of the (centred, weighted) X. Not set when ``positive=True``.
    singular_ : ndarray of shape (n_features,)
        Singular values of the (centred, weighted) X. Not set when ``positive=True``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: one pass over the data (one round trip). Each chunk returns the
    weighted mean and centred cross-product of ``[X, y]`` (a (p+t) x (p+t) matrix),
    accumulated in float64 in cache-sized row blocks; partials merge exactly (Chan's
    update) in a tree on the workers. The solve is in memory on the (p, p) matrix via
    its eigendecomposition, which gives the minimum-norm solution for rank-deficient
    X. Memory per task: one chunk plus O((p + t)^2). The relative accuracy of the
    coefficients is about ``cond(X)^2 * eps``: ample for well-conditioned data; for
    very ill-conditioned X, standardize or regularize (``Ridge``). With more than
    8192 features (``dml.linear_model._base.GRAM_MAX_FEATURES``) the Gram matrix is
    not formed: a distributed conjugate gradient on the normal equations runs instead,
    one round trip per iteration (``rank_`` / ``singular_`` are then not set).
    :meth:`summary`
    gives standard errors, t- and p-values, RMSE, R^2 and adjusted R^2 from the same
    statistics, with no further pass.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import LinearRegression
    >>> X = np.array([[1.0], [2.0], [3.0]]); y = 2 * X.ravel() + 1
    >>> reg = LinearRegression().fit(X, y)
    >>> float(round(reg.coef_[0], 6)), float(round(reg.intercept_, 6))
    (2.0, 1.0)
    """

    _parameter_constraints = {
        "fit_intercept": ["boolean"],
        "copy_X": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_jobs": [None, Integral],
        "positive": ["boolean"],
    }

    def __init__(self, *, fit_intercept=True, copy_X=True, tol=1e-6, n_jobs=None, positive=False):
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.tol = tol
        self.n_jobs = n_jobs
        self.positive = positive

    def fit(self, X, y, sample_weight=None):
        """Fit the linear model in one pass over the data.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative individual weights.

        Returns
        -------
        self : object
        """
        check_params(self)
        # One pass on the Gram path; the wide path iterates (conjugate gradient).
        with validate_fit_data(
            self,
            X,
            y,
            sample_weight,
            y_numeric=True,
            multi_output=True,
            iterative=False,
            accept_sparse=("csr", "csc", "coo"),
        ) as data:
            y_1d = data.y_ndim == 1
            if not use_gram(data.n_features):
                return self._fit_wide(data.for_iterations(), y_1d)
            stats = compute_sufficient_stats(data)
        if self.fit_intercept:
            xx, xy = stats.xx, stats.xy
        else:
            xx, xy = stats.uncentered()
        self._forget_rank()
        if self.positive:
            coef = nnls_gram(xx, xy, n_jobs=self.n_jobs).coef
        else:
            res = lstsq_gram(xx, xy, cond=self.tol)
            coef, self.rank_, self.singular_ = res.coef, res.rank, res.singular
        coef = coef.T  # (t, p)
        self._summary_stats = None if self.positive else (stats, np.zeros(coef.shape[0]))
        set_coef_intercept(
            self,
            coef,
            stats_intercept(coef, stats, self.fit_intercept),
            fit_intercept=self.fit_intercept,
            y_1d=y_1d,
            dtype=data.dtype,
        )
        return self

    def _forget_rank(self):
        for attr in ("rank_", "singular_"):
            if hasattr(self, attr):
                delattr(self, attr)

    def _fit_wide(self, data, y_1d):
        """More features than ``GRAM_MAX_FEATURES``: distributed conjugate gradient on
        the normal equations from zero (the minimum-norm solution), rtol 1e-10."""
        if self.positive:
            raise ValueError(
                f"positive=True needs the Gram matrix, which is not formed for "
                f"{data.n_features} features (more than GRAM_MAX_FEATURES); use "
                "dml.linear_model.Lasso(alpha=small, positive=True) instead."
            )
        self._forget_rank()
        res = ridge_cg(data, alpha=0.0, fit_intercept=self.fit_intercept, tol=1e-10)
        self._summary_stats = None
        set_coef_intercept(
            self, res.coef.T, res.intercept, fit_intercept=self.fit_intercept, y_1d=y_1d, dtype=data.dtype
        )
        return self
