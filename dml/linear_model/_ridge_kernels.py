"""Chunk kernels of the ridge models: pure functions of ``(chunk, ..., *, xp)``."""

from __future__ import annotations

import numpy as np

from dml._engine.namespace import as_float64, get_namespace, is_sparse
from dml.linear_model._base_kernels import block, chunk_blocks, matmul_x


def ridge_loo_kernel(X, y, w, x_mean, y_mean, V, lam, VtXy, alphas, *, xp, sw_sum, fit_intercept, per_sample):
    """Leave-one-out squared errors of ridge fits for every alpha (efficient LOO).

    With ``H = Xc^T W Xc = V diag(lam) V^T`` (the one-pass statistics) and ``z_i =
    V^T (x_i - x_mean)``, the leverage of row i for penalty ``a`` is
    ``h_i = s_i * sum_j z_ij^2 / (lam_j + a) + s_i / sum(s)`` (the last term with an
    intercept) and its LOO error ``sqrt(s_i) * r_i / (1 - h_i)``, ``r_i`` the residual
    of the fit on all rows: scikit-learn's ``_RidgeGCV`` quantities.

    Returns
    -------
    dict with ``sq`` (n_alphas, t): the sum over the chunk's rows of the squared LOO
    errors; with ``per_sample``, also ``looe_sq`` (n_rows, t, n_alphas).
    """
    x_mean, y_mean, V, lam, VtXy, alphas = (
        xp.asarray(a, dtype=xp.float64) for a in (x_mean, y_mean, V, lam, VtXy, alphas)
    )
    n_rows, p = X.shape
    n_alphas = alphas.shape[0]
    t = VtXy.shape[1]
    sq = xp.zeros((n_alphas, t), dtype=xp.float64)
    rows = []
    # coefficients in the eigenbasis, (p, t, n_alphas)
    D = 1.0 / (lam[:, None] + alphas[None, :])  # (p, A)
    C = VtXy[:, :, None] * D[:, None, :]
    sparse = is_sparse(X)
    for a, b in chunk_blocks(X, p, 8):
        if sparse:
            # a CSR block stays sparse: centre after the product, (X - m) V = X V - m V
            Xb = block(X, a, b)
            Z = matmul_x(Xb if Xb.dtype == np.float64 else Xb.astype(np.float64), V, xp)
            if fit_intercept:
                Z = Z - xp.matmul(x_mean, V)[None, :]
        else:
            Xb = as_float64(X[a:b, :], xp)
            if fit_intercept:
                Xb = Xb - x_mean
            Z = xp.matmul(Xb, V)  # (m, p)
        yb = as_float64(y[a:b, ...], xp)
        yb = yb[:, None] if yb.ndim == 1 else yb
        if fit_intercept:
            yb = yb - y_mean
        sw = xp.ones((b - a,), dtype=xp.float64) if w is None else as_float64(w[a:b], xp)
        lev = sw[:, None] * xp.matmul(Z * Z, D)  # (m, A)
        if fit_intercept:
            lev = lev + (sw / sw_sum)[:, None]
        pred = xp.reshape(xp.matmul(Z, xp.reshape(C, (p, t * n_alphas))), (b - a, t, n_alphas))
        r = yb[:, :, None] - pred
        looe = xp.sqrt(sw)[:, None, None] * r / (1.0 - lev)[:, None, :]
        e2 = looe * looe
        sq = sq + xp.permute_dims(xp.sum(e2, axis=0), (1, 0))
        if per_sample:
            rows.append(e2)
    out = {"sq": sq}
    if per_sample:
        out["looe_sq"] = xp.concat(rows, axis=0) if rows else xp.zeros((0, t, n_alphas), dtype=xp.float64)
    return out


def combine_loo(parts):
    """Sum ``sq``; concatenate ``looe_sq`` in row order (``map_reduce(..., ordered=True)``
    hands the parts over in chunk order)."""
    parts = [p for p in parts if p]
    out = {"sq": parts[0]["sq"]}
    for p in parts[1:]:
        out["sq"] = out["sq"] + p["sq"]
    if "looe_sq" in parts[0]:
        xp = get_namespace(parts[0]["looe_sq"])
        out["looe_sq"] = xp.concat([p["looe_sq"] for p in parts], axis=0)
    return out
