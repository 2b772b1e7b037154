"""The validation path of estimators that take mixed-dtype columns (the encoders).

:mod:`dml._engine.inputs` turns X into float row chunks and refuses non-numeric
DataFrame columns by name. Encoders need the columns as they are: categories, strings,
objects, booleans and nullable (``Int64``, ``Float64``, ``boolean``) columns with
``pd.NA``. This module validates such X (and a target ``y``) for them and returns the
engine's :class:`~dml._engine.inputs.ChunkedData`, whose X chunks are

- pandas DataFrame partitions (pandas or Dask DataFrame input), each in a
  :class:`FrameChunk` holder (the engine asks chunks for their array namespace, which a
  DataFrame lacks), read column by column by the kernels (each column converted as
  scikit-learn's ``check_array`` converts it);
- 2-D NumPy arrays of any dtype (NumPy / list input, Dask arrays), as scikit-learn's
  encoders accept them (object and string arrays too).

Validation reads metadata only: column names become ``feature_names_in_``, the column
count ``n_features_in_`` (scikit-learn's rules and messages); datetime and timedelta
columns are refused with a message naming them. A Dask DataFrame's partitions are the
chunks whatever their lengths: lengths are never computed here (``row_chunks`` holds
``nan`` for unknown lengths; kernels report their rows). :func:`partition_lengths` reads
them once when a fit needs row positions.

:func:`frame_blockwise` is the transform side: Dask DataFrame or Dask array in, a lazy Dask
array out (dense NumPy chunks, or ``scipy.sparse`` CSR chunks with a CSR ``_meta``); row
chunk lengths are those of the input, ``nan`` where Dask does not know them (call
``compute_chunk_sizes()`` on the result if needed). In-memory input gives in-memory
output, as scikit-learn's.
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

from dml._compat.sklearn import _check_feature_names, _check_n_features
from dml._config import get_config
from dml._engine.inputs import (
    ChunkedData,
    _chunk_rows,
    _column_kind,
    _is_dask_array,
    _name,
    _some,
    _split,
    is_dask_collection,
)
from dml._engine.namespace import is_dask_frame
from dml._engine.runtime import check_workers, get_client

OBJECT = np.dtype(object)


class FrameChunk:
    """A pandas DataFrame partition as a chunk of :func:`~dml._engine.mapreduce.map_reduce`.

    The engine asks every chunk for its array namespace; a DataFrame has none, so a
    partition travels in this holder, which answers NumPy's (the encoders' kernels
    work on the host). ``frame`` is the partition itself (never written); kernels read
    it through :func:`unwrap`.
    """

    __slots__ = ("frame",)

    def __init__(self, frame):
        self.frame = frame

    @property
    def shape(self):
        return self.frame.shape

    def __array_namespace__(self, api_version=None):
        import array_api_compat.numpy as xp

        return xp

    def __reduce__(self):
        return (FrameChunk, (self.frame,))


def unwrap(chunk):
    """The pandas partition of a :class:`FrameChunk`; any other chunk as it is."""
    return chunk.frame if isinstance(chunk, FrameChunk) else chunk


def _wrap(part):
    return FrameChunk(part) if _is_pandas(part) else part


def _is_pandas(X):
    return (type(X).__module__ or "").startswith("pandas") and hasattr(X, "iloc")


def check_frame_columns(dtypes, name, input_name="X"):
    """Refuse datetime / timedelta columns, naming them (metadata only); every other
    column kind is the encoders' to read."""
    bad = [col for col, d in dtypes.items() if _column_kind(d) in ("datetime", "timedelta")]
    if bad:
        raise ValueError(
            f"{name} does not encode datetime or timedelta columns, but the DataFrame "
            f"{input_name} has {_some(bad)}; convert them first (for example "
            "X[col].dt.year, X[col].dt.dayofweek or X[col].astype('int64')) or drop them."
        )


def _check_dask_frame(estimator, X, *, reset):
    if X.ndim == 1:
        X = X.to_frame()
    meta = X._meta
    check_frame_columns(meta.dtypes, _name(estimator))
    if estimator is not None:
        _check_feature_names(estimator, meta, reset=reset)
        _check_n_features(estimator, meta, reset=reset)
    return X


