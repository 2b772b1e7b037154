"""SimpleImputer: per-feature statistics in one pass (median: exact, bounded passes)."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.impute import MissingIndicator
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, TransformerMixin, check_params
from dml._compat.sklearn import StrOptions, check_feature_names_in
from dml._engine.blockwise import apply_blockwise, guard_finite
from dml._engine.frames import frame_blockwise, validate_frame_predict_data
from dml._engine.inputs import is_dask_collection, validate_fit_data, validate_predict_data
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import get_namespace, to_numpy
from dml._engine.quantiles import nanmedian
from dml.impute._base_kernels import (
    combine_value_counts_per_column,
    impute_kernel,
    impute_object_kernel,
    impute_stats_kernel,
    inverse_impute_kernel,
    object_missing_mask,
    value_counts_kernel,
)
from dml.preprocessing._encoders import fit_category_counts


def _is_nan(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isnan(value)


def _input_dtype(X):
    """The caller's dtype (metadata only): arrays' dtype, frames' common column type."""
    meta = getattr(X, "_meta", X)
    if hasattr(meta, "dtypes") and getattr(meta, "ndim", 1) == 2:
        try:
            return np.result_type(*[np.dtype(getattr(d, "numpy_dtype", d)) for d in meta.dtypes])
        except TypeError:
            return np.dtype(object)
    dtype = getattr(meta, "dtype", None)
    if dtype is not None:
        return np.dtype(getattr(dtype, "numpy_dtype", dtype))
    try:
        return np.asarray(X).dtype
    except (TypeError, ValueError):
        return np.dtype(object)


def _is_numeric_dtype(d):
    if isinstance(d, np.dtype):
        return d.kind in "biuf"
    return type(d).__name__ != "CategoricalDtype" and getattr(d, "kind", "O") in "biuf"


def _non_numeric(X):
    """Whether X has a string, object or ``category`` column (metadata only): such X is
    imputed as objects (``most_frequent`` / ``constant``), as scikit-learn does."""
    meta = getattr(X, "_meta", X)
    dtypes = getattr(meta, "dtypes", None)
    if dtypes is not None and getattr(meta, "ndim", 1) == 2:
        return not all(_is_numeric_dtype(d) for d in dtypes)
    if hasattr(meta, "dtype"):
        return not _is_numeric_dtype(meta.dtype)
    if isinstance(X, list):
        return any(
            isinstance(v, str) for row in X for v in (row if isinstance(row, (list, tuple)) else [row])
        )
    return False


