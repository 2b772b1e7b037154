"""Shared one-pass statistics kernels and their combines.

Every kernel here walks its chunk in cache-sized row blocks, so each block is read from
memory once while all the statistics of the pass are accumulated from it. Sums are
accumulated in float64 (also for float32 chunks), around a shift (the first block's
mean) so that large offsets do not cancel catastrophically; chunk results are merged
with Chan, Golub and LeVeque's pairwise update, which is exact and associative.
"""

from __future__ import annotations

import numpy as np
from array_api_compat import is_numpy_namespace

from dml._engine.namespace import get_namespace, is_sparse

#: Target bytes of one row block inside a kernel (fits in L2/L3 cache).
BLOCK_BYTES = 2**21


def block_rows(n_cols, itemsize=8, block_bytes=BLOCK_BYTES):
    """Rows in one block of about ``block_bytes`` (at least 256): the step of
    :func:`row_blocks`, for kernels that size per-chunk block buffers by it."""
    return max(256, block_bytes // max(1, n_cols * itemsize))


def row_blocks(n_rows, n_cols, itemsize=8, block_bytes=BLOCK_BYTES):
    """Yield ``(start, stop)`` row ranges of about ``block_bytes`` each."""
    step = block_rows(n_cols, itemsize, block_bytes)
    for start in range(0, n_rows, step):
        yield start, min(n_rows, start + step)


def _f64(a, xp):
    return a if a.dtype == xp.float64 else xp.astype(a, xp.float64)


def moments_kernel(X, y, w, *, xp, allow_nan=False):
    """Per-feature weighted count, mean and centred sum of squares of a chunk.

    Parameters
    ----------
    X : array or CSR chunk of shape (n_rows, n_features)
        A ``scipy.sparse`` CSR chunk is summed over its stored entries (never densified).
    y : ignored
    w : array of shape (n_rows,) or None
    allow_nan : bool
        Skip NaNs (each feature counts its own non-NaN rows), as scikit-learn's
        scalers do. NumPy chunks first take the unmasked path; only a chunk whose sums
        come out non-finite (it holds a NaN or an inf) is summed again with masks.

    Returns
    -------
    dict with ``n`` (n_features,), ``mean`` (n_features,), ``m2`` (n_features,),
    ``n_rows`` (scalar: rows in the chunk) and ``w_nonzero`` (scalar count of non-zero
    weights, 0 when unweighted).
    """
    if is_sparse(X):
        return _moments_csr(X, None if w is None else np.asarray(w), allow_nan)
    if is_numpy_namespace(xp) and isinstance(X, np.ndarray):
        out = _moments_numpy(X, None if w is None else np.asarray(w))
        # a NaN (or inf) anywhere in the chunk makes its sums non-finite: only such a
        # chunk needs the masked computation below (5-6x slower)
        if not allow_nan or (np.isfinite(out["mean"]).all() and np.isfinite(out["m2"]).all()):
            return out
    n_rows, p = X.shape
    count = xp.zeros((p,), dtype=xp.float64)
    s1 = xp.zeros((p,), dtype=xp.float64)
    s2 = xp.zeros((p,), dtype=xp.float64)
    shift = None
    w_nonzero = 0
    for a, b in row_blocks(n_rows, p, 8):
        Xb = _f64(X[a:b, :], xp)
        mask = xp.isnan(Xb) if allow_nan else None
        if mask is not None:
            Xb = xp.where(mask, xp.asarray(0.0, dtype=xp.float64), Xb)
            valid = xp.astype(xp.logical_not(mask), xp.float64)
        if w is None:
            cw = valid if mask is not None else None
            count = count + (xp.sum(valid, axis=0) if mask is not None else float(b - a))
        else:
            wb = _f64(w[a:b], xp)[:, None]
            w_nonzero += int(xp.sum(xp.astype(wb != 0, xp.int64)))
            cw = wb * valid if mask is not None else wb
            count = count + (xp.sum(cw, axis=0) if mask is not None else xp.sum(wb))
        if shift is None:
            num = xp.sum(Xb if cw is None else cw * Xb, axis=0)
            shift = xp.where(count > 0, num / xp.where(count > 0, count, 1.0), 0.0)
        D = Xb - shift
        if mask is not None:
            D = xp.where(mask, xp.asarray(0.0, dtype=xp.float64), D)
        if cw is None:
            s1 = s1 + xp.sum(D, axis=0)
            s2 = s2 + xp.sum(D * D, axis=0)
        else:
            cD = cw * D
            s1 = s1 + xp.sum(cD, axis=0)
            s2 = s2 + xp.sum(cD * D, axis=0)
    return _moments_result(count, shift, s1, s2, n_rows, w_nonzero, xp)


def _moments_result(count, shift, s1, s2, n_rows, w_nonzero, xp):
    """The per-feature count, mean and centred sum of squares from the sums ``s1``, ``s2``
    of the rows shifted by ``shift`` (features with no count get zeros)."""
    safe = xp.where(count > 0, count, 1.0)
    dmean = s1 / safe
    mean = xp.where(count > 0, shift + dmean, 0.0)
    m2 = xp.where(count > 0, s2 - count * dmean * dmean, 0.0)
    m2 = xp.maximum(m2, 0.0)
    return {
        "n": count,
        "mean": mean,
        "m2": m2,
        "n_rows": xp.asarray(n_rows, dtype=xp.int64),
        "w_nonzero": xp.asarray(w_nonzero, dtype=xp.int64),
    }


def csr_entry_rows(X):
    """The row of every stored entry of CSR chunk ``X`` (int64, one per nonzero)."""
    return np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))


