"""StandardScaler and MinMaxScaler: one pass over the data, partial_fit, lazy transform."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, TransformerMixin, check_params
from dml._engine.blockwise import apply_blockwise, guard_finite
from dml._engine.inputs import (
    is_dask_collection,
    raise_if_not_finite,
    validate_fit_data,
    validate_predict_data,
)
from dml._engine.kernels import combine_centered, moments_kernel
from dml._engine.mapreduce import make_combine, map_reduce
from dml._engine.namespace import get_namespace, is_sparse, to_numpy
from dml.preprocessing._data_kernels import (
    csr_column_scale_kernel,
    minmax_inverse_kernel,
    minmax_kernel,
    minmax_transform_kernel,
    standardize_kernel,
    unstandardize_kernel,
)


def _is_constant_feature(var, mean, n_samples):
    # The error bound of the two-pass variance (Chan, Golub & LeVeque), as scikit-learn.
    eps = np.finfo(np.float64).eps
    upper_bound = n_samples * eps * var + (n_samples * mean * eps) ** 2
    return var <= upper_bound


def _scale_from_var(var, mean, n_samples):
    scale = np.sqrt(var)
    constant = _is_constant_feature(var, mean, n_samples)
    scale = np.where(constant | (scale < 10 * np.finfo(scale.dtype).eps), 1.0, scale)
    return scale


def _is_sparse_input(X):
    """In-memory ``scipy.sparse`` X, or a Dask array of sparse chunks (metadata only)."""
    return is_sparse(X) or (is_dask_collection(X) and is_sparse(getattr(X, "_meta", None)))


_CENTER_SPARSE = "Cannot center sparse matrices: pass `with_mean=False` instead. See docstring for motivation and alternatives."
_UNCENTER_SPARSE = "Cannot uncenter sparse matrices: pass `with_mean=False` instead See docstring for motivation and alternatives."


def _blockwise_or_inplace(kernel, X, copy, allow_nan=True, **params):
    """Run an elementwise transform kernel lazily on Dask input, or on in-memory input
    (in place when ``copy=False``, as scikit-learn does). NaN passes through unless
    ``allow_nan=False``; inf is rejected with scikit-learn's message.

    CSR input (in memory, or Dask CSR chunks) gives CSR output: the kernel returns a
    CSR chunk of the same structure; ``copy=False`` writes its values into X's."""

    def guarded(chunk, *, xp, **kw):
        return guard_finite(kernel(chunk, xp=xp, **kw), chunk, allow_nan=allow_nan)

    if _is_sparse_input(X):
        if is_dask_collection(X):
            return apply_blockwise(
                guarded, X, n_outputs=X.shape[1], dtype=X.dtype, sparse_output=True, **params
            )
        out = guarded(X, xp=get_namespace(X), **params)
        if copy:
            return out
        X.data[...] = out.data
        return X
    if is_dask_collection(X) or copy:
        return apply_blockwise(guarded, X, n_outputs=X.shape[1], dtype=X.dtype, **params)
    out = guarded(X, xp=get_namespace(X), **params)
    X[...] = out
    return X


