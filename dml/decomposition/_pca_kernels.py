"""Chunk kernels of PCA, TruncatedSVD and IncrementalPCA: pure functions of
``(chunk, ..., *, xp)``.

- :func:`tsqr_kernel` / :func:`combine_tsqr`: exact TSQR of the centred data. Each
  chunk returns its mean, the R factor of the chunk centred at its own mean, and its row
  count; two partials merge by stacking ``[R_a; R_b; sqrt(n_a n_b / n) (mean_a -
  mean_b)]`` and factoring again (exact and associative: ``R^T R`` is the centred
  scatter matrix).
- :func:`power_kernel`: one power iteration of randomized SVD, ``Z = Xc^T (Xc V)``,
  reading each cache-sized row block once.
"""

from __future__ import annotations

import math

import numpy as np

from dml._engine.kernels import block_rows, row_blocks
from dml._engine.namespace import as_float64, get_namespace, is_numpy_namespace, is_sparse, to_numpy


def qr_r(A, xp):
    """The R factor of ``A`` (min(m, n) x n)."""
    if is_numpy_namespace(xp):
        return np.linalg.qr(A, mode="r")
    return xp.linalg.qr(A).R


def _merge(a, b, xp):
    na, nb = a["n"], b["n"]
    n = na + nb
    if nb == 0:
        return a
    if na == 0:
        return b
    delta = b["mean"] - a["mean"]
    corr = math.sqrt(na * nb / n) * delta
    R = qr_r(xp.concat([a["R"], b["R"], corr[None, :]], axis=0), xp)
    return {"n": n, "mean": a["mean"] + delta * (nb / n), "R": R}


def _block_stats(Xb, xp):
    Xb = as_float64(Xb, xp)
    mean = xp.mean(Xb, axis=0)
    return {"n": int(Xb.shape[0]), "mean": mean, "R": qr_r(Xb - mean, xp)}


def tsqr_kernel(X, y, w, *, xp, batch_starts=None):
    """Mean and R factor of the centred chunk (float64), walked in row blocks.

    Parameters
    ----------
    X : (n, p) chunk
    y : global row indices of the chunk (with ``batch_starts``) or None
    batch_starts : ndarray of int, optional
        Sorted first rows of batches of the *global* row numbering (IncrementalPCA's
        batches): return one ``(mean, R, n)`` per batch met in the chunk, keyed by
        batch number, instead of one for the chunk.

    Returns
    -------
    dict: ``n`` (int), ``mean`` (p,), ``R`` (r, p); or ``{"batches": {b: ...}}``.
    """
    n, p = X.shape
    if batch_starts is None and is_numpy_namespace(xp) and n > 0:
        return _tsqr_numpy(X)
    if batch_starts is None:
        out = None
        for a, b in row_blocks(n, p, 8, block_bytes=max(2**21, 8 * p * p * 4)):
            s = _block_stats(X[a:b, :], xp)
            out = s if out is None else _merge(out, s, xp)
        if out is None:
            out = {"n": 0, "mean": xp.zeros((p,), dtype=xp.float64), "R": xp.zeros((0, p), dtype=xp.float64)}
        return out
    start = int(to_numpy(y[0:1])[0])
    batches = {}
    pos = 0
    while pos < n:
        g = int(np.searchsorted(batch_starts, start + pos, side="right")) - 1
        nxt = batch_starts[g + 1] if g + 1 < len(batch_starts) else start + n
        stop = min(n, int(nxt) - start)
        batches[g] = _block_stats(X[pos:stop, :], xp)
        pos = stop
    return {"batches": batches}


def _tsqr_numpy(X):
    """:func:`tsqr_kernel` for a NumPy chunk: the same block statistics and merges, with
    the centred block written into one Fortran-ordered float64 buffer per chunk and
    factored in place by LAPACK ``geqrf`` (no per-block temporaries: Dask workers return
    freed memory to the OS eagerly, so those would page-fault each time)."""
    # SciPy only here, when a NumPy chunk is factored: importing this module (on a
    # worker, to run any PCA kernel) stays free of SciPy
    from scipy.linalg import lapack

    xp = get_namespace(np.zeros(1))
    n, p = X.shape
    step = block_rows(p, 8, max(2**21, 8 * p * p * 4))
    m0 = min(step, n)
    buf = np.empty((m0, p), order="F")
    geqrf = lapack.get_lapack_funcs("geqrf", (buf,))
    out = None
    for a in range(0, n, step):
        b = min(n, a + step)
        m = b - a
        Xb = X[a:b]
        mean = Xb.mean(axis=0, dtype=np.float64)
        B = buf[:m] if m == m0 else np.empty((m, p), order="F")
        np.subtract(Xb, mean, out=B)
        qr, _, _, info = geqrf(B, overwrite_a=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"geqrf failed with info={info}")
        s = {"n": m, "mean": mean, "R": np.triu(qr[: min(m, p)])}
        out = s if out is None else _merge(out, s, xp)
    return out


