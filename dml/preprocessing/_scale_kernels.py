"""Chunk kernels of MaxAbsScaler and Normalizer: pure functions of ``(chunk, ..., *, xp)``."""

from __future__ import annotations

import numpy as np

from dml._engine.kernels import csr_entry_rows, row_blocks
from dml._engine.namespace import is_sparse
from dml.preprocessing._data_kernels import csr_with_data


def maxabs_kernel(X, y, w, *, xp):
    """Per-feature NaN-ignoring maximum absolute value of a chunk, and its row count.

    All-NaN features give ``-inf`` (neutral for the max combine). A CSR chunk is
    reduced over its stored values; a feature with an implicit zero in the chunk
    counts that zero.
    """
    if is_sparse(X):
        return _maxabs_csr(X)
    n_rows, p = X.shape
    hi = xp.full((p,), -float("inf"), dtype=X.dtype)
    neutral = xp.asarray(-float("inf"), dtype=X.dtype)
    for a, b in row_blocks(n_rows, p, 8):
        Xb = X[a:b, :]
        hi = xp.maximum(hi, xp.max(xp.where(xp.isnan(Xb), neutral, xp.abs(Xb)), axis=0))
    return {"max_abs": hi, "n_rows": xp.asarray(n_rows, dtype=xp.int64)}


def _maxabs_csr(X):
    n_rows, p = X.shape
    hi = np.full(p, -np.inf, dtype=X.dtype)
    a = np.abs(X.data)
    np.maximum.at(hi, X.indices, np.where(np.isnan(a), -np.inf, a))
    stored = np.bincount(X.indices, minlength=p)
    hi = np.where(stored < n_rows, np.maximum(hi, 0), hi).astype(X.dtype, copy=False)
    return {"max_abs": hi, "n_rows": np.asarray(n_rows, dtype=np.int64)}


def nonfinite_kernel(X, y, w, *, xp):
    """Whether a chunk holds NaN, and whether it holds infinity (0 / 1 counts); a CSR
    chunk's stored values are checked."""
    if is_sparse(X):
        X = X.data
    return {
        "nan": xp.astype(xp.any(xp.isnan(X)), xp.int64),
        "inf": xp.astype(xp.any(xp.isinf(X)), xp.int64),
    }


def divide_kernel(X, *, xp, scale):
    """``X / scale`` in X's dtype."""
    return X / xp.astype(xp.asarray(scale), X.dtype)


def multiply_kernel(X, *, xp, scale):
    """``X * scale`` in X's dtype."""
    return X * xp.astype(xp.asarray(scale), X.dtype)


def normalize_kernel(X, *, xp, norm):
    """Each row of ``X`` divided by its ``norm`` (``"l1"``, ``"l2"`` or ``"max"``); rows
    of norm zero are left as they are, as scikit-learn does. A CSR chunk gives a CSR
    chunk (see :func:`_normalize_csr`)."""
    if is_sparse(X):
        return _normalize_csr(X, norm)
    if norm == "l1":
        norms = xp.sum(xp.abs(X), axis=1)
    elif norm == "l2":
        norms = xp.sqrt(xp.sum(X * X, axis=1))
    else:
        norms = xp.max(xp.abs(X), axis=1) if X.shape[1] else xp.zeros((X.shape[0],), dtype=X.dtype)
    eps = 10 * xp.finfo(X.dtype).eps
    norms = xp.where(norms < eps, xp.asarray(1.0, dtype=X.dtype), norms)
    return X / norms[:, None]


def _normalize_csr(X, norm):
    """scikit-learn's sparse row normalisation of a CSR chunk, on a copy: the row norms
    of the stored values summed in float64 (``np.bincount`` over the entries' rows);
    rows whose norm is exactly zero are left as they are."""
    n_rows = X.shape[0]
    rows = csr_entry_rows(X)
    data = X.data
    if norm == "l1":
        norms = np.bincount(rows, weights=np.abs(data), minlength=n_rows)
    elif norm == "l2":
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_rows))
    else:
        norms = np.zeros(n_rows, dtype=data.dtype)
        np.maximum.at(norms, rows, np.abs(data))
    norms = np.where(norms == 0, 1, norms)
    return csr_with_data(X, (data / norms[rows]).astype(X.dtype, copy=False))
