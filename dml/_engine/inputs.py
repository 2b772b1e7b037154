"""Normalise X / y / sample_weight into aligned row-chunked data.

Every estimator's ``fit`` calls :func:`validate_fit_data`, and every ``predict`` /
``transform`` calls :func:`validate_predict_data`. They accept NumPy, pandas, CuPy,
Dask arrays, Dask DataFrames/Series (also with unknown partition lengths) and
CuPy-backed Dask arrays, and produce one shape of data:

- row chunks with one column block, float64 or float32 (float32 stays float32);
- ``y`` and ``sample_weight`` chunked exactly like ``X``;
- never a mutation of the caller's arrays, and no copy of in-memory data (chunks are
  views).

Validation reads metadata only (shape, dtype, chunks, ``_meta``). Checks that need
values (NaN / inf) ride along in the estimator's first pass: see
:func:`raise_if_not_finite`.

Sparse input (``accept_sparse``, scikit-learn's meaning): in-memory ``scipy.sparse``
matrices and arrays of any format become one CSR conversion, split into row chunks that
are views of its ``data`` / ``indices`` (never densified); Dask arrays whose ``_meta`` is
``scipy.sparse`` keep their chunks (converted to CSR per chunk, lazily, when they are of
another format). Without ``accept_sparse``, sparse input gets scikit-learn's TypeError.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field

import dask
import dask.array as da
import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import get_tags
from sklearn.utils.validation import validate_data

from dml._compat.sklearn import _check_feature_names, _check_n_features, _check_sample_weight
from dml._config import get_config
from dml._engine.mapreduce import gather_parts, map_reduce, replace_with_host
from dml._engine.memory import should_persist
from dml._engine.namespace import (  # noqa: F401 - is_dask_collection, assert_finite_chunk: re-exported
    assert_finite_chunk,
    get_namespace,
    is_dask_collection,
    is_dask_frame,
    is_device_array,
    is_sparse,
    to_numpy,
)
from dml._engine.recovery import note_host
from dml._engine.runtime import check_workers, driver_blas, get_client, progress_bar

FLOAT_DTYPES = (np.float64, np.float32)


def _is_dask_array(x):
    mod = type(x).__module__ or ""
    return mod.startswith("dask") and hasattr(x, "chunks") and hasattr(x, "blocks")


def _name(estimator):
    return type(estimator).__name__ if estimator is not None else "this estimator"


# --------------------------------------------------------------------------- chunks


@dataclass(eq=False)
class ChunkedData:
    """Row-chunked, aligned training data, ready for :func:`~dml._engine.mapreduce.map_reduce`.

    Attributes
    ----------
    mode : {"direct", "local", "distributed"}
        ``direct``: one in-memory chunk, kernels run in the calling thread with no graph
        (the fast path). ``local``: in-memory chunks, kernels run on the current Dask
        scheduler. ``distributed``: chunks are futures on a ``distributed`` cluster.
    X, y, sample_weight : list
        One entry per row chunk (arrays, or futures in distributed mode); ``y`` and
        ``sample_weight`` are ``None`` when absent.
    row_chunks : tuple of int
        Rows in each chunk.
    """

    mode: str
    X: list
    y: list | None
    sample_weight: list | None
    row_chunks: tuple
    n_features: int
    dtype: np.dtype
    client: object = None
    _keepalive: list = field(default_factory=list, repr=False)
    #: ndim of the validated y (1 or 2), None without y.
    y_ndim: int | None = None
    #: distributed mode: chunk indices grouped by holding worker (see mapreduce.chunk_groups)
    _groups: list | None = field(default=None, repr=False)
    #: the entered :func:`~dml._engine.runtime.driver_blas` context while a fit holds the data
    _driver: object = field(default=None, init=False, repr=False)
    #: chunks are lazy (``dask.delayed``) and every pass reads them from their source
    lazy: bool = False
    #: how each of X / y / sample_weight can be made again after a lost worker (see
    #: :mod:`dml._engine.recovery`): ``{"X": recipe, ...}``
    _recipes: dict = field(default_factory=dict, repr=False)
    #: the validated Dask collections (X, y, w) of lazy data, for :meth:`for_iterations`
    _collections: tuple | None = field(default=None, repr=False)
    #: whether the fit that made this data iterates (the persist policy's question)
    iterative: bool = True
    #: label of the progress bar of passes (``progress=True``), opened by ``__enter__``
    _progress_desc: str | None = field(default=None, repr=False)
    #: that bar while the data is open; copies made by map_chunks share it
    _progress: object = field(default=None, repr=False)
    #: the X chunks are ``scipy.sparse`` CSR matrices
    sparse: bool = False
    #: bytes per row of the X chunks when they are not ``n_features * itemsize`` (CSR
    #: chunks: their nonzeros, indices and row pointers per row); ``nan`` when unknown
    #: (Dask CSR chunks); None for dense chunks
    row_bytes: float | None = None

    @property
    def n_samples(self):
        return int(sum(self.row_chunks))

    @property
    def n_chunks(self):
        return len(self.row_chunks)

    @property
    def source(self):
        """The validated Dask collections ``(X, y, sample_weight)`` that every pass of
        lazy data reads (None for data held in memory or persisted)."""
        return self._collections

    def parts(self):
        """Yield ``(X_i, y_i, w_i)`` for every chunk (``None`` where absent)."""
        for i in range(self.n_chunks):
            yield (
                self.X[i],
                None if self.y is None else self.y[i],
                None if self.sample_weight is None else self.sample_weight[i],
            )

    def gather(self, which="y"):
        """One of the aligned arrays, concatenated on the host (NumPy): for small per-row
        arrays such as ``y`` or the weights. Lazy data reads its source once."""
        return gather_parts(self, which)

    def with_host(self, which, values):
        """A copy whose ``which`` array is the host vector ``values`` (one entry per row),
        chunked like the data and living where its chunks live."""
        return replace_with_host(self, which, values)

    def for_iterations(self):
        """Persist this data (in place) when the persist policy allows it, and return it.

        For a fit that validated its input for one pass (``iterative=False``) and then
        turns out to iterate (a wide linear model falling back to an iterative solver).
        A no-op unless the data is lazy and was not derived (call it right after
        validation)."""
        if not self.lazy or self._collections is None:
            return self
        X, y, w = self._collections
        if not should_persist(_bytes_to_persist(self.client, X, y, w), self.client, iterative=True):
            return self
        new = _persisted_data(X, y, w, self.client)
        for name in ("mode", "X", "y", "sample_weight", "row_chunks", "_keepalive", "_recipes"):
            setattr(self, name, getattr(new, name))
        self.lazy, self._groups, self._collections, self.iterative = False, None, None, True
        return self

    def release(self):
        """Drop the references that keep persisted chunks alive on the cluster."""
        self._keepalive.clear()
        self._collections = None
        self._recipes = {}
        if self.mode == "distributed":
            self.X = self.y = self.sample_weight = None

    def __enter__(self):
        if self.mode == "distributed":
            # The driver's BLAS threads would spin against workers on this machine.
            self._driver = driver_blas(self.client)
            self._driver.__enter__()
        if self._progress_desc is not None:
            self._progress = progress_bar(None, self._progress_desc)
        return self

    def __exit__(self, *exc):
        try:
            self.release()
            bar, self._progress = self._progress, None
            if bar is not None:
                bar.close()
        finally:
            driver, self._driver = self._driver, None
            if driver is not None:
                driver.__exit__(*exc)


# ------------------------------------------------------------------ metadata checks


def _check_dask_X(X, estimator, *, reset, dtype, input_name="X", accept_sparse=False):
    """Metadata-only checks of a Dask array/DataFrame X; returns a row-chunked Dask array.

    A Dask array of ``scipy.sparse`` chunks (its ``_meta``) is refused with
    scikit-learn's TypeError unless ``accept_sparse``; accepted, its chunks become CSR."""
    name = _name(estimator)
    meta = getattr(X, "_meta", None)
    if is_dask_frame(X):
        if X.ndim == 1:
            X = X.to_frame()
            meta = X._meta
        if estimator is not None:
            _check_feature_names(estimator, meta, reset=reset)
        _check_frame_dtypes(meta.dtypes, name, input_name)
        X = _frame_as_array(X, dtype)
        return _check_array_meta(
            X, estimator, reset=reset, dtype=dtype, input_name=input_name, names_checked=True
        )
    if is_sparse(meta):
        _check_accept_sparse(accept_sparse, input_name)
    X = _check_array_meta(X, estimator, reset=reset, dtype=dtype, input_name=input_name)
    if is_sparse(getattr(X, "_meta", None)) and X._meta.format != "csr":
        X = X.map_blocks(_block_to_csr, dtype=X.dtype, meta=X._meta.tocsr())
    return X


