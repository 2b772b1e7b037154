"""FeatureHasher over partitions of samples (scikit-learn's output, column for column)."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import FeatureHasher as _SkFeatureHasher

from dml._base import check_params
from dml._compat.sklearn import Interval, StrOptions
from dml.feature_extraction._docs import as_partitions, csr_blocks
from dml.feature_extraction._text import _sparse_meta
from dml.feature_extraction._text_kernels import transform_kernel


class FeatureHasher(TransformerMixin, BaseEstimator):
    """Implements feature hashing, aka the hashing trick.

    scikit-learn's :class:`sklearn.feature_extraction.FeatureHasher` over partitions of
    samples: stateless, every partition hashed where it lives by scikit-learn's own
    hasher, so the output equals scikit-learn's column for column.

    Parameters
    ----------
    n_features : int, default=2**20
        Number of columns of the output.
    input_type : {'dict', 'pair', 'string'}, default='dict'
        A sample is a dict of feature names to values, an iterable of (name, value)
        pairs, or an iterable of strings (each counted with value 1).
    dtype : numpy dtype, default=np.float64
    alternate_sign : bool, default=True
        All as scikit-learn's.

    Attributes
    ----------
    None : the hasher is stateless.

    Notes
    -----
    Computation: ``fit`` reads nothing. ``transform`` of a Dask Bag or Series of
    samples, or of a 2-D Dask array of objects (each row a sample of strings, with
    ``input_type='string'``; the columns are brought to one block), is lazy: one task
    per partition / row chunk, a Dask array of CSR chunks of ``n_features`` columns
    (``nan`` row lengths for Bags and Series). In-memory samples give scikit-learn's
    in-memory CSR matrix. Tasks import scikit-learn.

    Examples
    --------
    >>> import dask.bag as db
    >>> from dml.feature_extraction import FeatureHasher
    >>> rows = db.from_sequence([{"dog": 1, "cat": 2}, {"dog": 2, "run": 5}], npartitions=2)
    >>> X = FeatureHasher(n_features=10).transform(rows)
    >>> X.compute().toarray()
    array([[ 0.,  0.,  0., -1.,  0.,  0.,  0.,  0.,  0.,  2.],
           [ 0.,  0.,  0., -2., -5.,  0.,  0.,  0.,  0.,  0.]])
    """

    _parameter_constraints = {
        "n_features": [Interval(Integral, 1, np.iinfo(np.int32).max, closed="both")],
        "input_type": [StrOptions({"dict", "pair", "string"})],
        "dtype": "no_validation",
        "alternate_sign": ["boolean"],
    }

    def __init__(self, n_features=(2**20), *, input_type="dict", dtype=np.float64, alternate_sign=True):
        self.dtype = dtype
        self.input_type = input_type
        self.n_features = n_features
        self.alternate_sign = alternate_sign

    def fit(self, X=None, y=None):
        """Validate the parameters (the hasher is stateless).

        Parameters
        ----------
        X : Ignored
        y : Ignored

        Returns
        -------
        self : object
        """
        check_params(self)
        return self

    def transform(self, raw_X):
        """Hash the samples ``raw_X``.

        Parameters
        ----------
        raw_X : Dask Bag / Series of samples, 2-D Dask array of objects, or iterable
            Samples as ``input_type`` says.

        Returns
        -------
        X : Dask array of CSR chunks, or scipy.sparse matrix, shape (n_samples, n_features)
            Lazy for Dask input (nothing computed).
        """
        check_params(self)
        sk = _SkFeatureHasher(**self.get_params())
        docs = as_partitions(raw_X, two_d=True)
        if not docs.lazy:
            return sk.transform(raw_X)
        meta = _sparse_meta(self.n_features, self.dtype)
        state = {"steps": [sk], "meta": meta}
        return csr_blocks(transform_kernel, docs, state, n_features=self.n_features, meta=meta)

    def fit_transform(self, X, y=None):
        """``fit().transform(X)``.

        Parameters
        ----------
        X : Dask Bag / Series of samples, 2-D Dask array of objects, or iterable
        y : Ignored

        Returns
        -------
        X : Dask array of CSR chunks, or scipy.sparse matrix
        """
        return self.fit(X, y).transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        if self.input_type == "string":
            tags.input_tags.string = True
        elif self.input_type == "dict":
            tags.input_tags.dict = True
        tags.requires_fit = False
        return tags