def _moments_csr(X, w, allow_nan):
    """:func:`moments_kernel` of a CSR chunk, from its stored entries only (per-column
    sums with ``np.bincount`` over ``X.indices``; the implicit zeros enter in closed
    form), never densified: memory O(nnz + n_features).

    Each feature's mean is that of its non-NaN rows (``allow_nan``); its centred sum of
    squares adds the stored entries' ``w * (x - mean)**2`` and ``mean**2`` times the
    weight of the rows where it is an implicit zero."""
    n_rows, p = X.shape
    cols = X.indices
    data = X.data if X.data.dtype == np.float64 else X.data.astype(np.float64)
    if w is None:
        total = float(n_rows)
        we = None
        w_nonzero = 0
    else:
        w = w if w.dtype == np.float64 else w.astype(np.float64)
        total = float(w.sum())
        we = w[csr_entry_rows(X)]
        w_nonzero = int(np.count_nonzero(w))
    nan = np.isnan(data) if allow_nan else None
    if nan is not None and nan.any():
        keep = ~nan
        data = np.where(nan, 0.0, data)
        ew = keep.astype(np.float64) if we is None else we * keep
    else:
        keep = None
        ew = we
    # weight of each feature's non-NaN rows, and of its stored non-NaN entries
    stored_w = np.bincount(cols, weights=ew, minlength=p).astype(np.float64)
    if keep is None:
        count = np.full(p, total)
    else:
        nan_w = np.bincount(cols, weights=nan.astype(np.float64) if we is None else we * nan, minlength=p)
        count = total - nan_w
    s1 = np.bincount(cols, weights=data if ew is None else ew * data, minlength=p)
    safe = np.where(count > 0, count, 1.0)
    mean = np.where(count > 0, s1 / safe, 0.0)
    dev = data - mean[cols]
    sq = dev * dev
    m2 = np.bincount(cols, weights=sq if ew is None else ew * sq, minlength=p)
    zeros_w = np.maximum(count - stored_w, 0.0)
    m2 = np.where(count > 0, m2 + zeros_w * mean * mean, 0.0)
    return {
        "n": count,
        "mean": mean,
        "m2": np.maximum(m2, 0.0),
        "n_rows": np.asarray(n_rows, dtype=np.int64),
        "w_nonzero": np.asarray(w_nonzero, dtype=np.int64),
    }