def _check_array_meta(X, estimator, *, reset, dtype, input_name="X", names_checked=False):
    """Metadata-only checks of an array-like with ``shape``/``dtype`` (Dask, CuPy, ...)."""
    name = _name(estimator)
    if estimator is not None and not names_checked:
        _check_feature_names(estimator, X, reset=reset)
    if X.ndim == 1:
        raise ValueError(
            f"Expected 2D array, got 1D array instead: an array of shape {X.shape}.\n"
            "Reshape your data either using array.reshape(-1, 1) if your data has a single "
            "feature or array.reshape(1, -1) if it contains a single sample."
        )
    if X.ndim != 2:
        raise ValueError(f"Found array with dim {X.ndim}. {name} expected <= 2.")
    if not _numeric_dtype(X.dtype):
        raise ValueError(
            f"{name} needs numeric input, but the array {input_name} has dtype "
            f"{X.dtype}; convert it with {input_name}.astype(float) first."
        )
    n_features = X.shape[1]
    if n_features == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 is required by {name}."
        )
    if not np.isnan(X.shape[0]) and X.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required by {name}."
        )
    if estimator is not None:
        _check_n_features(estimator, X, reset=reset)
    if X.dtype not in dtype:
        X = X.astype(dtype[0])
    if hasattr(X, "chunks") and len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


# ------------------------------------------------------------------- sparse input


def _check_accept_sparse(accept_sparse, input_name="X"):
    """scikit-learn's TypeError for sparse input to an estimator that needs dense data
    (``accept_sparse=False``), and its ValueError for a malformed ``accept_sparse``."""
    if accept_sparse is False:
        padded_input = " for " + input_name if input_name else ""
        raise TypeError(
            f"Sparse data was passed{padded_input}, but dense data is required. "
            "Use '.toarray()' to convert to a dense numpy array."
        )
    if isinstance(accept_sparse, (list, tuple)) and len(accept_sparse) == 0:
        raise ValueError(
            "When providing 'accept_sparse' as a tuple or list, it must contain at least one string value."
        )
    if not (accept_sparse is True or isinstance(accept_sparse, (str, list, tuple))):
        raise ValueError(
            "Parameter 'accept_sparse' should be a string, boolean or list of strings."
            f" You provided 'accept_sparse={accept_sparse}'."
        )


def _block_to_csr(block):
    """One sparse chunk as CSR (a Dask chunk of another sparse format)."""
    return _as_csr(block)


def _check_indptr(X):
    """scikit-learn-like clear error when a CSR matrix's row pointers wrapped (more
    stored values than an int32 ``indptr`` can address)."""
    indptr = X.indptr
    nnz = X.data.shape[0]
    if (
        indptr.shape[0] != X.shape[0] + 1
        or int(indptr[-1]) != nnz
        or (indptr.shape[0] > 1 and int(np.diff(indptr).min(initial=0)) < 0)
    ):
        raise ValueError(
            f"The sparse matrix's row pointers (indptr, dtype {indptr.dtype}) do not address "
            f"its {nnz} stored values: they overflowed "
            f"{'the int32 range (2**31 - 1)' if indptr.dtype == np.int32 else 'or are corrupt'}. "
            "Build it with 64-bit indices (scipy.sparse uses int64 indptr and indices when "
            "the number of stored values needs them, e.g. X.tocoo().tocsr())."
        )


