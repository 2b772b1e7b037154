"""Blockwise application for predict / transform: Dask in gives lazy Dask out,
in-memory in gives in-memory out. Nothing is computed for Dask input."""

from __future__ import annotations

import numpy as np

from dml._engine.namespace import assert_finite_chunk, get_namespace, is_dask_collection


def guard_finite(out, X, *, allow_nan=False):
    """Ride-along value check: if ``out`` (computed from chunk ``X``) is not all
    finite, raise scikit-learn's NaN/inf error when ``X`` is the cause."""
    xp = get_namespace(out)
    if not bool(xp.all(xp.isfinite(out))):
        assert_finite_chunk(X, allow_nan=allow_nan)
    return out


def _call(X, func, kwargs):
    with np.errstate(all="ignore"):
        return func(X, xp=get_namespace(X), **kwargs)


def apply_blockwise(func, X, *, n_outputs=None, dtype=None, **kwargs):
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

    Notes
    -----
    Computation: no pass at call time for Dask input (a lazy ``map_blocks``); one pass
    when the result is computed. Memory per task: one chunk plus its output.
    """
    dtype = np.dtype(dtype if dtype is not None else X.dtype)
    if not is_dask_collection(X):
        return _call(X, func, kwargs)
    xp = get_namespace(X._meta)
    if dtype.kind in "OUS":
        meta = np.empty((0,) * (1 if n_outputs is None else 2), dtype=dtype)
    else:
        meta = xp.empty((0,) * (1 if n_outputs is None else 2), dtype=dtype)
    if n_outputs is None:
        return X.map_blocks(_call, func, kwargs, drop_axis=1, dtype=dtype, meta=meta)
    return X.map_blocks(_call, func, kwargs, chunks=(X.chunks[0], (n_outputs,)), dtype=dtype, meta=meta)
