"""Pieces shared by the linear models: one copy of each rule.

- :class:`LinearModel`: blockwise ``predict`` / ``decision_function`` from ``coef_`` and
  ``intercept_``;
- :func:`check_sample_weights`: the sample-weight errors, from counts a pass returned;
- the one-pass sufficient statistics of squared-error models and the storing of
  ``coef_`` / ``intercept_`` in scikit-learn's shapes;
- :func:`alpha_vector`, :func:`use_gram` (when the Gram route applies).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import raise_if_not_finite, validate_predict_data
from dml._engine.kernels import combine_centered, gram_kernel
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import to_numpy
from dml.linear_model._base_kernels import linear_predict_kernel, sufficient_stats_kernel

#: scikit-learn's messages for bad sample weights.
NEGATIVE_WEIGHTS = "Negative values in data passed to `sample_weight`"
ALL_ZERO_WEIGHTS = "Sample weights must contain at least one non-zero number."


def check_sample_weights(data, *, nonzero, negative=0):
    """Raise scikit-learn's errors for negative or all-zero sample weights.

    The counts come from a pass the fit makes anyway (the checks ride along), so
    this reads no data.

    Parameters
    ----------
    data : ChunkedData
        Nothing is checked when it has no sample weights.
    nonzero : int, float or ndarray
        The number of non-zero weights, or any value (a weighted count per class, a
        weight sum of non-negative weights) that is zero exactly when every weight is.
    negative : int, default=0
        The number of negative weights.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from dml.linear_model._base import check_sample_weights
    >>> data = SimpleNamespace(sample_weight=[[0.0, 0.0]])
    >>> check_sample_weights(data, nonzero=0)
    Traceback (most recent call last):
    ...
    ValueError: Sample weights must contain at least one non-zero number.
    """
    if data.sample_weight is None:
        return
    if int(negative):
        raise ValueError(NEGATIVE_WEIGHTS)
    if not np.any(nonzero):
        raise ValueError(ALL_ZERO_WEIGHTS)


def linear_scores(estimator, X, *, dtype=None, flatten_single=False):
    """``X @ coef_.T + intercept_`` of a fitted linear model, blockwise.

    Dask input gives a lazy Dask array (no pass at call time), in-memory input an
    in-memory result. The output has shape (n_samples,) for a 1-D ``coef_`` (and, with
    ``flatten_single``, for a single row of a 2-D ``coef_``), else (n_samples, k).

    Parameters
    ----------
    estimator : fitted estimator with ``coef_`` and ``intercept_``
    X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
    dtype : dtype, default=None
        Of the (lazy) result; X's by default.
    flatten_single : bool, default=False
        Give (n_samples,) for a ``coef_`` of one row (binary classifiers).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import Ridge
    >>> from dml.linear_model._base import linear_scores
    >>> reg = Ridge(alpha=0.0).fit(np.array([[0.0], [1.0]]), np.array([1.0, 3.0]))
    >>> linear_scores(reg, np.array([[2.0]])).round(6).tolist()
    [5.0]
    """
    check_is_fitted(estimator)
    coef, intercept = estimator.coef_, estimator.intercept_
    if flatten_single and coef.ndim == 2 and coef.shape[0] == 1:
        coef, intercept = coef[0], intercept[0]
    n_out = None if coef.ndim == 1 else coef.shape[0]
    return apply_linear(estimator, linear_predict_kernel, X, n_out, dtype, coef=coef, intercept=intercept)


def apply_linear(estimator, kernel, X, n_outputs, dtype, **kwargs):
    """Validate ``X`` against the fitted ``estimator`` and run ``kernel(chunk, *, xp,
    coef, intercept, **kwargs)`` blockwise (``coef`` / ``intercept`` default to the
    estimator's); ``dtype`` None means X's.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import Ridge
    >>> from dml.linear_model._base import apply_linear
    >>> from dml.linear_model._base_kernels import linear_predict_kernel, sufficient_stats_kernel
    >>> reg = Ridge(alpha=0.0).fit(np.array([[0.0], [1.0]]), np.array([1.0, 3.0]))
    >>> apply_linear(reg, linear_predict_kernel, np.array([[2.0]]), None, None).round(6).tolist()
    [5.0]
    """
    check_is_fitted(estimator)
    # scikit-learn's linear models predict on CSR / CSC / COO (a sparse product per chunk)
    X = validate_predict_data(estimator, X, accept_sparse=("csr", "csc", "coo"))
    kwargs.setdefault("coef", estimator.coef_)
    kwargs.setdefault("intercept", estimator.intercept_)
    return apply_blockwise(
        kernel, X, n_outputs=n_outputs, dtype=X.dtype if dtype is None else dtype, **kwargs
    )


class LinearModel:
    """``predict`` of the linear regressors: ``X @ coef_.T + intercept_``, blockwise
    (:func:`linear_scores`).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import LinearRegression
    >>> reg = LinearRegression().fit(np.array([[0.0], [1.0]]), np.array([1.0, 3.0]))
    >>> reg.predict(np.array([[2.0]])).round(6).tolist()
    [5.0]
    """

    def predict(self, X):
        """Predict with the linear model: ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray or Dask array of shape (n_samples,) or (n_samples, n_targets)
            Lazy for Dask input.
        """
        return linear_scores(self, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # fit and predict on scipy.sparse / CSR chunks
        return tags


class LinearClassifierMixin:
    """``decision_function`` of a linear classifier from ``coef_`` (k, p) and
    ``intercept_`` (k,): (n_samples,) for one row of ``coef_`` (binary), else
    (n_samples, k) (:func:`linear_scores`).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.linear_model import LogisticRegression
    >>> X = np.array([[-1.0], [1.0]]); y = np.array([0, 1])
    >>> LogisticRegression().fit(X, y).decision_function(X).shape
    (2,)
    """

    def decision_function(self, X):
        """Signed distance to the hyperplane (binary) or per-class scores.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray or Dask array of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        return linear_scores(self, X, dtype=self.coef_.dtype, flatten_single=True)


class PenalizedObjective:
    """A smooth objective evaluated by one pass over the data per call (the solvers'
    loss object for the logistic and generalised linear models).

    ``evaluate(coef, hessian=True) -> (loss, grad, hess, hessian_warning)`` of

        sum_i s_i loss_i / scale + l2 / 2 * sum_j pen_j coef_j^2

    where ``run(coef, hessian)`` is the pass: it returns the summed ``loss``, ``grad``
    (and, with ``hessian``, ``hess``) of the data term. The first call checks the
    results for non-finite values (scikit-learn's NaN/inf messages, the ride-along
    check). Each call advances ``bar`` (a progress bar) by one.

    Parameters
    ----------
    data : ChunkedData
    run : callable
        ``run(coef, hessian) -> dict`` with ``loss``, ``grad`` and ``hess``.
    scale : float
        Divides the data term (the sum of the sample weights).
    l2 : float
    pen : ndarray of shape (n_coef,)
        1 for penalised coefficients, 0 for intercepts.
    bar : progress bar or None
    hessian_warning : callable, default=None
        ``hessian_warning(out) -> bool`` from the pass results: whether the pointwise
        Hessian has too many negative values (the Newton solver then falls back).

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from dml.linear_model._base import PenalizedObjective
    >>> run = lambda c, hessian: {"loss": np.asarray(2.0), "grad": 2 * c, "hess": 2 * np.eye(2)}
    >>> f = PenalizedObjective(SimpleNamespace(), run, scale=2.0, l2=1.0, pen=np.array([1.0, 0.0]))
    >>> f._checked = True  # (no data to check here)
    >>> loss, grad, hess, _ = f(np.array([1.0, 1.0]))
    >>> loss, grad.tolist(), hess.tolist()
    (1.5, [2.0, 1.0], [[2.0, 0.0], [0.0, 1.0]])
    """

    def __init__(self, data, run, *, scale, l2, pen, bar=None, hessian_warning=None):
        self.data, self.run = data, run
        self.scale, self.l2, self.pen = scale, l2, pen
        self.bar = bar
        self.hessian_warning = hessian_warning
        self._checked = False

    def __call__(self, coef, hessian=True):
        coef = np.asarray(coef, dtype=np.float64)
        out = self.run(coef, hessian)
        loss = to_numpy(out["loss"])
        grad = to_numpy(out["grad"])
        if not self._checked:
            raise_if_not_finite(self.data, loss, grad)
            self._checked = True
        l2, pen = self.l2, self.pen
        loss = float(loss) / self.scale + 0.5 * l2 * float(np.sum(pen * coef * coef))
        grad = np.asarray(grad, dtype=np.float64).ravel() / self.scale + l2 * pen * coef
        H, warn = None, False
        if hessian:
            H = np.asarray(to_numpy(out["hess"]), dtype=np.float64) / self.scale
            H[np.diag_indices_from(H)] += l2 * pen
            if self.hessian_warning is not None:
                warn = self.hessian_warning(out)
        if self.bar is not None:
            self.bar.update(1)
        return loss, grad, H, warn


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
    kernel = sufficient_stats_kernel if data.sparse else gram_kernel
    stats = map_reduce(kernel, data, combine=combine_centered)
    raise_if_not_finite(data, stats["scatter"], stats["mean"])
    if check_weights:
        check_sample_weights(data, negative=to_numpy(stats["w_neg"]), nonzero=to_numpy(stats["w_nonzero"]))
    return SufficientStats(stats, data.n_features)


def gram_system(stats, fit_intercept):
    """``(xx, xy, yy)``: centred (with intercept) or about the origin (without).

    ``xx`` (p, p), ``xy`` (p, t), ``yy`` (t, t), all float64 and weighted.
    """
    if fit_intercept:
        return stats.xx, stats.xy, stats.yy
    xx, xy = stats.uncentered()
    yy = stats.yy + stats.n * np.outer(stats.y_mean, stats.y_mean)
    return xx, xy, yy


def stats_intercept(coef, stats, fit_intercept):
    """The intercepts ``y_mean - coef @ x_mean`` (t,) of ``coef`` (t, p) fitted on
    centred statistics (zeros without an intercept)."""
    if fit_intercept:
        return stats.y_mean - coef @ stats.x_mean
    return np.zeros(coef.shape[0])


def set_coef_intercept(estimator, coef, intercept, *, fit_intercept, y_1d, dtype, ravel_single=False):
    """Store ``coef_`` / ``intercept_`` from ``coef`` (t, p) and ``intercept`` (t,),
    in scikit-learn's shapes.

    A 1-D y gives a 1-D ``coef_`` and a float ``intercept_`` (0.0 without an
    intercept). With ``ravel_single`` a 2-D y of one column gives a 1-D ``coef_`` and
    an ``intercept_`` of shape (1,) (as scikit-learn's Ridge and ElasticNet).
    """
    coef = np.asarray(coef, dtype=np.float64)
    if y_1d:
        estimator.coef_ = coef[0].astype(dtype, copy=False)
        estimator.intercept_ = float(intercept[0]) if fit_intercept else 0.0
    else:
        single = ravel_single and coef.shape[0] == 1
        estimator.coef_ = (coef[0] if single else coef).astype(dtype, copy=False)
        estimator.intercept_ = intercept.astype(dtype, copy=False)
    return estimator


def alpha_vector(alpha, n_targets):
    """One ridge penalty per target from ``alpha`` (a float or one per target).

    Examples
    --------
    >>> from dml.linear_model._base import alpha_vector
    >>> alpha_vector(0.5, 2).tolist()
    [0.5, 0.5]
    """
    alpha = np.ravel(np.asarray(alpha, dtype=np.float64))
    if alpha.shape[0] not in (1, n_targets):
        raise ValueError(
            "Number of targets and number of penalties do not correspond: %d != %d"
            % (alpha.shape[0], n_targets)
        )
    if np.any(alpha < 0):
        raise ValueError(f"alpha must be non-negative, got {alpha}.")
    return np.full(n_targets, alpha[0]) if alpha.shape[0] == 1 else alpha


#: Above this many features (plus targets) the (p, p) Gram matrix is not formed:
#: it would take ``8 * p**2`` bytes per task (512 MiB at 8192) and ``O(n p^2)``
#: flops. The squared-error models then use a distributed iterative solver that
#: ships only O(p) vectors per round trip (see ``dml.linear_model._wide``).
GRAM_MAX_FEATURES = 8192


def use_gram(n_features):
    """Whether the one-pass Gram route applies (``n_features <= GRAM_MAX_FEATURES``).

    Reads the module attribute at call time, so tests can lower the limit.
    """
    return n_features <= GRAM_MAX_FEATURES
