"""Array namespace of chunk data: NumPy, CuPy, or any array-API library.

Libraries are detected through ``sys.modules`` (via ``array_api_compat``), never by
importing them: ``import dml`` must not import CuPy.
"""

from __future__ import annotations

import sys

import numpy as np
from array_api_compat import array_namespace, is_cupy_array, is_numpy_array


def is_sparse(x):
    """True for a ``scipy.sparse`` matrix or array (checked without importing SciPy).

    Duck-typed on what every SciPy sparse container has: a ``format`` string, ``tocsr``
    and ``nnz``; NumPy, CuPy and Dask arrays have none of them. Kernels branch on it
    (sparse chunks are CSR: ``data`` / ``indices`` / ``indptr`` are NumPy arrays).
    """
    return (
        isinstance(getattr(x, "format", None), str)
        and hasattr(x, "tocsr")
        and hasattr(x, "nnz")
        and not hasattr(x, "__dask_graph__")
    )


_NUMPY_PROBE = np.empty(0)


def get_namespace(*arrays):
    """Return the array-API namespace shared by ``arrays`` (``None`` entries skipped).

    NumPy arrays give ``array_api_compat.numpy``, CuPy arrays ``array_api_compat.cupy``,
    and array-API-native libraries (``array_api_strict``, ...) themselves. A
    ``scipy.sparse`` chunk gives NumPy's namespace: its ``data`` / ``indices`` /
    ``indptr`` are NumPy arrays, which sparse-aware kernels work on (see
    :func:`is_sparse`).
    """
    arrays = [_NUMPY_PROBE if is_sparse(a) else a for a in arrays if a is not None]
    return array_namespace(*arrays)


def is_numpy_namespace(xp):
    """True when ``xp`` is NumPy or its array-API-compat wrapper."""
    return xp.__name__ in ("numpy", "array_api_compat.numpy")


def is_gpu_array(x):
    """True for a CuPy array (checked without importing CuPy)."""
    return "cupy" in sys.modules and is_cupy_array(x)


def is_device_array(x):
    """True for an in-memory array that NumPy must not convert implicitly: CuPy (whose
    ndarray has no ``__array_namespace__``) or another array-API library's array; never
    NumPy, a scipy.sparse matrix or a Dask collection."""
    if isinstance(x, np.ndarray) or is_sparse(x) or is_dask_collection(x):
        return False
    return is_gpu_array(x) or hasattr(x, "__array_namespace__")


def to_numpy(x):
    """Return a NumPy array with the values of ``x`` (a copy only when ``x`` is off-host).

    A ``scipy.sparse`` matrix is returned as it is (already on the host; densifying it
    could need far more memory than its nonzeros)."""
    if x is None or isinstance(x, np.ndarray) or is_sparse(x):
        return x
    if is_numpy_array(x):
        return np.asarray(x)
    if is_gpu_array(x):
        return x.get()
    if np.isscalar(x):
        return np.asarray(x)
    # Other array-API libraries: go through DLPack or the buffer protocol.
    try:
        return np.from_dlpack(x)
    except (TypeError, AttributeError, RuntimeError, BufferError):
        return np.asarray(x)


def asarray_like(value, like):
    """Put a small host array ``value`` into the namespace and device of ``like``."""
    if value is None:
        return None
    xp = get_namespace(like)
    if is_numpy_namespace(xp):
        return np.asarray(value, dtype=like.dtype if hasattr(like, "dtype") else None)
    return xp.asarray(np.asarray(value), dtype=like.dtype)


def as_float64(a, xp):
    """``a`` in float64 (``a`` itself when it already is): kernels accumulate in float64."""
    return a if a.dtype == xp.float64 else xp.astype(a, xp.float64)


def is_dask_frame(x):
    """True for Dask DataFrames and Series (checked without importing Dask)."""
    mod = type(x).__module__ or ""
    return mod.startswith("dask") and hasattr(x, "divisions")


def is_dask_collection(x):
    """True for Dask arrays, DataFrames and Series (checked without importing Dask)."""
    return hasattr(x, "__dask_graph__") and hasattr(x, "dask") or is_dask_frame(x)


def assert_finite_chunk(X, input_name="X", *, allow_nan=False):
    """Raise scikit-learn's error when a chunk holds NaN (unless allowed) or infinity.

    For a ``scipy.sparse`` chunk the stored values (``X.data``) are checked."""
    if is_sparse(X):
        dtype = X.dtype
        X = X.data
    else:
        dtype = to_numpy(X[:0]).dtype
    xp = get_namespace(X)
    if not allow_nan and bool(xp.any(xp.isnan(X))):
        raise ValueError(f"Input {input_name} contains NaN.")
    if bool(xp.any(xp.isinf(X))):
        raise ValueError(
            f"Input {input_name} contains infinity or a value too large for dtype({np.dtype(dtype).name!r})."
        )


def call_chunk(func, a, kwargs):
    """``func(a, xp=<a's namespace>, **kwargs)`` with floating-point warnings silenced (the
    per-chunk call of :func:`~dml._engine.mapreduce.map_chunks`; NaN and inf are reported
    by the ride-along checks, not as warnings)."""
    with np.errstate(all="ignore"):
        return func(a, xp=get_namespace(a), **kwargs)
