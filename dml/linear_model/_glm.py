"""Generalised linear models (Poisson, Gamma, Tweedie) on row-chunked data."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import raise_if_not_finite, validate_fit_data, validate_predict_data
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import to_numpy
from dml._engine.runtime import progress_bar
from dml._solvers._newton import newton_cholesky
from dml._solvers._quasi_newton import lbfgs
from dml.linear_model._base import PenalizedObjective, check_sample_weights
from dml.linear_model._glm_kernels import (
    glm_deviance_kernel,
    glm_kernel,
    glm_predict_kernel,
    y_stats_kernel,
)

_COMPUTATION = """
    Computation: one pass over ``y`` (and the weights) for the weighted mean of ``y``
    (the initial intercept) and the target-range check; then, with ``solver='lbfgs'``,
    one round trip per L-BFGS function evaluation (about one per iteration), each
    chunk returning its summed loss and gradient from one fused kernel; with
    ``solver='newton-cholesky'``, one round trip per Newton iteration, each chunk
    returning loss, gradient and Hessian ``X^T diag(h) X`` together (plus one per
    line-search halving, rare). The kernels walk each chunk in cache-sized row
    blocks, so X is read from memory once per pass. Only ``(n_features + 1)`` numbers
    (``(n_features + 1)^2`` for Newton) travel back per pass. Memory per task: one
    chunk plus O(block_rows + n_features^2). ``predict`` is blockwise (lazy on Dask);
    ``score`` takes two passes (mean of ``y``, then the deviances).