class SimpleImputer(CpuMixin, TransformerMixin, BaseEstimator):
    """Univariate imputer for completing missing values with simple strategies.

    A drop-in for :class:`sklearn.impute.SimpleImputer` on numeric row-chunked data
    (NumPy, pandas, Dask arrays and DataFrames; pandas' missing values count as NaN).
    ``statistics_`` equal scikit-learn's: bit for bit for ``median``,
    ``most_frequent`` and ``constant``, and for ``mean`` on one chunk (on several
    chunks the per-chunk sums add up in float64, within float rounding of NumPy's).

    String, object and ``category`` columns (pandas or Dask DataFrames, object arrays,
    lists of strings) are imputed with ``most_frequent`` or ``constant`` as
    scikit-learn imputes them: each column read as scikit-learn's ``check_array``
    reads it, the output an object array (a lazy Dask array of objects for Dask
    input), ``fill_value`` defaulting to ``"missing_value"``; ``missing_values`` may
    then be NaN, None or a string. ``mean`` and ``median`` need numbers (scikit-learn's
    error); ``add_indicator`` is refused on such data.

    Parameters
    ----------
    missing_values : float, int, str, None or np.nan, default=np.nan
        The placeholder for the missing values (a number, or NaN; a string or None
        for non-numeric data). With a number, NaN in numeric X is an error (as in
        scikit-learn).
    strategy : {'mean', 'median', 'most_frequent', 'constant'}, default='mean'
        Replace missing values by the feature's mean, median, most frequent value
        (the smallest of tied values) or ``fill_value``. A callable strategy is not
        supported (it would need a feature's whole column in memory).
    fill_value : number or str, default=None
        The value of ``strategy='constant'``; None means 0 (``"missing_value"`` for
        string, object or category data).
    copy : bool, default=True
        If False, in-memory float input of the transform's dtype is imputed in place
        when no feature is dropped and no indicator is added. Dask input is never
        modified.
    add_indicator : bool, default=False
        Append a missing-value indicator column (0 / 1, X's dtype) for every feature
        that had missing values in ``fit``.
    keep_empty_features : bool, default=False
        Keep features with no observed value in ``fit`` (imputed with 0, or
        ``fill_value`` for ``constant``) instead of dropping them at ``transform``.

    Attributes
    ----------
    statistics_ : ndarray of shape (n_features,)
        The imputation fill value of each feature (NaN for features dropped at
        ``transform``); an object array for ``strategy='constant'``, as scikit-learn's.
    indicator_ : sklearn.impute.MissingIndicator or None
        The indicator's fitted state (``features_``: the features with missing values
        in ``fit``), None without ``add_indicator``. dml computes the indicator
        columns itself, blockwise.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.

    Notes
    -----
    Computation: ``fit`` makes one pass (one round trip): per-chunk missing counts and
    sums (``mean``), or per-chunk value counts merged in a tree (``most_frequent``,
    and any strategy on non-numeric data: memory per partial grows with the number of
    distinct values of a feature). The
    ``median`` is exact: a rank-bounded summary of every feature in the first pass,
    then passes over the values bracketing the two middle order statistics
    (:mod:`dml._engine.quantiles`: one pass for features with at most 4096 distinct
    values, two up to about a million rows, three beyond). ``transform`` is
    blockwise: Dask in, lazy Dask out; nothing is computed until asked.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.impute import SimpleImputer
    >>> imp = SimpleImputer(strategy="median").fit([[1.0, 2.0], [np.nan, 3.0], [7.0, 10.0]])
    >>> imp.statistics_
    array([4., 3.])
    >>> imp.transform([[np.nan, np.nan]])
    array([[4., 3.]])
    >>> import pandas as pd
    >>> df = pd.DataFrame({"city": ["Oslo", None, "Oslo", "Rome"]}, dtype=object)
    >>> SimpleImputer(strategy="most_frequent", missing_values=None).fit_transform(df)
    array([['Oslo'],
           ['Oslo'],
           ['Oslo'],
           ['Rome']], dtype=object)
    """

    _parameter_constraints = {
        "missing_values": [numbers.Real, None, str],
        "strategy": [StrOptions({"mean", "median", "most_frequent", "constant"}), callable],
        "fill_value": "no_validation",
        "copy": ["boolean"],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
    }

    def __init__(
        self,
        *,
        missing_values=np.nan,
        strategy="mean",
        fill_value=None,
        copy=True,
        add_indicator=False,
        keep_empty_features=False,
    ):
        self.missing_values = missing_values
        self.strategy = strategy
        self.fill_value = fill_value
        self.copy = copy
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features

    # ------------------------------------------------------------------ validation

    def _check_missing_values(self):
        mv = self.missing_values
        if callable(self.strategy):
            raise ValueError(
                "dml's SimpleImputer does not support a callable strategy (it would need "
                "each feature's whole column in memory); use 'mean', 'median', "
                "'most_frequent' or 'constant', or scikit-learn's SimpleImputer in memory."
            )
        if not isinstance(mv, numbers.Real) or isinstance(mv, bool):
            raise ValueError(
                "'X' and 'missing_values' types are expected to be both numerical. Got "
                f"X.dtype=float64 and  type(missing_values)={type(mv)}. dml's SimpleImputer "
                "takes numeric input only: encode string or category columns as numbers "
                "first (for example with dml.preprocessing.OrdinalEncoder)."
            )
        return np.nan if _is_nan(mv) else mv

    def _validate(self, X, fit):
        try:
            if fit:
                return validate_fit_data(self, X, iterative=self.strategy == "median")
            return validate_predict_data(self, X)
        except ValueError as ve:
            msg = str(ve)
            if "could not convert" in msg or "needs numeric input" in msg:
                raise ValueError(
                    f"Cannot use {self.strategy} strategy with non-numeric data:\n{msg}\n"
                    "dml's SimpleImputer takes numeric input only; encode string or category "
                    "columns as numbers first (for example with dml.preprocessing.OrdinalEncoder)."
                ) from None
            raise

    def _raise_values(self, stats, dtype):
        if int(to_numpy(stats.get("has_nan", 0))):
            raise ValueError("Input X contains NaN.")
        if int(to_numpy(stats["has_inf"])):
            raise ValueError(
                f"Input X contains infinity or a value too large for dtype({np.dtype(dtype).name!r})."
            )

    # ------------------------------------------------------------------------- fit

    def fit(self, X, y=None):
        """Fit the imputer on X.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            Numeric input.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_params(self)
        if self.strategy in ("most_frequent", "constant") and _non_numeric(X):
            return self._fit_objects(X)
        self._objects = False
        mv = self._check_missing_values()
        in_dtype = _input_dtype(X)
        if self.strategy == "constant" and self.fill_value is not None and in_dtype.kind in "biuf":
            if not np.can_cast(type(self.fill_value), in_dtype, casting="same_kind"):
                raise ValueError(
                    f"fill_value={self.fill_value!r} (of type {type(self.fill_value)!r}) "
                    f"cannot be cast to the input data that is {in_dtype!r}. "
                    "If fill_value is a Python scalar, instead pass  a numpy scalar "
                    "(e.g. fill_value=np.uint8(0) if your data is of type np.uint8). "
                    "Make sure that both dtypes are of the same kind."
                )
        with self._validate(X, fit=True) as data:
            stats = map_reduce(impute_stats_kernel, data, missing_values=mv, want_sum=self.strategy == "mean")
            self._raise_values(stats, data.dtype)
            n_missing = to_numpy(stats["n_missing"]).astype(np.int64)
            n_rows = int(to_numpy(stats["n_rows"]))
            n_valid = n_rows - n_missing
            empty = n_valid == 0
            fill_empty = 0 if self.keep_empty_features else np.nan
            if self.strategy == "mean":
                dsum = to_numpy(stats["sum"]).astype(data.dtype)
                with np.errstate(all="ignore"):
                    statistics = dsum * 1.0 / n_valid
                statistics[empty] = fill_empty
            elif self.strategy == "median":
                statistics, _ = nanmedian(data, missing_values=None if _is_nan(mv) else mv)
                statistics[empty] = fill_empty
            elif self.strategy == "most_frequent":
                counts = map_reduce(
                    value_counts_kernel, data, combine=combine_value_counts_per_column, missing_values=mv
                )["value_counts"]
                statistics = np.empty(len(counts))
                for j, (values, cnt) in enumerate(counts):
                    statistics[j] = values[int(np.argmax(cnt))] if cnt.size else fill_empty
            else:
                fill = 0 if self.fill_value is None else self.fill_value
                statistics = np.full(len(n_missing), fill, dtype=np.object_)
                if not self.keep_empty_features:
                    statistics[empty] = np.nan
        self.statistics_ = statistics
        self._fit_dtype = data.dtype
        self._fill_dtype = in_dtype if in_dtype.kind in "biuf" else data.dtype
        self._fit_indicator(n_missing > 0)
        return self

    def _fit_objects(self, X):
        """``most_frequent`` / ``constant`` on string, object or category columns: the
        statistics from one pass of per-chunk value counts (the encoders' pass)."""
        if self.add_indicator:
            raise ValueError(
                "dml's SimpleImputer adds missing-value indicators to numeric data only; "
                "with string, object or category columns use add_indicator=False (and, if "
                "needed, sklearn.impute.MissingIndicator on the data in memory)."
            )
        mv = self.missing_values
        mv = np.nan if _is_nan(mv) else mv
        _, stats = fit_category_counts(self, X)
        statistics = np.empty(self.n_features_in_, dtype=object)
        for j, (values, counts) in enumerate(zip(stats["values"], stats["counts"])):
            present = ~object_missing_mask(values, mv)
            if self.strategy == "most_frequent":
                if present.any():
                    # values come sorted: the first of the tied counts is the smallest value
                    statistics[j] = values[present][int(np.argmax(counts[present]))]
                else:
                    statistics[j] = 0 if self.keep_empty_features else np.nan
            else:
                fill = "missing_value" if self.fill_value is None else self.fill_value
                statistics[j] = fill if (present.any() or self.keep_empty_features) else np.nan
        self.statistics_ = statistics
        self._objects = True
        self._fit_dtype = self._fill_dtype = np.dtype(object)
        self.indicator_ = None
        return self

    def _transform_objects(self, X):
        X = validate_frame_predict_data(self, X)
        keep = self._kept()
        self._warn_skipped(keep)
        stats = self.statistics_ if keep is None else self.statistics_[keep]
        mv = np.nan if _is_nan(self.missing_values) else self.missing_values
        n_out = self.n_features_in_ if keep is None else len(keep)
        return frame_blockwise(
            impute_object_kernel,
            X,
            n_outputs=n_out,
            dtype=object,
            statistics=stats,
            keep=keep,
            missing_values=mv,
        )

    def _warn_skipped(self, keep):
        if keep is None:
            return
        invalid = np.setdiff1d(np.arange(self.n_features_in_), keep)
        if hasattr(self, "feature_names_in_"):
            invalid = self.feature_names_in_[invalid]
        warnings.warn(
            "Skipping features without any observed values:"
            f" {invalid}. At least one non-missing value is needed"
            f" for imputation with strategy='{self.strategy}'."
        )

    def _fit_indicator(self, has_missing):
        if not self.add_indicator:
            self.indicator_ = None
            return
        # scikit-learn's MissingIndicator holds the fitted state (features_, names):
        # fitted here on two rows that have the marker exactly where fit saw it
        mv = self.missing_values
        other = 0.0 if _is_nan(mv) else float(mv) + 1.0
        proto = np.full((2, len(has_missing)), other)
        proto[0, has_missing] = mv
        if hasattr(self, "feature_names_in_"):
            import pandas as pd

            proto = pd.DataFrame(proto, columns=self.feature_names_in_)
        self.indicator_ = MissingIndicator(missing_values=mv, error_on_new=False).fit(proto)

    # ------------------------------------------------------------------- transform

    def _kept(self):
        if self.keep_empty_features:
            return None
        stats = self.statistics_
        invalid = np.array([_is_nan(v) for v in stats], dtype=bool)
        return np.flatnonzero(~invalid) if invalid.any() else None

    def transform(self, X):
        """Impute all missing values in X.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_imputed : ndarray or Dask array of shape (n_samples, n_features_out)
            Lazy for Dask input. Features without any observed value in ``fit`` are
            dropped (with scikit-learn's warning) unless ``keep_empty_features``.
        """
        check_is_fitted(self)
        if getattr(self, "_objects", False):
            return self._transform_objects(X)
        mv = self._check_missing_values()
        X = self._validate(X, fit=False)
        keep = self._kept()
        self._warn_skipped(keep)
        stats = self.statistics_ if keep is None else self.statistics_[keep]
        stats = np.asarray(stats.astype(np.float64), dtype=np.float64)
        indicator = None if self.indicator_ is None else np.asarray(self.indicator_.features_)
        n_out = (self.n_features_in_ if keep is None else len(keep)) + (
            0 if indicator is None else len(indicator)
        )
        allow_nan = _is_nan(mv)

        def guarded(chunk, *, xp, **kw):
            return guard_finite(impute_kernel(chunk, xp=xp, **kw), chunk, allow_nan=allow_nan)

        params = dict(statistics=stats, keep=keep, missing_values=mv, indicator_features=indicator)
        if not is_dask_collection(X) and not self.copy and keep is None and indicator is None:
            X[...] = guarded(X, xp=get_namespace(X), **params)
            return X
        return apply_blockwise(guarded, X, n_outputs=n_out, dtype=X.dtype, **params)

    def inverse_transform(self, X):
        """Put the missing-value marker back where the indicator columns are set.

        Only with ``add_indicator=True``, as scikit-learn. Features dropped at
        ``transform`` come back as 0 (and the marker where it was).

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features_out)
            Output of ``transform``.

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features_in_)
        """
        check_is_fitted(self)
        if not self.add_indicator:
            raise ValueError(
                "'inverse_transform' works only when "
                "'SimpleImputer' is instantiated with "
                "'add_indicator=True'. "
                f"Got 'add_indicator={self.add_indicator}' "
                "instead."
            )
        keep = self._kept()
        kept = np.arange(self.n_features_in_) if keep is None else keep
        indicator = np.asarray(self.indicator_.features_)
        if not is_dask_collection(X):
            X = np.asarray(X, dtype=np.float64)
        return apply_blockwise(
            inverse_impute_kernel,
            X,
            n_outputs=self.n_features_in_,
            dtype=X.dtype,
            n_features=self.n_features_in_,
            kept=kept,
            indicator_features=indicator,
            missing_values=self.missing_values,
        )

    def get_feature_names_out(self, input_features=None):
        """Output feature names: the kept features, then the indicator columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_features_in_")
        input_features = check_feature_names_in(self, input_features)
        keep = self._kept()
        names = input_features if keep is None else input_features[keep]
        if not self.add_indicator:
            return names
        return np.concatenate([names, self.indicator_.get_feature_names_out(input_features)])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = _is_nan(self.missing_values)
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
