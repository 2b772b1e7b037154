"""Chunk kernels of PCA, TruncatedSVD and IncrementalPCA: pure functions of
``(chunk, ..., *, xp)``.

- :func:`tsqr_kernel` / :func:`combine_tsqr`: exact TSQR of the centred data. Each
  chunk returns its mean, the R factor of the chunk centred at its own mean, and its row
  count; two partials merge by stacking ``[R_a; R_b; sqrt(n_a n_b / n) (mean_a -
  mean_b)]`` and factoring again (exact and associative: ``R^T R`` is the centred
  scatter matrix).
- :func:`power_kernel`: one power iteration of randomized SVD, ``Z = Xc^T (Xc V)``,
  reading each cache-sized row block once.
- :func:`svd_power_kernel` / :func:`combine_svd_power`: TruncatedSVD's pass, ``Z = X^T
  (X V)`` folded over a task's chunks into one buffer (``map_reduce(...,
  accumulate=True)``), with the feature moments (first pass) and the R factor of ``X V``
  (last pass) riding along.
"""

from __future__ import annotations

import math

import numpy as np

from dml._engine.compiled import compiled
from dml._engine.kernels import block_rows, combine_centered, moments_kernel, row_blocks
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


#: Rows of ``X^T`` per block of :func:`svd_power_kernel`'s sparse product: each block's
#: ``(rows, rank)`` product is a small temporary added into the task's one ``Z`` buffer.
XT_BLOCK_BYTES = 2**22


def _state_dtype(dtype, xp):
    """The dtype of the power iterations: float32 for float32 chunks (as scikit-learn's
    randomized SVD on float32 input), else float64."""
    return xp.float32 if dtype == xp.float32 else xp.float64