def _check_dask_array(estimator, X, *, reset):
    if X.ndim != 2:
        raise ValueError(
            f"Expected 2D array, got {X.ndim}D array instead: an array of shape {X.shape}.\n"
            "Reshape your data either using array.reshape(-1, 1) if your data has a single "
            "feature or array.reshape(1, -1) if it contains a single sample."
        )
    if estimator is not None:
        _check_feature_names(estimator, X, reset=reset)
        _check_n_features(estimator, X, reset=reset)
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def check_in_memory(estimator, X, *, reset, ensure_all_finite="allow-nan"):
    """scikit-learn's validation of in-memory encoder input (``_BaseEncoder._check_X``):
    a pandas DataFrame stays one (its columns keep their dtypes), anything else becomes a
    2-D array (lists of strings as objects). Sets or checks the feature names and count."""
    if _is_pandas(X) and X.ndim == 2:
        check_frame_columns(X.dtypes, _name(estimator))
        if estimator is not None:
            validate_data(estimator, X=X, reset=reset, skip_check_array=True)
        if X.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
                f"required by {_name(estimator)}."
            )
        return X
    if estimator is not None and reset:
        # scikit-learn's order: names and count first in fit, the array check first in
        # transform
        validate_data(estimator, X=X, reset=reset, skip_check_array=True)
    arr = check_array(X, dtype=None, ensure_all_finite=ensure_all_finite)
    if not hasattr(X, "dtype") and np.issubdtype(arr.dtype, np.str_):
        arr = check_array(X, dtype=object, ensure_all_finite=ensure_all_finite)
    if estimator is not None and not reset:
        validate_data(estimator, X=X, reset=reset, skip_check_array=True)
    return arr


def _frame_nbytes(X):
    if hasattr(X, "memory_usage"):
        return int(X.memory_usage(index=False, deep=False).sum())
    return int(X.nbytes)


def _in_memory_chunks(X, y, n_features):
    """Row chunks of in-memory X (views: ``iloc`` slices of a DataFrame, array slices)."""
    n = X.shape[0]
    threshold = get_config()["fast_path_bytes"]
    if threshold is None:
        threshold = get_config()["chunk_bytes"]
    if _frame_nbytes(X) <= threshold:
        rows = (n,)
    else:
        rows = _chunk_rows(n, n_features, 8)
    if _is_pandas(X):
        starts = np.cumsum((0,) + rows[:-1])
        Xs = [FrameChunk(X.iloc[a : a + r]) for a, r in zip(starts, rows)]
    else:
        Xs = _split(X, rows)
    ys = _split(y, rows)
    if len(rows) == 1:
        return ChunkedData("direct", Xs, ys, None, rows, n_features, OBJECT, iterative=False)
    client = get_client()
    if client is None:
        return ChunkedData("local", Xs, ys, None, rows, n_features, OBJECT, iterative=False)
    check_workers(client)
    keep = [client.scatter(Xs, hash=False)]
    if ys is not None:
        keep.append(client.scatter(ys, hash=False))
    return ChunkedData(
        "distributed",
        keep[0],
        keep[1] if ys is not None else None,
        None,
        rows,
        n_features,
        OBJECT,
        client,
        list(keep),
        iterative=False,
    )


def _delayed_chunks(v):
    """One ``dask.delayed`` per row chunk / partition of a Dask collection."""
    if is_dask_frame(v):
        parts = v.to_delayed(optimize_graph=False)
        if v.ndim == 2:
            return [dask.delayed(_wrap, pure=True)(p) for p in parts]
        return list(parts)
    if v.ndim == 2 and len(v.chunks[1]) > 1:
        v = v.rechunk({1: -1})
    d = v.to_delayed(optimize_graph=False)
    return list(d.reshape(d.shape[0], -1)[:, 0])


def _chunk_lengths_known(v):
    if _is_dask_array(v):
        return tuple(v.chunks[0])
    return (np.nan,) * v.npartitions


def _len(part):
    return np.array([part.shape[0]], dtype=np.int64)


def partition_lengths(X):
    """The rows of every partition / row chunk of a Dask collection: read from its
    metadata when known, else in one pass over X (one small task per partition)."""
    known = _chunk_lengths_known(X)
    if not any(np.isnan(c) for c in known):
        return tuple(int(c) for c in known)
    parts = [dask.delayed(_len, pure=True)(p) for p in _delayed_chunks(X)]
    client = get_client()
    if client is None:
        got = dask.compute(*parts)
    else:
        got = client.gather(client.compute(parts, optimize_graph=False))
    return tuple(int(g[0]) for g in got)