def combine_tsqr(parts):
    """Merge TSQR partials (exact, associative)."""
    parts = [p for p in parts if p]
    if "batches" in parts[0]:
        out = {}
        for p in parts:
            for g, s in p["batches"].items():
                out[g] = s if g not in out else _merge(out[g], s, get_namespace(s["R"]))
        return {"batches": out}
    out = parts[0]
    for p in parts[1:]:
        out = _merge(out, p, get_namespace(p["R"]))
    return out


def power_kernel(X, y, w, V, mean, *, xp):
    """``Z = (X - mean)^T ((X - mean) V)`` summed over the chunk (float64 result).

    ``mean`` may be None (no centring: TruncatedSVD). Also returns the chunk's column
    sums and sum of squares of X (for TruncatedSVD's variances).
    """
    if is_sparse(X):
        return {"Z": _power_sparse(X, V, mean)}
    n, p = X.shape
    Vx = xp.asarray(V, dtype=X.dtype)
    mu = None if mean is None else xp.asarray(mean, dtype=X.dtype)
    Z = xp.zeros((p, V.shape[1]), dtype=xp.float64)
    for a, b in row_blocks(n, p, 4 if "32" in str(X.dtype) else 8):
        Xb = X[a:b, :]
        if mu is not None:
            Xb = Xb - mu
        Z = Z + as_float64(xp.matmul(xp.permute_dims(Xb, (1, 0)), xp.matmul(Xb, Vx)), xp)
    return {"Z": Z}


def _power_sparse(X, V, mean):
    """:func:`power_kernel` of a CSR chunk: two sparse products ``X V`` and
    ``X^T (X V)``, centring implicit (``(X - 1 mu^T) V = X V - 1 (mu^T V)``), so the
    chunk is never densified: O(nnz * rank) work, O(rows * rank + n_features * rank)
    memory."""
    Vx = np.asarray(V, dtype=X.dtype)
    XV = np.asarray(X @ Vx, dtype=np.float64)
    if mean is None:
        return np.asarray(X.T @ XV, dtype=np.float64)
    mu = np.asarray(mean, dtype=np.float64)
    XV -= (mu @ np.asarray(V, dtype=np.float64))[None, :]
    return np.asarray(X.T @ XV, dtype=np.float64) - np.outer(mu, XV.sum(axis=0))


def sparse_scatter_kernel(X, y, w, *, xp):
    """Mean and centred scatter matrix of a CSR chunk (PCA's 'covariance_eigh' on sparse
    input), from one sparse product ``X^T X`` and the column sums, as scikit-learn's
    ``X.T @ X - n mean mean^T``: O(nnz * nnz_per_row) work, O(n_features^2) memory,
    never densifying the chunk. Partials merge with
    :func:`~dml._engine.kernels.combine_centered`."""
    n = X.shape[0]
    Xf = X if X.dtype == np.float64 else X.astype(np.float64)
    s1 = np.asarray(Xf.sum(axis=0)).ravel()
    mean = s1 / n if n else s1
    G = Xf.T @ Xf
    G = G.toarray() if hasattr(G, "toarray") else np.asarray(G)
    return {"n": np.asarray(float(n)), "mean": mean, "scatter": G - n * np.outer(mean, mean)}


def projection_kernel(X, *, xp, mean, components, scale=None):
    """``(X - mean) @ components.T`` (divided by ``scale``), blockwise transform (a CSR
    chunk: one sparse product, the centring applied to the dense result)."""
    if is_sparse(X):
        C = np.asarray(components, dtype=X.dtype)
        out = np.asarray(X @ C.T)
        if mean is not None:
            out = out - (np.asarray(mean, dtype=X.dtype) @ C.T)[None, :]
        return out if scale is None else out / np.asarray(scale, dtype=X.dtype)
    C = xp.asarray(components, dtype=X.dtype)
    out = xp.matmul(X, xp.permute_dims(C, (1, 0)))
    if mean is not None:
        out = out - xp.matmul(xp.asarray(mean, dtype=X.dtype)[None, :], xp.permute_dims(C, (1, 0)))
    if scale is not None:
        out = out / xp.asarray(scale, dtype=X.dtype)
    return out


def reconstruction_kernel(X, *, xp, mean, components):
    """``X @ components + mean`` (inverse_transform)."""
    out = xp.matmul(X, xp.asarray(components, dtype=X.dtype))
    if mean is not None:
        out = out + xp.asarray(mean, dtype=X.dtype)
    return out


def loglik_kernel(X, *, xp, mean, precision, const):
    """Per-sample Gaussian log-likelihood under PCA's probabilistic model."""
    Xr = X - xp.asarray(mean, dtype=X.dtype)
    P = xp.asarray(precision, dtype=X.dtype)
    return -0.5 * xp.sum(Xr * xp.matmul(Xr, P), axis=1) - const