class StandardScaler(CpuMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardize features by removing the mean and scaling to unit variance.

    A drop-in for :class:`sklearn.preprocessing.StandardScaler` that fits in one pass
    over row-chunked data (NumPy, pandas, Dask, CuPy). NaNs are treated as missing
    values: disregarded in ``fit`` and kept in ``transform``.

    Sparse input (``scipy.sparse`` matrices or arrays, or Dask arrays of CSR chunks)
    needs ``with_mean=False``, as in scikit-learn: the statistics come from the stored
    values (never densified) and ``transform`` returns CSR (a Dask array of CSR chunks
    for Dask input).

    Parameters
    ----------
    copy : bool, default=True
        If False, ``transform`` / ``inverse_transform`` of an in-memory float array of
        the fitted dtype scale it in place. Dask input is never modified in place.
    with_mean : bool, default=True
        Center the data before scaling.
    with_std : bool, default=True
        Scale the data to unit variance.

    Attributes
    ----------
    scale_ : ndarray of shape (n_features,) or None
        Per-feature scaling, ``sqrt(var_)`` with (near-)constant features set to 1.
    mean_ : ndarray of shape (n_features,) or None
        Per-feature mean (float64). None when ``with_mean=False`` and ``with_std=False``.
    var_ : ndarray of shape (n_features,) or None
        Per-feature population variance (float64). None when ``with_std=False``.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names (pandas or Dask DataFrame).
    n_samples_seen_ : int, float or ndarray of shape (n_features,)
        Samples (or total sample weight) seen per feature; a scalar when every feature
        saw the same number.

    Notes
    -----
    Computation: ``fit`` / ``partial_fit`` make one pass over the data (one round trip):
    each chunk returns per-feature weighted counts, means and centred sums of squares,
    accumulated in float64 around a shift in cache-sized row blocks, and the partials
    merge exactly with Chan's pairwise update in a tree on the workers. Memory per task:
    one chunk plus O(n_features). ``transform`` is blockwise: Dask in, lazy Dask out.
    CSR chunks are summed per column over their nonzeros (``np.bincount``): memory per
    task O(nnz of the chunk + n_features), whatever ``n_features`` is.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.preprocessing import StandardScaler
    >>> StandardScaler().fit(np.array([[0.0, 1.0], [2.0, 3.0]])).mean_
    array([1., 2.])
    """

    _parameter_constraints = {
        "copy": ["boolean"],
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, copy=True, with_mean=True, with_std=True):
        self.copy = copy
        self.with_mean = with_mean
        self.with_std = with_std

    def _reset(self):
        for attr in ("scale_", "n_samples_seen_", "mean_", "var_"):
            if hasattr(self, attr):
                delattr(self, attr)

    def fit(self, X, y=None, sample_weight=None):
        """Compute the mean and std to be used for later scaling.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Individual weights for each sample.

        Returns
        -------
        self : object
        """
        self._reset()
        return self.partial_fit(X, y, sample_weight)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the mean and std with one more batch (one pass over it).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            With ``with_mean=False`` and ``with_std=False`` nothing is estimated and,
            as in scikit-learn, ``n_samples_seen_`` counts rows unweighted.

        Returns
        -------
        self : object
        """
        check_params(self)
        first = not hasattr(self, "n_samples_seen_")
        sparse = _is_sparse_input(X)
        if not (self.with_mean or self.with_std) and not sparse:
            # Nothing is estimated: scikit-learn counts rows, unweighted (dense input;
            # its sparse path counts the weights).
            sample_weight = None
        with validate_fit_data(
            self, X, None, sample_weight, reset=first, iterative=False, accept_sparse=("csr", "csc")
        ) as data:
            if data.sparse and self.with_mean:
                raise ValueError(_CENTER_SPARSE)
            stats = map_reduce(moments_kernel, data, combine=combine_centered, allow_nan=True)
            raise_if_not_finite(data, stats["mean"], stats["m2"], allow_nan=True)
        if sample_weight is not None and int(to_numpy(stats["w_nonzero"])) == 0:
            raise ValueError("Sample weights must contain at least one non-zero number.")
        n = to_numpy(stats["n"]).astype(np.float64)
        mean = to_numpy(stats["mean"])
        var = to_numpy(stats["m2"]) / np.where(n > 0, n, 1.0)
        if not first and getattr(self, "_last", None) is not None:
            merged = combine_centered([self._last, {"n": n, "mean": mean, "m2": var * n}])
            n, mean = merged["n"], merged["mean"]
            var = merged["m2"] / np.where(n > 0, n, 1.0)
        mean = np.where(n > 0, mean, np.nan)
        var = np.where(n > 0, var, np.nan)
        self._last = {"n": n, "mean": np.nan_to_num(mean), "m2": np.nan_to_num(var) * n}
        if sample_weight is None:
            seen = n.astype(np.int64)
        else:
            seen = n
        self.n_samples_seen_ = seen[0] if seen.max() == seen.min() else seen
        if sparse and not self.with_std:
            # scikit-learn's sparse path keeps no mean without a variance
            self.mean_ = None
        elif self.with_mean or self.with_std:
            self.mean_ = mean
        else:
            self.mean_ = None
        if self.with_std:
            self.var_ = var
            self.scale_ = _scale_from_var(var, mean, self.n_samples_seen_)
        else:
            self.var_ = None
            self.scale_ = None
        return self

    def transform(self, X, copy=None):
        """Standardize X: ``(X - mean_) / scale_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        copy : bool, default=None
            Overrides ``self.copy`` for this call.

        Returns
        -------
        X_tr : ndarray or Dask array of shape (n_samples, n_features)
            Lazy for Dask input.
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X, accept_sparse="csr")
        copy = self.copy if copy is None else copy
        if _is_sparse_input(X):
            if self.with_mean:
                raise ValueError(_CENTER_SPARSE)
            factor = None if self.scale_ is None else 1 / self.scale_
            return _blockwise_or_inplace(csr_column_scale_kernel, X, copy, factor=factor)
        return _blockwise_or_inplace(
            standardize_kernel,
            X,
            copy,
            mean=self.mean_ if self.with_mean else None,
            scale=self.scale_ if self.with_std else None,
        )

    def inverse_transform(self, X, copy=None):
        """Scale back to the original representation: ``X * scale_ + mean_``.

        Parameters
        ----------
        X : array-like, Dask array of shape (n_samples, n_features)
        copy : bool, default=None

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X, accept_sparse="csr")
        copy = self.copy if copy is None else copy
        if _is_sparse_input(X):
            if self.with_mean:
                raise ValueError(_UNCENTER_SPARSE)
            return _blockwise_or_inplace(csr_column_scale_kernel, X, copy, factor=self.scale_)
        return _blockwise_or_inplace(
            unstandardize_kernel,
            X,
            copy,
            mean=self.mean_ if self.with_mean else None,
            scale=self.scale_ if self.with_std else None,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = not self.with_mean
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class MinMaxScaler(CpuMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Scale each feature to a given range, in one pass over row-chunked data.

    A drop-in for :class:`sklearn.preprocessing.MinMaxScaler`. NaNs are disregarded in
    ``fit`` and kept in ``transform``.

    Parameters
    ----------
    feature_range : tuple (min, max), default=(0, 1)
        Desired range of transformed data.
    copy : bool, default=True
        If False, in-memory float input of the fitted dtype is scaled in place.
    clip : bool, default=False
        Clip transformed values of held-out data to ``feature_range``.

    Attributes
    ----------
    min_ : ndarray of shape (n_features,)
        Per-feature adjustment for the minimum.
    scale_ : ndarray of shape (n_features,)
        Per-feature relative scaling.
    data_min_, data_max_, data_range_ : ndarray of shape (n_features,)
        Per-feature minimum, maximum and range seen.
    n_samples_seen_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: ``fit`` / ``partial_fit`` make one pass (one round trip): per-chunk
    NaN-ignoring min and max, combined with min / max in a tree. Memory per task: one
    chunk plus O(n_features). ``transform`` is blockwise and lazy on Dask input.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.preprocessing import MinMaxScaler
    >>> MinMaxScaler().fit_transform(np.array([[1.0], [3.0]])).ravel()
    array([0., 1.])
    """

    _parameter_constraints = {
        "feature_range": [tuple],
        "copy": ["boolean"],
        "clip": ["boolean"],
    }

    def __init__(self, feature_range=(0, 1), *, copy=True, clip=False):
        self.feature_range = feature_range
        self.copy = copy
        self.clip = clip

    def _reset(self):
        for attr in ("scale_", "min_", "n_samples_seen_", "data_min_", "data_max_", "data_range_"):
            if hasattr(self, attr):
                delattr(self, attr)

    def fit(self, X, y=None):
        """Compute the minimum and maximum to be used for later scaling.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._reset()
        return self.partial_fit(X, y)

    def partial_fit(self, X, y=None):
        """Update the minimum and maximum with one more batch (one pass over it).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_params(self)
        lo_r, hi_r = self.feature_range
        if not (isinstance(lo_r, Real) and isinstance(hi_r, Real)) or lo_r >= hi_r:
            raise ValueError(
                "Minimum of desired feature range must be smaller than maximum. Got %s."
                % str(self.feature_range)
            )
        first = not hasattr(self, "n_samples_seen_")
        with validate_fit_data(self, X, reset=first, iterative=False) as data:
            stats = map_reduce(minmax_kernel, data, combine=make_combine(data_min="min", data_max="max"))
            lo, hi = to_numpy(stats["data_min"]), to_numpy(stats["data_max"])
            # +inf / -inf mark all-NaN features; a real inf in X makes the range non-finite.
            seen = np.isfinite(lo) | np.isfinite(hi) | (lo <= hi)
            raise_if_not_finite(data, np.where(lo <= hi, hi - lo, 0.0), allow_nan=True)
        lo = np.where(seen & (lo <= hi), lo, np.nan)
        hi = np.where(seen & (lo <= hi), hi, np.nan)
        n_rows = int(to_numpy(stats["n_rows"]))
        if first:
            self.n_samples_seen_ = n_rows
        else:
            lo = np.fmin(self.data_min_, lo)
            hi = np.fmax(self.data_max_, hi)
            self.n_samples_seen_ += n_rows
        data_range = hi - lo
        safe = np.where(
            (data_range == 0) | (np.abs(data_range) < 10 * np.finfo(data_range.dtype).eps), 1.0, data_range
        )
        self.scale_ = (hi_r - lo_r) / safe
        self.min_ = lo_r - lo * self.scale_
        self.data_min_ = lo
        self.data_max_ = hi
        self.data_range_ = data_range
        return self

    def transform(self, X):
        """Scale X to ``feature_range``: ``X * scale_ + min_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        Xt : ndarray or Dask array of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        return _blockwise_or_inplace(
            minmax_transform_kernel,
            X,
            self.copy,
            scale=self.scale_,
            min_=self.min_,
            clip_range=tuple(self.feature_range) if self.clip else None,
        )

    def inverse_transform(self, X):
        """Undo the scaling of X according to ``feature_range``.

        Parameters
        ----------
        X : array-like, Dask array of shape (n_samples, n_features)

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        return _blockwise_or_inplace(minmax_inverse_kernel, X, self.copy, scale=self.scale_, min_=self.min_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