def _moments_numpy(X, w):
    """:func:`moments_kernel` for NumPy chunks without NaN handling: the same shifted
    sums, with one float64 block buffer per chunk (Dask workers return freed memory to
    the OS eagerly, so a fresh block-sized temporary costs page faults every time) and
    the column sums as BLAS products."""
    n_rows, p = X.shape
    step = max(256, BLOCK_BYTES // max(1, p * 8))
    m0 = min(step, n_rows)
    D_buf = np.empty((m0, p))
    wD_buf = np.empty((m0, p)) if w is not None else None
    ones = np.ones(m0)
    count = 0.0
    s1 = np.zeros(p)
    s2 = np.zeros(p)
    shift = None
    w_nonzero = 0
    for a in range(0, n_rows, step):
        b = min(n_rows, a + step)
        m = b - a
        Xb = X[a:b]
        if w is None:
            count += float(m)
            if shift is None:
                shift = (ones[:m] @ Xb) / m
        else:
            wb = np.asarray(w[a:b], dtype=np.float64)
            w_nonzero += int(np.count_nonzero(wb))
            count += float(wb.sum())
            if shift is None:
                shift = (wb @ Xb) / count if count > 0 else np.zeros(p)
        D = np.subtract(Xb, shift, out=D_buf[:m])
        if w is None:
            s1 += ones[:m] @ D
            s2 += np.einsum("ij,ij->j", D, D)
        else:
            s1 += wb @ D
            s2 += np.einsum("ij,ij->j", np.multiply(D, wb[:, None], out=wD_buf[:m]), D)
    return _moments_result(np.full(p, count), shift, s1, s2, n_rows, w_nonzero, np)


def gram_kernel(X, y, w, *, xp):
    """Weighted mean and centred cross-product of the augmented chunk ``[X, y]``.

    The sufficient statistics of every squared-error linear model (and of PCA's
    covariance pass when ``y`` is None). One float64 row-block buffer is reused per
    chunk: ``[X_b, y_b]`` is written into it and the shift subtracted in place, and the
    cross-product is a symmetric rank-k update of the buffer with itself (BLAS ``syrk``
    under NumPy: half the flops of a general product); with non-negative weights the
    block is scaled by ``sqrt(w)`` first so the weighted case is a ``syrk`` too.

    Returns
    -------
    dict with ``n`` (scalar weight sum), ``mean`` (p + t,), ``scatter`` (p + t, p + t),
    ``n_rows``, and the counts ``w_neg`` / ``w_nonzero`` of negative / non-zero weights.
    ``y`` may be None (then only X's statistics), 1-D or 2-D.
    """
    n_rows, p = X.shape
    t = 0 if y is None else (1 if y.ndim == 1 else y.shape[1])
    q = p + t
    f64 = xp.float64
    S = xp.zeros((q, q), dtype=f64)
    s1 = xp.zeros((q,), dtype=f64)
    sw = 0.0
    shift = None
    w_neg = w_nonzero = 0
    buf = None
    fused = is_numpy_namespace(xp)
    for a, b in row_blocks(n_rows, q, 8):
        m = b - a
        if buf is None:
            buf = xp.empty((m, q), dtype=f64)
        A = buf[:m, :]
        Xb = X[a:b, :]
        yb = None
        if t:
            yb = y[a:b, ...]
            yb = yb[:, None] if yb.ndim == 1 else yb
        if shift is not None and fused:
            # NumPy: write the shifted block into the buffer in one sweep
            np.subtract(Xb, shift[:p], out=A[:, :p])
            if t:
                np.subtract(yb, shift[p:], out=A[:, p:])
        else:
            A[:, :p] = Xb if Xb.dtype == f64 else xp.astype(Xb, f64)
            if t:
                A[:, p:] = yb if yb.dtype == f64 else xp.astype(yb, f64)
        if w is None:
            wb = None
            sw_b = float(m)
        else:
            wb = w[a:b]
            wb = wb if wb.dtype == f64 else xp.astype(wb, f64)
            sw_b = xp.sum(wb)
            neg = int(xp.sum(xp.astype(wb < 0, xp.int64)))
            w_neg += neg
            w_nonzero += int(xp.sum(xp.astype(wb != 0, xp.int64)))
        if shift is None:
            if wb is None:
                shift = xp.mean(A, axis=0)
            else:
                shift = xp.sum(wb[:, None] * A, axis=0) / xp.where(sw_b > 0, sw_b, 1.0)
            A -= shift
        elif not fused:
            A -= shift
        if wb is None:
            s1 = s1 + xp.sum(A, axis=0)
            S = S + xp.matmul(xp.permute_dims(A, (1, 0)), A)
        elif neg == 0:
            s1 = s1 + xp.matmul(wb[None, :], A)[0, :]
            A *= xp.sqrt(wb)[:, None]
            S = S + xp.matmul(xp.permute_dims(A, (1, 0)), A)
        else:  # negative weights: reported after the pass; keep the sums finite
            WA = wb[:, None] * A
            s1 = s1 + xp.sum(WA, axis=0)
            S = S + xp.matmul(xp.permute_dims(WA, (1, 0)), A)
        sw = sw + sw_b
    sw = xp.asarray(sw, dtype=f64)
    safe = xp.where(sw > 0, sw, 1.0)
    d = s1 / safe
    mean = shift + d
    S = S - sw * (d[:, None] * d[None, :])
    return {
        "n": sw,
        "mean": mean,
        "scatter": S,
        "n_rows": xp.asarray(n_rows, dtype=xp.int64),
        "w_neg": xp.asarray(w_neg, dtype=xp.int64),
        "w_nonzero": xp.asarray(w_nonzero, dtype=xp.int64),
    }


def combine_centered(parts):
    """Chan's pairwise merge of ``{n, mean, m2 | scatter}`` partials; other keys summed.

    ``n`` may be a scalar (``scatter`` matrices) or per feature (``m2`` vectors).
    Partials with zero weight are neutral.
    """
    parts = [p for p in parts if p]
    out = None
    for p in parts:
        if out is None:
            out = dict(p)
            continue
        xp = get_namespace(p["mean"])
        na, nb = out["n"], p["n"]
        n = na + nb
        safe = xp.where(n > 0, n, 1.0)
        delta = p["mean"] - out["mean"]
        frac = nb / safe
        merged = {k: out[k] + p[k] for k in out if k not in ("n", "mean", "m2", "scatter")}
        merged["n"] = n
        merged["mean"] = out["mean"] + delta * frac
        coef = na * nb / safe
        if "scatter" in out:
            merged["scatter"] = out["scatter"] + p["scatter"] + coef * (delta[:, None] * delta[None, :])
        else:
            merged["m2"] = out["m2"] + p["m2"] + coef * delta * delta
        out = merged
    return out if out is not None else {}
