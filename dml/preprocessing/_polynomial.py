"""PolynomialFeatures: fitted from metadata, blockwise (lazy on Dask) transform."""

from __future__ import annotations

import collections.abc
from itertools import chain, combinations
from itertools import combinations_with_replacement as combinations_w_r
from math import comb
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, TransformerMixin, check_params
from dml._compat.sklearn import Interval, StrOptions, check_feature_names_in
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import is_dask_collection, validate_blockwise_data, validate_predict_data
from dml._engine.namespace import assert_finite_chunk
from dml.preprocessing._polynomial_kernels import polynomial_block


def _combinations(n_features, min_degree, max_degree, interaction_only, include_bias):
    """The output terms as tuples of input columns, in scikit-learn's order."""
    comb_ = combinations if interaction_only else combinations_w_r
    start = max(1, min_degree)
    it = chain.from_iterable(comb_(range(n_features), i) for i in range(start, max_degree + 1))
    if include_bias:
        it = chain(comb_(range(n_features), 0), it)
    return it


def _num_combinations(n_features, min_degree, max_degree, interaction_only, include_bias):
    """Number of output terms (without listing them)."""
    if interaction_only:
        n = sum(comb(n_features, i) for i in range(max(1, min_degree), min(max_degree, n_features) + 1))
    else:
        n = comb(n_features + max_degree, max_degree) - 1
        if min_degree > 0:
            d = min_degree - 1
            n -= comb(n_features + d, d) - 1
    if include_bias:
        n += 1
    return n


