"""Lasso and ElasticNet (and their CV): coordinate descent on one-pass statistics."""

from __future__ import annotations

import sys
import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_random_state, check_scalar

import dml.linear_model._base as _lm_base
from dml._base import CpuMixin, RegressorScoreMixin, check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.inputs import validate_fit_data
from dml._solvers._coordinate_descent import enet_gram, enet_path_gram
from dml.linear_model._base import (
    LinearModel,
    compute_sufficient_stats,
    gram_system,
    set_coef_intercept,
    stats_intercept,
    use_gram,
)
from dml.linear_model._cv_stats import compute_fold_stats, holdout_sse, resolve_folds
from dml.linear_model._wide import enet_fista

_COMPUTATION_ENET = """
    Computation: one pass over the data (one round trip) when ``n_features <=
    dml.linear_model._base.GRAM_MAX_FEATURES`` (8192): each chunk returns the weighted
    mean and centred cross-product of ``[X, y]``, merged exactly in a tree on the
    workers; coordinate descent then runs in memory on the (p, p) Gram matrix, as
    scikit-learn's ``precompute=True`` path does (same updates, same duality-gap stopping
    rule), so no iteration touches the data. Memory per task: one chunk plus
    O((p + t)^2). Wider data switch to a distributed proximal-gradient (FISTA) solver:
    one pass for the means, a few for the step size, then one round trip per
    iteration shipping only the coefficients (see the user guide).

"""


def _with_notes(text):
    """Class decorator: put the shared Computation paragraph into the Notes section."""

    def deco(cls):
        cls.__doc__ = cls.__doc__.replace("    <COMPUTATION>\n", text.lstrip("\n"))
        return cls

    return deco


def _check_precompute(precompute, name):
    if not isinstance(precompute, (bool, np.bool_, str)):
        raise ValueError(
            f"{name} computes the Gram matrix itself, in the same pass as the other "
            "statistics; a precomputed Gram matrix (precompute=array) is not supported. "
            "Pass precompute=True, False or 'auto'."
        )


def _warm_coef(estimator, n_targets, n_features):
    if not estimator.warm_start or not hasattr(estimator, "coef_"):
        return np.zeros((n_targets, n_features))
    coef = np.atleast_2d(np.asarray(estimator.coef_, dtype=np.float64))
    if coef.shape != (n_targets, n_features):
        return np.zeros((n_targets, n_features))
    return coef.copy()