def _as_csr(X):
    """``X`` (any ``scipy.sparse`` format) as CSR in canonical format: sorted indices,
    no duplicate entries (summed, as SciPy's conversions do). Explicit zeros are kept, as
    scikit-learn keeps them. The caller's matrix is never modified: a CSR input that is
    not canonical is copied first."""
    csr = X.tocsr()
    if X.format == "csr" and not csr.has_canonical_format:
        csr = csr.copy()
    if not csr.has_canonical_format:
        csr.sum_duplicates()  # also sorts the indices
    _check_indptr(csr)
    return csr


def sparse_nbytes(X):
    """Bytes held by a ``scipy.sparse`` CSR / CSC / COO container (values and indices)."""
    total = 0
    for name in ("data", "indices", "indptr", "row", "col", "coords"):
        a = getattr(X, name, None)
        if isinstance(a, tuple):
            total += sum(int(c.nbytes) for c in a)
        elif a is not None and hasattr(a, "nbytes"):
            total += int(a.nbytes)
    return total


def _csr_row_bytes(X):
    return sparse_nbytes(X) / max(1, X.shape[0])


def _csr_chunk_rows(X, target):
    """Row chunks of CSR ``X`` holding about ``target`` bytes each (by their nonzeros:
    chunks have about equal nnz, not equal rows)."""
    n = X.shape[0]
    per_nz = X.data.dtype.itemsize + X.indices.dtype.itemsize
    per_row = X.indptr.dtype.itemsize
    cum = X.indptr.astype(np.float64) * per_nz + np.arange(n + 1) * per_row
    total = cum[-1]
    k = max(1, int(np.ceil(total / max(1, target))))
    cuts = np.searchsorted(cum, np.arange(1, k) * (total / k), side="left")
    bounds = np.unique(np.concatenate([[0], np.clip(cuts, 1, n), [n]]))
    return tuple(int(b - a) for a, b in zip(bounds[:-1], bounds[1:]) if b > a)


def _csr_rows(X, start, stop):
    """Rows ``start:stop`` of CSR ``X`` as a CSR of its class whose ``data`` and
    ``indices`` are views of X's (only the row pointers are new)."""
    a, b = int(X.indptr[start]), int(X.indptr[stop])
    out = type(X)((stop - start, X.shape[1]), dtype=X.dtype)
    # set after construction: SciPy's constructor copies slices of a much larger array
    out.indptr = X.indptr[start : stop + 1] - X.indptr[start]
    out.indices = X.indices[a:b]
    out.data = X.data[a:b]
    out.has_canonical_format = bool(X.has_canonical_format)
    return out


# ---------------------------------------------------------------- DataFrame columns


def _column_kind(d):
    """What a DataFrame column's dtype is, in words, when it is not numeric; None when it
    is (NumPy or nullable / Arrow integer, float and boolean dtypes)."""
    kind = getattr(d, "kind", "O")
    if kind in "biuf":
        return None
    cls = type(d).__name__
    if cls == "CategoricalDtype":
        return "category"
    if kind in "Mm":
        return "datetime" if kind == "M" else "timedelta"
    if cls == "StringDtype" or "string" in str(d) or kind in "US":
        return "string"
    if kind == "c":
        return "complex"
    return str(d)


def _check_frame_dtypes(dtypes, name, input_name="X"):
    """Refuse a DataFrame with non-numeric columns, naming them (metadata only)."""
    bad = {}
    for col, d in dtypes.items():
        kind = _column_kind(d)
        if kind is not None:
            bad.setdefault(kind, []).append(col)
    if not bad:
        return
    listed = "; ".join(f"{kind}: {_some(cols)}" for kind, cols in bad.items())
    advice = []
    if set(bad) - {"datetime", "timedelta"}:
        advice.append(
            "encode category, string and object columns as numbers first (for example "
            "with an ordinal or one-hot encoding) or drop them"
        )
    if set(bad) & {"datetime", "timedelta"}:
        advice.append(
            "convert datetime / timedelta columns to numbers first (for example "
            "X[col].astype('int64'), or features such as the year or the day of week)"
        )
    raise ValueError(
        f"{name} needs numeric input, but the DataFrame {input_name} has non-numeric "
        f"columns ({listed}); " + "; ".join(advice) + "."
    )


def _some(cols, k=10):
    shown = ", ".join(repr(c) for c in cols[:k])
    return shown + (f" and {len(cols) - k} more" if len(cols) > k else "")


def _is_pandas_frame(X):
    return (type(X).__module__ or "").startswith("pandas") and hasattr(X, "dtypes") and X.ndim == 2


def _frame_dtype(dtypes, dtype):
    """The float dtype a frame of numeric columns becomes: their common NumPy type when it
    is an accepted float type (float32 stays float32), else ``dtype[0]``."""
    common = np.result_type(*[np.dtype(getattr(d, "numpy_dtype", d)) for d in dtypes])
    return common if common in dtype else np.dtype(dtype[0])


def _frame_values(part, dtype):
    """One partition as a NumPy array of ``dtype`` (a float type for numeric columns,
    object for string / category labels): pandas' missing values (``pd.NA`` in nullable
    columns) become NaN. A new array: the partition is never written."""
    return part.to_numpy(dtype=dtype, na_value=np.nan)


def _frame_as_array(X, dtype):
    """A Dask DataFrame of numeric columns as a Dask array, converted per partition
    (lazy, nothing computed). Plain NumPy columns of one kind take Dask's own
    ``to_dask_array``; nullable (``Int64``, ``Float64``, ``boolean``), Arrow and ``bool``
    columns are converted to float, ``pd.NA`` to NaN, as scikit-learn does."""
    dtypes = list(X._meta.dtypes)
    plain = all(isinstance(d, np.dtype) and d.kind in "iuf" for d in dtypes)
    if plain:
        return X.to_dask_array()
    target = _frame_dtype(dtypes, dtype)
    arr = X.map_partitions(_frame_values, target, meta=np.empty((0, len(dtypes)), dtype=target))
    return arr


