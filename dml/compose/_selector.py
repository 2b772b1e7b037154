"""Column selection: make_column_selector, and resolving a ColumnTransformer's column
specifications on pandas, NumPy and Dask inputs (Dask DataFrames by their ``_meta``)."""

from __future__ import annotations

import numpy as np

from dml._compat.sklearn import get_column_indices, safe_indexing
from dml._engine.namespace import is_dask_collection, is_dask_frame


class make_column_selector:
    """Create a callable selecting columns by name pattern and / or dtype.

    The same behaviour as :class:`sklearn.compose.make_column_selector`, for pandas
    DataFrames and for Dask DataFrames, whose columns are read from their metadata
    (``_meta``: nothing is computed). When several criteria are given, a column must
    meet all of them.

    Parameters
    ----------
    pattern : str, default=None
        Columns whose name contains this regular expression are selected. None: no
        selection by name.
    dtype_include : column dtype or list of column dtypes, default=None
        Dtypes to include, as :meth:`pandas.DataFrame.select_dtypes`'s ``include``.
    dtype_exclude : column dtype or list of column dtypes, default=None
        Dtypes to exclude, as :meth:`pandas.DataFrame.select_dtypes`'s ``exclude``.

    Notes
    -----
    Computation: none; a Dask DataFrame's column names and dtypes are metadata.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> from dml.compose import make_column_selector
    >>> df = pd.DataFrame({"city": ["a", "b"], "rating": [5.0, 3.0], "rank": [1, 2]})
    >>> make_column_selector(dtype_include=np.number)(df)
    ['rating', 'rank']
    >>> make_column_selector(pattern="^ra", dtype_exclude="int64")(dd.from_pandas(df, npartitions=1))
    ['rating']
    """

    def __init__(self, pattern=None, *, dtype_include=None, dtype_exclude=None):
        self.pattern = pattern
        self.dtype_include = dtype_include
        self.dtype_exclude = dtype_exclude

    def __call__(self, df):
        """Select the columns of ``df``.

        Parameters
        ----------
        df : pandas or Dask DataFrame of shape (n_samples, n_features)
            DataFrame to select columns from.

        Returns
        -------
        columns : list
            The names of the selected columns, in ``df``'s order.
        """
        if is_dask_frame(df):
            df = df._meta
        if not hasattr(df, "iloc"):
            raise ValueError("make_column_selector can only be applied to pandas dataframes")
        df_row = df.iloc[:1]
        if self.dtype_include is not None or self.dtype_exclude is not None:
            df_row = df_row.select_dtypes(include=self.dtype_include, exclude=self.dtype_exclude)
        cols = df_row.columns
        if self.pattern is not None:
            cols = cols[cols.str.contains(self.pattern, regex=True)]
        return cols.tolist()

    def __repr__(self):
        args = ", ".join(
            f"{k}={v!r}"
            for k, v in (
                ("pattern", self.pattern),
                ("dtype_include", self.dtype_include),
                ("dtype_exclude", self.dtype_exclude),
            )
            if v is not None
        )
        return f"make_column_selector({args})"


def metadata_of(X):
    """What column specifications are resolved on: a Dask DataFrame's ``_meta`` (an
    empty pandas frame with its names and dtypes), else X itself (shape only for
    arrays)."""
    if is_dask_frame(X):
        return X._meta if X.ndim == 2 else X._meta.to_frame()
    return X


def resolve_columns(X, columns):
    """``(spec, indices)``: the specification with a callable replaced by what it
    returns on X (on a Dask DataFrame's metadata), and the positional indices it
    selects, with scikit-learn's rules and messages."""
    meta = metadata_of(X)
    if callable(columns):
        columns = columns(meta)
    return columns, get_column_indices(meta, columns)


def _pick(part, columns):
    return part[columns]


def select(X, columns):
    """The columns ``columns`` of X, as scikit-learn's ``_safe_indexing(X, columns,
    axis=1)``: a scalar specification gives a 1-D selection. Dask DataFrames are
    indexed by label (``ddf[cols]``, lazy), Dask arrays by position."""
    if not is_dask_collection(X):
        return safe_indexing(X, columns, axis=1)
    scalar = np.isscalar(columns)
    if is_dask_frame(X):
        names = list(metadata_of(X).columns)
        idx = get_column_indices(metadata_of(X), columns)
        picked = [names[i] for i in idx]
        meta = metadata_of(X)
        # a projection inside each partition, not ``X[picked]``: Dask pushes a plain
        # column projection into a Parquet read, which may then fuse partitions (fewer,
        # larger blocks in ``to_dask_array``) and break the parts' row alignment
        if scalar:
            return X.map_partitions(_pick, picked[0], meta=meta[picked[0]])
        return X.map_partitions(_pick, picked, meta=meta[picked])
    idx = get_column_indices(X, columns)
    return X[:, idx[0]] if scalar else X[:, idx]
