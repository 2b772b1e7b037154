"""Ridge and RidgeCV: exact solves from one pass of sufficient statistics."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.utils import check_scalar

from dml._base import CpuMixin, RegressorScoreMixin, check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.inputs import validate_fit_data
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import to_numpy
from dml._solvers._gram import ridge_gram, ridge_solve_eigh
from dml.linear_model._base import (
    LinearModel,
    alpha_vector,
    compute_sufficient_stats,
    gram_system,
    set_coef_intercept,
    stats_intercept,
    use_gram,
)
from dml.linear_model._cv_stats import compute_fold_stats, holdout_sse, resolve_folds
from dml.linear_model._ridge_kernels import combine_loo, ridge_loo_kernel
from dml.linear_model._summary import SummaryMixin
from dml.linear_model._wide import ridge_cg


class Ridge(
    CpuMixin, SummaryMixin, LinearModel, MultiOutputMixin, RegressorScoreMixin, RegressorMixin, BaseEstimator
):
    """Linear least squares with L2 regularization, exact, in one pass.

    A drop-in for :class:`sklearn.linear_model.Ridge`: minimises
    ``||sqrt(s) * (y - X w - b)||^2 + alpha * ||w||^2`` (``s`` the sample weights) for
    each target.

    Parameters
    ----------
    alpha : float or array-like of shape (n_targets,), default=1.0
        Regularization strength; one per target when an array.
    fit_intercept : bool, default=True
        Whether to fit an intercept (the data are centred implicitly, never copied).
    copy_X : bool, default=True
        Accepted for compatibility: dml never writes to X.
    max_iter : int, default=None
        Iterations of the iterative solvers ('sparse_cg', 'lsqr', 'lbfgs').
    tol : float, default=1e-4
        Tolerance of the iterative solvers (relative residual for CG, projected
        gradient for L-BFGS); the direct solvers are exact.
    solver : {'auto', 'svd', 'cholesky', 'lsqr', 'sparse_cg', 'sag', 'saga', 'lbfgs'}, default='auto'
        - 'auto': 'cholesky', or 'lbfgs' when ``positive=True``; for data wider than
          ``GRAM_MAX_FEATURES`` (8192 features) the distributed conjugate gradient.
        - 'cholesky': Cholesky solve of ``X^T W X + alpha I`` from the one-pass
          statistics (an eigendecomposition when alpha differs per target).
        - 'svd': eigendecomposition of ``X^T W X`` (the squared singular values of X);
          robust for singular X.
        - 'sparse_cg', 'lsqr': conjugate gradient on the normal equations, distributed:
          one round trip per iteration, never forming the Gram matrix (both names
          select the same solver).
        - 'lbfgs': L-BFGS-B on the Gram matrix; only with ``positive=True``.
        - 'sag', 'saga': stochastic solvers of in-memory data; rejected with a
          ValueError (use 'auto').
    positive : bool, default=False
        Force the coefficients to be non-negative (solver 'auto' or 'lbfgs').
    random_state : int, RandomState instance or None, default=None
        Only used by 'sag'/'saga' in scikit-learn, which dml does not offer; no effect.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : ndarray of shape (n_targets,)
        Iterations of an iterative solver; 1 for the direct solvers (their one pass;
        scikit-learn sets None there).
    objective_history_ : list of float, or list of lists (one per target)
        The objective ``||sqrt(s)(y - X w - b)||^2 + alpha ||w||^2`` after every
        iteration of an iterative solver; one entry (the optimum) for the direct ones.
    solver_ : str
        The solver used.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: one pass over the data (one round trip) for the direct solvers: each
    chunk returns the weighted mean and centred cross-product of ``[X, y]``, merged
    exactly (Chan's update) in a tree on the workers; the (p, p) solve runs in memory.
    Memory per task: one chunk plus O((p + t)^2). 'sparse_cg' / 'lsqr' (and 'auto' on
    data wider than 8192 features) run one pass for the means and then one round trip
    per CG iteration, shipping only O(p t) vectors. :meth:`summary` gives standard
    errors, t- and p-values, RMSE and R^2 from the same statistics, with no pass.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import Ridge
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([0.0, 1.0, 2.0])
    >>> float(Ridge(alpha=1.0).fit(X, y).coef_[0])
    0.6666666666666666
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left"), "array-like"],
        "fit_intercept": ["boolean"],
        "copy_X": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "solver": [StrOptions({"auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga", "lbfgs"})],
        "positive": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        copy_X=True,
        max_iter=None,
        tol=1e-4,
        solver="auto",
        positive=False,
        random_state=None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state

    def _check_solver(self):
        if self.solver == "lbfgs" and not self.positive:
            raise ValueError("'lbfgs' solver can be used only when positive=True. Please use another solver.")
        if self.positive and self.solver not in ("auto", "lbfgs"):
            raise ValueError(
                f"solver='{self.solver}' does not support positive fitting. Please set the "
                "solver to 'auto' or 'lbfgs', or set `positive=False`"
            )
        if self.solver in ("sag", "saga"):
            raise ValueError(
                f"solver='{self.solver}' is a stochastic solver for in-memory data, which "
                "dml does not offer; use solver='auto' (exact, one pass) or 'sparse_cg'."
            )
        if self.positive:
            return "lbfgs"
        if self.solver == "lsqr":
            return "sparse_cg"
        return self.solver

    def _check_sparse_solver(self):
        """scikit-learn's rules (and messages) for sparse X. The sparse fit itself is
        solver-independent: the Gram path (``X^T W X`` as a sparse product, centred in
        closed form) for 'cholesky' and for 'auto' up to ``GRAM_MAX_FEATURES``
        features, conjugate gradient on sparse products otherwise."""
        if (
            self.fit_intercept
            and not self.positive
            and self.solver not in ("auto", "lbfgs", "lsqr", "sag", "sparse_cg")
        ):
            raise ValueError(
                f"solver='{self.solver}' does not support fitting the intercept "
                "on sparse data. Please set the solver to 'auto' or "
                "'lsqr', 'sparse_cg', 'sag', 'lbfgs' "
                "or set `fit_intercept=False`"
            )
        if self.solver == "svd":
            raise TypeError("SVD solver does not support sparse inputs currently")

    def fit(self, X, y, sample_weight=None):
        """Fit ridge regression in one pass over the data.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        check_params(self)
        solver = self._check_solver()
        # One pass on the Gram path; sparse_cg iterates.
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
            if data.sparse:
                self._check_sparse_solver()
            if solver == "sparse_cg" or (solver == "auto" and not use_gram(data.n_features)):
                res = ridge_cg(
                    data.for_iterations(),
                    alpha=self.alpha,
                    fit_intercept=self.fit_intercept,
                    tol=self.tol,
                    max_iter=self.max_iter,
                )
                self._summary_stats = None
                self.solver_ = "sparse_cg"
                return self._store(res, res.coef.T, res.intercept, y_1d, data.dtype)
            stats = compute_sufficient_stats(data)
        xx, xy, yy = gram_system(stats, self.fit_intercept)
        alphas = alpha_vector(self.alpha, xy.shape[1])
        solver = "cholesky" if solver == "auto" else solver
        res = ridge_gram(xx, xy, yy, alphas, solver=solver, tol=self.tol, max_iter=self.max_iter)
        self.solver_ = solver
        self._summary_stats = None if self.positive else (stats, alphas)
        coef = res.coef.T
        return self._store(res, coef, stats_intercept(coef, stats, self.fit_intercept), y_1d, data.dtype)

    def _store(self, res, coef, intercept, y_1d, dtype):
        """Fitted attributes from a solver's result (``coef`` (t, p))."""
        self.n_iter_ = res.n_iter
        self.objective_history_ = res.objective_history[0] if y_1d else res.objective_history
        return set_coef_intercept(
            self, coef, intercept, fit_intercept=self.fit_intercept, y_1d=y_1d, dtype=dtype, ravel_single=True
        )


class RidgeCV(CpuMixin, LinearModel, MultiOutputMixin, RegressorScoreMixin, RegressorMixin, BaseEstimator):
    """Ridge regression with built-in cross-validation of alpha.

    A drop-in for :class:`sklearn.linear_model.RidgeCV`.

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,), default=(0.1, 1.0, 10.0)
        Penalties to try (> 0 for the leave-one-out mode, >= 0 with ``cv``).
    fit_intercept : bool, default=True
    scoring : None, default=None
        Only the default (mean squared LOO error for ``cv=None``, R^2 with ``cv``)
        is supported; other scorers need per-sample predictions and raise a ValueError.
    cv : int, cross-validation splitter, iterable of (train, test) or None, default=None
        None: efficient leave-one-out (as scikit-learn's GCV mode). int: K contiguous
        folds (``KFold(cv)``), scored by R^2 like scikit-learn's grid search.
        Splitters / iterables whose test sets partition the rows are accepted too.
    gcv_mode : {'auto', 'svd', 'eigen'} or None, default=None
        Accepted: dml always uses the eigendecomposition of ``X^T W X`` (the same LOO
        errors as every scikit-learn mode).
    store_cv_results : bool, default=False
        Keep the per-sample squared LOO errors in ``cv_results_`` (``cv=None`` only).
    alpha_per_target : bool, default=False
        Choose one alpha per target (``cv=None`` only).

    Attributes
    ----------
    alpha_ : float or ndarray of shape (n_targets,)
    best_score_ : float or ndarray of shape (n_targets,)
        Negative mean squared LOO error (``cv=None``) or mean R^2 over folds.
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    cv_results_ : ndarray of shape (n_samples, n_alphas) or (n_samples, n_targets, n_alphas)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: with ``cv`` (K folds), one pass over the data: each chunk returns the
    weighted means and centred cross-products of ``[X, y]`` of the folds its rows fall
    in; every fold's ridge solves and test R^2, and the final refit, follow from those
    statistics in memory. With ``cv=None`` (leave-one-out), two passes: the one-pass
    statistics, then one pass computing every row's leverage and LOO error for all
    alphas at once (``O(n p (p + t n_alphas))`` flops; memory per task one chunk plus
    O(p^2 + rows * t * n_alphas)). ``store_cv_results`` brings ``n * t * n_alphas``
    values back to the caller.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import RidgeCV
    >>> X = np.random.default_rng(0).normal(size=(100, 3)); y = X @ [1.0, 2.0, 3.0]
    >>> float(RidgeCV(alphas=[0.1, 1.0, 10.0]).fit(X, y).alpha_)
    0.1
    """

    _parameter_constraints = {
        "alphas": ["array-like", Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "scoring": [None, str, callable],
        "cv": ["cv_object"],
        "gcv_mode": [StrOptions({"auto", "svd", "eigen"}), None],
        "store_cv_results": ["boolean"],
        "alpha_per_target": ["boolean"],
    }

    def __init__(
        self,
        alphas=(0.1, 1.0, 10.0),
        *,
        fit_intercept=True,
        scoring=None,
        cv=None,
        gcv_mode=None,
        store_cv_results=False,
        alpha_per_target=False,
    ):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.cv = cv
        self.gcv_mode = gcv_mode
        self.store_cv_results = store_cv_results
        self.alpha_per_target = alpha_per_target

    def fit(self, X, y, sample_weight=None):
        """Fit ridge regression, choosing alpha by cross-validation.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : float or array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        check_params(self)
        if self.scoring is not None:
            raise ValueError(
                "dml's RidgeCV supports scoring=None only (mean squared LOO error, or R^2 "
                f"with cv); got scoring={self.scoring!r}."
            )
        loo = self.cv is None
        alphas = np.atleast_1d(np.asarray(self.alphas, dtype=np.float64)).ravel()
        for i, a in enumerate(alphas):
            check_scalar(
                float(a),
                f"alphas[{i}]" if alphas.size > 1 else "alphas",
                target_type=Real,
                min_val=0.0,
                include_boundaries="neither" if loo else "left",
            )
        if not loo:
            if self.store_cv_results:
                raise ValueError("cv!=None and store_cv_results=True are incompatible")
            if self.alpha_per_target:
                raise ValueError("cv!=None and alpha_per_target=True are incompatible")
        # The statistics pass, and for leave-one-out one pass of per-row errors.
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
            if loo:
                stats = compute_sufficient_stats(data)
                scores, looe_sq = self._loo(data, stats, alphas)
            else:
                folds_def = resolve_folds(self.cv, data.n_samples, type(self).__name__)
                folds = compute_fold_stats(data, folds_def)
                stats = folds.total
        if loo:
            best_alpha, best_score = self._select_loo(scores, alphas, y_1d)
            if self.store_cv_results:
                shape = (looe_sq.shape[0], looe_sq.shape[2]) if y_1d else looe_sq.shape
                self.cv_results_ = looe_sq.reshape(shape).astype(data.dtype, copy=False)
        else:
            best_alpha, best_score = self._select_kfold(folds, alphas)
        xx, xy, _ = gram_system(stats, self.fit_intercept)
        t = xy.shape[1]
        coef = ridge_solve_eigh(xx, xy, alpha_vector(best_alpha, t)).T
        set_coef_intercept(
            self,
            coef,
            stats_intercept(coef, stats, self.fit_intercept),
            fit_intercept=self.fit_intercept,
            y_1d=y_1d,
            dtype=data.dtype,
            ravel_single=True,
        )
        self.alpha_ = best_alpha
        self.best_score_ = best_score
        return self

    def _loo(self, data, stats, alphas):
        xx, xy, _ = gram_system(stats, self.fit_intercept)
        lam, V = np.linalg.eigh(xx)
        lam = np.clip(lam, 0.0, None)
        t = xy.shape[1]
        x_mean = stats.x_mean if self.fit_intercept else np.zeros_like(stats.x_mean)
        y_mean = stats.y_mean if self.fit_intercept else np.zeros_like(stats.y_mean)
        out = map_reduce(
            ridge_loo_kernel,
            data,
            broadcast=(x_mean, y_mean, V, lam, V.T @ xy, alphas),
            combine=combine_loo,
            ordered=True,
            sw_sum=stats.n,
            fit_intercept=self.fit_intercept,
            per_sample=self.store_cv_results,
        )
        sq = to_numpy(out["sq"]).reshape(len(alphas), t)
        looe_sq = to_numpy(out["looe_sq"]) if self.store_cv_results else None
        # scikit-learn's score: minus the mean squared LOO error over rows (and targets)
        return -sq / stats.n_rows, looe_sq

    def _select_loo(self, scores, alphas, y_1d):
        per_target = self.alpha_per_target and not y_1d and scores.shape[1] > 1
        best_alpha = best_score = None
        for i, a in enumerate(alphas):
            s = scores[i] if per_target else float(scores[i].mean())
            if best_score is None:
                best_score = np.array(s, dtype=float) if per_target else s
                best_alpha = np.full(scores.shape[1], a) if per_target else float(a)
            elif per_target:
                upd = s > best_score
                best_score[upd], best_alpha[upd] = s[upd], a
            elif s > best_score:
                best_score, best_alpha = s, float(a)
        return best_alpha, best_score

    def _select_kfold(self, folds, alphas):
        # Mean over folds of the test R^2 (uniform average over targets), as
        # GridSearchCV scores a Ridge; the first best alpha in the given order wins.
        scores = np.zeros((folds.n_splits, len(alphas)))
        for k in range(folds.n_splits):
            train, test = folds.train(k), folds.test[k]
            xx, xy, _ = gram_system(train, self.fit_intercept)
            t = xy.shape[1]
            coefs = np.stack([ridge_solve_eigh(xx, xy, np.full(t, a)) for a in alphas], axis=-1)
            coefs = np.transpose(coefs, (1, 0, 2))  # (t, p, A)
            if self.fit_intercept:
                intercepts = train.y_mean[:, None] - np.einsum("p,tpa->ta", train.x_mean, coefs)
            else:
                intercepts = np.zeros((t, len(alphas)))
            sse = holdout_sse(test, coefs, intercepts)
            sst = np.diag(test.yy)[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                r2 = np.where(sst > 0, 1.0 - sse / np.where(sst > 0, sst, 1.0), np.where(sse == 0, 1.0, 0.0))
            scores[k] = r2.mean(axis=0)
        mean = scores.mean(axis=0)
        i = int(np.argmax(mean))
        return float(alphas[i]), float(mean[i])
