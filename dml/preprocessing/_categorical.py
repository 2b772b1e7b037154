"""Categorizer and DummyEncoder: dask-ml's DataFrame-to-DataFrame categorical helpers,
over the encoders' one-pass category counts."""

from __future__ import annotations

import dask
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from dml._base import TransformerMixin, check_params
from dml._engine.frames import validate_frame_fit_data
from dml._engine.inputs import is_dask_collection
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import is_dask_frame
from dml.preprocessing._encoders_kernels import category_counts_kernel, combine_category_counts


def _check_frame(estimator, X):
    if not (isinstance(X, pd.DataFrame) or is_dask_frame(X) and X.ndim == 2):
        raise TypeError(f"Expected a pandas or dask DataFrame, got {type(X)} instead")
    return X


def _is_stringlike(dtype):
    return (
        (isinstance(dtype, np.dtype) and dtype.kind == "O")
        or isinstance(dtype, pd.StringDtype)
        or type(dtype).__name__ == "ArrowDtype"
    )


def _meta(X):
    return X._meta if is_dask_frame(X) else X


def _known(dtype):
    return isinstance(dtype, pd.CategoricalDtype) and dtype.categories is not None


def _counted_categories(X, columns):
    """The observed values (sorted, missing values left out) of ``columns`` of a Dask
    DataFrame: one pass of the encoders' per-partition category counts."""
    data = validate_frame_fit_data(None, X[list(columns)])
    with data:
        stats = map_reduce(category_counts_kernel, data, combine=combine_category_counts)
    out = {}
    for name, values in zip(columns, stats["values"]):
        keep = [v for v in values.tolist() if not (v is None or (isinstance(v, float) and v != v))]
        out[name] = keep
    return out


def _learned_dtypes(X, columns):
    """A known CategoricalDtype per column: a category column's own (when known), else
    the observed values, sorted (as pandas' ``astype('category')``)."""
    meta = _meta(X)
    dtypes, count = {}, []
    for name in columns:
        d = meta[name].dtype
        if isinstance(d, pd.CategoricalDtype) and (not is_dask_frame(X) or _has_known_categories(X, name)):
            dtypes[name] = d
        elif isinstance(X, pd.DataFrame):
            dtypes[name] = X[name].astype("category").dtype
        else:
            count.append(name)
    if count:
        values = _counted_categories(X, count)
        for name in count:
            d = meta[name].dtype
            ordered = bool(getattr(d, "ordered", False))
            index_dtype = d.categories.dtype if isinstance(d, pd.CategoricalDtype) else d
            try:
                cats = pd.Index(values[name], dtype=index_dtype)
            except (TypeError, ValueError):
                cats = pd.Index(values[name])
            dtypes[name] = pd.CategoricalDtype(cats, ordered=ordered)
    return {name: dtypes[name] for name in columns}


def _has_known_categories(X, name):
    from dask.dataframe.utils import has_known_categories

    return bool(has_known_categories(_meta(X)[name]))