@_with_notes(_COMPUTATION_ENET)
class ElasticNet(CpuMixin, LinearModel, MultiOutputMixin, RegressorScoreMixin, RegressorMixin, BaseEstimator):
    """Linear regression with combined L1 and L2 priors, on row-chunked data.

    A drop-in for :class:`sklearn.linear_model.ElasticNet`. Minimises

        1 / (2 * sum(s)) * sum_i s_i (y_i - x_i w - b)^2
        + alpha * l1_ratio * ||w||_1 + 0.5 * alpha * (1 - l1_ratio) * ||w||^2

    (``s`` the sample weights, all 1 by default) by coordinate descent on the Gram
    matrix; the coefficients equal scikit-learn's to solver tolerance.

    Parameters
    ----------
    alpha : float, default=1.0
        Constant that multiplies the penalty terms.
    l1_ratio : float, default=0.5
        The ElasticNet mixing parameter, ``0 <= l1_ratio <= 1``.
    fit_intercept : bool, default=True
        Whether to fit an intercept (the data are centred implicitly, never copied).
    precompute : bool or 'auto', default=False
        dml always solves on the Gram matrix when it fits (``n_features <= 8192``),
        whatever this says: that is what makes the fit one pass. ``True`` forces the
        Gram route also for wider data; ``False`` / ``'auto'`` let wider data use the
        distributed iterative solver. A precomputed array is rejected.
    max_iter : int, default=1000
        Maximum number of coordinate-descent sweeps (iterations of the wide solver).
    copy_X : bool, default=True
        Accepted for compatibility: dml never writes to X.
    tol : float, default=1e-4
        Stop when the duality gap is below ``tol * ||y - mean(y)||^2`` (weighted),
        after the largest coordinate update fell below ``tol`` (scikit-learn's rule).
    warm_start : bool, default=False
        Start from the previous ``coef_`` (same shape) instead of zeros.
    positive : bool, default=False
        Force the coefficients to be non-negative (single target only).
    random_state : int, RandomState instance or None, default=None
        Seed for ``selection='random'``.
    selection : {'cyclic', 'random'}, default='cyclic'
        Coordinate order of each sweep.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    sparse_coef_ : scipy sparse array of shape (1, n_features) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int or list of int
        Sweeps run (per target).
    dual_gap_ : float or ndarray of shape (n_targets,)
        Final duality gaps (scikit-learn's normalisation).
    objective_history_ : list of float, or list of lists (one per target)
        The normalised objective above after every sweep.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    <COMPUTATION>
    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import ElasticNet
    >>> X = np.random.default_rng(0).normal(size=(200, 3)); y = X @ [1.0, 0.0, 2.0]
    >>> reg = ElasticNet(alpha=0.1).fit(X, y)
    >>> reg.coef_.round(2) + 0.0
    array([0.89, 0.  , 1.84])
    >>> (reg.coef_ == 0).tolist()
    [False, True, False]
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "precompute": ["boolean", "array-like", StrOptions({"auto"})],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "copy_X": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "positive": ["boolean"],
        "random_state": ["random_state"],
        "selection": [StrOptions({"cyclic", "random"})],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=0.5,
        fit_intercept=True,
        precompute=False,
        max_iter=1000,
        copy_X=True,
        tol=1e-4,
        warm_start=False,
        positive=False,
        random_state=None,
        selection="cyclic",
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.random_state = random_state
        self.selection = selection

    def fit(self, X, y, sample_weight=None, check_input=True):
        """Fit the model: one pass over the data, then coordinate descent in memory.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None
        check_input : bool, default=True
            Accepted for compatibility; the input is always validated (validation
            reads metadata only).

        Returns
        -------
        self : object
        """
        check_params(self)
        _check_precompute(self.precompute, type(self).__name__)
        if self.alpha == 0:
            warnings.warn(
                "With alpha=0, this algorithm does not converge well. You are advised to "
                "use the LinearRegression estimator",
                stacklevel=2,
            )
        max_iter = 1000 if self.max_iter is None else self.max_iter
        # One pass on the Gram path (coordinate descent runs on the Gram matrix); FISTA iterates.
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
            if self.precompute is True or use_gram(data.n_features):
                stats = compute_sufficient_stats(data)
                wide = None
            else:
                wide = enet_fista(
                    data.for_iterations(),
                    alpha=self.alpha,
                    l1_ratio=self.l1_ratio,
                    fit_intercept=self.fit_intercept,
                    positive=self.positive,
                    tol=self.tol,
                    max_iter=max_iter,
                    coef_init=self.coef_ if self._warm() else None,
                )
        if wide is not None:
            coef, intercept = wide.coef.T, wide.intercept
            gaps, n_iters, histories = list(wide.dual_gap), wide.n_iter, wide.objective_history
        else:
            coef, gaps, n_iters, histories = self._solve(stats, max_iter)
            intercept = stats_intercept(coef, stats, self.fit_intercept)
        set_coef_intercept(
            self,
            coef,
            intercept,
            fit_intercept=self.fit_intercept,
            y_1d=y_1d,
            dtype=data.dtype,
            ravel_single=True,
        )
        if len(n_iters) == 1:  # one target (also a 2-D y of one column), as scikit-learn
            self.n_iter_, self.dual_gap_, self.objective_history_ = n_iters[0], float(gaps[0]), histories[0]
        else:
            self.n_iter_, self.dual_gap_, self.objective_history_ = n_iters, np.asarray(gaps), histories
        if not (np.all(np.isfinite(self.coef_)) and np.all(np.isfinite(self.intercept_))):
            raise ValueError(
                "Coordinate descent iterations resulted in non-finite parameter values. "
                "The input data may contain large values and need to be preprocessed."
            )
        return self

    def _warm(self):
        return self.warm_start and hasattr(self, "coef_")

    def _solve(self, stats, max_iter):
        """Coordinate descent on the one-pass statistics: ``(coef (t, p), gaps, n_iters,
        histories)``."""
        Q, q, yy = gram_system(stats, self.fit_intercept)
        n_targets = q.shape[1]
        if self.positive and n_targets > 1:
            raise ValueError("positive=True is not allowed for multi-output (y.ndim != 1)")
        res = enet_gram(
            Q,
            q,
            yy,
            stats.n,
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            max_iter=max_iter,
            tol=self.tol,
            rng=check_random_state(self.random_state),
            random=self.selection == "random",
            positive=self.positive,
            coef_init=_warm_coef(self, n_targets, q.shape[0]),
        )
        return res.coef.T, res.dual_gap, res.n_iter, res.objective_history

    @property
    def sparse_coef_(self):
        """Sparse representation of the fitted ``coef_``."""
        return sparse.csr_array(np.atleast_2d(self.coef_))


@_with_notes(_COMPUTATION_ENET)
class Lasso(ElasticNet):
    """Linear model with an L1 prior (the Lasso), on row-chunked data.

    A drop-in for :class:`sklearn.linear_model.Lasso`: minimises
    ``1 / (2 * sum(s)) * sum_i s_i (y_i - x_i w - b)^2 + alpha * ||w||_1`` by coordinate
    descent on the Gram matrix of one pass; coefficients equal scikit-learn's to solver
    tolerance and are exactly zero where the penalty makes them so.

    Parameters
    ----------
    alpha : float, default=1.0
    fit_intercept : bool, default=True
    precompute : bool or 'auto', default=False
        See :class:`ElasticNet`.
    copy_X : bool, default=True
    max_iter : int, default=1000
    tol : float, default=1e-4
    warm_start : bool, default=False
    positive : bool, default=False
    random_state : int, RandomState instance or None, default=None
    selection : {'cyclic', 'random'}, default='cyclic'

    Attributes
    ----------
    coef_, sparse_coef_, intercept_, n_iter_, dual_gap_, objective_history_,
    n_features_in_, feature_names_in_ : see :class:`ElasticNet`.

    Notes
    -----
    <COMPUTATION>
    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import Lasso
    >>> X = np.random.default_rng(0).normal(size=(200, 3)); y = X @ [1.0, 0.0, 2.0]
    >>> Lasso(alpha=0.1).fit(X, y).coef_.round(2)
    array([0.89, 0.  , 1.88])
    """

    _parameter_constraints = {**ElasticNet._parameter_constraints}
    _parameter_constraints.pop("l1_ratio")

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        precompute=False,
        copy_X=True,
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        positive=False,
        random_state=None,
        selection="cyclic",
    ):
        super().__init__(
            alpha=alpha,
            l1_ratio=1.0,
            fit_intercept=fit_intercept,
            precompute=precompute,
            max_iter=max_iter,
            copy_X=copy_X,
            tol=tol,
            warm_start=warm_start,
            positive=positive,
            random_state=random_state,
            selection=selection,
        )


# ------------------------------------------------------------------------------- CV


def _alpha_grid_from_stats(q, n, *, l1_ratio, eps, n_alphas, positive):
    """scikit-learn's ``_alpha_grid`` from ``q = Xc^T W yc`` (p, t) and ``n = sum(w)``."""
    if l1_ratio == 0:
        raise ValueError(
            "Automatic alpha grid generation is not supported for l1_ratio=0. Please "
            "supply a grid by providing your estimator with the appropriate `alphas=` "
            "argument."
        )
    if not positive:
        alpha_max = np.sqrt(np.max(np.sum(q**2, axis=1))) / (n * l1_ratio)
    else:
        alpha_max = max(0.0, float(np.max(q))) / (n * l1_ratio)
    res = np.finfo(np.float64).resolution
    if alpha_max <= res:
        return np.full(n_alphas, res)
    return np.geomspace(alpha_max, alpha_max * eps, num=n_alphas)


