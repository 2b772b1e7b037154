"""RobustScaler: exact per-feature median and quantile range in a bounded number of passes."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, TransformerMixin, check_params
from dml._engine.inputs import validate_fit_data, validate_predict_data
from dml._engine.quantiles import (
    exact_order_statistics,
    median_ranks,
    percentile_ranks,
    percentiles_from_order_statistics,
)
from dml.preprocessing._data import _blockwise_or_inplace
from dml.preprocessing._robust_kernels import robust_scale_kernel, robust_unscale_kernel


def _handle_zeros_in_scale(scale):
    scale = np.array(scale, copy=True)
    scale[scale < 10 * np.finfo(scale.dtype).eps] = 1.0
    return scale


class RobustScaler(CpuMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Scale features using statistics that are robust to outliers.

    A drop-in for :class:`sklearn.preprocessing.RobustScaler` on row-chunked data:
    removes the median and scales by the quantile range (the interquartile range by
    default). ``center_`` and ``scale_`` are exact: bit for bit NumPy's
    ``nanmedian`` / ``nanpercentile`` of the whole data, as scikit-learn's. NaNs are
    disregarded in ``fit`` and kept in ``transform``. Dense input only.

    Parameters
    ----------
    with_centering : bool, default=True
        Center the data (subtract the median) before scaling.
    with_scaling : bool, default=True
        Scale the data to the quantile range.
    quantile_range : tuple (q_min, q_max), 0.0 <= q_min <= q_max <= 100.0, default=(25.0, 75.0)
        Quantile range used to calculate ``scale_``.
    copy : bool, default=True
        If False, in-memory float input of the fitted dtype is scaled in place.
    unit_variance : bool, default=False
        Scale so that normally distributed features have a variance of 1.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,) or None
        The median of each feature (None without centering).
    scale_ : ndarray of shape (n_features,) or None
        The (scaled) quantile range of each feature, 1 where it is (near) zero (None
        without scaling).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.

    Notes
    -----
    Computation: ``fit`` finds the median and the two quantiles of every feature
    exactly, together (:mod:`dml._engine.quantiles`): a first pass builds a
    rank-bounded summary of every feature (exact for a feature with at most 4096
    distinct values), and each further pass reads only the values bracketing the
    wanted order statistics: one pass for small data, two up to about a million rows,
    three beyond. Memory per task: one chunk plus O(4096) values per feature and
    bracket. ``transform`` / ``inverse_transform`` are blockwise: Dask in, lazy Dask
    out.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.preprocessing import RobustScaler
    >>> X = np.array([[1.0, -2.0], [-2.0, 1.0], [4.0, 1.0], [0.0, 3.0]])
    >>> scaler = RobustScaler().fit(X)
    >>> scaler.center_, scaler.scale_
    (array([0.5, 1. ]), array([2.25, 1.25]))
    """

    _parameter_constraints = {
        "with_centering": ["boolean"],
        "with_scaling": ["boolean"],
        "quantile_range": [tuple],
        "copy": ["boolean"],
        "unit_variance": ["boolean"],
    }

    def __init__(
        self,
        *,
        with_centering=True,
        with_scaling=True,
        quantile_range=(25.0, 75.0),
        copy=True,
        unit_variance=False,
    ):
        self.with_centering = with_centering
        self.with_scaling = with_scaling
        self.quantile_range = quantile_range
        self.copy = copy
        self.unit_variance = unit_variance

    def fit(self, X, y=None):
        """Compute the median and quantiles to be used for scaling.

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
        q_min, q_max = self.quantile_range
        if not 0 <= q_min <= q_max <= 100:
            raise ValueError("Invalid quantile range: %s" % str(self.quantile_range))
        q = np.asarray(self.quantile_range, dtype=np.float64)
        with validate_fit_data(self, X, iterative=True) as data:
            dtype = data.dtype

            def ranks_for(n_valid):
                med = median_ranks(n_valid) if self.with_centering else [np.zeros(0, np.int64)] * len(n_valid)
                pct = (
                    percentile_ranks(n_valid, q, dtype)
                    if self.with_scaling
                    else [np.zeros(0, np.int64)] * len(n_valid)
                )
                return [np.concatenate([m, p]) for m, p in zip(med, pct)]

            if self.with_centering or self.with_scaling:
                n_valid, values = exact_order_statistics(data, ranks_for)
        if self.with_centering:
            center = np.full(len(values), np.nan, dtype=dtype)
            for j, (n, v) in enumerate(zip(n_valid, values)):
                if n:
                    center[j] = (v[0:1] + v[1:2])[0] / 2
            self.center_ = center
        else:
            self.center_ = None
        if self.with_scaling:
            skip = 2 if self.with_centering else 0
            pct_values = [v[skip:] if n else v for n, v in zip(n_valid, values)]
            quantiles = percentiles_from_order_statistics(n_valid, pct_values, q, dtype)
            scale = _handle_zeros_in_scale(quantiles[1] - quantiles[0])
            if self.unit_variance:
                from scipy import stats

                adjust = stats.norm.ppf(q_max / 100.0) - stats.norm.ppf(q_min / 100.0)
                scale = scale / adjust
            self.scale_ = scale
        else:
            self.scale_ = None
        return self

    def transform(self, X):
        """Center and scale the data: ``(X - center_) / scale_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_tr : ndarray or Dask array of shape (n_samples, n_features)
            Lazy for Dask input.
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        return _blockwise_or_inplace(
            robust_scale_kernel, X, self.copy, center=self.center_, scale=self.scale_
        )

    def inverse_transform(self, X):
        """Scale back the data to the original representation: ``X * scale_ + center_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        return _blockwise_or_inplace(
            robust_unscale_kernel, X, self.copy, center=self.center_, scale=self.scale_
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