"""


class _GeneralizedLinearRegressor(CpuMixin, RegressorMixin, BaseEstimator):
    """Shared machinery of the GLMs; subclasses define ``_family()``."""

    #: with ``progress=True`` the solvers show a bar of iterations (and the loss)
    _own_progress_bar = True

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0.0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions({"lbfgs", "newton-cholesky"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="neither")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        alpha=1.0,
        fit_intercept=True,
        solver="lbfgs",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        verbose=0,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    # --- the loss: (family, power, link, loss name, y lower bound, bound closed)
    def _family(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _y_range(self):
        family, power, _, _ = self._family()
        if power <= 0:
            return None, False
        if power < 2:
            return 0.0, True
        return 0.0, False

    def _check_y(self, data):
        """One pass over y: weighted mean, and scikit-learn's range error."""
        low, closed = self._y_range()
        st = map_reduce(y_stats_kernel, data, low=low, low_closed=closed)
        sy, sw = float(to_numpy(st["sy"])), float(to_numpy(st["sw"]))
        raise_if_not_finite(data, np.asarray(sy))
        if float(to_numpy(st["bad"])) > 0:
            raise ValueError(
                f"Some value(s) of y are out of the valid range of the loss {self._family()[3]!r}."
            )
        return sy, sw

    def fit(self, X, y, sample_weight=None):
        """Fit the GLM by minimising ``mean deviance / 2 + alpha / 2 ||coef||^2``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        check_params(self)
        family, power, link, _ = self._family()
        with validate_fit_data(
            self, X, y, sample_weight, y_numeric=True, accept_sparse=("csr", "csc")
        ) as data:
            sy, sw = self._check_y(data)
            check_sample_weights(data, nonzero=sw)
            p = data.n_features
            fi = self.fit_intercept
            coef0 = self._initial_coef(p, sy / sw, link)
            pen = np.ones(p + int(fi))
            if fi:
                pen[p] = 0.0
            name = type(self).__name__
            bar = progress_bar(self.max_iter, f"{name} ({self.solver})")

            def run(coef, hessian):
                return map_reduce(
                    glm_kernel,
                    data,
                    broadcast=(coef,),
                    fit_intercept=fi,
                    family=family,
                    power=power,
                    hessian=hessian,
                )

            evaluate = PenalizedObjective(
                data,
                run,
                scale=sw,
                l2=float(self.alpha),
                pen=pen,
                bar=bar,
                hessian_warning=lambda out: float(to_numpy(out["hneg"])) / sw > 0.25,
            )
            with bar:
                if self.solver == "lbfgs":
                    res = lbfgs(
                        lambda c: evaluate(c, hessian=False)[:2],
                        coef0,
                        tol=self.tol,
                        max_iter=self.max_iter,
                        verbose=self.verbose,
                        name=name,
                    )
                else:
                    res = newton_cholesky(
                        evaluate,
                        coef0,
                        tol=self.tol,
                        max_iter=self.max_iter,
                        verbose=self.verbose,
                        eps=16 * np.finfo(data.dtype).eps,
                    )
            dtype = data.dtype
        coef = res.coef
        self.coef_ = np.asarray(coef[:p], dtype=dtype)
        self.intercept_ = dtype.type(coef[p]) if fi else 0.0
        self.n_iter_ = int(res.n_iter)
        self.objective_history_ = res.objective_history
        return self

    def _initial_coef(self, p, ybar, link):
        """Zeros, the previous fit (``warm_start``) or the intercept of the null model."""
        coef0 = np.zeros(p + int(self.fit_intercept))
        if self.warm_start and hasattr(self, "coef_"):
            coef0[:p] = np.asarray(self.coef_, dtype=np.float64)
            if self.fit_intercept:
                coef0[p] = float(self.intercept_)
        elif self.fit_intercept:
            with np.errstate(divide="ignore"):
                coef0[p] = np.log(ybar) if link == "log" else ybar
        return coef0

    def predict(self, X):
        """Predicted means ``inverse_link(X @ coef_ + intercept_)``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray or Dask array of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X, accept_sparse=("csr", "csc", "coo"))
        return apply_blockwise(
            glm_predict_kernel,
            X,
            dtype=X.dtype,
            coef=self.coef_,
            intercept=self.intercept_,
            link=self._family()[2],
        )

    def score(self, X, y, sample_weight=None):
        """D^2, the fraction of deviance explained (as scikit-learn).

        ``1 - (D(y, y_pred) + c) / (D(y, mean(y)) + c)`` with the weighted means of
        the half deviances and ``c`` the term the losses drop.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        family, power, link, _ = self._family()
        with validate_fit_data(
            self, X, y, sample_weight, y_numeric=True, reset=False, accept_sparse=("csr", "csc")
        ) as data:
            sy, sw = self._check_y(data)
            ybar = sy / sw
            with np.errstate(divide="ignore"):
                null_raw = np.log(ybar) if link == "log" else ybar
            coef = np.r_[np.asarray(self.coef_, dtype=np.float64), float(self.intercept_)]
            out = map_reduce(
                glm_deviance_kernel,
                data,
                broadcast=(coef,),
                fit_intercept=True,
                family=family,
                power=power,
                null_raw=float(null_raw),
            )
        dev = float(to_numpy(out["dev"])) / sw
        dev0 = float(to_numpy(out["dev0"])) / sw
        const = float(to_numpy(out["const"])) / sw
        return float(1 - (dev + const) / (dev0 + const))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        try:
            low, closed = self._y_range()
            tags.target_tags.positive_only = low is not None
        except (ValueError, AttributeError, TypeError):
            pass
        return tags


_PARAMS_DOC = """
    alpha : float, default=1
        Constant that multiplies the L2 penalty term; ``alpha=0`` means no penalty.
    fit_intercept : bool, default=True
        Whether to add an (unpenalised) intercept to the linear predictor.
    solver : {'lbfgs', 'newton-cholesky'}, default='lbfgs'
        'lbfgs': L-BFGS-B with scikit-learn's settings, one pass per evaluation.
        'newton-cholesky': Newton steps with scikit-learn's line search; one pass per
        iteration computes loss, gradient and Hessian together.
    max_iter : int, default=100
        Maximal number of iterations of the solver.
    tol : float, default=1e-4
        Stop when ``max{|g_j|} <= tol`` (``g`` the gradient of the objective).
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_``.
    verbose : int, default=0
        Positive values print the objective at every iteration.
"""

_ATTRS_DOC = """
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Solver iterations run.
    objective_history_ : list of float
        Objective value after every iteration.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
