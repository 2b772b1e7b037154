"""PowerTransformer: lambdas by maximum likelihood from a few grid passes, lazy transform."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, TransformerMixin, check_params
from dml._compat.sklearn import StrOptions
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import is_dask_collection, validate_fit_data, validate_predict_data
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import get_namespace, to_numpy
from dml.preprocessing._data import _is_constant_feature, _scale_from_var
from dml.preprocessing._power_kernels import (
    BOX_COX_POSITIVE,
    combine_power_grid,
    power_grid_kernel,
    power_inverse_block,
    power_transform_block,
)

#: The first pass's grid: lambdas -4, -3.75, ..., 6 for every column.
FIRST_GRID = (-4.0, 6.0, 41)
#: Points per column of every later pass.
GRID_POINTS = 33
#: A column's search ends (the final pass) once its bracket is this narrow.
BRACKET_WIDTH = 2.5e-3
#: Half-width of the final pass's grid around the parabola's vertex (relative to
#: ``max(1, |lambda|)``).
FINAL_HALF_WIDTH = 4e-6


def _neg_log_likelihood(res, lmbdas, slog):
    """SciPy's negative log-likelihood of every candidate (g, p): ``n / 2 log(var) -
    (lambda - 1) * slog``, +inf where the variance is below the smallest normal float
    (SciPy's rule) or not finite."""
    n = to_numpy(res["n"])
    var = to_numpy(res["m2"]) / np.where(n > 0, n, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        nll = n / 2 * np.log(var) - (lmbdas - 1.0) * slog[None, :]
    tiny = np.finfo(np.float64).tiny
    return np.where(np.isfinite(nll) & (var >= tiny), nll, np.inf)


def _bounds(method, stats):
    """The lambdas searched per column: SciPy's bounds for Yeo-Johnson
    (``yeojohnson_normmax``: no over- or underflow of the transform of values up to 20
    times the largest one); the same rule on ``log(x)`` for Box-Cox."""
    eps = np.finfo(np.float64).eps
    log_tiny = (np.log(np.finfo(np.float64).tiny) - np.log(eps)) / 2
    log_max = (np.log(np.finfo(np.float64).max) + np.log(eps)) / 2
    xmin, xmax, absmax = stats["xmin"], stats["xmax"], stats["absmax"]
    if method == "yeo-johnson":
        scale = np.log1p(20 * absmax)
        scale = np.where(scale > 0, scale, 1.0)
        lb, ub = log_tiny / scale, log_max / scale
        neg_all, neg_any = xmax < 0, xmin < 0
        lb2 = np.where(neg_all, 2 - ub, np.where(neg_any, np.maximum(2 - ub, lb), lb))
        ub2 = np.where(neg_all, 2 - lb, np.where(neg_any, np.minimum(2 - lb, ub), ub))
        return lb2, ub2
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.maximum(
            np.abs(np.log(np.where(xmin > 0, xmin, 1.0))), np.abs(np.log(np.where(xmax > 0, xmax, 1.0)))
        )
        scale = np.log1p(20) + np.where(np.isfinite(scale), scale, 0.0)
    return -log_max / scale, log_max / scale


def _vertex(x, f):
    """The vertex of the parabola through three points ``(x_i, f_i)`` (arrays (3, p)),
    kept within ``[x_0, x_2]``; the middle point where the parabola is not convex."""
    a, b, c = x
    fa, fb, fc = f
    with np.errstate(divide="ignore", invalid="ignore"):
        num = (b - a) ** 2 * (fb - fc) - (b - c) ** 2 * (fb - fa)
        den = (b - a) * (fb - fc) - (b - c) * (fb - fa)
        v = b - 0.5 * num / den
    ok = np.isfinite(v) & (den < 0) & np.all(np.isfinite(f), axis=0)
    return np.where(ok, np.clip(v, a, c), b)


def _lagrange(x, y, t):
    """Quadratic interpolation at ``t`` (p,) of values ``y`` (3, p) at nodes ``x`` (3, p)."""
    a, b, c = x
    with np.errstate(divide="ignore", invalid="ignore"):
        la = (t - b) * (t - c) / ((a - b) * (a - c))
        lb = (t - a) * (t - c) / ((b - a) * (b - c))
        lc = (t - a) * (t - b) / ((c - a) * (c - b))
        out = la * y[0] + lb * y[1] + lc * y[2]
    return np.where(np.isfinite(out), out, y[1])


class PowerTransformer(CpuMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Apply a power transform featurewise to make data more Gaussian-like.

    A drop-in for :class:`sklearn.preprocessing.PowerTransformer`: the same lambdas
    (the maximum-likelihood ones, to within 1e-6), transform, standardisation and
    inverse. The likelihood of many candidate lambdas for every column is evaluated
    in each pass over the data, so the fit needs four passes, not one per likelihood
    evaluation.

    Parameters
    ----------
    method : {'yeo-johnson', 'box-cox'}, default='yeo-johnson'
        'yeo-johnson' works with positive and negative values; 'box-cox' only with
        strictly positive values.
    standardize : bool, default=True
        Scale the transformed data to zero mean and unit variance.
    copy : bool, default=True
        If False, ``transform`` / ``inverse_transform`` of an in-memory float array of
        the fitted dtype write into it. ``fit`` never modifies X; Dask input is never
        modified.

    Attributes
    ----------
    lambdas_ : ndarray of shape (n_features,)
        The parameter of the transform of every feature (in X's dtype).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names (pandas or Dask DataFrame).

    Notes
    -----
    Computation: ``fit`` makes 4 passes over the data in the usual case. Every pass
    evaluates, for every column at once, a grid of candidate lambdas: each chunk
    transforms its values by every candidate and returns the count, mean and
    centred sum of squares of each transformed column (merged with Chan's update in a
    tree), from which the caller computes SciPy's log-likelihood ``-n/2 log(var) +
    (lambda - 1) * S`` (S, the sum of ``sign(x) log1p(|x|)`` or of ``log(x)``, comes
    from the first pass). Pass 1 evaluates lambdas -4 to 6 in steps of 0.25 (with the
    value checks and S); passes 2 and 3 evaluate 33 points across the bracket of the
    previous best (it shrinks 16-fold per pass); the final pass evaluates 33 points
    within ``4e-6`` of the vertex of the parabola through the best three, and the
    lambda is the vertex of the parabola through its best three, the mean and
    variance for ``standardize`` interpolated there. A lambda outside [-4, 6] widens its
    column's bracket (within SciPy's bounds that keep the transform finite), which
    costs two more passes (6 in all for a lambda of 7.4). scikit-learn runs Brent's method (SciPy's ``yeojohnson`` /
    ``boxcox``) per column from the bracket (-2, 2); on a likelihood with several
    local maxima the two may pick different ones. Memory per task: one chunk plus a
    few blocks of its transformed values. NaN values are disregarded in ``fit`` and
    kept in ``transform``. ``transform`` and ``inverse_transform`` are blockwise: Dask
    in, lazy Dask out (Box-Cox's check of strictly positive data then runs when the
    result is computed).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.preprocessing import PowerTransformer
    >>> X = np.array([[1.0, 2.0], [3.0, 2.0], [4.0, 5.0]])
    >>> pt = PowerTransformer().fit(X)
    >>> np.round(pt.lambdas_, 4)
    array([ 1.3867, -3.1005])
    >>> np.round(pt.transform(X), 4)
    array([[-1.3162, -0.7071],
           [ 0.21  , -0.7071],
           [ 1.1062,  1.4142]])
    """

    _parameter_constraints = {
        "method": [StrOptions({"yeo-johnson", "box-cox"})],
        "standardize": ["boolean"],
        "copy": ["boolean"],
    }

    def __init__(self, method="yeo-johnson", *, standardize=True, copy=True):
        self.method = method
        self.standardize = standardize
        self.copy = copy

    def fit(self, X, y=None):
        """Estimate the optimal lambda of every feature (and the standardisation).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            NaN values are disregarded.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_params(self)
        with validate_fit_data(self, X) as data:
            lmbdas, mean, var, n = self._fit_lambdas(data)
        self.lambdas_ = lmbdas.astype(data.dtype)
        if self.standardize:
            self._mean = mean
            self._scale = _scale_from_var(var, mean, n)
        else:
            self._mean = self._scale = None
        return self

    def _fit_lambdas(self, data):
        method = self.method
        p = data.n_features
        lo, hi, g = FIRST_GRID
        grid = np.repeat(np.linspace(lo, hi, g)[:, None], p, axis=1)
        res = map_reduce(
            power_grid_kernel, data, broadcast=(grid,), combine=combine_power_grid, method=method, first=True
        )
        stats = {k: to_numpy(v) for k, v in res.items()}
        if int(stats["n_inf"]):
            raise ValueError(
                f"Input X contains infinity or a value too large for dtype({np.dtype(data.dtype).name!r})."
            )
        n_valid = stats["n_rows"] - stats["n_nan"]
        if method == "box-cox":
            if np.nanmin(np.where(n_valid > 0, stats["xmin"], np.nan), initial=np.inf) <= 0:
                raise ValueError(BOX_COX_POSITIVE)
        if np.any(n_valid == 0):
            raise ValueError("Column must not be all nan.")
        if method == "box-cox" and np.any(stats["xmin"] == stats["xmax"]):
            raise ValueError("Data must not be constant.")  # SciPy's boxcox
        slog = stats["slog"]
        lb, ub = _bounds(method, stats)
        fixed = np.zeros(p, dtype=bool)
        if method == "yeo-johnson":
            # constant features stay as they are (lambda 1: the identity), as scikit-learn
            one = int(np.argmin(np.abs(grid[:, 0] - 1.0)))
            n_rows = int(stats["n_rows"])
            mean1 = stats["mean"][one]
            var1 = stats["m2"][one] / n_rows
            fixed = (stats["n_nan"] == 0) & _is_constant_feature(var1, mean1, n_rows)
        grid = np.clip(grid, lb, ub)
        final = False
        for _ in range(64):
            nll = _neg_log_likelihood(res, grid, slog)
            G = grid.shape[0]
            j = np.argmin(nll, axis=0)
            cols = np.arange(p)
            at = grid[j, cols]
            if final:
                edge = ((j == 0) & (grid[0] > lb)) | ((j == G - 1) & (grid[-1] < ub))
                edge &= ~fixed
                if not edge.any():
                    break
                # the optimum lies beyond the final grid: centre it on its best point
                centre = np.where(edge, at, grid[G // 2])
                width = (grid[-1] - grid[0]) / 2
            else:
                width_now = grid[-1] - grid[0]
                left = (j == 0) & (grid[0] > lb)
                right = (j == G - 1) & (grid[-1] < ub)
                jm, jp = np.maximum(j - 1, 0), np.minimum(j + 1, G - 1)
                new_lo = np.where(left, np.maximum(lb, grid[0] - 3 * width_now), grid[jm, cols])
                new_hi = np.where(right, np.minimum(ub, grid[-1] + 3 * width_now), grid[jp, cols])
                new_lo = np.where(right, grid[jm, cols], new_lo)
                new_hi = np.where(left, grid[jp, cols], new_hi)
                done = ((new_hi - new_lo) < BRACKET_WIDTH) & ~left & ~right | fixed
                if done.all():
                    final = True
                    jc = np.clip(j, 1, G - 2)
                    pts = np.stack([grid[jc - 1, cols], grid[jc, cols], grid[jc + 1, cols]])
                    f3 = np.stack([nll[jc - 1, cols], nll[jc, cols], nll[jc + 1, cols]])
                    centre = np.where(np.isfinite(nll[j, cols]), _vertex(pts, f3), at)
                    width = FINAL_HALF_WIDTH * np.maximum(1.0, np.abs(centre))
                else:
                    grid = np.linspace(new_lo, new_hi, GRID_POINTS)
                    grid = np.where(fixed[None, :], 1.0, np.clip(grid, lb, ub))
                    res = map_reduce(
                        power_grid_kernel, data, broadcast=(grid,), combine=combine_power_grid, method=method
                    )
                    continue
            grid = centre[None, :] + np.linspace(-1.0, 1.0, GRID_POINTS)[:, None] * width[None, :]
            grid = np.where(fixed[None, :], 1.0, np.clip(grid, lb, ub))
            res = map_reduce(
                power_grid_kernel, data, broadcast=(grid,), combine=combine_power_grid, method=method
            )
        # the final grid: the vertex of the parabola through its best three points,
        # the transformed columns' moments interpolated there
        nll = _neg_log_likelihood(res, grid, slog)
        G = grid.shape[0]
        cols = np.arange(p)
        j = np.clip(np.argmin(nll, axis=0), 1, G - 2)
        pts = np.stack([grid[j - 1, cols], grid[j, cols], grid[j + 1, cols]])
        f3 = np.stack([nll[j - 1, cols], nll[j, cols], nll[j + 1, cols]])
        lam = np.where(fixed, 1.0, _vertex(pts, f3))
        lam = lam.astype(data.dtype).astype(np.float64)
        n = to_numpy(res["n"])
        mom = [to_numpy(res[k]) for k in ("mean", "m2")]
        take = lambda a: np.stack([a[j - 1, cols], a[j, cols], a[j + 1, cols]])  # noqa: E731
        mean = _lagrange(pts, take(mom[0]), lam)
        var = np.maximum(_lagrange(pts, take(mom[1] / np.where(n > 0, n, 1.0)), lam), 0.0)
        n_seen = n[0]
        return lam, mean, var, n_seen[0] if n_seen.min() == n_seen.max() else n_seen

    def _blockwise(self, func, X, copy):
        kwargs = dict(method=self.method, lmbdas=self.lambdas_, mean=self._mean, scale=self._scale)
        if is_dask_collection(X) or copy:
            return apply_blockwise(func, X, n_outputs=X.shape[1], dtype=X.dtype, **kwargs)
        with np.errstate(all="ignore"):
            out = func(X, xp=get_namespace(X), **kwargs)
        X[...] = out
        return X

    def transform(self, X):
        """Apply the power transform (and the standardisation) to every feature.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_trans : ndarray or Dask array of shape (n_samples, n_features)
            Lazy for Dask input.
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        return self._blockwise(power_transform_block, X, self.copy)

    def inverse_transform(self, X):
        """Apply the inverse power transform (after undoing the standardisation).

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features)
            Lazy for Dask input.
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        return self._blockwise(power_inverse_block, X, self.copy)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
