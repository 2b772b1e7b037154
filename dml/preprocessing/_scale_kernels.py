"""Chunk kernels of MaxAbsScaler and Normalizer: pure functions of ``(chunk, ..., *, xp)``."""

from __future__ import annotations

from dml._engine.kernels import row_blocks


def maxabs_kernel(X, y, w, *, xp):
    """Per-feature NaN-ignoring maximum absolute value of a chunk, and its row count.

    All-NaN features give ``-inf`` (neutral for the max combine).
    """
    n_rows, p = X.shape
    hi = xp.full((p,), -float("inf"), dtype=X.dtype)
    neutral = xp.asarray(-float("inf"), dtype=X.dtype)
    for a, b in row_blocks(n_rows, p, 8):
        Xb = X[a:b, :]
        hi = xp.maximum(hi, xp.max(xp.where(xp.isnan(Xb), neutral, xp.abs(Xb)), axis=0))
    return {"max_abs": hi, "n_rows": xp.asarray(n_rows, dtype=xp.int64)}


def nonfinite_kernel(X, y, w, *, xp):
    """Whether a chunk holds NaN, and whether it holds infinity (0 / 1 counts)."""
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
    of norm zero are left as they are, as scikit-learn does."""
    if norm == "l1":
        norms = xp.sum(xp.abs(X), axis=1)
    elif norm == "l2":
        norms = xp.sqrt(xp.sum(X * X, axis=1))
    else:
        norms = xp.max(xp.abs(X), axis=1) if X.shape[1] else xp.zeros((X.shape[0],), dtype=X.dtype)
    eps = 10 * xp.finfo(X.dtype).eps
    norms = xp.where(norms < eps, xp.asarray(1.0, dtype=X.dtype), norms)
    return X / norms[:, None]
