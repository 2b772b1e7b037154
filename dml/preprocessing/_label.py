"""LabelEncoder: classes from one pass of per-chunk label sets, blockwise encoding."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import check_is_fitted, column_or_1d

from dml._engine.inputs import is_dask_collection, pass_data
from dml._engine.mapreduce import map_reduce
from dml.preprocessing._label_kernels import (
    combine_unique_labels,
    decode_kernel,
    encode_kernel,
    unique_labels_kernel,
)


def _series_values(part):
    """One partition of a label Series as a NumPy array (nullable numbers as float with
    NaN; strings as objects)."""
    dtype = part.dtype
    if isinstance(dtype, np.dtype):
        return part.to_numpy()
    if getattr(dtype, "kind", "O") in "biuf":
        return part.to_numpy(dtype=np.float64, na_value=np.nan)
    return part.to_numpy(dtype=object)


def _dask_1d(y):
    """A Dask array, Series or one-column DataFrame of labels as a 1-D Dask array
    (metadata only), with scikit-learn's ``column_or_1d`` warning and error."""
    if hasattr(y, "divisions"):  # a Dask Series / DataFrame
        if y.ndim == 2:
            if len(y.columns) != 1:
                raise ValueError(
                    f"y should be a 1d array, got an array of shape {(np.nan, len(y.columns))} instead."
                )
            y = y[y.columns[0]]
            _warn_column()
        dtype = y._meta.dtype
        if isinstance(dtype, np.dtype):
            return y.to_dask_array()
        out = _series_values(y._meta)
        return y.map_partitions(_series_values, meta=np.empty(0, dtype=out.dtype))
    if y.ndim == 2 and y.shape[1] == 1:
        _warn_column()
        return y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead.")
    return y


def _warn_column():
    warnings.warn(
        "A column-vector y was passed when a 1d array was expected. Please change the shape "
        "of y to (n_samples, ), for example using ravel().",
        DataConversionWarning,
        stacklevel=4,
    )


def _blockwise_1d(kernel, y, dtype, **params):
    # dml._engine.blockwise.apply_blockwise maps 2-D row chunks; labels are 1-D chunks.
    def run(chunk):
        return kernel(chunk, xp=None, **params)

    return y.map_blocks(run, dtype=dtype, meta=np.empty(0, dtype=dtype))


class LabelEncoder(TransformerMixin, BaseEstimator):
    """Encode target labels with value between 0 and n_classes-1.

    A drop-in for :class:`sklearn.preprocessing.LabelEncoder` that learns the classes in
    one pass over a Dask array or Series of labels (numbers or strings) and encodes
    blockwise. It transforms ``y``, not ``X``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted distinct labels (as :func:`numpy.unique` sorts them).

    Notes
    -----
    Computation: ``fit`` on Dask input makes one pass: each chunk returns its sorted
    distinct labels, merged in a tree on the workers (memory per task: one chunk plus
    O(n_classes)); in-memory input is handled as scikit-learn does. ``transform`` and
    ``inverse_transform`` are blockwise on Dask input (lazy, nothing computed); a label
    that was not seen in ``fit`` raises scikit-learn's ``ValueError`` when its chunk is
    computed. Labels are handled on the host (NumPy), since they may be strings.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.preprocessing import LabelEncoder
    >>> le = LabelEncoder().fit(da.from_array([2, 6, 1, 2], chunks=2))
    >>> le.classes_
    array([1, 2, 6])
    >>> le.transform(da.from_array([1, 6, 2], chunks=2)).compute()
    array([0, 2, 1])
    >>> le.inverse_transform([0, 2])
    array([1, 6])
    """

    _parameter_constraints: dict = {}

    def fit(self, y):
        """Fit label encoder: learn the sorted distinct labels.

        Parameters
        ----------
        y : array-like, Dask array or Dask Series of shape (n_samples,)
            Target values.

        Returns
        -------
        self : object
        """
        if is_dask_collection(y):
            y = _dask_1d(y)
            stats = map_reduce(unique_labels_kernel, pass_data(y), combine=combine_unique_labels)
            self.classes_ = stats["classes"]
        else:
            y = column_or_1d(y, warn=True)
            self.classes_ = np.unique(y)
        return self

    def fit_transform(self, y):
        """Fit label encoder and return encoded labels.

        Parameters
        ----------
        y : array-like, Dask array or Dask Series of shape (n_samples,)
            Target values.

        Returns
        -------
        y : ndarray or Dask array of shape (n_samples,)
            Encoded labels (lazy for Dask input).
        """
        return self.fit(y).transform(y)

    def transform(self, y):
        """Transform labels to normalized encoding.

        Parameters
        ----------
        y : array-like, Dask array or Dask Series of shape (n_samples,)
            Target values.

        Returns
        -------
        y : ndarray or Dask array of shape (n_samples,)
            Labels as integers in ``[0, n_classes)``; lazy for Dask input.
        """
        check_is_fitted(self)
        if is_dask_collection(y):
            return _blockwise_1d(encode_kernel, _dask_1d(y), np.int64, classes=self.classes_)
        y = column_or_1d(y, dtype=self.classes_.dtype, warn=True)
        if y.shape[0] == 0:
            return np.asarray([])
        return encode_kernel(y, xp=None, classes=self.classes_)

    def inverse_transform(self, y):
        """Transform labels back to original encoding.

        Parameters
        ----------
        y : array-like, Dask array or Dask Series of shape (n_samples,)
            Encoded labels.

        Returns
        -------
        y_original : ndarray or Dask array of shape (n_samples,)
            Original labels; lazy for Dask input.
        """
        check_is_fitted(self)
        if is_dask_collection(y):
            return _blockwise_1d(decode_kernel, _dask_1d(y), self.classes_.dtype, classes=self.classes_)
        y = column_or_1d(y, warn=True)
        if y.shape[0] == 0:
            return np.asarray([])
        return decode_kernel(y, xp=None, classes=self.classes_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.target_tags.one_d_labels = True
        return tags