class Categorizer(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Transform columns of a DataFrame to categorical dtype (dask-ml's ``Categorizer``).

    Object and string columns (and category columns whose categories a Dask DataFrame
    does not know) become pandas ``category`` columns whose categories are the values
    seen in ``fit``, sorted, unordered, as pandas' ``astype('category')`` makes them.
    Known category columns keep their dtype. All other columns pass through untouched.
    Dask DataFrame in gives a lazy Dask DataFrame out with known categories.

    Parameters
    ----------
    categories : mapping, default=None
        Column name to ``pandas.CategoricalDtype`` (or a ``(categories, ordered)``
        tuple). Given, ``fit`` reads nothing and ``columns`` is ignored.
    columns : sequence, default=None
        The columns to categorize; None means every object, string and category column.

    Attributes
    ----------
    columns_ : pandas.Index
        The columns that were categorized.
    categories_ : dict
        Column name to its ``pandas.CategoricalDtype``.

    Notes
    -----
    Computation: ``fit`` on a Dask DataFrame makes one pass (one round trip) over the
    columns to count, per partition, their distinct values (the encoders' category
    counts, merged in a tree; memory per partial grows with the number of distinct
    values); known categories and pandas input need no pass. ``transform`` is lazy
    (``astype`` to the learned dtypes). DataFrames only, as dask-ml's.

    Examples
    --------
    >>> import pandas as pd
    >>> from dml.preprocessing import Categorizer
    >>> df = pd.DataFrame({"A": [1, 2, 3], "B": ["a", "a", "b"]})
    >>> ce = Categorizer()
    >>> ce.fit_transform(df).dtypes.astype(str).tolist()
    ['int64', 'category']
    >>> list(ce.categories_["B"].categories)
    ['a', 'b']
    """

    _parameter_constraints = {"categories": [dict, None], "columns": ["array-like", None]}

    def __init__(self, categories=None, columns=None):
        self.categories = categories
        self.columns = columns

    def fit(self, X, y=None):
        """Learn the categories of the columns to categorize.

        Parameters
        ----------
        X : pandas or Dask DataFrame
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_params(self)
        X = _check_frame(self, X)
        if self.categories is not None:
            cats = {
                k: v if isinstance(v, pd.CategoricalDtype) else pd.CategoricalDtype(*v)
                for k, v in self.categories.items()
            }
            self.columns_ = pd.Index(list(cats))
            self.categories_ = cats
            return self
        meta = _meta(X)
        if self.columns is None:
            columns = [
                c
                for c in meta.columns
                if _is_stringlike(meta[c].dtype) or isinstance(meta[c].dtype, pd.CategoricalDtype)
            ]
        else:
            columns = list(self.columns)
        self.columns_ = pd.Index(columns)
        self.categories_ = _learned_dtypes(X, columns)
        return self

    def transform(self, X, y=None):
        """Convert the learned columns to their categorical dtypes.

        Parameters
        ----------
        X : pandas or Dask DataFrame
        y : None
            Ignored.

        Returns
        -------
        X_trn : pandas or Dask DataFrame
            X's type (lazy for Dask), the columns of ``categories_`` categorical.
        """
        check_is_fitted(self, "categories_")
        X = _check_frame(self, X)
        return X.astype(dict(self.categories_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # DataFrames only
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        return tags


class DummyEncoder(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Dummy (one-hot) encode categorical columns of a DataFrame (dask-ml's
    ``DummyEncoder``), as :func:`pandas.get_dummies`.

    Parameters
    ----------
    columns : sequence, default=None
        The columns to encode; they must be categorical. None means every category
        column.
    drop_first : bool, default=False
        Drop each column's first category.

    Attributes
    ----------
    columns_ : pandas.Index
        The columns of the training data.
    transformed_columns_ : pandas.Index
        The columns after encoding.
    categorical_columns_ : pandas.Index
        The encoded columns.
    non_categorical_columns_ : pandas.Index
        The other columns (first in the output, as ``get_dummies`` puts them).
    categorical_blocks_ : dict
        Column name to the slice of the output columns holding its dummies.
    dtypes_ : dict
        Column name to its ``pandas.CategoricalDtype``.

    Notes
    -----
    Computation: ``fit`` reads metadata only when the categories are known (pandas, or
    a Dask DataFrame with known categories); a Dask column of unknown categories costs
    one pass of the encoders' category counts for all such columns (dask-ml requires
    known categories instead). ``transform`` is ``get_dummies`` on the columns cast to
    ``dtypes_``: lazy for Dask input, partitions kept. ``inverse_transform`` is
    blockwise (Dask array or DataFrame in, a lazy Dask DataFrame out).

    Examples
    --------
    >>> import pandas as pd
    >>> from dml.preprocessing import DummyEncoder
    >>> data = pd.DataFrame({"A": [1, 2, 3, 4], "B": pd.Categorical(["a", "a", "a", "b"])})
    >>> de = DummyEncoder().fit(data)
    >>> de.transform(data).columns.tolist()
    ['A', 'B_a', 'B_b']
    >>> de.categorical_blocks_
    {'B': slice(1, 3, None)}
    >>> de.inverse_transform(de.transform(data))["B"].tolist()
    ['a', 'a', 'a', 'b']
    """

    _parameter_constraints = {"columns": ["array-like", None], "drop_first": ["boolean"]}

    def __init__(self, columns=None, drop_first=False):
        self.columns = columns
        self.drop_first = drop_first

    def fit(self, X, y=None):
        """Find the categorical columns and their categories.

        Parameters
        ----------
        X : pandas or Dask DataFrame
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_params(self)
        X = _check_frame(self, X)
        meta = _meta(X)
        self.columns_ = meta.columns
        if self.columns is None:
            columns = [c for c in meta.columns if isinstance(meta[c].dtype, pd.CategoricalDtype)]
        else:
            columns = list(self.columns)
            bad = [c for c in columns if not isinstance(meta[c].dtype, pd.CategoricalDtype)]
            if bad:
                raise ValueError(f"Must be categorical: the columns {bad} are not of category dtype.")
        self.categorical_columns_ = pd.Index(columns)
        self.non_categorical_columns_ = meta.columns.drop(self.categorical_columns_)
        self.dtypes_ = _learned_dtypes(X, columns)
        left = len(self.non_categorical_columns_)
        self.categorical_blocks_ = {}
        for col in columns:
            right = left + len(self.dtypes_[col].categories) - int(self.drop_first)
            self.categorical_blocks_[col], left = slice(left, right), right
        sample = meta.iloc[:0].astype(self.dtypes_)
        self.transformed_columns_ = pd.get_dummies(
            sample, drop_first=self.drop_first, columns=columns
        ).columns
        return self

    def transform(self, X, y=None):
        """Dummy encode the categorical columns of X.

        Parameters
        ----------
        X : pandas or Dask DataFrame
        y : None
            Ignored.

        Returns
        -------
        transformed : pandas or Dask DataFrame
            X's type (lazy for Dask): the other columns, then each encoded column's
            dummies (bool), as ``get_dummies``.
        """
        check_is_fitted(self, "dtypes_")
        X = _check_frame(self, X)
        if not _meta(X).columns.equals(self.columns_):
            raise ValueError(
                f"Columns of 'X' do not match the training columns. Got {_meta(X).columns!r}, "
                f"expected {self.columns_!r}"
            )
        X = X.astype(self.dtypes_)
        cols = list(self.categorical_columns_)
        if isinstance(X, pd.DataFrame):
            return pd.get_dummies(X, drop_first=self.drop_first, columns=cols)
        import dask.dataframe as dd

        return dd.get_dummies(X, drop_first=self.drop_first, columns=cols)

    def _inverse_part(self, part):
        if not isinstance(part, pd.DataFrame):
            part = pd.DataFrame(np.asarray(part), columns=self.transformed_columns_)
        pieces = [part[list(self.non_categorical_columns_)]]
        for col in self.categorical_columns_:
            inds = np.asarray(part.iloc[:, self.categorical_blocks_[col]], dtype=np.float64)
            codes = inds.argmax(axis=1) if inds.shape[1] else np.zeros(inds.shape[0], dtype=np.int64)
            if self.drop_first:
                codes = codes + 1
                codes[(inds == 0).all(axis=1)] = 0
            dtype = self.dtypes_[col]
            pieces.append(
                pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), name=col, index=part.index)
            )
        return pd.concat(pieces, axis=1)[list(self.columns_)]

    def inverse_transform(self, X):
        """Undo the dummy encoding.

        Parameters
        ----------
        X : ndarray, pandas DataFrame, Dask array or Dask DataFrame
            The output of ``transform`` (or its values, columns in
            ``transformed_columns_`` order).

        Returns
        -------
        data : pandas or Dask DataFrame
            A lazy Dask DataFrame for Dask input, else pandas.
        """
        check_is_fitted(self, "dtypes_")
        if not is_dask_collection(X):
            return self._inverse_part(X)
        import dask.dataframe as dd

        meta = self._inverse_part(
            pd.DataFrame(np.zeros((0, len(self.transformed_columns_))), columns=self.transformed_columns_)
        )
        if is_dask_frame(X):
            return X.map_partitions(self._inverse_part, meta=meta)
        if X.ndim == 2 and len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        blocks = X.to_delayed().ravel()
        return dd.from_delayed(
            [dask.delayed(self._inverse_part)(b) for b in blocks], meta=meta, verify_meta=False
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # DataFrames only
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True
        return tags
