"""MaxAbsScaler (one pass, partial_fit) and Normalizer (stateless, row by row)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, TransformerMixin, check_params
from dml._compat.sklearn import StrOptions
from dml._engine.inputs import (
    is_dask_collection,
    raise_if_not_finite,
    validate_fit_data,
    validate_predict_data,
)
from dml._engine.mapreduce import make_combine, map_reduce
from dml._engine.namespace import to_numpy
from dml.preprocessing._data import _blockwise_or_inplace, _is_sparse_input
from dml.preprocessing._data_kernels import csr_column_scale_kernel
from dml.preprocessing._scale_kernels import (
    divide_kernel,
    maxabs_kernel,
    multiply_kernel,
    nonfinite_kernel,
    normalize_kernel,
)


class MaxAbsScaler(CpuMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Scale each feature by its maximum absolute value, in one pass over row-chunked data.

    A drop-in for :class:`sklearn.preprocessing.MaxAbsScaler`: each feature is divided
    by its maximum absolute value, so the training data lie in ``[-1, 1]``; it does not
    shift or center the data. NaNs are disregarded in ``fit`` and kept in ``transform``.

    Sparse input (``scipy.sparse`` matrices or arrays, or Dask arrays of CSR chunks) is
    reduced over its stored values and transformed to CSR (a Dask array of CSR chunks
    for Dask input); like scikit-learn, the sparse transform multiplies by
    ``1 / scale_``. In-memory CSC input comes back as CSR (scikit-learn keeps CSC).

    Parameters
    ----------
    copy : bool, default=True
        If False, ``transform`` / ``inverse_transform`` of an in-memory float array of
        the fitted dtype scale it in place. Dask input is never modified in place.

    Attributes
    ----------
    scale_ : ndarray of shape (n_features,)
        Per-feature relative scaling, ``max_abs_`` with zeros replaced by 1.
    max_abs_ : ndarray of shape (n_features,)
        Per-feature maximum absolute value (NaN for a feature that is all NaN).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names (pandas or Dask DataFrame).
    n_samples_seen_ : int
        Rows seen (NaNs included, as scikit-learn counts them).

    Notes
    -----
    Computation: ``fit`` / ``partial_fit`` make one pass (one round trip): per-chunk
    NaN-ignoring maxima of ``|X|`` in cache-sized row blocks, combined with ``max`` in a
    tree. Memory per task: one chunk plus O(n_features). ``transform`` and
    ``inverse_transform`` are blockwise: Dask in, lazy Dask out. CSR chunks: per-column
    maxima over the nonzeros (``np.maximum.at``), memory O(nnz + n_features).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.preprocessing import MaxAbsScaler
    >>> MaxAbsScaler().fit_transform(np.array([[1.0, -4.0], [-2.0, 2.0]]))
    array([[ 0.5, -1. ],
           [-1. ,  0.5]])
    """

    _parameter_constraints = {"copy": ["boolean"]}

    def __init__(self, *, copy=True):
        self.copy = copy

    def _reset(self):
        for attr in ("scale_", "n_samples_seen_", "max_abs_"):
            if hasattr(self, attr):
                delattr(self, attr)

    def fit(self, X, y=None):
        """Compute the maximum absolute value to be used for later scaling.

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
        """Update the maximum absolute value with one more batch (one pass over it).

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
        first = not hasattr(self, "n_samples_seen_")
        with validate_fit_data(self, X, reset=first, iterative=False, accept_sparse=("csr", "csc")) as data:
            stats = map_reduce(maxabs_kernel, data, combine=make_combine(max_abs="max"))
            hi = to_numpy(stats["max_abs"]).astype(np.float64, copy=False)
            # -inf marks an all-NaN feature; a real inf in X makes the maximum inf.
            raise_if_not_finite(data, np.where(hi == -np.inf, 0.0, hi), allow_nan=True)
        max_abs = np.where(hi == -np.inf, np.nan, hi)
        n_rows = int(to_numpy(stats["n_rows"]))
        if first:
            self.n_samples_seen_ = n_rows
        else:
            max_abs = np.maximum(self.max_abs_, max_abs)
            self.n_samples_seen_ += n_rows
        self.max_abs_ = max_abs
        self.scale_ = np.where(max_abs < 10 * np.finfo(np.float64).eps, 1.0, max_abs)
        return self

    def transform(self, X):
        """Scale X: ``X / scale_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_tr : ndarray or Dask array of shape (n_samples, n_features)
            Lazy for Dask input.
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X, accept_sparse=("csr", "csc"))
        if _is_sparse_input(X):
            return _blockwise_or_inplace(csr_column_scale_kernel, X, self.copy, factor=1.0 / self.scale_)
        return _blockwise_or_inplace(divide_kernel, X, self.copy, scale=self.scale_)

    def inverse_transform(self, X):
        """Scale back to the original representation: ``X * scale_``.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X, accept_sparse=("csr", "csc"))
        if _is_sparse_input(X):
            return _blockwise_or_inplace(csr_column_scale_kernel, X, self.copy, factor=self.scale_)
        return _blockwise_or_inplace(multiply_kernel, X, self.copy, scale=self.scale_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class Normalizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Normalize samples individually to unit norm, blockwise.

    A drop-in for :class:`sklearn.preprocessing.Normalizer`: each row with at least one
    nonzero component is divided by its l1, l2 or max norm, independently of the other
    rows. The transformer is stateless: ``fit`` only validates the input. Sparse input
    (``scipy.sparse``, or Dask arrays of CSR chunks) gives CSR output, normalised over
    the stored values as scikit-learn's sparse path does.

    Parameters
    ----------
    norm : {"l1", "l2", "max"}, default="l2"
        The norm used to normalize each row.
    copy : bool, default=True
        If False, ``transform`` of an in-memory float array normalizes it in place.
        Dask input is never modified in place.

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names (pandas or Dask DataFrame).

    Notes
    -----
    Computation: ``fit`` reads metadata only on Dask input (no pass; NaN or infinity is
    reported by the transform's pass, with scikit-learn's message) and checks the values
    of in-memory input, as scikit-learn does. ``transform`` is blockwise, one row chunk
    per task: Dask in, lazy Dask out. Memory per task: one chunk plus its output.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.preprocessing import Normalizer
    >>> Normalizer().fit_transform(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """

    _parameter_constraints = {"norm": [StrOptions({"l1", "l2", "max"})], "copy": ["boolean"]}

    def __init__(self, norm="l2", *, copy=True):
        self.norm = norm
        self.copy = copy

    def fit(self, X, y=None):
        """Validate X (the transformer has no state to learn).

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
        with validate_fit_data(self, X, reset=True, iterative=False, accept_sparse="csr") as data:
            if not is_dask_collection(X):
                # In-memory values are at hand: check them as scikit-learn's fit does.
                flags = map_reduce(nonfinite_kernel, data)
        if not is_dask_collection(X):
            if int(to_numpy(flags["nan"])):
                raise ValueError("Input X contains NaN.")
            if int(to_numpy(flags["inf"])):
                raise ValueError(
                    f"Input X contains infinity or a value too large for dtype({np.dtype(data.dtype).name!r})."
                )
        return self

    def transform(self, X, copy=None):
        """Scale each non-zero row of X to unit norm.

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
        check_params(self)
        X = validate_predict_data(self, X, accept_sparse="csr")
        return _blockwise_or_inplace(
            normalize_kernel, X, self.copy if copy is None else copy, allow_nan=False, norm=self.norm
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