def _transposed_blocks(X, rank, itemsize, cache):
    """``X^T`` of a CSR chunk as CSR row blocks ``[(start, stop, block)]`` (kept in the
    chunk's ``cache`` when one is given: built once per fit, on the worker holding the
    chunk)."""
    blocks = None if cache is None else cache.get("xt_blocks")
    if blocks is None:
        Xt = X.T.tocsr()
        step = max(1024, XT_BLOCK_BYTES // max(1, rank * itemsize))
        p = Xt.shape[0]
        blocks = [(a, min(p, a + step), Xt[a : min(p, a + step)]) for a in range(0, p, step)]
        if cache is not None:
            cache["xt_blocks"] = blocks
    return blocks


def svd_power_kernel(X, y, w, V, *, xp, moments=False, r_factor=False, out=None, cache=None):
    """``Z = X^T (X V)`` of the chunk added into ``out["Z"]`` (the task's running
    partial; a new buffer when ``out`` is None), TruncatedSVD's power pass (no centring).

    Parameters
    ----------
    X : (n, p) chunk, dense or CSR
    V : (p, rank) block of the power iteration
    moments : bool
        Also the feature moments of the chunk (:func:`~dml._engine.kernels.moments_kernel`,
        merged into ``out["mom"]``): the first pass gives the means and variances.
    r_factor : bool
        Also the R factor of ``X V`` (merged with ``out["R"]``: TSQR): the last pass gives
        the basis ``Q = X V R^-1`` of scikit-learn's final ``qr(X V)`` implicitly.
    out : dict or None
        The partial of the chunks run before in the same task (``map_reduce(...,
        accumulate=True)``); its ``Z`` is updated in place.
    cache : dict or None
        The chunk's cache: a CSR chunk keeps its transpose there (row blocks) for later
        passes.

    Returns
    -------
    dict: ``Z`` (p, rank) in float32 for float32 chunks, else float64; ``mom`` and ``R``
    when asked.

    Notes
    -----
    A CSR chunk is never densified: ``X V`` is one sparse product, ``X^T (X V)`` one per
    block of ``X^T``'s rows, each added into ``Z``, so a task holds one ``Z`` however many
    chunks it runs (O(nnz * rank) work, O(rows * rank) temporaries besides ``Z``).
    """
    dt = _state_dtype(X.dtype, xp)
    rank = V.shape[1]
    Z = None if out is None else out["Z"]
    if is_sparse(X):
        Vx = np.asarray(V, dtype=dt)
        Xd = X if X.dtype == dt else X.astype(dt)
        XV = np.asarray(Xd @ Vx)
        if Z is None:
            Z = np.zeros((X.shape[1], rank), dtype=dt)
        for a, b, B in _transposed_blocks(Xd, rank, np.dtype(dt).itemsize, cache):
            if B.nnz:
                Z[a:b] += B @ XV
        XV_r = XV if r_factor else None
    else:
        n, p = X.shape
        Vx = xp.asarray(V, dtype=dt)
        if Z is None:
            Z = xp.zeros((p, rank), dtype=dt)
        parts = []
        for a, b in row_blocks(n, p, 4 if dt == xp.float32 else 8):
            Xb = xp.asarray(X[a:b, :], dtype=dt)
            XVb = xp.matmul(Xb, Vx)
            if is_numpy_namespace(xp):
                Z += Xb.T @ XVb  # in place: the task's one buffer
            else:
                Z = Z + xp.matmul(xp.permute_dims(Xb, (1, 0)), XVb)
            if r_factor:
                parts.append(XVb)
        XV_r = (xp.concat(parts, axis=0) if parts else xp.zeros((0, rank), dtype=dt)) if r_factor else None
    res = {"Z": Z}
    if moments:
        mom = moments_kernel(X, None, None, xp=xp)
        res["mom"] = mom if out is None else combine_centered([out["mom"], mom])
    if r_factor:
        R = qr_r(as_float64(XV_r, xp), xp) if XV_r.shape[0] else xp.zeros((0, rank), dtype=xp.float64)
        if out is not None and out["R"].shape[0]:
            R = qr_r(xp.concat([out["R"], R], axis=0), xp) if R.shape[0] else out["R"]
        res["R"] = R
    return res


def combine_svd_power(parts):
    """Merge :func:`svd_power_kernel` partials: ``Z`` added (into one new buffer), moments
    by Chan's merge, R factors stacked and factored again (TSQR)."""
    parts = [p for p in parts if p]
    if len(parts) == 1:
        return parts[0]
    Z = parts[0]["Z"] + parts[1]["Z"]
    for p in parts[2:]:
        Z += p["Z"]
    out = {"Z": Z}
    if "mom" in parts[0]:
        out["mom"] = combine_centered([p["mom"] for p in parts])
    if "R" in parts[0]:
        Rs = [p["R"] for p in parts if p["R"].shape[0]]
        xp = get_namespace(parts[0]["R"])
        out["R"] = qr_r(xp.concat(Rs, axis=0), xp) if len(Rs) > 1 else (Rs[0] if Rs else parts[0]["R"])
    return out


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


def _transposed_slabs(X, bounds, cache):
    """``X^T`` of a CSR chunk as one CSR matrix per feature slab ``bounds[s]:bounds[s+1]``
    (kept in the chunk's ``cache`` when one is given: built once per fit, on the worker
    holding the chunk)."""
    key = ("xt_slabs", tuple(int(b) for b in bounds))
    slabs = None if cache is None else cache.get(key)
    if slabs is None:
        Xt = X.T.tocsr()
        slabs = [Xt[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        del Xt
        if cache is not None:
            cache[key] = slabs
    return slabs


@compiled
def _csr_dense_accumulate(indptr, indices, data, D, out):
    """``out += A @ D`` for the CSR matrix ``A = (data, indices, indptr)``, in place (row
    by row, each nonzero's row of ``D`` added in storage order, as SciPy's CSR product):
    no ``(rows, rank)`` temporary per product."""
    r = D.shape[1]
    for i in range(indptr.shape[0] - 1):
        for jj in range(indptr[i], indptr[i + 1]):
            v = data[jj]
            j = indices[jj]
            for c in range(r):
                out[i, c] += v * D[j, c]


def svd_slab_kernel(X, y, w, *V, xp, bounds, M=None, moments=False, r_factor=False, out=None, cache=None):
    """:func:`svd_power_kernel` with the block V and the result Z split by feature slabs:
    ``Z_s = X[:, S_s]^T (X V)`` with ``X V = sum_s X[:, S_s] V_s``, ``S_s = bounds[s]:
    bounds[s+1]``, each ``Z_s`` added into ``out["Z"][s]`` (the task's running partial).

    The slabs let TruncatedSVD keep V and Z on the workers as one row slab per worker
    (each slab reduced and normalised where it lives) instead of whole
    ``(n_features, rank)`` blocks travelling through the caller.

    Parameters
    ----------
    X : (n, p) chunk, CSR or a NumPy array
    *V : the slabs ``V_s`` of shape (bounds[s+1] - bounds[s], rank)
    bounds : sequence of int
        Slab boundaries, ``0 = bounds[0] < ... < bounds[-1] = p``.
    M : (rank, rank) array, optional
        The block is ``V M`` (the normaliser's map, applied to the small ``X V``:
        ``X (V M) = (X V) M``, so the normalised block is never formed).
    moments, r_factor, out, cache
        As :func:`svd_power_kernel` (a CSR chunk keeps its transpose, one CSR matrix
        per slab, in ``cache``).

    Returns
    -------
    dict: ``Z`` (list of slabs, float32 for float32 chunks, else float64); ``mom`` and
    ``R`` when asked.
    """
    dt = _state_dtype(X.dtype, xp)
    Vx = [np.asarray(v, dtype=dt) for v in V]
    rank = V[0].shape[1] if M is None else M.shape[1]
    Z = None if out is None else out["Z"]
    if Z is None:
        Z = [np.zeros((b - a, rank), dtype=dt) for a, b in zip(bounds[:-1], bounds[1:])]
    n = X.shape[0]
    XV = np.zeros((n, V[0].shape[1]), dtype=dt)
    if is_sparse(X):
        Xd = X if X.dtype == dt else X.astype(dt)
        T = _transposed_slabs(Xd, bounds, cache)
        for Ts, Vs in zip(T, Vx):
            if Ts.nnz:
                XV += Ts.T @ Vs  # CSC @ dense: X[:, S_s] V_s
        if M is not None:
            XV = np.ascontiguousarray(XV @ np.asarray(M, dtype=dt))
        for Ts, Zs in zip(T, Z):
            if Ts.nnz:
                _csr_dense_accumulate(Ts.indptr, Ts.indices, Ts.data, XV, Zs)
    else:
        Xd = np.asarray(X, dtype=dt)
        for a, b, Vs in zip(bounds[:-1], bounds[1:], Vx):
            XV += Xd[:, a:b] @ Vs
        if M is not None:
            XV = XV @ np.asarray(M, dtype=dt)
        for a, b, Zs in zip(bounds[:-1], bounds[1:], Z):
            Zs += Xd[:, a:b].T @ XV
    res = {"Z": Z}
    if moments:
        mom = moments_kernel(X, None, None, xp=xp)
        res["mom"] = mom if out is None else combine_centered([out["mom"], mom])
    if r_factor:
        R = qr_r(as_float64(XV, xp), xp) if n else xp.zeros((0, rank), dtype=xp.float64)
        if out is not None and out["R"].shape[0]:
            R = qr_r(xp.concat([out["R"], R], axis=0), xp) if R.shape[0] else out["R"]
        res["R"] = R
    return res


def stacked_r(Rs):
    """The R factor of the stacked matrices whose R factors are ``Rs`` (TSQR's merge)."""
    Rs = [R for R in Rs if R.shape[0]]
    if not Rs:
        raise ValueError("no R factor to merge")
    return Rs[0] if len(Rs) == 1 else qr_r(np.concatenate(Rs, axis=0), np)


def slab_r(Z, C=None):
    """The R factor of a slab ``Z`` (of ``Z @ C`` when ``C`` is given), by a TSQR over
    cache-sized row blocks factored in one Fortran-ordered buffer by LAPACK ``geqrf``
    (each block stacked under the R so far): no copy of the slab, and a few times faster
    than one ``geqrf`` of the whole tall slab."""
    from scipy.linalg import lapack  # SciPy only when a slab is factored (see _tsqr_numpy)

    m, r = Z.shape[0], (Z.shape[1] if C is None else C.shape[1])
    dt = np.result_type(Z.dtype, C.dtype) if C is not None else Z.dtype
    if m == 0:
        return np.zeros((0, r), dtype=dt)
    step = max(4 * r, (2**21) // max(1, r * np.dtype(dt).itemsize))
    buf = np.empty((step + r, r), dtype=dt, order="F")
    geqrf = lapack.get_lapack_funcs("geqrf", (buf,))
    R = None
    for a in range(0, m, step):
        b = min(m, a + step)
        top = 0 if R is None else R.shape[0]
        B = buf[: top + b - a]
        if top:
            B[:top] = R
        if C is None:
            B[top:] = Z[a:b]
        else:
            np.matmul(Z[a:b], C, out=B[top:])
        qr, _, _, info = geqrf(B, overwrite_a=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"geqrf failed with info={info}")
        R = np.triu(qr[: min(B.shape[0], r)])
    return R


def slab_product(Z, M, transpose=False):
    """``Z @ M`` for one slab (``M`` small); its transpose, C-contiguous, if asked
    (``M^T Z^T`` written directly: no second slab-sized buffer)."""
    return np.ascontiguousarray(M.T @ Z.T if transpose else Z @ M)


def slab_sum(*parts):
    """The sum of a slab's partials, added into a writeable one (each partial is one
    pass task's buffer for this slab, read by nothing else: no new slab is allocated;
    partials received from another worker may be read-only views of its message)."""
    i = next((i for i, p in enumerate(parts) if p.flags.writeable and p.flags.c_contiguous), None)
    Z = parts[0].copy() if i is None else parts[i]
    for j, p in enumerate(parts):
        if j != (0 if i is None else i):
            Z += p
    return Z
