"""KBinsDiscretizer: bin edges from exact per-feature statistics of row-chunked data."""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from dml._base import CpuMixin, TransformerMixin, check_params
from dml._compat.sklearn import Interval, StrOptions, check_feature_names_in
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import is_dask_collection, validate_fit_data, validate_predict_data
from dml._engine.mapreduce import make_combine, map_reduce
from dml._engine.namespace import assert_finite_chunk
from dml._engine.quantiles import (
    DEFAULT_SIZE,
    exact_order_statistics,
    percentile_ranks,
    percentiles_from_order_statistics,
    summarize,
    weighted_order_statistics,
)
from dml.preprocessing._discretization_kernels import (
    bin_centers_kernel,
    bin_codes_kernel,
    onehot_csr_kernel,
    onehot_dense_kernel,
    range_kernel,
)

_METHODS = {
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "linear",
    "median_unbiased",
    "normal_unbiased",
}


def _csr_block(block, kw):
    assert_finite_chunk(block)
    return onehot_csr_kernel(block, **kw)


def _finite_then(kernel):
    """``kernel`` after scikit-learn's NaN / infinity check of the chunk (bins of NaN
    would otherwise pass silently)."""

    def run(chunk, *, xp, **kw):
        assert_finite_chunk(chunk)
        return kernel(chunk, xp=xp, **kw)

    run.__name__ = kernel.__name__
    return run