class PolynomialFeatures(CpuMixin, TransformerMixin, BaseEstimator):
    """Polynomial and interaction features, computed chunk by chunk.

    A drop-in for :class:`sklearn.preprocessing.PolynomialFeatures` (dense input): the
    same output columns in the same order, the same ``powers_``,
    ``n_output_features_`` and feature names. ``fit`` reads only the number of
    features; ``transform`` runs per row chunk (Dask in, lazy Dask out).

    Parameters
    ----------
    degree : int or tuple (min_degree, max_degree), default=2
        Maximal degree, or the range of degrees, of the output terms (the bias, degree
        0, is controlled by ``include_bias`` alone).
    interaction_only : bool, default=False
        Only products of distinct features (no ``x0^2``).
    include_bias : bool, default=True
        Include the all-ones column (degree 0) first.
    order : {'C', 'F'}, default='C'
        Memory order of every output chunk (in-memory output: of the output).

    Attributes
    ----------
    powers_ : ndarray of shape (`n_output_features_`, `n_features_in_`)
        ``powers_[i, j]`` is the exponent of input ``j`` in output ``i``.
    n_output_features_ : int
        The number of output columns.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names (pandas or Dask DataFrame).

    Notes
    -----
    Computation: ``fit`` makes no pass over Dask input (it reads the number of
    columns; NaN or infinity is reported by the transform's pass, with scikit-learn's
    message) and checks in-memory values as scikit-learn does. ``transform`` is
    blockwise, one row chunk per task, each output column one product of an earlier
    output column and an input column (scikit-learn's recursion). Memory per task:
    one chunk plus its ``n_output_features_`` columns; choose row chunks so that
    ``rows x n_output_features_`` fits a worker comfortably (rechunk rows down as the
    degree grows). Sparse input is not supported (scikit-learn's is).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.preprocessing import PolynomialFeatures
    >>> X = np.arange(6.0).reshape(3, 2)
    >>> PolynomialFeatures(2).fit_transform(X)
    array([[ 1.,  0.,  1.,  0.,  0.,  1.],
           [ 1.,  2.,  3.,  4.,  6.,  9.],
           [ 1.,  4.,  5., 16., 20., 25.]])
    >>> PolynomialFeatures(2).fit(X).get_feature_names_out().tolist()
    ['1', 'x0', 'x1', 'x0^2', 'x0 x1', 'x1^2']
    """

    _parameter_constraints = {
        "degree": [Interval(Integral, 0, None, closed="left"), "array-like"],
        "interaction_only": ["boolean"],
        "include_bias": ["boolean"],
        "order": [StrOptions({"C", "F"})],
    }

    def __init__(self, degree=2, *, interaction_only=False, include_bias=True, order="C"):
        self.degree = degree
        self.interaction_only = interaction_only
        self.include_bias = include_bias
        self.order = order

    @property
    def powers_(self):
        """Exponent of each input in each output, shape ``(n_output_features_, n_features_in_)``."""
        check_is_fitted(self)
        combos = _combinations(
            self.n_features_in_, self._min_degree, self._max_degree, self.interaction_only, self.include_bias
        )
        return np.vstack([np.bincount(c, minlength=self.n_features_in_) for c in combos])

    def get_feature_names_out(self, input_features=None):
        """Output feature names, as scikit-learn's (``'x0 x1^2'``, ``'1'`` for the bias).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input names; ``feature_names_in_`` or ``x0, x1, ...`` when None.

        Returns
        -------
        feature_names_out : ndarray of str objects

        Examples
        --------
        >>> import numpy as np
        >>> from dml.preprocessing import PolynomialFeatures
        >>> pf = PolynomialFeatures(degree=(2, 2), include_bias=False).fit(np.ones((2, 2)))
        >>> pf.get_feature_names_out(["a", "b"]).tolist()
        ['a^2', 'a b', 'b^2']
        """
        powers = self.powers_
        input_features = check_feature_names_in(self, input_features)
        names = []
        for row in powers:
            inds = np.where(row)[0]
            if len(inds):
                name = " ".join(
                    "%s^%d" % (input_features[i], e) if e != 1 else input_features[i]
                    for i, e in zip(inds, row[inds])
                )
            else:
                name = "1"
            names.append(name)
        return np.asarray(names, dtype=object)

    def fit(self, X, y=None):
        """Compute the number of output features (no pass over Dask input).

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
        Xv = validate_blockwise_data(self, X, reset=True)
        if not is_dask_collection(Xv):
            assert_finite_chunk(Xv)  # in-memory values at hand: scikit-learn's check
        n_features = Xv.shape[1]
        if isinstance(self.degree, Integral):
            if self.degree == 0 and not self.include_bias:
                raise ValueError(
                    "Setting degree to zero and include_bias to False would result in an empty output array."
                )
            self._min_degree, self._max_degree = 0, self.degree
        elif isinstance(self.degree, collections.abc.Iterable) and len(self.degree) == 2:
            self._min_degree, self._max_degree = self.degree
            if not (
                isinstance(self._min_degree, Integral)
                and isinstance(self._max_degree, Integral)
                and self._min_degree >= 0
                and self._min_degree <= self._max_degree
            ):
                raise ValueError(
                    "degree=(min_degree, max_degree) must be non-negative integers that fulfil "
                    f"min_degree <= max_degree, got {self.degree}."
                )
            elif self._max_degree == 0 and not self.include_bias:
                raise ValueError(
                    "Setting both min_degree and max_degree to zero and include_bias to False would "
                    "result in an empty output array."
                )
        else:
            raise ValueError(
                f"degree must be a non-negative int or tuple (min_degree, max_degree), got {self.degree}."
            )
        args = (self._min_degree, self._max_degree, self.interaction_only, self.include_bias)
        self.n_output_features_ = _num_combinations(n_features, *args)
        if self.n_output_features_ > np.iinfo(np.intp).max:
            raise ValueError(
                "The output that would result from the current configuration would have "
                f"{self.n_output_features_} features which is too large to be indexed by "
                f"{np.intp().dtype.name}."
            )
        self._n_out_full = _num_combinations(n_features, 0, *args[1:])
        return self

    def transform(self, X):
        """Transform data to polynomial features, chunk by chunk.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        XP : ndarray or Dask array of shape (n_samples, n_output_features_)
            Lazy for Dask input.
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        return apply_blockwise(
            polynomial_block,
            X,
            n_outputs=self.n_output_features_,
            dtype=X.dtype,
            n_out_full=self._n_out_full,
            n_output=self.n_output_features_,
            max_degree=self._max_degree,
            min_degree=self._min_degree,
            interaction_only=self.interaction_only,
            include_bias=self.include_bias,
            order=self.order,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