"""


class PoissonRegressor(_GeneralizedLinearRegressor):
    __doc__ = f"""Generalised linear model with a Poisson distribution and log link.

    A drop-in for :class:`sklearn.linear_model.PoissonRegressor` on row-chunked data:
    the same objective (half mean Poisson deviance plus ``alpha / 2 ||coef||^2``),
    solvers, stopping rule and D^2 ``score``.

    Parameters
    ----------{_PARAMS_DOC}{_ATTRS_DOC}
    Notes
    -----{_COMPUTATION}
    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import PoissonRegressor
    >>> X = np.array([[1, 2], [2, 3], [3, 4], [4, 3]]); y = np.array([12, 17, 22, 21])
    >>> round(float(PoissonRegressor().fit(X, y).score(X, y)), 3)
    0.99
    """

    _parameter_constraints = dict(_GeneralizedLinearRegressor._parameter_constraints)

    def __init__(
        self,
        *,
        alpha=1.0,
        fit_intercept=True,
        solver="lbfgs",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        verbose=0,
    ):
        super().__init__(
            alpha=alpha,
            fit_intercept=fit_intercept,
            solver=solver,
            max_iter=max_iter,
            tol=tol,
            warm_start=warm_start,
            verbose=verbose,
        )

    def _family(self):
        return "tweedie_log", 1.0, "log", "HalfPoissonLoss"


class GammaRegressor(_GeneralizedLinearRegressor):
    __doc__ = f"""Generalised linear model with a Gamma distribution and log link.

    A drop-in for :class:`sklearn.linear_model.GammaRegressor` on row-chunked data:
    the same objective (half mean Gamma deviance plus ``alpha / 2 ||coef||^2``),
    solvers, stopping rule and D^2 ``score``. ``y`` must be positive.

    Parameters
    ----------{_PARAMS_DOC}{_ATTRS_DOC}
    Notes
    -----{_COMPUTATION}
    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import GammaRegressor
    >>> X = np.array([[1, 2], [2, 3], [3, 4], [4, 3]]); y = np.array([19, 26, 33, 30])
    >>> round(float(GammaRegressor().fit(X, y).score(X, y)), 3)
    0.773
    """

    _parameter_constraints = dict(_GeneralizedLinearRegressor._parameter_constraints)

    def __init__(
        self,
        *,
        alpha=1.0,
        fit_intercept=True,
        solver="lbfgs",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        verbose=0,
    ):
        super().__init__(
            alpha=alpha,
            fit_intercept=fit_intercept,
            solver=solver,
            max_iter=max_iter,
            tol=tol,
            warm_start=warm_start,
            verbose=verbose,
        )

    def _family(self):
        return "tweedie_log", 2.0, "log", "HalfGammaLoss"


class TweedieRegressor(_GeneralizedLinearRegressor):
    __doc__ = f"""Generalised linear model with a Tweedie distribution.

    A drop-in for :class:`sklearn.linear_model.TweedieRegressor` on row-chunked data:
    the same objective (half mean Tweedie deviance of the given ``power`` plus
    ``alpha / 2 ||coef||^2``), links, solvers, stopping rule and D^2 ``score``.

    Parameters
    ----------
    power : float, default=0
        Tweedie power: 0 normal, 1 Poisson, (1, 2) compound Poisson-Gamma, 2 Gamma,
        3 inverse Gaussian.
    alpha : float, default=1
        Constant that multiplies the L2 penalty term.
    link : {{'auto', 'identity', 'log'}}, default='auto'
        'auto' is 'identity' for ``power <= 0`` and 'log' otherwise.
    fit_intercept : bool, default=True
    solver : {{'lbfgs', 'newton-cholesky'}}, default='lbfgs'
    max_iter : int, default=100
    tol : float, default=1e-4
    warm_start : bool, default=False
    verbose : int, default=0
    {_ATTRS_DOC}
    Notes
    -----{_COMPUTATION}
    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import TweedieRegressor
    >>> X = np.array([[1, 2], [2, 3], [3, 4], [4, 3]]); y = np.array([2, 3.5, 5, 5.5])
    >>> round(float(TweedieRegressor().fit(X, y).score(X, y)), 2)
    0.84
    """

    _parameter_constraints = {
        **_GeneralizedLinearRegressor._parameter_constraints,
        "power": [Interval(Real, None, None, closed="neither")],
        "link": [StrOptions({"auto", "identity", "log"})],
    }

    def __init__(
        self,
        *,
        power=0.0,
        alpha=1.0,
        fit_intercept=True,
        link="auto",
        solver="lbfgs",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        verbose=0,
    ):
        self.power = power
        self.link = link
        super().__init__(
            alpha=alpha,
            fit_intercept=fit_intercept,
            solver=solver,
            max_iter=max_iter,
            tol=tol,
            warm_start=warm_start,
            verbose=verbose,
        )

    def _family(self):
        link = self.link
        if link == "auto":
            link = "identity" if self.power <= 0 else "log"
        if link == "log":
            return "tweedie_log", float(self.power), "log", "HalfTweedieLoss"
        return "tweedie_identity", float(self.power), "identity", "HalfTweedieLossIdentity"