def _numeric_dtype(d):
    if hasattr(d, "numpy_dtype"):
        d = d.numpy_dtype
    try:
        d = np.dtype(d)
    except TypeError:
        return False
    return d.kind in "biuf"


def _as_dask_1d(v):
    """A Dask Series/DataFrame/array target as a 1-D or 2-D Dask array.

    Nullable (``Int64``, ``Float64``, ``boolean``) and Arrow numeric columns are converted
    to float per partition, ``pd.NA`` to NaN, as scikit-learn converts them."""
    if not is_dask_frame(v):
        return v
    dtypes = _frame_dtypes(v._meta)
    if all(isinstance(d, np.dtype) for d in dtypes):
        return v.to_dask_array()
    if any(_column_kind(d) for d in dtypes):
        # string / category labels: NumPy objects, as scikit-learn reads them
        target = np.dtype(object)
    else:
        target = _frame_dtype(dtypes, FLOAT_DTYPES)
    shape = (0,) if v.ndim == 1 else (0, len(dtypes))
    return v.map_partitions(_frame_values, target, meta=np.empty(shape, dtype=target))


def _frame_dtypes(frame):
    return [frame.dtype] if frame.ndim == 1 else list(frame.dtypes)


def _as_host_1d(v):
    """An in-memory target or weight as an array: pandas objects become NumPy (nullable
    columns as float, ``pd.NA`` as NaN, as scikit-learn converts them)."""
    if not hasattr(v, "ndim"):
        return np.asarray(v)
    if (type(v).__module__ or "").startswith("pandas"):
        dtypes = _frame_dtypes(v)
        if all(isinstance(d, np.dtype) for d in dtypes) or any(_column_kind(d) for d in dtypes):
            return v.to_numpy()
        return _frame_values(v, _frame_dtype(dtypes, FLOAT_DTYPES))
    return v


def _check_in_memory_X(
    X, estimator, *, reset, dtype, y=None, y_numeric=False, multi_output=False, accept_sparse=False
):
    """scikit-learn's own validation for in-memory data, without the value scan.

    Finiteness is not checked here: it rides along in the first pass (see
    :func:`raise_if_not_finite`), as for Dask input. Device arrays (CuPy) get the same
    metadata-only checks as Dask arrays and stay on their device. Sparse X (with
    ``accept_sparse``) comes back as one canonical CSR matrix of its container class.
    """
    if is_device_array(X):
        X = _check_array_meta(X, estimator, reset=reset, dtype=dtype)
        if y is not None:
            if not hasattr(y, "ndim"):
                y = np.asarray(y)
            y = _check_y_shape(y, multi_output, _name(estimator))
            _check_lengths([int(X.shape[0]), int(y.shape[0])])
            if y_numeric and y.dtype not in FLOAT_DTYPES:
                y = get_namespace(y).astype(y, X.dtype)
        return X, y
    if _is_pandas_frame(X):
        _check_frame_dtypes(X.dtypes, _name(estimator))
    kwargs = dict(
        reset=reset,
        dtype=list(dtype),
        ensure_all_finite=False,
        order=None,
    )
    if is_sparse(X):
        _check_accept_sparse(accept_sparse, "X")
        kwargs["accept_sparse"] = accept_sparse
    if y is None:
        X = validate_data(estimator, X, **kwargs)
        return (_as_csr(X) if is_sparse(X) else X), None
    X, y = validate_data(
        estimator,
        X,
        y,
        y_numeric=y_numeric,
        multi_output=multi_output,
        **kwargs,
    )
    return (_as_csr(X) if is_sparse(X) else X), y


# ------------------------------------------------------------------------ fit input


def validate_fit_data(
    estimator,
    X,
    y=None,
    sample_weight=None,
    *,
    dtype=FLOAT_DTYPES,
    y_numeric=False,
    multi_output=False,
    reset=True,
    iterative=True,
    accept_sparse=False,
):
    """Validate training data and split it into aligned row chunks.

    Parameters
    ----------
    estimator : estimator instance
        Receives ``n_features_in_`` / ``feature_names_in_`` (scikit-learn's rules).
    X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)
    y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_targets), optional
    sample_weight : array-like, Dask array, scalar or None
    dtype : tuple of dtypes
        Accepted float dtypes; anything else is cast to the first.
    y_numeric : bool
        Cast ``y`` to float (regressors).
    multi_output : bool
        Allow 2-D ``y``.
    reset : bool
        True in ``fit``; False in ``partial_fit`` after the first call.
    iterative : bool, default=True
        Whether the fit makes several passes over the data. ``False`` (one-pass fits)
        never persists Dask input: every pass streams it from its source. ``True`` lets
        the persist policy (:func:`dml._engine.memory.should_persist`) keep it in memory
        when it fits.
    accept_sparse : bool, str or list of str, default=False
        scikit-learn's meaning: ``False`` refuses ``scipy.sparse`` X (and Dask arrays
        of sparse chunks) with scikit-learn's TypeError; otherwise every accepted
        format becomes CSR chunks (``data.sparse`` is True): in memory, row slices of one
        canonical CSR conversion (views, about ``chunk_bytes`` of nonzeros each); Dask
        arrays of CSR chunks as they are (other formats converted per chunk). Integer
        data is cast to float64, float32 kept.

    Returns
    -------
    ChunkedData
        Use as a context manager so persisted chunks are released after ``fit``.

    Notes
    -----
    Computation: in-memory input is split into views (no copy); on a cluster its chunks
    are scattered once and sent again if a worker holding one dies. Dask input stays lazy
    (every pass reads it chunk by chunk from its source, on the cluster or the local
    scheduler) unless the fit is iterative and the persist policy keeps it in memory
    (persisted once on the cluster, or computed into this process without a client).
    Unknown chunk lengths cost one extra read of the input.
    """
    if y is None and estimator is not None and get_tags(estimator).target_tags.required:
        raise ValueError(f"{_name(estimator)} requires y to be passed, but the target y is None.")
    check_host_input(estimator, X, y, sample_weight)
    lazy = any(is_dask_collection(v) for v in (X, y, sample_weight))
    if not lazy:
        data = _fit_data_in_memory(
            estimator,
            X,
            y,
            sample_weight,
            dtype=dtype,
            y_numeric=y_numeric,
            multi_output=multi_output,
            reset=reset,
            accept_sparse=accept_sparse,
        )
    else:
        data = _fit_data_dask(
            estimator,
            X,
            y,
            sample_weight,
            dtype=dtype,
            y_numeric=y_numeric,
            multi_output=multi_output,
            reset=reset,
            iterative=iterative,
            accept_sparse=accept_sparse,
        )
    data.iterative = iterative
    # progress=True: a bar of passes over the data, for fits with a graph (not the fast
    # path) whose estimator shows no bar of its own (the L-BFGS / Newton fits show iterations)
    if (
        get_config()["progress"]
        and data.mode != "direct"
        and estimator is not None
        and not getattr(estimator, "_own_progress_bar", False)
    ):
        data._progress_desc = f"{_name(estimator)}: passes over the data"
    return data


