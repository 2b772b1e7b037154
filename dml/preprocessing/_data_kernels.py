"""Chunk kernels of the scalers: pure functions of ``(chunk, ..., *, xp)``."""

from __future__ import annotations

import numpy as np

from dml._engine.kernels import row_blocks


def minmax_kernel(X, y, w, *, xp):
    """Per-feature NaN-ignoring minimum and maximum of a chunk, and its row count.

    All-NaN features give ``+inf`` / ``-inf`` (neutral for the min / max combine).
    """
    n_rows, p = X.shape
    lo = xp.full((p,), float("inf"), dtype=X.dtype)
    hi = xp.full((p,), -float("inf"), dtype=X.dtype)
    for a, b in row_blocks(n_rows, p, 8):
        Xb = X[a:b, :]
        mask = xp.isnan(Xb)
        lo = xp.minimum(lo, xp.min(xp.where(mask, xp.asarray(float("inf"), dtype=X.dtype), Xb), axis=0))
        hi = xp.maximum(hi, xp.max(xp.where(mask, xp.asarray(-float("inf"), dtype=X.dtype), Xb), axis=0))
    return {"data_min": lo, "data_max": hi, "n_rows": xp.asarray(n_rows, dtype=xp.int64)}


def standardize_kernel(X, *, xp, mean, scale):
    """``(X - mean) / scale`` in X's dtype; ``mean`` / ``scale`` may be None."""
    out = X
    if mean is not None:
        out = out - xp.astype(xp.asarray(mean), X.dtype)
    if scale is not None:
        out = out / xp.astype(xp.asarray(scale), X.dtype)
    return out


def unstandardize_kernel(X, *, xp, mean, scale):
    """Inverse of :func:`standardize_kernel`."""
    out = X
    if scale is not None:
        out = out * xp.astype(xp.asarray(scale), X.dtype)
    if mean is not None:
        out = out + xp.astype(xp.asarray(mean), X.dtype)
    return out


def minmax_transform_kernel(X, *, xp, scale, min_, clip_range):
    """``X * scale + min_``, optionally clipped to ``clip_range``."""
    out = X * xp.astype(xp.asarray(scale), X.dtype) + xp.astype(xp.asarray(min_), X.dtype)
    if clip_range is not None:
        out = xp.clip(out, clip_range[0], clip_range[1])
    return out


def minmax_inverse_kernel(X, *, xp, scale, min_):
    """Inverse of :func:`minmax_transform_kernel` (without clipping)."""
    return (X - xp.astype(xp.asarray(min_), X.dtype)) / xp.astype(xp.asarray(scale), X.dtype)


def csr_with_data(X, data):
    """A CSR of X's class with X's structure (indices and row pointers copied) and the
    stored values ``data``."""
    return type(X)((data, X.indices.copy(), X.indptr.copy()), shape=X.shape)


def csr_column_scale_kernel(X, *, xp, factor):
    """CSR chunk ``X`` with column ``j`` multiplied by ``factor[j]`` (scikit-learn's
    ``inplace_column_scale``, on a copy): only the stored values change; ``factor``
    None copies X."""
    if factor is None:
        return csr_with_data(X, X.data.copy())
    f = np.asarray(factor)
    return csr_with_data(X, (X.data * f[X.indices]).astype(X.dtype, copy=False))
