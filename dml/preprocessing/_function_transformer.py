"""FunctionTransformer: a user function applied blockwise to Dask input."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn import get_config as sklearn_get_config
from sklearn.base import BaseEstimator
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, validate_data

from dml._base import TransformerMixin, check_params
from dml._compat.sklearn import StrOptions, check_feature_names_in
from dml._engine.inputs import (
    assert_finite_chunk,
    check_features,
    is_dask_collection,
    validate_blockwise_data,
    validate_predict_data,
)


def _identity(X):
    return X


def _apply_block(block, func, kwargs, check_finite):
    """``func(block, **kwargs)`` on one chunk; with ``check_finite`` (``validate=True``)
    the chunk's NaN / inf raise scikit-learn's message first."""
    if check_finite:
        assert_finite_chunk(block)
    return func(block, **kwargs)


def _blockwise(X, func, kwargs, check_finite):
    """``func`` applied to every row chunk (Dask array) or partition (Dask DataFrame):
    lazy, nothing computed. The output's columns are found by calling ``func`` on an
    empty chunk."""
    if hasattr(X, "divisions"):  # a Dask DataFrame or Series: Dask infers the output's meta
        return X.map_partitions(_apply_block, func, kwargs, check_finite)
    if X.ndim == 1:
        return X.map_blocks(_apply_block, func, kwargs, check_finite)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    try:
        with np.errstate(all="ignore"):
            probe = np.asarray(func(np.empty((0, X.shape[1]), dtype=X.dtype), **kwargs))
    except Exception as exc:
        raise ValueError(
            "FunctionTransformer calls func on an empty chunk (0 rows) to learn the shape of "
            f"its output on Dask input, and that call failed: {exc!r}"
        ) from exc
    if probe.ndim == 2:
        return X.map_blocks(
            _apply_block,
            func,
            kwargs,
            check_finite,
            chunks=(X.chunks[0], (probe.shape[1],)),
            dtype=probe.dtype,
        )
    if probe.ndim == 1:
        return X.map_blocks(_apply_block, func, kwargs, check_finite, drop_axis=1, dtype=probe.dtype)
    return X.map_blocks(_apply_block, func, kwargs, check_finite, dtype=probe.dtype)


def _allclose(a, b, rtol=1e-7, atol=1e-9):
    """scikit-learn's closeness rule for the inverse check (dense or sparse)."""
    if hasattr(a, "toarray") or hasattr(b, "toarray"):
        a = a.toarray() if hasattr(a, "toarray") else np.asarray(a)
        b = b.toarray() if hasattr(b, "toarray") else np.asarray(b)
    return np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)