def _as_1d_target(y):
    """A 1-D in-memory target as NumPy (pandas nullable numbers as float with NaN,
    strings / categories as objects)."""
    if _is_pandas(y):
        if y.ndim == 2:
            if y.shape[1] != 1:
                raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead.")
            y = y.iloc[:, 0]
        d = y.dtype
        if isinstance(d, np.dtype):
            return y.to_numpy()
        if getattr(d, "kind", "O") in "biuf" and type(d).__name__ != "CategoricalDtype":
            return y.to_numpy(dtype=np.float64, na_value=np.nan)
        return y.to_numpy(dtype=object)
    return np.asarray(y)


def validate_frame_fit_data(estimator, X, y=None, *, reset=True, ensure_all_finite="allow-nan"):
    """Validate mixed-dtype training data for a one-pass encoder fit.

    Parameters
    ----------
    estimator : estimator instance
        Receives ``n_features_in_`` / ``feature_names_in_`` (scikit-learn's rules).
    X : pandas / Dask DataFrame, NumPy or Dask array, or list of rows
    y : array-like, pandas / Dask Series or Dask array, optional
        A target aligned with X's rows (TargetEncoder). A Dask target must have as many
        partitions / row chunks as X.
    reset : bool, default=True
    ensure_all_finite : bool or "allow-nan", default="allow-nan"
        For in-memory arrays (scikit-learn's check).

    Returns
    -------
    ChunkedData
        X chunks are pandas DataFrames or 2-D NumPy arrays; ``row_chunks`` holds ``nan``
        where a Dask partition's length is unknown (nothing is computed to learn it).

    Notes
    -----
    Computation: nothing for Dask input (lazy chunks, read by each later pass; never
    persisted: the encoders fit in one pass). An in-memory target beside a Dask X
    costs one read of X's partition lengths, to split the target like X.
    """
    if not is_dask_collection(X) and not is_dask_collection(y):
        X = check_in_memory(estimator, X, reset=reset, ensure_all_finite=ensure_all_finite)
        if y is not None:
            y = _as_1d_target(y)
            if y.shape[0] != X.shape[0]:
                raise ValueError(
                    "Found input variables with inconsistent numbers of samples: "
                    f"[{X.shape[0]}, {y.shape[0]}]"
                )
        return _in_memory_chunks(X, y, X.shape[1])
    if not is_dask_collection(X):
        # in-memory X with a lazy y: X becomes one partition-aligned Dask collection
        X = check_in_memory(estimator, X, reset=reset, ensure_all_finite=ensure_all_finite)
        rows = partition_lengths(y)
        starts = np.cumsum((0,) + rows[:-1])
        parts = [_wrap(X.iloc[a : a + r]) if _is_pandas(X) else X[a : a + r] for a, r in zip(starts, rows)]
        Xs = [dask.delayed(p) for p in parts]
        n_features = X.shape[1]
    else:
        if is_dask_frame(X):
            X = _check_dask_frame(estimator, X, reset=reset)
        else:
            X = _check_dask_array(estimator, X, reset=reset)
        n_features = int(X.shape[1])
        Xs = _delayed_chunks(X)
        rows = _chunk_lengths_known(X)
    ys = None
    if y is not None:
        if is_dask_collection(y):
            if is_dask_frame(y) and y.ndim == 2:
                if len(y.columns) != 1:
                    raise ValueError(
                        f"y should be a 1d array, got an array of shape {(np.nan, len(y.columns))} instead."
                    )
                y = y[y.columns[0]]
            known = _chunk_lengths_known(X) if is_dask_collection(X) else tuple(rows)
            if _is_dask_array(y) and not any(np.isnan(c) for c in known + tuple(y.chunks[0])):
                if tuple(y.chunks[0]) != known:
                    y = y.rechunk({0: known})
            ys = _delayed_chunks(y)
            if len(ys) != len(Xs):
                raise ValueError(
                    f"X has {len(Xs)} partitions / row chunks and y has {len(ys)}; give y "
                    "the partitions of X (for example y = df[target] of the same DataFrame)."
                )
        else:
            y = _as_1d_target(y)
            rows = partition_lengths(X)
            ys = _split(y, rows)
            if sum(rows) != y.shape[0]:
                raise ValueError(
                    f"Found input variables with inconsistent numbers of samples: [{sum(rows)}, {y.shape[0]}]"
                )
    client = get_client()
    if client is not None:
        check_workers(client)
    return ChunkedData(
        "local" if client is None else "distributed",
        Xs,
        ys,
        None,
        tuple(rows),
        n_features,
        OBJECT,
        client,
        lazy=True,
        iterative=False,
    )


