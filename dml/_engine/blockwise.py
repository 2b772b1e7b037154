"""Blockwise application for predict / transform: Dask in gives lazy Dask out,
in-memory in gives in-memory out. Nothing is computed for Dask input.

Chunks may be ``scipy.sparse`` CSR matrices (see :func:`dml._engine.namespace.is_sparse`):
a kernel then receives a CSR chunk, and with ``sparse_output=True`` returns one, so a
Dask array of CSR chunks comes out (its ``meta`` an empty CSR matrix, chunks known).
SciPy is imported only on the driver, when a sparse ``meta`` must be made for dense
input; workers running the blocks never import it here."""

from __future__ import annotations

import numpy as np

from dml._engine.namespace import assert_finite_chunk, get_namespace, is_dask_collection, is_sparse


def guard_finite(out, X, *, allow_nan=False):
    """Ride-along value check: if ``out`` (computed from chunk ``X``) is not all
    finite, raise scikit-learn's NaN/inf error when ``X`` is the cause.

    Sparse ``out`` / ``X`` (``scipy.sparse``) are checked on their stored values
    (``.data``): implicit zeros are finite."""
    values = out.data if is_sparse(out) else out
    xp = get_namespace(values)
    if not bool(xp.all(xp.isfinite(values))):
        assert_finite_chunk(X, allow_nan=allow_nan)
    return out


def _sparse_meta(X, dtype):
    """An empty CSR container of X's class (``csr_matrix`` or ``csr_array``; a
    ``csr_matrix`` for dense X, as scikit-learn's sparse outputs), of ``dtype``."""
    meta = getattr(X, "_meta", None)
    if is_sparse(meta):
        return meta.tocsr().astype(dtype)
    import scipy.sparse  # driver only: the meta of a graph being built

    return scipy.sparse.csr_matrix((0, 0), dtype=dtype)


def _call(X, func, kwargs):
    with np.errstate(all="ignore"):
        return func(X, xp=get_namespace(X), **kwargs)


def apply_blockwise(func, X, *, n_outputs=None, dtype=None, sparse_output=False, **kwargs):
    """Apply ``func(chunk, *, xp, **kwargs)`` to every row chunk of ``X``.

    Parameters
    ----------
    func : callable
        Returns an array of shape ``(n_rows,)`` (``n_outputs=None``) or
        ``(n_rows, n_outputs)``.
    X : Dask array or in-memory array
        Already validated (see :func:`dml._engine.inputs.validate_predict_data`).
    n_outputs : int or None
        Number of output columns; ``None`` for a 1-D result.
    dtype : dtype
        Output dtype (defaults to X's).
    sparse_output : bool, default=False
        ``func`` returns a ``scipy.sparse`` CSR matrix per chunk (of shape
        ``(n_rows, n_outputs)``): the Dask result gets a CSR ``meta`` (of X's sparse
        class when X's chunks are sparse) and known chunks. Needs ``n_outputs``.
        Input chunks may be CSR whatever this says.

    Notes
    -----
    Computation: no pass at call time for Dask input (a lazy ``map_blocks``); one pass
    when the result is computed. Memory per task: one chunk plus its output (for CSR
    chunks: their nonzeros).
    """
    dtype = np.dtype(dtype if dtype is not None else X.dtype)
    if sparse_output and n_outputs is None:
        raise ValueError("sparse_output=True needs n_outputs: a sparse result is 2-D.")
    if not is_dask_collection(X):
        return _call(X, func, kwargs)
    if sparse_output:
        meta = _sparse_meta(X, dtype)
        return X.map_blocks(_call, func, kwargs, chunks=(X.chunks[0], (n_outputs,)), dtype=dtype, meta=meta)
    xp = get_namespace(X._meta)
    if dtype.kind in "OUS":
        meta = np.empty((0,) * (1 if n_outputs is None else 2), dtype=dtype)
    else:
        meta = xp.empty((0,) * (1 if n_outputs is None else 2), dtype=dtype)
    if n_outputs is None:
        return X.map_blocks(_call, func, kwargs, drop_axis=1, dtype=dtype, meta=meta)
    return X.map_blocks(_call, func, kwargs, chunks=(X.chunks[0], (n_outputs,)), dtype=dtype, meta=meta)
