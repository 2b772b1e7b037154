"""Chunk kernels shared by the linear models: pure functions of ``(chunk, ..., *, xp)``.

The helpers below let one kernel body serve dense and CSR chunks: a dense chunk is
walked in cache-sized row blocks with ``xp.matmul``; a CSR chunk (``scipy.sparse``,
see :func:`dml._engine.namespace.is_sparse`) is one block, multiplied through its own
sparse products (``X @ v``, ``X.T @ r``) and never densified: the temporaries are
O(n_rows) and O(n_features) vectors. No SciPy import is needed: the products are the
chunk's own methods.
"""

from __future__ import annotations

import numpy as np

from dml._engine.blockwise import guard_finite
from dml._engine.kernels import gram_kernel, row_blocks
from dml._engine.namespace import is_gpu_array, is_sparse


def chunk_blocks(X, n_cols, itemsize=8):
    """Row ranges of ``X`` to process: cache-sized blocks for a dense host chunk, the
    whole chunk for a CSR one (its size is already bounded by its nonzeros) and for a
    device (CuPy) one, where each block would cost kernel launches instead of saving
    cache misses."""
    if is_sparse(X) or is_gpu_array(X):
        return [(0, X.shape[0])]
    return row_blocks(X.shape[0], n_cols, itemsize)


def block(X, a, b):
    """Rows ``a:b`` of chunk ``X`` (the chunk itself when that is all of it)."""
    if is_sparse(X):
        return X if (a == 0 and b == X.shape[0]) else X[a:b]
    return X[a:b, :]


def matmul_x(X, M, xp):
    """``X @ M`` for a dense or CSR ``X`` and a dense ``M`` (1-D or 2-D)."""
    if is_sparse(X):
        return np.asarray(X @ M)
    return xp.matmul(X, M)


def rmatmul_x(R, X, xp):
    """``R @ X`` for a dense ``R`` (1-D or 2-D) and a dense or CSR ``X``: for CSR,
    ``(X.T @ R.T).T``, a sparse product."""
    if is_sparse(X):
        return np.asarray(X.T @ R.T).T
    return xp.matmul(R, X)


def scale_rows(X, s):
    """CSR ``X`` with row ``i`` multiplied by ``s[i]`` (a new container, same pattern)."""
    data = X.data * np.repeat(np.asarray(s, dtype=X.dtype), np.diff(X.indptr))
    return type(X)((data, X.indices, X.indptr), shape=X.shape)


def weighted_gram(X, h):
    """``X^T diag(h) X`` of a CSR chunk as a dense float64 (p, p) array, from the sparse
    product ``A^T A`` with ``A = diag(sqrt(h)) X`` (``h >= 0``). Needs O(p^2) memory:
    only the Gram-based solvers call it, for a modest number of features."""
    A = scale_rows(X, np.sqrt(h))
    return np.asarray((A.T @ A).toarray(), dtype=np.float64)


def linear_predict_kernel(X, *, xp, coef, intercept):
    """``X @ coef.T + intercept``: shape (n,) for 1-D ``coef``, else (n, k).

    A CSR chunk is multiplied as it is (a sparse product). Raises scikit-learn's
    NaN/inf error when the chunk holds non-finite values.
    """
    if is_sparse(X):
        coef = np.asarray(coef, dtype=X.dtype)
        intercept = np.asarray(intercept, dtype=X.dtype)
        out = np.asarray(X @ (coef if coef.ndim == 1 else coef.T)) + intercept
        return guard_finite(out, X)
    coef = xp.astype(xp.asarray(coef), X.dtype)
    intercept = xp.astype(xp.asarray(intercept), X.dtype)
    if coef.ndim == 1:
        out = xp.matmul(X, coef) + intercept
    else:
        out = xp.matmul(X, xp.permute_dims(coef, (1, 0))) + intercept
    return guard_finite(out, X)


def sufficient_stats_kernel(X, y, w, *, xp):
    """:func:`dml._engine.kernels.gram_kernel` (weighted mean and centred cross-product
    of ``[X, y]``) for dense or CSR chunks.

    A CSR chunk's cross-products come from sparse products (``X^T W X`` made dense
    (p, p), ``X^T W y``) and are centred in closed form (``S - n m m^T``): the chunk is
    never densified, memory O(nnz + (p + t)^2). Only the Gram-based solvers call it, for
    a modest number of features.
    """
    if not is_sparse(X):
        return gram_kernel(X, y, w, xp=xp)
    n_rows, p = X.shape
    X = X if X.dtype == np.float64 else X.astype(np.float64)
    Y = None if y is None else np.asarray(y, dtype=np.float64)
    if Y is not None and Y.ndim == 1:
        Y = Y[:, None]
    t = 0 if Y is None else Y.shape[1]
    if w is None:
        wv = np.ones(n_rows)
        w_neg, w_nonzero = 0, n_rows
    else:
        wv = np.asarray(w, dtype=np.float64)
        w_neg, w_nonzero = int(np.sum(wv < 0)), int(np.sum(wv != 0))
    n = float(np.sum(wv))
    sx = np.asarray(X.T @ wv, dtype=np.float64)
    # X^T W X with W possibly signed: (W X)^T X, a sparse product
    xx = np.asarray((scale_rows(X, wv).T @ X).toarray(), dtype=np.float64)
    S = np.zeros((p + t, p + t))
    S[:p, :p] = xx
    s1 = sx
    if t:
        wy = wv[:, None] * Y
        xy = np.asarray(X.T @ wy, dtype=np.float64)
        S[:p, p:] = xy
        S[p:, :p] = xy.T
        S[p:, p:] = Y.T @ wy
        s1 = np.concatenate([sx, wy.sum(axis=0)])
    mean = s1 / n if n > 0 else np.zeros(p + t)
    S -= n * np.outer(mean, mean)
    return {
        "n": np.asarray(n),
        "mean": mean,
        "scatter": S,
        "n_rows": np.asarray(n_rows, dtype=np.int64),
        "w_neg": np.asarray(w_neg, dtype=np.int64),
        "w_nonzero": np.asarray(w_nonzero, dtype=np.int64),
    }
