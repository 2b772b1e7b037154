"""Chunk kernels of the distributed iterative solvers for very wide data.

They never form a (p, p) matrix: per row block they compute ``X_b @ B`` and
``X_b^T (w * u)``, O(rows * p * t) flops, and return O(p * t) numbers. A CSR chunk is
one block and both products are sparse ones (O(nnz * t) flops); the centring is
implicit (``x_mean`` enters through ``x_mean @ B`` and ``x_mean * sum(w u)``), so a
sparse chunk is never densified.
"""

from __future__ import annotations

import numpy as np

from dml._engine.namespace import as_float64, is_sparse
from dml.linear_model._base_kernels import block, chunk_blocks, matmul_x, rmatmul_x


def _as_2d(y):
    return y[:, None] if y.ndim == 1 else y


def _f64_block(X, a, b, xp):
    """Rows ``a:b`` of a dense or CSR chunk as float64 (a CSR block stays CSR)."""
    Xb = block(X, a, b)
    if is_sparse(Xb):
        return Xb if Xb.dtype == np.float64 else Xb.astype(np.float64)
    return as_float64(Xb, xp)


def wide_moments_kernel(X, y, w, *, xp):
    """Weighted sums for the wide solvers: ``n``, ``sx`` (p,), ``sy`` (t,), ``syy``
    (t,), ``sxy`` (p, t), plus ``n_rows`` and the weight sign counts."""
    n_rows, p = X.shape
    sw = xp.asarray(0.0, dtype=xp.float64)
    sx = sy = syy = sxy = None
    w_neg = w_nonzero = 0
    for a, b in chunk_blocks(X, p, 8):
        Xb = _f64_block(X, a, b, xp)
        yb = _as_2d(as_float64(y[a:b, ...], xp))
        if w is None:
            wb = xp.ones((b - a,), dtype=xp.float64)
        else:
            wb = as_float64(w[a:b], xp)
            w_neg += int(xp.sum(xp.astype(wb < 0, xp.int64)))
            w_nonzero += int(xp.sum(xp.astype(wb != 0, xp.int64)))
        wy = wb[:, None] * yb
        parts = (
            rmatmul_x(wb, Xb, xp),
            xp.sum(wy, axis=0),
            xp.sum(wy * yb, axis=0),
            rmatmul_x(xp.permute_dims(wy, (1, 0)), Xb, xp).T,
        )
        if sx is None:
            sx, sy, syy, sxy = parts
        else:
            sx, sy, syy, sxy = sx + parts[0], sy + parts[1], syy + parts[2], sxy + parts[3]
        sw = sw + xp.sum(wb)
    return {
        "n": sw,
        "sx": sx,
        "sy": sy,
        "syy": syy,
        "sxy": sxy,
        "n_rows": xp.asarray(n_rows, dtype=xp.int64),
        "w_neg": xp.asarray(w_neg, dtype=xp.int64),
        "w_nonzero": xp.asarray(w_nonzero, dtype=xp.int64),
    }


def wide_matvec_kernel(X, y, w, B, x_mean, y_mean, *, xp, residual):
    """``Xc^T W u`` for ``u = Xc @ B`` (``residual=False``) or ``u = yc - Xc @ B``
    (``residual=True``, then also ``rr = sum(w * u**2)`` per column).

    ``Xc = X - x_mean``, ``yc = y - y_mean`` (pass zeros for no intercept). ``B`` is
    (p, t). Returns ``g`` (p, t) and, with ``residual``, ``rr`` (t,).
    """
    B, x_mean, y_mean = (xp.asarray(a, dtype=xp.float64) for a in (B, x_mean, y_mean))
    n_rows, p = X.shape
    mB = xp.matmul(x_mean[None, :], B)  # (1, t)
    g = xp.zeros(B.shape, dtype=xp.float64)
    swu = xp.zeros((1, B.shape[1]), dtype=xp.float64)
    rr = xp.zeros((B.shape[1],), dtype=xp.float64)
    for a, b in chunk_blocks(X, p, 8):
        Xb = _f64_block(X, a, b, xp)
        u = matmul_x(Xb, B, xp) - mB
        if residual:
            u = (_as_2d(as_float64(y[a:b, ...], xp)) - y_mean[None, :]) - u
        wu = u if w is None else as_float64(w[a:b], xp)[:, None] * u
        g = g + rmatmul_x(xp.permute_dims(wu, (1, 0)), Xb, xp).T
        swu = swu + xp.sum(wu, axis=0)[None, :]
        if residual:
            rr = rr + xp.sum(wu * u, axis=0)
    g = g - x_mean[:, None] * swu
    out = {"g": g}
    if residual:
        out["rr"] = rr
    return out