def _fold_path(train, test, alphas, *, l1_ratio, fit_intercept, max_iter, tol, rng, random, positive):
    Q, q, yy = gram_system(train, fit_intercept)
    coefs = enet_path_gram(
        Q,
        q[:, 0],
        float(yy[0, 0]),
        train.n,
        alphas,
        l1_ratio=l1_ratio,
        max_iter=max_iter,
        tol=tol,
        rng=rng,
        random=random,
        positive=positive,
    ).coef
    if fit_intercept:
        intercepts = train.y_mean[0] - train.x_mean @ coefs
    else:
        intercepts = np.zeros(coefs.shape[1])
    sse = holdout_sse(test, coefs[None], intercepts[None])[0]
    return sse / test.n


class _LinearModelCV(CpuMixin, LinearModel, RegressorScoreMixin, RegressorMixin, BaseEstimator):
    """Shared fit of LassoCV / ElasticNetCV: every fold's path from one pass."""

    _parameter_constraints = {
        "eps": [Interval(Real, 0, None, closed="neither")],
        "alphas": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "fit_intercept": ["boolean"],
        "precompute": [StrOptions({"auto"}), "array-like", "boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "copy_X": ["boolean"],
        "cv": ["cv_object"],
        "verbose": ["verbose"],
        "n_jobs": [Integral, None],
        "positive": ["boolean"],
        "random_state": ["random_state"],
        "selection": [StrOptions({"cyclic", "random"})],
    }

    def _l1_ratios(self):
        return np.atleast_1d(getattr(self, "l1_ratio", 1.0)).astype(float)

    def fit(self, X, y, sample_weight=None):
        """Fit the model along a path of alphas with cross-validation, in one pass.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : float or array-like of shape (n_samples,), default=None
            Used for fitting and for the weighted MSE of each test fold; the MSE
            minimised over alphas is the unweighted mean over the folds of those
            weighted MSEs (as scikit-learn).

        Returns
        -------
        self : object
        """
        check_params(self)
        name = type(self).__name__
        _check_precompute(self.precompute, name)
        shape = getattr(y, "shape", None)
        if shape is not None and len(shape) == 2 and shape[1] is not None and shape[1] > 1:
            raise ValueError(f"For multi-task outputs, use MultiTask{name}")
        for l1r in self._l1_ratios():
            check_scalar(float(l1r), "l1_ratio", target_type=Real, min_val=0.0, max_val=1.0)
        if not isinstance(self.alphas, Integral):
            for i, a in enumerate(np.ravel(self.alphas)):
                check_scalar(a, f"alphas[{i}]", target_type=Real, min_val=0.0, include_boundaries="left")
        # One pass: the per-fold statistics of every fold at once.
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
            if data.y_ndim == 2:
                warnings.warn(
                    "A column-vector y was passed when a 1d array was expected. Please "
                    "change the shape of y to (n_samples, ), for example using ravel().",
                    DataConversionWarning,
                    stacklevel=2,
                )
            folds_def = resolve_folds(self.cv, data.n_samples, name)
            if not (self.precompute is True or use_gram(data.n_features)):
                raise ValueError(
                    f"{name} cross-validates from one pass of Gram statistics, which needs "
                    f"n_features <= {_lm_base.GRAM_MAX_FEATURES} (got {data.n_features}). Pass "
                    "precompute=True to form the Gram matrix anyway, or select alpha with "
                    "dml's search over Lasso / ElasticNet fits."
                )
            folds = compute_fold_stats(data, folds_def)
        self._fit_paths(folds, data.dtype)
        return self

    def _fit_paths(self, folds, dtype):
        total = folds.total
        _, q_total, _ = gram_system(total, self.fit_intercept)
        l1_ratios = self._l1_ratios()
        if isinstance(self.alphas, Integral):
            alphas = [
                _alpha_grid_from_stats(
                    q_total, total.n, l1_ratio=l1r, eps=self.eps, n_alphas=self.alphas, positive=self.positive
                )
                for l1r in l1_ratios
            ]
        else:
            grid = np.sort(np.ravel(np.asarray(self.alphas, dtype=float)))[::-1]
            alphas = [grid for _ in l1_ratios]
        trains = [folds.train(k) for k in range(folds.n_splits)]
        rng = check_random_state(self.random_state)
        seeds = rng.randint(np.iinfo(np.int32).max, size=(len(l1_ratios), folds.n_splits))
        random = self.selection == "random"

        def one(i, k):
            if self.verbose:
                print(
                    f"{type(self).__name__}: l1_ratio {l1_ratios[i]:g}, fold {k + 1}/{folds.n_splits}",
                    file=sys.stderr,
                )
            return _fold_path(
                trains[k],
                folds.test[k],
                alphas[i],
                l1_ratio=l1_ratios[i],
                fit_intercept=self.fit_intercept,
                max_iter=self.max_iter,
                tol=self.tol,
                rng=np.random.RandomState(seeds[i, k]),
                random=random,
                positive=self.positive,
            )

        jobs = [(i, k) for i in range(len(l1_ratios)) for k in range(folds.n_splits)]
        mses = Parallel(n_jobs=self.n_jobs, prefer="threads")(delayed(one)(i, k) for i, k in jobs)
        mse_paths = np.reshape(mses, (len(l1_ratios), folds.n_splits, -1))
        mean_mse = mse_paths.mean(axis=1)
        self.mse_path_ = np.squeeze(np.moveaxis(mse_paths, 2, 1))
        best_mse = np.inf
        for l1r, l1_alphas, mse_alphas in zip(l1_ratios, alphas, mean_mse):
            i_best = int(np.argmin(mse_alphas))
            if mse_alphas[i_best] < best_mse:
                best_alpha, best_l1, best_mse = float(l1_alphas[i_best]), float(l1r), mse_alphas[i_best]
        self.alpha_ = best_alpha
        if hasattr(self, "l1_ratio"):
            self.l1_ratio_ = best_l1
        self.alphas_ = np.asarray(alphas) if len(l1_ratios) > 1 else np.asarray(alphas[0])
        # Refit on all the data: the statistics are already there.
        Q, q, yy = gram_system(total, self.fit_intercept)
        res = enet_gram(
            Q,
            q,
            yy,
            total.n,
            alpha=best_alpha,
            l1_ratio=best_l1,
            max_iter=self.max_iter,
            tol=self.tol,
            rng=check_random_state(self.random_state),
            random=self.selection == "random",
            positive=self.positive,
        )
        coef = res.coef.T
        set_coef_intercept(
            self,
            coef,
            stats_intercept(coef, total, self.fit_intercept),
            fit_intercept=self.fit_intercept,
            y_1d=True,
            dtype=dtype,
        )
        self.dual_gap_ = float(res.dual_gap[0])
        self.n_iter_ = res.n_iter[0]
        self.objective_history_ = res.objective_history[0]

    @property
    def sparse_coef_(self):
        """Sparse representation of the fitted ``coef_``."""
        return sparse.csr_array(np.atleast_2d(self.coef_))


_COMPUTATION_CV = """
    Computation: one pass over the data for the whole cross-validation (one round
    trip). The folds are ``KFold(cv)``'s contiguous row ranges (``cv=None``: 5), or
    any partition of the rows given by a splitter; each chunk returns the weighted
    mean and centred cross-product of ``[X, y]`` for every fold its rows fall in. A
    fold's training statistics are the exact merge of the other folds', its test MSE
    along the path follows from its own statistics, so every fold's path
    (warm-started coordinate descent on the Gram matrix, in memory, folds in parallel
    threads with ``n_jobs``) and the final refit use no further pass. Memory per
    task: one chunk plus O(cv * (p + t)^2). The same folds as scikit-learn's give the
    same ``mse_path_`` and ``alpha_`` (to solver tolerance). Splitters whose test
    sets do not partition the rows (ShuffleSplit, ...) are rejected.

"""


@_with_notes(_COMPUTATION_CV)
class LassoCV(_LinearModelCV):
    """Lasso with the alpha chosen by cross-validation over a path, in one pass.

    A drop-in for :class:`sklearn.linear_model.LassoCV`.

    Parameters
    ----------
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    alphas : int or array-like, default=100
        Number of alphas on the automatic grid, or the grid itself.
    fit_intercept : bool, default=True
    precompute : 'auto', bool, default='auto'
        See :class:`ElasticNet` (dml always uses the Gram matrix).
    max_iter : int, default=1000
    tol : float, default=1e-4
    copy_X : bool, default=True
        Accepted for compatibility: dml never writes to X.
    cv : int, cross-validation splitter, iterable of (train, test) or None, default=None
        None: 5 folds; int: ``KFold(cv)`` (contiguous row ranges, as scikit-learn).
        Splitters and iterables are accepted when their test sets partition the rows
        and each training set is the complement of its test set (KFold with shuffling,
        GroupKFold splits given as a list, ...); the fold of every row is then
        broadcast to the chunks.
    verbose : bool or int, default=False
        Print one line per fold path.
    n_jobs : int, default=None
        Threads for the folds' paths (joblib semantics).
    positive : bool, default=False
    random_state : int, RandomState instance or None, default=None
    selection : {'cyclic', 'random'}, default='cyclic'

    Attributes
    ----------
    alpha_ : float
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    mse_path_ : ndarray of shape (n_alphas, n_folds)
    alphas_ : ndarray of shape (n_alphas,)
    dual_gap_ : float
    n_iter_ : int
    objective_history_ : list of float
        Objective after each sweep of the final refit.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    <COMPUTATION>
    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import LassoCV
    >>> X = np.random.default_rng(0).normal(size=(300, 4)); y = X @ [1.0, 0.0, 2.0, 0.0]
    >>> reg = LassoCV(cv=3).fit(X, y)
    >>> bool(reg.alpha_ > 0)
    True
    """

    def __init__(
        self,
        *,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        copy_X=True,
        cv=None,
        verbose=False,
        n_jobs=None,
        positive=False,
        random_state=None,
        selection="cyclic",
    ):
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.copy_X = copy_X
        self.cv = cv
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection


@_with_notes(_COMPUTATION_CV)
class ElasticNetCV(_LinearModelCV):
    """Elastic net with alpha (and l1_ratio) chosen by cross-validation, in one pass.

    A drop-in for :class:`sklearn.linear_model.ElasticNetCV`.

    Parameters
    ----------
    l1_ratio : float or array-like of float, default=0.5
        Mixing parameter(s) to cross-validate.
    eps, alphas, fit_intercept, precompute, max_iter, tol, cv, copy_X, verbose,
    n_jobs, positive, random_state, selection : see :class:`LassoCV`.

    Attributes
    ----------
    alpha_ : float
    l1_ratio_ : float
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    mse_path_ : ndarray of shape (n_l1_ratio, n_alphas, n_folds), squeezed
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
    dual_gap_ : float
    n_iter_ : int
    objective_history_ : list of float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    <COMPUTATION>
    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import ElasticNetCV
    >>> X = np.random.default_rng(0).normal(size=(300, 4)); y = X @ [1.0, 0.0, 2.0, 0.0]
    >>> reg = ElasticNetCV(l1_ratio=[0.5, 0.9], cv=3).fit(X, y)
    >>> reg.l1_ratio_ in (0.5, 0.9)
    True
    """

    _parameter_constraints = {
        **_LinearModelCV._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), "array-like"],
    }

    def __init__(
        self,
        *,
        l1_ratio=0.5,
        eps=1e-3,
        alphas=100,
        fit_intercept=True,
        precompute="auto",
        max_iter=1000,
        tol=1e-4,
        cv=None,
        copy_X=True,
        verbose=0,
        n_jobs=None,
        positive=False,
        random_state=None,
        selection="cyclic",
    ):
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.precompute = precompute
        self.max_iter = max_iter
        self.tol = tol
        self.cv = cv
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.positive = positive
        self.random_state = random_state
        self.selection = selection