class FunctionTransformer(TransformerMixin, BaseEstimator):
    """Constructs a transformer from an arbitrary callable, applied blockwise.

    A drop-in for :class:`sklearn.preprocessing.FunctionTransformer`. On Dask input
    ``func`` (and ``inverse_func``) run once per row chunk of a Dask array
    (``map_blocks``) or per partition of a Dask DataFrame (``map_partitions``), so they
    must treat rows independently (as NumPy's elementwise functions do); the result is
    lazy. In-memory input is passed to ``func`` whole, as scikit-learn does.

    Parameters
    ----------
    func : callable, default=None
        The callable to use for the transformation, called as ``func(X, **kw_args)``.
        None means the identity.
    inverse_func : callable, default=None
        The callable to use for the inverse transformation. None means the identity.
    validate : bool, default=False
        Check and convert X before calling ``func``: in memory with scikit-learn's
        ``check_array`` (finite values required); on Dask input X becomes a float Dask
        array (DataFrames too) and every chunk's NaN / inf raise when it is computed.
    accept_sparse : bool, default=False
        With ``validate=True``, accept in-memory sparse matrices.
    check_inverse : bool, default=True
        Whether ``inverse_func(func(X))`` is checked to give back X on a sample of rows
        (every 100th, as scikit-learn; on Dask input the rows of the first chunk only),
        with a warning when it does not. Needs both functions.
    feature_names_out : callable, "one-to-one" or None, default=None
        Defines ``get_feature_names_out``: "one-to-one" keeps the input names; a
        callable is called as ``feature_names_out(self, input_features)``.
    kw_args : dict, default=None
        Keyword arguments of ``func``.
    inv_kw_args : dict, default=None
        Keyword arguments of ``inverse_func``.

    Attributes
    ----------
    n_features_in_ : int
        Set by ``fit`` when X has a number of columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names (pandas or Dask DataFrame).

    Notes
    -----
    Computation: ``fit`` reads metadata only, and with ``check_inverse`` (and both
    functions) the first chunk of Dask input. ``transform`` / ``inverse_transform`` of
    Dask input are lazy: one task per chunk, memory per task one chunk plus what ``func``
    allocates.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from dml.preprocessing import FunctionTransformer
    >>> ft = FunctionTransformer(np.log1p, inverse_func=np.expm1)
    >>> X = da.from_array(np.array([[0.0, 1.0], [2.0, 3.0]]), chunks=1)
    >>> ft.fit(X).transform(X).compute().round(3)
    array([[0.   , 0.693],
           [1.099, 1.386]])
    """

    _parameter_constraints = {
        "func": [callable, None],
        "inverse_func": [callable, None],
        "validate": ["boolean"],
        "accept_sparse": ["boolean"],
        "check_inverse": ["boolean"],
        "feature_names_out": [callable, StrOptions({"one-to-one"}), None],
        "kw_args": [dict, None],
        "inv_kw_args": [dict, None],
    }

    def __init__(
        self,
        func=None,
        inverse_func=None,
        *,
        validate=False,
        accept_sparse=False,
        check_inverse=True,
        feature_names_out=None,
        kw_args=None,
        inv_kw_args=None,
    ):
        self.func = func
        self.inverse_func = inverse_func
        self.validate = validate
        self.accept_sparse = accept_sparse
        self.check_inverse = check_inverse
        self.feature_names_out = feature_names_out
        self.kw_args = kw_args
        self.inv_kw_args = inv_kw_args

    def _check_input(self, X, *, reset):
        if is_dask_collection(X):
            if self.validate:
                return validate_blockwise_data(self, X, reset=reset)
            if reset:
                check_features(self, X, reset=True)
            return X
        if reset:
            return validate_data(
                self, X, reset=True, accept_sparse=self.accept_sparse, skip_check_array=not self.validate
            )
        if self.validate:
            return validate_data(self, X, reset=False, accept_sparse=self.accept_sparse)
        return X

    def _apply(self, X, func, kw_args):
        func = _identity if func is None else func
        kwargs = kw_args if kw_args else {}
        if is_dask_collection(X):
            return X if func is _identity else _blockwise(X, func, kwargs, self.validate)
        return func(X, **kwargs)

    def _check_inverse_transform(self, X):
        """Check that func and inverse_func are the inverse (on a sample of rows)."""
        if is_dask_collection(X):
            # the first chunk only: the check must not read the whole data set
            X = (X.partitions[0] if hasattr(X, "divisions") else X.blocks[0]).compute()
        idx = slice(None, None, max(1, X.shape[0] // 100))
        X_round_trip = self.inverse_transform(self.transform(X[idx]))
        dtypes = [X.dtype] if hasattr(X, "dtype") else list(X.dtypes)
        if not all(isinstance(d, np.dtype) and np.issubdtype(d, np.number) for d in dtypes):
            raise ValueError("'check_inverse' is only supported when all the elements in `X` is numerical.")
        if not _allclose(X[idx], X_round_trip):
            warnings.warn(
                "The provided functions are not strictly inverse of each other. If you are "
                "sure you want to proceed regardless, set 'check_inverse=False'.",
                UserWarning,
            )

    def fit(self, X, y=None):
        """Fit transformer by checking X (and, optionally, the inverse function).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            Input; with ``validate=False``, anything ``func`` handles.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_params(self)
        X = self._check_input(X, reset=True)
        if self.check_inverse and not (self.func is None or self.inverse_func is None):
            self._check_inverse_transform(X)
        return self

    def transform(self, X):
        """Transform X using the forward function.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_out : array-like or Dask collection
            ``func(X)``; lazy for Dask input.
        """
        X = self._check_input(X, reset=False)
        out = self._apply(X, self.func, self.kw_args)
        transform_output = getattr(self, "_sklearn_output_config", {}).get(
            "transform", sklearn_get_config()["transform_output"]
        )
        if hasattr(out, "columns") and not is_dask_collection(out) and self.feature_names_out is not None:
            names = self.get_feature_names_out()
            if list(out.columns) != list(names):
                names_in = getattr(X, "feature_names_in_", getattr(X, "columns", None))
                same = names_in is not None and list(names_in) == list(out.columns)
                if same or not all(isinstance(c, str) for c in out.columns):
                    out = out.set_axis(list(names), axis=1)
                else:
                    raise ValueError(
                        "The output generated by `func` have different column names than the ones "
                        "provided by `get_feature_names_out`. Got output with columns names: "
                        f"{list(out.columns)} and `get_feature_names_out` returned: {list(names)}. "
                        "The column names can be overridden by setting "
                        "`set_output(transform='pandas')` or `set_output(transform='polars')` such "
                        "that the column names are set to the names provided by `get_feature_names_out`."
                    )
        if self.feature_names_out is None and transform_output == "pandas":
            if not (type(out).__module__ or "").startswith("pandas") or not hasattr(out, "columns"):
                warnings.warn(
                    "When `set_output` is configured to be 'pandas', `func` should return a pandas "
                    "DataFrame to follow the `set_output` API  or `feature_names_out` should be defined."
                )
        return out

    def inverse_transform(self, X):
        """Transform X using the inverse function.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_original : array-like or Dask collection
            ``inverse_func(X)``; lazy for Dask input.
        """
        if self.validate:
            if is_dask_collection(X):
                X = validate_predict_data(None, X)
            else:
                X = check_array(X, accept_sparse=self.accept_sparse)
        return self._apply(X, self.inverse_func, self.inv_kw_args)

    @available_if(lambda self: self.feature_names_out is not None)
    def get_feature_names_out(self, input_features=None):
        """Get output feature names for transformation (when ``feature_names_out`` is set).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; by default ``feature_names_in_``, or ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        if hasattr(self, "n_features_in_") or input_features is not None:
            input_features = check_feature_names_in(self, input_features)
        if self.feature_names_out == "one-to-one":
            names_out = input_features
        else:
            names_out = self.feature_names_out(self, input_features)
        return np.asarray(names_out, dtype=object)

    def __sklearn_is_fitted__(self):
        """Return True: the transformer is stateless."""
        return True

    def set_output(self, *, transform=None):
        """Set the output container when ``transform`` / ``fit_transform`` are called.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            As scikit-learn's; None leaves the configuration unchanged.

        Returns
        -------
        self : estimator instance
        """
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.no_validation = not self.validate
        tags.requires_fit = False
        tags.input_tags.sparse = not self.validate or self.accept_sparse
        return tags