def validate_frame_predict_data(estimator, X):
    """Validate mixed-dtype X for a blockwise transform (metadata only).

    Returns a Dask DataFrame (a Series becomes a one-column frame), a Dask array (one
    column block) or the validated in-memory DataFrame / array."""
    if is_dask_frame(X):
        return _check_dask_frame(estimator, X, reset=False)
    if is_dask_collection(X):
        return _check_dask_array(estimator, X, reset=False)
    return check_in_memory(estimator, X, reset=False)


def _call(part, func, kwargs):
    return func(part, xp=None, **kwargs)


def frame_blockwise(func, X, *, n_outputs, dtype, sparse=False, **kwargs):
    """Apply ``func(chunk, *, xp, **kwargs)`` to every partition / row chunk of ``X``.

    Parameters
    ----------
    func : callable
        Returns a 2-D array (``sparse=False``) or a ``scipy.sparse`` CSR matrix of
        ``n_outputs`` columns, one row per input row.
    X : Dask DataFrame, Dask array, or in-memory DataFrame / array
        Validated by :func:`validate_frame_predict_data`.
    n_outputs : int
    dtype : dtype
    sparse : bool, default=False
        The chunks are CSR matrices: the Dask array gets a CSR ``_meta``.

    Returns
    -------
    Dask array or in-memory result
        Lazy for Dask input: row chunks as the input's (``nan`` lengths where unknown),
        one column block of ``n_outputs``.

    Notes
    -----
    Computation: nothing at call time for Dask input; one pass when the result is
    computed, a task holding one partition and its output.
    """
    dtype = np.dtype(dtype)
    if not is_dask_collection(X):
        return func(X, xp=None, **kwargs)
    if sparse:
        import scipy.sparse as sp

        meta = sp.csr_matrix((0, n_outputs), dtype=dtype)
    else:
        meta = np.empty((0, n_outputs), dtype=dtype)
    if is_dask_frame(X):
        out = X.map_partitions(_call, func, kwargs, meta=np.empty((0, n_outputs), dtype=dtype))
        chunks = (tuple(out.chunks[0]), (n_outputs,))
        return da.Array(out.dask, out.name, chunks, dtype=dtype, meta=meta)
    return X.map_blocks(_call, func, kwargs, chunks=(X.chunks[0], (n_outputs,)), dtype=dtype, meta=meta)


def array_blockwise(func, X, *, n_outputs, dtype, **kwargs):
    """``func`` over the row chunks of an encoded Dask array (dense or sparse chunks),
    e.g. ``inverse_transform``: lazy, ``n_outputs`` columns of ``dtype`` per chunk."""
    dtype = np.dtype(dtype)
    if X.ndim == 2 and len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    meta = np.empty((0, n_outputs), dtype=dtype)
    return X.map_blocks(_call, func, kwargs, chunks=(X.chunks[0], (n_outputs,)), dtype=dtype, meta=meta)


def lazy_chunks_blockwise(func, chunks, *, n_outputs, dtype, row_chunks, **kwargs):
    """``func(chunk, *, xp, row_offset, **kwargs)`` over lazy X chunks (``dask.delayed``,
    the ``X`` of :func:`validate_frame_fit_data`'s lazy data), as one Dask array with the known
    ``row_chunks`` (for results that depend on a row's global position, such as
    cross-fitting folds). Lazy: each chunk is read from its source when computed."""
    dtype = np.dtype(dtype)
    starts = np.cumsum((0,) + tuple(row_chunks[:-1]))
    call = dask.delayed(_call_at, pure=True)
    blocks = [
        da.from_delayed(call(x, func, int(s), kwargs), shape=(int(r), n_outputs), dtype=dtype)
        for x, s, r in zip(chunks, starts, row_chunks)
    ]
    return da.concatenate(blocks, axis=0)


def _call_at(part, func, row_offset, kwargs):
    return func(part, xp=None, row_offset=row_offset, **kwargs)