class KBinsDiscretizer(CpuMixin, TransformerMixin, BaseEstimator):
    """Bin continuous data into intervals.

    A drop-in for :class:`sklearn.preprocessing.KBinsDiscretizer` on row-chunked data
    (NumPy, pandas, Dask arrays and DataFrames). ``bin_edges_`` equal scikit-learn's
    for ``strategy='uniform'`` and ``'quantile'`` (exact per-feature minimum, maximum
    and percentiles, bit for bit NumPy's ``percentile`` with ``quantile_method``; with
    ``sample_weight``, scikit-learn's weighted percentile, exactly for integer
    weights) when no subsampling happens; ``'kmeans'`` runs scikit-learn's 1-D
    ``KMeans`` on each feature's distinct values weighted by their counts (see Notes).

    Parameters
    ----------
    n_bins : int or array-like of shape (n_features,), default=5
        The number of bins to produce (at least 2).
    encode : {'onehot', 'onehot-dense', 'ordinal'}, default='onehot'
        ``'onehot'``: a ``scipy.sparse`` CSR matrix (a Dask array of CSR chunks for
        Dask input); ``'onehot-dense'``: a dense one-hot array; ``'ordinal'``: the bin
        index of every feature.
    strategy : {'uniform', 'quantile', 'kmeans'}, default='quantile'
        Widths of the bins: equal, equal populations, or 1-D k-means clusters.
    quantile_method : str, default='averaged_inverted_cdf'
        NumPy's percentile method for ``strategy='quantile'`` (with ``sample_weight``
        only ``'inverted_cdf'`` and ``'averaged_inverted_cdf'``).
    dtype : {np.float32, np.float64}, default=None
        Output dtype (None: the input's float dtype).
    subsample : int or None, default=200_000
        With more rows than this, the edges are computed from a sample of the rows:
        each row is kept with probability ``subsample / n_samples`` (a Bernoulli
        sample drawn from a hash of its global row index, so it does not depend on the
        chunking; scikit-learn draws exactly ``subsample`` rows with replacement, by
        weight when given: dml keeps the sampled rows' weights instead). ``None``:
        every row.
    random_state : int, RandomState instance or None, default=None
        Seeds the row sample's hash (used only when rows are sampled).

    Attributes
    ----------
    bin_edges_ : ndarray of ndarray of shape (n_features,)
        The edges of each bin (arrays of shape ``(n_bins_[j] + 1,)``).
    n_bins_ : ndarray of shape (n_features,), dtype=int
        Number of bins per feature (bins narrower than 1e-8 are removed with a
        warning, as scikit-learn).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.

    Notes
    -----
    Computation: ``fit`` makes one pass for the per-feature minimum and maximum (and
    the NaN / infinity check), then for ``'quantile'`` the exact order statistics of
    :mod:`dml._engine.quantiles` (one more pass on small data, two up to about a
    million rows, three beyond), and for ``'kmeans'`` one pass of rank-bounded
    summaries: the k-means runs in the caller on each feature's distinct values with
    their counts (exactly the column when a feature has at most
    ``max(4096, subsample)`` distinct values, so the centers equal scikit-learn's
    within floating-point rounding; beyond that, on the summary's kept values, within
    its rank error). Memory per task: one chunk plus the summaries. ``transform`` is
    blockwise: Dask in, lazy Dask out.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.preprocessing import KBinsDiscretizer
    >>> X = np.array([[-2.0, 1.0], [-1.0, 2.0], [0.0, 3.0], [1.0, 4.0]])
    >>> est = KBinsDiscretizer(n_bins=2, encode="ordinal", strategy="uniform").fit(X)
    >>> est.transform(X)
    array([[0., 0.],
           [0., 0.],
           [1., 1.],
           [1., 1.]])
    """

    _parameter_constraints = {
        "n_bins": [Interval(Integral, 2, None, closed="left"), "array-like"],
        "encode": [StrOptions({"onehot", "onehot-dense", "ordinal"})],
        "strategy": [StrOptions({"uniform", "quantile", "kmeans"})],
        "quantile_method": [StrOptions(_METHODS)],
        "dtype": [type, None],  # np.float64 or np.float32 (checked in fit)
        "subsample": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_bins=5,
        *,
        encode="onehot",
        strategy="quantile",
        quantile_method="averaged_inverted_cdf",
        dtype=None,
        subsample=200_000,
        random_state=None,
    ):
        self.n_bins = n_bins
        self.encode = encode
        self.strategy = strategy
        self.quantile_method = quantile_method
        self.dtype = dtype
        self.subsample = subsample
        self.random_state = random_state

    def _validate_n_bins(self, n_features):
        orig_bins = self.n_bins
        if isinstance(orig_bins, Integral):
            return np.full(n_features, orig_bins, dtype=int)
        n_bins = check_array(orig_bins, dtype=int, copy=True, ensure_2d=False)
        if n_bins.ndim > 1 or n_bins.shape[0] != n_features:
            raise ValueError("n_bins must be a scalar or array of shape (n_features,).")
        bad = (n_bins < 2) | (n_bins != orig_bins)
        violating = np.where(bad)[0]
        if violating.shape[0] > 0:
            indices = ", ".join(str(i) for i in violating)
            raise ValueError(
                "KBinsDiscretizer received an invalid number of bins at indices {}. Number of bins "
                "must be at least 2, and must be an int.".format(indices)
            )
        return n_bins

    def fit(self, X, y=None, sample_weight=None):
        """Fit the estimator.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            Data to be discretized.
        y : None
            Ignored.
        sample_weight : array-like or Dask array of shape (n_samples,), default=None
            Weights of the rows (rows of weight 0 do not count).

        Returns
        -------
        self : object
        """
        check_params(self)
        if self.dtype not in (None, np.float64, np.float32):
            raise ValueError(
                "The 'dtype' parameter of KBinsDiscretizer must be an instance of 'type' among "
                f"{{<class 'numpy.float64'>, <class 'numpy.float32'>}} or None. Got {self.dtype!r} instead."
            )
        weighted = sample_weight is not None
        if (
            self.strategy == "quantile"
            and weighted
            and self.quantile_method
            not in (
                "inverted_cdf",
                "averaged_inverted_cdf",
            )
        ):
            raise ValueError(
                "When fitting with strategy='quantile' and sample weights, "
                "quantile_method should either be set to 'averaged_inverted_cdf' or "
                f"'inverted_cdf', got quantile_method='{self.quantile_method}' instead."
            )
        with validate_fit_data(self, X, None, sample_weight, iterative=self.strategy == "quantile") as data:
            n_features = data.n_features
            n_bins = self._validate_n_bins(n_features)
            dtype = data.dtype
            sample = None
            if self.subsample is not None and data.n_samples > self.subsample:
                seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
                sample = (seed, self.subsample / data.n_samples)
            rng = map_reduce(
                range_kernel,
                data,
                combine=make_combine(col_min="min", col_max="max"),
                sample=sample,
                pass_row_offset=sample is not None,
            )
            if int(rng["has_nan"]):
                raise ValueError("Input X contains NaN.")
            if int(rng["has_inf"]):
                raise ValueError(f"Input X contains infinity or a value too large for dtype({dtype.name!r}).")
            if weighted and int(rng["n_kept"]) == 0:
                raise ValueError("Sample weights must contain at least one non-zero number.")
            col_min, col_max = np.asarray(rng["col_min"]), np.asarray(rng["col_max"])
            constant = col_min == col_max
            levels = [np.linspace(0, 100, n_bins[j] + 1) for j in range(n_features)]
            edges_q = summaries = None
            if self.strategy == "quantile":
                edges_q = self._quantile_edges(data, levels, weighted, sample, dtype)
            elif self.strategy == "kmeans":
                summaries = summarize(
                    data, size=max(DEFAULT_SIZE, self.subsample or 0), sample=sample, weighted=weighted
                )
        bin_edges = np.zeros(n_features, dtype=object)
        for jj in range(n_features):
            if constant[jj]:
                warnings.warn("Feature %d is constant and will be replaced with 0." % jj)
                n_bins[jj] = 1
                bin_edges[jj] = np.array([-np.inf, np.inf])
                continue
            if self.strategy == "uniform":
                bin_edges[jj] = np.linspace(col_min[jj], col_max[jj], n_bins[jj] + 1)
            elif self.strategy == "quantile":
                bin_edges[jj] = edges_q[jj]
            else:
                bin_edges[jj] = _kmeans_edges(summaries[jj], col_min[jj], col_max[jj], n_bins[jj])
            if self.strategy in ("quantile", "kmeans"):
                mask = np.ediff1d(bin_edges[jj], to_begin=np.inf) > 1e-8
                bin_edges[jj] = bin_edges[jj][mask]
                if len(bin_edges[jj]) - 1 != n_bins[jj]:
                    warnings.warn(
                        "Bins whose width are too small (i.e., <= "
                        "1e-8) in feature %d are removed. Consider "
                        "decreasing the number of bins." % jj
                    )
                    n_bins[jj] = len(bin_edges[jj]) - 1
        self.bin_edges_ = bin_edges
        self.n_bins_ = n_bins
        return self

    def _quantile_edges(self, data, levels, weighted, sample, dtype):
        method = self.quantile_method
        if not weighted:
            n_valid, values = exact_order_statistics(
                data,
                lambda n: [percentile_ranks([m], q, dtype, method)[0] for m, q in zip(n, levels)],
                sample=sample,
            )
            return [
                np.asarray(
                    percentiles_from_order_statistics([m], [v], q, dtype, method)[:, 0], dtype=np.float64
                )
                for m, v, q in zip(n_valid, values, levels)
            ]
        # scikit-learn's _weighted_percentile: the first value whose cumulative weight
        # reaches p / 100 * total; 'averaged_inverted_cdf' averages it with the next
        # value when the cumulative weight lands on the target
        eps = np.finfo(dtype).eps
        average = method == "averaged_inverted_cdf"

        def thresholds(totals):
            out = []
            for total, q in zip(totals, levels):
                t = np.asarray(q, dtype=np.float64) / 100 * total
                t[t == 0] = np.nextafter(0.0, 1.0)
                out.append(np.concatenate([t, np.nextafter(t + eps, np.inf)]) if average else t)
            return out

        totals, values, cum = weighted_order_statistics(data, thresholds, sample=sample)
        edges = []
        for total, q, v, c in zip(totals, levels, values, cum):
            k = len(q)
            if not average:
                edges.append(np.asarray(v[:k], dtype=dtype))
                continue
            t = np.asarray(q, dtype=np.float64) / 100 * total
            t[t == 0] = np.nextafter(0.0, 1.0)
            above = (c[:k] - t) > eps
            edges.append(np.where(above, v[:k], (v[:k] + v[k:]) / 2).astype(dtype))
        return edges

    # ------------------------------------------------------------------- transform

    def _out_dtype(self, X):
        return np.dtype(self.dtype) if self.dtype is not None else X.dtype

    def transform(self, X):
        """Discretize the data.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        Xt : ndarray, scipy.sparse CSR matrix or Dask array
            The bins (``'ordinal'``) or their one-hot columns; lazy for Dask input (of
            CSR chunks with ``encode='onehot'``).
        """
        check_is_fitted(self)
        # as scikit-learn: X is cast to ``dtype`` (when given) before it is binned
        X = validate_predict_data(
            self, X, dtype=(np.float64, np.float32) if self.dtype is None else (self.dtype,)
        )
        out_dtype = self._out_dtype(X)
        inner = [np.asarray(e[1:-1]) for e in self.bin_edges_]
        if self.encode == "ordinal":
            return apply_blockwise(
                _finite_then(bin_codes_kernel),
                X,
                n_outputs=X.shape[1],
                dtype=out_dtype,
                inner_edges=inner,
                out_dtype=out_dtype,
            )
        n_out = int(np.sum(self.n_bins_))
        kw = dict(inner_edges=inner, n_bins=np.asarray(self.n_bins_), out_dtype=out_dtype)
        if self.encode == "onehot-dense":
            return apply_blockwise(
                _finite_then(onehot_dense_kernel), X, n_outputs=n_out, dtype=out_dtype, **kw
            )
        if not is_dask_collection(X):
            return _csr_block(X, kw)
        import scipy.sparse as sp

        meta = sp.csr_matrix((0, n_out), dtype=out_dtype)
        return X.map_blocks(_csr_block, kw, chunks=(X.chunks[0], (n_out,)), dtype=out_dtype, meta=meta)

    def inverse_transform(self, X):
        """Transform discretized data back to the bin centers.

        Parameters
        ----------
        X : array-like or Dask array
            Bins (``'ordinal'``) or one-hot columns, as ``transform`` returns them.

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        onehot = "onehot" in self.encode
        n_features = self.n_bins_.shape[0]
        if not is_dask_collection(X):
            if hasattr(X, "toarray"):
                X = X.toarray()
            X = check_array(X, copy=True, dtype=(np.float64, np.float32))
        expected = int(np.sum(self.n_bins_)) if onehot else n_features
        if X.shape[1] != expected:
            raise ValueError(
                "Incorrect number of features. Expecting {}, received {}.".format(expected, X.shape[1])
            )
        with np.errstate(invalid="ignore"):  # a constant feature: (-inf + inf) / 2 is NaN, as scikit-learn
            centers = [(e[1:] + e[:-1]) * 0.5 for e in self.bin_edges_]
        return apply_blockwise(
            bin_centers_kernel,
            X,
            n_outputs=n_features,
            dtype=X.dtype,
            centers=centers,
            n_bins=np.asarray(self.n_bins_),
            onehot=onehot,
        )

    def get_feature_names_out(self, input_features=None):
        """Output feature names (``feature_bin`` for the one-hot encodings, as ``x0_1.0``).

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_features_in_")
        input_features = check_feature_names_in(self, input_features)
        if "onehot" not in self.encode:
            return input_features
        return np.asarray(
            [f"{name}_{float(b)}" for name, n in zip(input_features, self.n_bins_) for b in range(n)],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _kmeans_edges(summary, col_min, col_max, n_bins):
    """scikit-learn's 1-D k-means bin edges on a summary's values, weighted by counts."""
    from sklearn.cluster import KMeans

    values, ulo, uhi, n, exact = summary
    mid = (ulo + uhi) / 2.0
    weights = np.diff(np.concatenate([[0.0], mid])).astype(np.float64)
    points = values.astype(np.float64)
    if points.shape[0] < n_bins:  # split the weights so that KMeans has enough points
        reps = -(-n_bins // points.shape[0])
        points = np.repeat(points, reps)
        weights = np.repeat(weights / reps, reps)
    uniform_edges = np.linspace(col_min, col_max, n_bins + 1)
    init = (uniform_edges[1:] + uniform_edges[:-1])[:, None] * 0.5
    # scikit-learn's tolerance is relative to the column's variance: the same absolute one
    total = weights.sum()
    mean = (weights * points).sum() / total
    var_data = (weights * (points - mean) ** 2).sum() / total
    var_points = np.var(points)
    tol = 1e-4 * var_data / var_points if var_points > 0 else 1e-4
    km = KMeans(n_clusters=n_bins, init=init, n_init=1, tol=tol)
    centers = km.fit(points[:, None], sample_weight=weights).cluster_centers_[:, 0]
    centers.sort()
    edges = (centers[1:] + centers[:-1]) * 0.5
    return np.r_[col_min, edges, col_max]
