"""Chunk kernels of KBinsDiscretizer: pure functions of ``(chunk, ..., *, xp)``."""

from __future__ import annotations

import numpy as np

from dml._engine.namespace import to_numpy
from dml._engine.quantiles import hash_uniform


def range_kernel(X, y, w, *, xp, sample=None, row_offset=0):
    """Per-feature minimum and maximum over the rows of nonzero weight (a Bernoulli
    sample of them with ``sample=(seed, rate)``), and whether X holds NaN / infinity."""
    X = to_numpy(X)
    w = None if w is None else to_numpy(w)
    flags = {"has_nan": int(np.isnan(X).any()), "has_inf": int(np.isinf(X).any())}
    keep = np.ones(X.shape[0], dtype=bool)
    if sample is not None:
        seed, rate = sample
        keep &= hash_uniform(np.arange(X.shape[0], dtype=np.int64) + row_offset, seed) < rate
    if w is not None:
        keep &= w != 0
    Xk = X[keep]
    p = X.shape[1]
    lo = Xk.min(axis=0) if Xk.shape[0] else np.full(p, np.inf, dtype=X.dtype)
    hi = Xk.max(axis=0) if Xk.shape[0] else np.full(p, -np.inf, dtype=X.dtype)
    return {"col_min": lo, "col_max": hi, "n_kept": int(Xk.shape[0]), **flags}


def bin_codes_kernel(X, *, xp, inner_edges, out_dtype):
    """The bin of every value: ``searchsorted(edges[1:-1], x, side='right')`` per feature."""
    X = to_numpy(X)
    out = np.empty(X.shape, dtype=out_dtype)
    for j, edges in enumerate(inner_edges):
        out[:, j] = np.searchsorted(edges, X[:, j], side="right")
    return out


def onehot_dense_kernel(X, *, xp, inner_edges, n_bins, out_dtype):
    """One-hot columns of the bins (feature by feature), dense."""
    codes = bin_codes_kernel(X, xp=xp, inner_edges=inner_edges, out_dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(n_bins)])
    out = np.zeros((codes.shape[0], int(offsets[-1])), dtype=out_dtype)
    rows = np.arange(codes.shape[0])
    for j in range(codes.shape[1]):
        out[rows, offsets[j] + codes[:, j]] = 1
    return out


def onehot_csr_kernel(X, *, inner_edges, n_bins, out_dtype):
    """One-hot columns of the bins as a ``scipy.sparse`` CSR matrix (one entry per
    feature and row)."""
    import scipy.sparse as sp

    X = to_numpy(X)
    codes = bin_codes_kernel(X, xp=np, inner_edges=inner_edges, out_dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(n_bins)]).astype(np.int64)
    n, p = codes.shape
    indices = (codes + offsets[:-1][None, :]).ravel()
    indptr = np.arange(0, n * p + 1, p, dtype=np.int64)
    data = np.ones(n * p, dtype=out_dtype)
    return sp.csr_matrix((data, indices, indptr), shape=(n, int(offsets[-1])), dtype=out_dtype)


def bin_centers_kernel(X, *, xp, centers, n_bins, onehot):
    """Inverse transform: the center of each bin (from codes, or from one-hot columns)."""
    X = to_numpy(X)
    if onehot:
        offsets = np.concatenate([[0], np.cumsum(n_bins)])
        codes = np.stack(
            [np.argmax(X[:, offsets[j] : offsets[j + 1]], axis=1) for j in range(len(n_bins))], axis=1
        )
        X = codes.astype(np.float64)
    out = np.empty(X.shape, dtype=X.dtype)
    for j, c in enumerate(centers):
        out[:, j] = c[X[:, j].astype(np.int64)]
    return out