def _check_y_shape(y, multi_output, name):
    if y.ndim == 2 and not multi_output and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change "
            "the shape of y to (n_samples, ), for example using ravel().",
            DataConversionWarning,
            stacklevel=4,
        )
        return y.reshape(-1) if not _is_dask_array(y) else y[:, 0]
    if y.ndim == 2 and not multi_output:
        raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead.")
    if y.ndim > 2 or y.ndim == 0:
        raise ValueError(f"y should be a 1d or 2d array, got an array of shape {y.shape} instead.")
    return y


def _check_weight_shape(sample_weight, n_samples):
    if sample_weight.ndim != 1:
        raise ValueError(
            f"Sample weights must be 1D array or scalar, got {sample_weight.ndim}D array. "
            f"Expected either a scalar value or a 1D array of length {n_samples}."
        )
    if (
        not np.isnan(sample_weight.shape[0])
        and not np.isnan(n_samples)
        and sample_weight.shape[0] != n_samples
    ):
        raise ValueError(f"sample_weight.shape == {tuple(sample_weight.shape)}, expected {(n_samples,)}!")


def _chunk_rows(n_samples, n_features, itemsize):
    target = get_config()["chunk_bytes"]
    rows = max(1, target // max(1, n_features * itemsize))
    bounds = list(range(0, n_samples, rows)) + [n_samples]
    return tuple(b - a for a, b in zip(bounds[:-1], bounds[1:]))


def _split(arr, row_chunks):
    if arr is None:
        return None
    if is_sparse(arr):
        bounds = np.cumsum((0,) + tuple(row_chunks))
        return [_csr_rows(arr, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
    out, start = [], 0
    for n in row_chunks:
        out.append(arr[start : start + n])
        start += n
    return out


def _fit_data_in_memory(
    estimator, X, y, sample_weight, *, dtype, y_numeric, multi_output, reset, accept_sparse=False
):
    if y is not None and hasattr(y, "ndim") and y.ndim == 2 and not multi_output and y.shape[1] == 1:
        y = _check_y_shape(y, multi_output, _name(estimator))
    X, y = _check_in_memory_X(
        X,
        estimator,
        reset=reset,
        dtype=dtype,
        y=y,
        y_numeric=y_numeric,
        multi_output=multi_output,
        accept_sparse=accept_sparse,
    )
    n_samples, n_features = X.shape
    if sample_weight is not None:
        sample_weight = _in_memory_weight(sample_weight, X)
    if y is not None and y_numeric:
        y = _as_float_like(y, X)
    data = _chunk_in_memory(X, y, sample_weight)
    data.y_ndim = None if y is None else y.ndim
    return data


def _chunk_in_memory(X, y, sample_weight):
    n_samples, n_features = X.shape
    threshold = get_config()["fast_path_bytes"]
    if threshold is None:
        threshold = get_config()["chunk_bytes"]
    sparse = is_sparse(X)
    nbytes = sparse_nbytes(X) if sparse else X.nbytes
    if nbytes <= threshold:
        return ChunkedData(
            "direct",
            [X],
            None if y is None else [y],
            None if sample_weight is None else [sample_weight],
            (n_samples,),
            n_features,
            X.dtype,
            sparse=sparse,
            row_bytes=_csr_row_bytes(X) if sparse else None,
        )
    if sparse:
        data = _chunk_in_memory_rows(X, y, sample_weight, _csr_chunk_rows(X, get_config()["chunk_bytes"]))
        data.sparse, data.row_bytes = True, _csr_row_bytes(X)
        return data
    return _chunk_in_memory_rows(X, y, sample_weight, _chunk_rows(n_samples, n_features, X.dtype.itemsize))


def _chunk_in_memory_rows(X, y, sample_weight, row_chunks):
    """In-memory X, y, weights split into ``row_chunks`` (views), local or scattered."""
    n_features = X.shape[1]
    Xs, ys, ws = _split(X, row_chunks), _split(y, row_chunks), _split(sample_weight, row_chunks)
    client = get_client()
    if client is None:
        return ChunkedData("local", Xs, ys, ws, row_chunks, n_features, X.dtype)
    check_workers(client)
    keep = []
    futures = []
    for parts in (Xs, ys, ws):
        if parts is None:
            futures.append(None)
            continue
        f = client.scatter(parts, hash=False)
        keep.append(f)
        futures.append(f)
    data = ChunkedData(
        "distributed", futures[0], futures[1], futures[2], row_chunks, n_features, X.dtype, client, keep
    )
    for which, parts in (("X", Xs), ("y", ys), ("sample_weight", ws)):
        if parts is not None:
            note_host(data, which, parts)
    return data


def _as_float_like(y, X):
    xp = get_namespace(X)
    if y.dtype not in FLOAT_DTYPES:
        return xp.astype(y, X.dtype) if hasattr(xp, "astype") else y.astype(X.dtype)
    return y


def _in_memory_weight(sample_weight, X):
    if isinstance(X, np.ndarray) or is_sparse(X):
        # scikit-learn's validation and messages; values are checked in the first pass.
        return _check_sample_weight(sample_weight, X, dtype=X.dtype, allow_all_zero_weights=True)
    n_samples = X.shape[0]
    xp = get_namespace(X)
    if isinstance(sample_weight, numbers.Number):
        return xp.full((n_samples,), sample_weight, dtype=X.dtype)
    sample_weight = xp.asarray(sample_weight)
    if not _numeric_dtype(to_numpy(sample_weight[:0]).dtype):
        raise ValueError(f"sample_weight must be numeric, got dtype {sample_weight.dtype}.")
    _check_weight_shape(sample_weight, n_samples)
    return xp.astype(sample_weight, X.dtype)


def _fit_data_dask(
    estimator, X, y, sample_weight, *, dtype, y_numeric, multi_output, reset, iterative, accept_sparse=False
):

    name = _name(estimator)
    if not is_dask_collection(X):
        # In-memory X with a lazy y or weight: validate X in memory, then wrap it.
        X, _ = _check_in_memory_X(X, estimator, reset=reset, dtype=dtype, accept_sparse=accept_sparse)
        if is_sparse(X):
            X = _csr_as_dask(X, _csr_chunk_rows(X, get_config()["chunk_bytes"]))
        else:
            rows = _chunk_rows(X.shape[0], X.shape[1], X.dtype.itemsize)
            X = da.from_array(X, chunks=(rows, -1))
    else:
        X = _check_dask_X(X, estimator, reset=reset, dtype=dtype, accept_sparse=accept_sparse)

    if y is not None:
        if is_dask_collection(y):
            y = _as_dask_1d(y)
            if not _numeric_dtype(y.dtype) and y_numeric:
                raise ValueError(f"{name} needs a numeric y, got dtype {y.dtype}.")
        else:
            y = _as_host_1d(y)
        y = _check_y_shape(y, multi_output, name)
        if y_numeric and y.dtype not in FLOAT_DTYPES:
            y = y.astype(X.dtype)
    if sample_weight is not None:
        if isinstance(sample_weight, numbers.Number):
            sample_weight = (
                da.full(X.shape[0], sample_weight, dtype=X.dtype, chunks=X.chunks[0])
                if not np.isnan(X.shape[0])
                else X[:, 0] * 0 + sample_weight
            )
        elif is_dask_collection(sample_weight):
            sample_weight = _as_dask_1d(sample_weight)
        else:
            sample_weight = _as_host_1d(sample_weight)
        if not _numeric_dtype(sample_weight.dtype):
            raise ValueError(f"sample_weight must be numeric, got dtype {sample_weight.dtype}.")
        _check_weight_shape(sample_weight, X.shape[0])
        if sample_weight.dtype not in FLOAT_DTYPES:
            sample_weight = sample_weight.astype(np.float64)

    _check_lengths_meta(X, y, sample_weight)
    client = get_client()
    if client is not None:
        check_workers(client)
    X, y, sample_weight = _known_lengths(X, y, sample_weight, client)
    if should_persist(_bytes_to_persist(client, X, y, sample_weight), client, iterative=iterative):
        data = _persisted_data(X, y, sample_weight, client)
    else:
        data = _lazy_data(X, y, sample_weight, client)
    data.y_ndim = None if y is None else y.ndim
    if is_sparse(getattr(X, "_meta", None)):
        data.sparse, data.row_bytes = True, float("nan")
    return data


def _csr_as_dask(X, row_chunks):
    """In-memory CSR ``X`` as a Dask array whose chunks are its row views."""
    from dask.base import tokenize

    name = "csr-rows-" + tokenize(X, row_chunks)
    parts = _split(X, row_chunks)
    graph = {(name, i, 0): p for i, p in enumerate(parts)}
    return da.Array(graph, name, (tuple(row_chunks), (X.shape[1],)), meta=X[:0])


def _persisted_data(X, y, w, client):

    if client is None:
        return _materialise_local(X, y, w, dask)
    return _persist_distributed(X, y, w, client)


def _nbytes(*arrays):
    """Bytes of the arrays (Dask or in-memory) with known shapes.

    Dask arrays of sparse chunks count as dense: their nonzeros are unknown before a
    pass, and the dense size bounds them (so the persist policy never keeps more than
    it can hold)."""
    total = 0
    for a in arrays:
        if a is not None:
            total += sparse_nbytes(a) if is_sparse(a) else int(np.prod(a.shape)) * np.dtype(a.dtype).itemsize
    return total


def _held_on_cluster(client, v):
    """True when every chunk of Dask collection ``v`` is a future of ``client``'s
    cluster (a collection persisted by the caller): keeping it costs no more memory."""
    if client is None or not is_dask_collection(v):
        return False
    from dask.core import flatten
    from distributed import futures_of  # only with a client: distributed is imported then

    held = {f.key for f in futures_of(v)}
    return bool(held) and all(k in held for k in flatten(v.__dask_keys__()))


def _bytes_to_persist(client, *arrays):
    """:func:`_nbytes` of the arrays that persisting would add to the cluster's memory:
    collections already persisted there count nothing. (Dask arrays of CSR chunks have
    no known size and count as dense, which bounds them; a persisted one is in memory
    whatever its size, and is kept as it is instead of being read again per pass.)"""
    return _nbytes(*(None if _held_on_cluster(client, v) else v for v in arrays))


def _block_lengths(block):
    return np.array([block.shape[0]], dtype=np.int64)


def _known_lengths(X, y, w, client):
    """The Dask arrays among X, y, w with their unknown chunk lengths read (one pass over
    those inputs, computed together), checked for equal totals."""

    todo = [
        v for v in (X, y, w) if v is not None and _is_dask_array(v) and any(np.isnan(c) for c in v.chunks[0])
    ]
    if not todo:
        return X, y, w
    probes = [
        v.map_blocks(
            _block_lengths,
            dtype=np.int64,
            chunks=((1,) * v.numblocks[0],),
            drop_axis=list(range(1, v.ndim)) or None,
            meta=np.empty(0, np.int64),
        )
        for v in todo
    ]
    if client is None:
        lengths = dask.compute(*probes)
    else:
        lengths = client.gather(client.compute(probes, optimize_graph=False))
    fixed = {}
    for v, lens in zip(todo, lengths):
        chunks = (tuple(int(n) for n in lens),) + tuple(v.chunks[1:])
        fixed[id(v)] = da.Array(v.dask, v.name, chunks, meta=v._meta)
    out = [fixed.get(id(v), v) if v is not None else None for v in (X, y, w)]
    n = out[0].shape[0]
    if n == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape=(0, {X.shape[1]})) while a minimum of 1 is required."
        )
    _check_lengths([int(v.shape[0]) for v in out if v is not None])
    return tuple(out)


def _lazy_data(X, y, w, client):
    """Lazy row chunks: one ``dask.delayed`` per chunk of X (and of y, w aligned to it),
    read from the source by every pass; nothing is computed here."""
    rows = tuple(int(c) for c in X.chunks[0])
    parts = []
    for v in (X, y, w):
        if v is None:
            parts.append(None)
        elif is_dask_collection(v):
            if tuple(v.chunks[0]) != rows:
                v = v.rechunk({0: rows})
            if v.ndim == 2 and len(v.chunks[1]) > 1:
                v = v.rechunk({1: -1})
            parts.append(list(v.to_delayed(optimize_graph=False).ravel()))
        else:
            parts.append(_split(v, rows))
    rows, pick = _nonempty(rows)
    return ChunkedData(
        "local" if client is None else "distributed",
        pick(parts[0]),
        pick(parts[1]),
        pick(parts[2]),
        rows,
        int(X.shape[1]),
        X.dtype,
        client,
        lazy=True,
        _collections=(X, y, w),
    )


def pass_data(X, y=None, sample_weight=None):
    """Lazy data for passes over Dask arrays that already share one row chunking.

    For inputs validated elsewhere (the metrics align ``y_true``, ``y_pred`` and the
    weights with :func:`dml.metrics._common.align`): nothing is checked or computed here,
    and chunk lengths may be unknown (each kernel sees its real chunk). 1-D ``X`` counts
    as one feature. Passes run as in :func:`_lazy_data`: one task per chunk reading it
    from its source and a tree of ``combine`` tasks, on the default client when there is
    one, else on the current local scheduler.
    """
    client = get_client()

    def blocks(v):
        if v is None:
            return None
        d = v.to_delayed(optimize_graph=False)
        return list(d.reshape(d.shape[0], -1)[:, 0])

    return ChunkedData(
        "local" if client is None else "distributed",
        blocks(X),
        blocks(y),
        blocks(sample_weight),
        tuple(X.chunks[0]),
        1 if X.ndim == 1 else int(X.shape[1]),
        X.dtype,
        client,
        lazy=True,
    )


def _nonempty(rows):
    """The row counts of the non-empty chunks, and ``pick(parts)`` keeping those chunks of
    an aligned list (``None`` stays ``None``). Lengths are known here: ``_known_lengths``
    read them, and an input of 0 rows was refused before."""
    keep = [i for i, r in enumerate(rows) if r > 0] or [0]

    def pick(parts):
        return None if parts is None else [parts[i] for i in keep]

    return tuple(rows[i] for i in keep), pick


def _check_lengths_meta(*arrays):
    lengths = [a.shape[0] for a in arrays if a is not None]
    known = [int(n) for n in lengths if not np.isnan(n)]
    if len(set(known)) > 1:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: {known}")


def _check_lengths(lengths):
    if len(set(lengths)) > 1:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: {lengths}")


def _materialise_local(X, y, w, dask):
    """Compute every chunk into memory with the current scheduler (the local persist)."""
    blocks = X.to_delayed().ravel().tolist()
    extra = [v for v in (y, w) if v is not None and is_dask_collection(v)]
    computed = dask.compute(blocks, *extra)
    Xs = list(computed[0])
    rows = tuple(int(c.shape[0]) for c in Xs)
    n = sum(rows)
    rest = iter(computed[1:])
    out = []
    for v in (y, w):
        if v is None:
            out.append(None)
            continue
        if is_dask_collection(v):
            v = next(rest)
        _check_lengths([n, int(v.shape[0])])
        out.append(_split(v, rows))
    rows, pick = _nonempty(rows)
    return ChunkedData("local", pick(Xs), pick(out[0]), pick(out[1]), rows, int(Xs[0].shape[1]), Xs[0].dtype)


def _persisted_futures(collection, client):
    """Persist ``collection`` (known chunk lengths) on the cluster; return it and its
    chunk futures in block order."""
    from dask.core import flatten
    from distributed import futures_of  # only with a client: distributed is imported then

    persisted = client.persist(collection, optimize_graph=False)
    by_key = {f.key: f for f in futures_of(persisted)}
    return persisted, [by_key[k] for k in flatten(persisted.__dask_keys__())]


def _persist_distributed(X, y, w, client):
    # Persist every lazy input in one call, so tasks they share (X and y made by the same
    # generator or read from the same files) are computed once.
    lazy = [v for v in (X, y, w) if v is not None and is_dask_collection(v)]
    # Unoptimised graphs (see mapreduce._map_reduce_lazy): the same key always has the
    # same task, whichever other collections are submitted with it.
    persisted = iter(client.persist(lazy, optimize_graph=False))
    X, y, w = (next(persisted) if v is not None and is_dask_collection(v) else v for v in (X, y, w))
    Xp, Xf = _persisted_futures(X, client)
    keep = [Xp]
    rows = tuple(int(c) for c in Xp.chunks[0])
    n = sum(rows)
    aligned = []
    for v in (y, w):
        if v is None:
            aligned.append(None)
            continue
        if is_dask_collection(v):
            _check_lengths([n, int(v.shape[0])])
            if tuple(v.chunks[0]) != rows:
                v = v.rechunk({0: rows})
            vp, vf = _persisted_futures(v, client)
            keep.append(vp)
            aligned.append(vf)
        else:
            _check_lengths([n, int(v.shape[0])])
            host = _split(v, rows)
            f = client.scatter(host, hash=False)
            keep.append(f)
            aligned.append((f, host))
    kept_rows, pick = _nonempty(rows)
    futures = [a[0] if isinstance(a, tuple) else a for a in aligned]
    data = ChunkedData(
        "distributed",
        pick(Xf),
        pick(futures[0]),
        pick(futures[1]),
        kept_rows,
        int(X.shape[1]),
        X.dtype,
        client,
        keep,
    )
    for which, a in zip(("y", "sample_weight"), aligned):
        if isinstance(a, tuple):
            note_host(data, which, pick(a[1]))
    return data


# -------------------------------------------------------------------- predict input


def check_features(estimator, X, *, reset):
    """scikit-learn's feature-name and feature-count rules only (``n_features_in_`` /
    ``feature_names_in_`` set when ``reset``, else checked), for input that is otherwise
    passed through unvalidated (``FunctionTransformer(validate=False)``). Metadata only:
    Dask DataFrames' columns, arrays' shapes."""
    if is_dask_frame(X):
        X = X._meta
    _check_feature_names(estimator, X, reset=reset)
    _check_n_features(estimator, X, reset=reset)


def check_host_input(estimator, *arrays):
    """Refuse device (CuPy) data for an estimator whose kernels are NumPy-only.

    Such an estimator sets the class attribute ``_host_only = True``; in-memory device
    arrays and Dask arrays of device chunks then get a TypeError that says how to move
    the data to the host, instead of failing inside a chunk kernel.
    """
    if estimator is None or not getattr(estimator, "_host_only", False):
        return
    for a in arrays:
        meta = getattr(a, "_meta", None) if is_dask_collection(a) else a
        if meta is not None and is_device_array(meta):
            kind = f"{type(meta).__module__.split('.')[0]}.{type(meta).__name__}"
            raise TypeError(
                f"{_name(estimator)} runs on host (NumPy) chunks and does not accept {kind} data; "
                "move it to the host first (cupy.asnumpy(X), or X.map_blocks(cupy.asnumpy) for a "
                "Dask array of CuPy chunks)."
            )


def validate_blockwise_data(estimator, X, *, reset, accept_sparse=False):
    """Validate X for a blockwise transform fitted without a pass (``reset=True`` sets
    ``n_features_in_`` / ``feature_names_in_``, as in ``fit``).

    Returns a Dask array (row chunks, one column block) for Dask input, read for
    metadata only, or scikit-learn's validated in-memory array. Values are not checked.
    ``accept_sparse`` as in :func:`validate_fit_data` (sparse X comes back as CSR: one
    matrix in memory, CSR chunks for Dask).
    """
    check_host_input(estimator, X)
    if is_dask_collection(X):
        return _check_dask_X(X, estimator, reset=reset, dtype=FLOAT_DTYPES, accept_sparse=accept_sparse)
    X, _ = _check_in_memory_X(X, estimator, reset=reset, dtype=FLOAT_DTYPES, accept_sparse=accept_sparse)
    return X


def validate_predict_data(estimator, X, *, dtype=FLOAT_DTYPES, accept_sparse=False):
    """Validate X for predict/transform without reading values.

    Returns a Dask array (row chunks, one column block) for Dask input, else the
    validated in-memory array. The NaN/inf check rides along in the blockwise call.
    ``accept_sparse`` as in :func:`validate_fit_data` (sparse X comes back as CSR: one
    canonical matrix in memory, CSR chunks for Dask).
    """
    check_host_input(estimator, X)
    if is_dask_collection(X):
        return _check_dask_X(X, estimator, reset=False, dtype=dtype, accept_sparse=accept_sparse)
    X, _ = _check_in_memory_X(X, estimator, reset=False, dtype=dtype, accept_sparse=accept_sparse)
    return X


def _finite_kernel(X, y, w, *, xp):
    out = {}
    for name, v in (("X", X), ("y", y), ("sample_weight", w)):
        if is_sparse(v):
            v = v.data  # stored values: implicit zeros are finite
        if v is None or not hasattr(v, "dtype") or not _numeric_dtype(to_numpy(v[:0]).dtype):
            continue
        out[name + "_nan"] = xp.astype(xp.any(xp.isnan(v)), xp.int64)
        out[name + "_inf"] = xp.astype(xp.any(xp.isinf(v)), xp.int64)
    return out


def raise_if_not_finite(data, *results, what="the fitted statistics", allow_nan=False):
    """The ride-along value check: call after the first pass with its results.

    When every result is finite, the inputs were finite (NaN and inf propagate through
    the fused kernels), so nothing more is computed. Otherwise one extra pass finds which
    input holds NaN or infinity and raises scikit-learn's message; if none does, the
    values overflowed and the error says so. ``allow_nan`` lets NaN in X through
    (estimators that treat NaN as missing, such as the scalers).
    """
    ok = True
    for r in results:
        r = to_numpy(r)
        if r is not None and not np.all(np.isfinite(r)):
            ok = False
            break
    if ok:
        return
    flags = map_reduce(_finite_kernel, data)
    for name in ("X", "y", "sample_weight"):
        if not (allow_nan and name == "X") and int(to_numpy(flags.get(name + "_nan", 0))):
            raise ValueError(f"Input {name} contains NaN.")
        if int(to_numpy(flags.get(name + "_inf", 0))):
            raise ValueError(
                f"Input {name} contains infinity or a value too large for "
                f"dtype({np.dtype(data.dtype).name!r})."
            )
    raise ValueError(
        f"The input values are finite but {what} overflowed to infinity or NaN; "
        "rescale X (for example with dml.preprocessing.StandardScaler)."
    )
