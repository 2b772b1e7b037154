"""Chunk kernels of the k-means assignment step: pure functions of ``(chunk, ..., *, xp)``.

- :func:`lloyd_kernel` / :func:`combine_lloyd`: one fused Lloyd step (labels,
  per-cluster weighted sums and weights, inertia) over a chunk;
- :func:`inertia_kernel` / :func:`combine_inertia`: the exact inertia of given centers
  (summed from the differences ``x - c``, as scikit-learn's) and the cluster sizes;
- :func:`far_points_kernel` / :func:`combine_far_points`: the rows farthest from their
  center (new centers for empty clusters);
- :func:`labels_kernel`, :func:`distances_kernel`: blockwise ``predict`` / ``transform``
  (one output block per chunk, no combine);
- the distance helpers the other k-means kernel modules share
  (:mod:`dml.cluster._bounds_kernels`, :mod:`dml.cluster._seeding_kernels`), among them
  :class:`_BlockScores`, the centre-and-score step of a row block of the NumPy kernels.

Every kernel walks its chunk in cache-sized row blocks: for each block the distances to
all centers come from one matrix product, and everything the step needs is taken from
the block while it is in cache, so a pass reads X from memory once. Each kernel
``<name>_kernel`` is paired with its combine ``combine_<name>``.
"""

from __future__ import annotations

import numpy as np

from dml._engine.kernels import block_rows, row_blocks
from dml._engine.mapreduce import sum_partials
from dml._engine.namespace import as_float64, get_namespace, is_numpy_namespace, is_sparse

# ----------------------------------------------------------------- shared helpers


def _host(a, X, xp, dtype=None):
    """A small host array in the chunk's namespace (and dtype)."""
    return xp.asarray(a, dtype=X.dtype if dtype is None else dtype)


def _sq_dist(Xb, C, c_sq, xp):
    """Squared distances (b, k) of (already shifted) rows ``Xb`` to centers ``C``."""
    x_sq = xp.sum(Xb * Xb, axis=1)
    d = x_sq[:, None] + c_sq[None, :] - 2.0 * xp.matmul(Xb, xp.permute_dims(C, (1, 0)))
    return xp.maximum(d, 0.0)


def _itemsize(X):
    return getattr(X.dtype, "itemsize", None) or (4 if "32" in str(X.dtype) else 8)


def _centred_centers(centers, shift, dt):
    """``(mu, Cs, c_sq)``: the shift and the centers centred at it, in ``dt``, and the
    centred centers' squared norms (NumPy kernels)."""
    mu = np.asarray(shift, dtype=dt)
    Cs = np.asarray(centers, dtype=dt) - mu
    return mu, Cs, np.einsum("ij,ij->i", Cs, Cs)


def _n_nonzero(w, xp):
    """Number of non-zero weights (int64 scalar in ``w``'s namespace)."""
    return xp.sum(xp.astype(w != 0, xp.int64))


def _onehot_first_min(S, smin, ks, W):
    """The (k, m) one-hot matrix, in ``W``, of each column's minimum ``smin`` of the
    scores ``S``: ``S == smin`` unless a column ties (or holds a non-finite score),
    which takes ``argmin``'s first index, scikit-learn's rule. (Every finite column has
    at least one hit, so ``m`` hits in all means one per column.)"""
    np.equal(S, smin, out=W, casting="unsafe")
    if float(W.sum()) != W.shape[1] or not np.isfinite(smin.sum()):
        np.equal(ks, np.argmin(S, axis=0)[None, :], out=W, casting="unsafe")
    return W


#: Row-block size of the NumPy Lloyd and k-means|| kernels: the block (and its
#: centers x rows products) stays in a core's L2 cache between the products and the sums.
LLOYD_BLOCK_BYTES = 2**19


class _BlockScores:
    """The centred centers of a NumPy k-means kernel and its per-chunk block buffers.

    ``scores(Xb)`` centres the row block ``Xb`` at ``shift`` into a reused buffer and
    returns ``(Xc, S)`` with ``S = ||c'||^2 - 2 c'.x'`` (k, m): the squared distances
    to the centers less ``||x'||^2``, from one matrix product. ``step`` is the block
    row count and ``m0`` the buffers' rows (``min(step, n)``).
    """

    def __init__(self, centers, shift, dt, n, p):
        self.mu, self.Cs, self.c_sq = _centred_centers(centers, shift, dt)
        k = self.Cs.shape[0]
        self.step = block_rows(max(p, k), dt.itemsize, LLOYD_BLOCK_BYTES)
        self.m0 = min(self.step, n)
        self._Cm2 = -2.0 * self.Cs
        self._c_sq_col = self.c_sq[:, None]
        self._Xc = np.empty((self.m0, p), dtype=dt)
        self._S = np.empty((k, self.m0), dtype=dt)

    def __call__(self, Xb):
        m = Xb.shape[0]
        Xc = np.subtract(Xb, self.mu, out=self._Xc[:m])
        S = np.matmul(self._Cm2, Xc.T, out=self._S[:, :m])
        S += self._c_sq_col
        return Xc, S


# ---------------------------------------------------------------- sparse chunks


def sparse_row_sq_norms(X):
    """Squared norms (n,) float64 of the rows of a CSR chunk, from its stored values."""
    counts = np.diff(X.indptr)
    rows = np.repeat(np.arange(X.shape[0]), counts)
    data = X.data.astype(np.float64)
    return np.bincount(rows, weights=data * data, minlength=X.shape[0])


def sparse_sq_dist(X, centers):
    """Squared distances (n, k) float64 of the rows of a CSR chunk to dense ``centers``:
    ``||x||^2 + ||c||^2 - 2 x.c`` with ``X @ C^T`` one sparse product and the row norms
    from ``X.data`` (as scikit-learn's sparse k-means, which does not centre sparse
    data). The chunk is never densified: O(nnz * k) work, O(n * k) memory."""
    C = np.asarray(centers, dtype=X.dtype)
    if C.shape[0] == 0:
        return np.zeros((X.shape[0], 0))
    P = np.asarray(X @ C.T, dtype=np.float64)
    c64 = C.astype(np.float64)
    d = sparse_row_sq_norms(X)[:, None] + np.einsum("ij,ij->i", c64, c64)[None, :] - 2.0 * P
    return np.maximum(d, 0.0, out=d)


def sparse_rows(X, rows):
    """The given rows of a CSR chunk as a dense (len(rows), p) array (a few rows only:
    new centers)."""
    return np.asarray(X[np.asarray(rows, dtype=np.int64)].toarray())


def _lloyd_sparse(X, w, centers, counts):
    """:func:`lloyd_kernel` for a CSR chunk: assignment from :func:`sparse_sq_dist`,
    per-cluster sums as one sparse product ``X^T W`` (W the weighted one-hot)."""
    k = centers.shape[0]
    d2 = sparse_sq_dist(X, centers)
    lab = np.argmin(d2, axis=1)
    dmin = d2[np.arange(X.shape[0]), lab]
    wb = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    W = (lab[:, None] == np.arange(k)[None, :]) * wb[:, None]
    sums = np.ascontiguousarray(np.asarray(X.T @ W, dtype=np.float64).T)
    out = {"sums": sums, "weights": W.sum(axis=0), "inertia": np.asarray(float(wb @ dmin))}
    if counts:
        out["n"] = np.bincount(lab, minlength=k).astype(np.float64)
    return out


# ----------------------------------------------------------------------- Lloyd step


def lloyd_kernel(X, y, w, centers, shift, *, xp, counts=False):
    """One fused Lloyd step over a chunk: assign, sum per cluster, inertia.

    Each cache-sized row block is centred at ``shift`` (as scikit-learn centres the
    data), multiplied once by the centred centers, and everything else comes from
    that product: labels, ``||x - c||^2 = ||x'||^2 + ||c'||^2 - 2 x'.c'`` for the inertia,
    and the per-cluster sums as ``onehot(labels)^T @ (w * x')``.

    Parameters
    ----------
    X : (n, p) chunk; y : ignored; w : (n,) weights or None
    centers : (k, p) host array, the current centers (X's dtype)
    shift : (p,) host array, the centring shift (the data mean)
    counts : bool
        Also return the unweighted number of rows per cluster.

    Returns
    -------
    dict: ``sums`` (k, p) float64 weighted sums of the rows of each cluster,
    ``weights`` (k,) float64 weight per cluster, ``inertia`` (scalar float64, the
    weighted sum of squared distances to the assigned centers), ``n`` optional (k,).
    """
    if is_sparse(X):
        return _lloyd_sparse(X, w, centers, counts)
    if is_numpy_namespace(xp):
        return _lloyd_numpy(X, w, centers, shift, counts)
    n, p = X.shape
    k = centers.shape[0]
    mu = _host(shift, X, xp)
    Cs = _host(centers, X, xp) - mu
    c_sq = xp.sum(Cs * Cs, axis=1)
    CsT = xp.permute_dims(Cs, (1, 0))
    ks = xp.arange(k, dtype=xp.int64)
    sums = xp.zeros((k, p), dtype=xp.float64)
    wsum = xp.zeros((k,), dtype=xp.float64)
    cnt = xp.zeros((k,), dtype=xp.float64)
    inertia = xp.asarray(0.0, dtype=xp.float64)
    for a, b in row_blocks(n, max(p, k), _itemsize(X)):
        Xb = X[a:b, :] - mu
        score = c_sq[None, :] - 2.0 * xp.matmul(Xb, CsT)
        lab = xp.argmin(score, axis=1)
        d2 = xp.maximum(xp.vecdot(Xb, Xb, axis=-1) + xp.min(score, axis=1), 0.0)
        onehot = xp.astype(lab[:, None] == ks[None, :], X.dtype)
        if w is None:
            W = onehot
            inertia = inertia + xp.sum(as_float64(d2, xp))
        else:
            wb = w[a:b]
            W = onehot * wb[:, None]
            inertia = inertia + xp.sum(as_float64(wb * d2, xp))
        sums = sums + as_float64(xp.matmul(xp.permute_dims(W, (1, 0)), Xb), xp)
        wsum = wsum + as_float64(xp.sum(W, axis=0), xp)
        if counts:
            cnt = cnt + as_float64(xp.sum(onehot, axis=0), xp)
    sums = sums + wsum[:, None] * as_float64(mu, xp)[None, :]
    out = {"sums": sums, "weights": wsum, "inertia": inertia}
    if counts:
        out["n"] = cnt
    return out


def _lloyd_numpy(X, w, centers, shift, counts):
    """:func:`lloyd_kernel` for NumPy chunks: the same quantities, with every block
    temporary allocated once per chunk (Dask workers return freed memory to the OS
    eagerly, so a fresh block-sized temporary costs page faults each time) and the
    (k, rows) layout that NumPy reduces fastest.

    float64 blocks are not copied: the centring is folded into the product (one extra
    row ``shift`` in the centers matrix), the labels come from the column minimum
    (``S == min(S)`` is the one-hot matrix unless a row ties, which falls back to
    ``argmin``'s first index, as scikit-learn), and without weights the inertia is
    summed from scalars (``sum ||x'||^2 + sum min_j (||c'_j||^2 - 2 x'.c'_j)``).
    float32 blocks are centred first, as scikit-learn does, to keep the distances
    accurate, and their squared distances are summed per row.
    """
    X = np.asarray(X)
    n, p = X.shape
    k = centers.shape[0]
    dt = X.dtype
    mu, Cs, c_sq = _centred_centers(centers, shift, dt)
    center_rows = dt != np.float64
    if center_rows:
        M = Cs
        bias = c_sq
    else:
        M = np.vstack([Cs, mu[None, :]])
        bias = c_sq + 2.0 * (Cs @ mu)
        mu_sq = float(mu @ mu)
    bias = bias[:, None]
    per_row = center_rows or w is not None
    sums = np.zeros((k, p))
    wsum = np.zeros(k)
    cnt = np.zeros(k)
    inertia = 0.0
    step = block_rows(max(p, k), dt.itemsize, LLOYD_BLOCK_BYTES)
    m0 = min(step, n)
    Xb_buf = np.empty((m0, p), dtype=dt) if center_rows else None
    P_buf = np.empty((M.shape[0], m0), dtype=dt)
    W_buf = np.empty((k, m0), dtype=dt)
    smin_buf = np.empty(m0, dtype=dt)
    d2_buf = np.empty(m0, dtype=dt) if per_row else None
    block_sums = np.empty((k, p), dtype=dt)
    ks = np.arange(k)[:, None]
    w = None if w is None else np.asarray(w)
    for a in range(0, n, step):
        b = min(n, a + step)
        m = b - a
        Xb = X[a:b]
        if center_rows:
            Xb = np.subtract(Xb, mu, out=Xb_buf[:m])
        P = np.matmul(M, Xb.T, out=P_buf[:, :m])
        S = P[:k]
        S *= -2.0
        S += bias
        smin = np.min(S, axis=0, out=smin_buf[:m])
        W = _onehot_first_min(S, smin, ks, W_buf[:, :m])
        if counts:
            cnt += np.sum(W, axis=1)
        if per_row:
            d2 = np.einsum("ij,ij->i", Xb, Xb, out=d2_buf[:m])
            if not center_rows:
                d2 -= 2.0 * P[k]
                d2 += mu_sq
            d2 += smin
            np.maximum(d2, 0.0, out=d2)
            if w is None:
                inertia += float(np.sum(d2, dtype=np.float64))
            else:
                wb = w[a:b]
                W *= wb[None, :]
                inertia += float(np.dot(wb, d2))
        else:
            flat = Xb.ravel(order="K") if (Xb.flags.c_contiguous or Xb.flags.f_contiguous) else None
            xx = float(flat @ flat) if flat is not None else float(np.sum(np.vecdot(Xb.T, Xb.T)))
            inertia += xx - 2.0 * float(np.sum(P[k])) + m * mu_sq + float(np.sum(smin))
        wsum += np.sum(W, axis=1)
        sums += np.matmul(W, Xb, out=block_sums)
    if center_rows:
        sums += wsum[:, None] * mu.astype(np.float64)[None, :]
    out = {"sums": sums, "weights": wsum, "inertia": np.asarray(max(inertia, 0.0))}
    if counts:
        out["n"] = cnt
    return out


#: :func:`lloyd_kernel`'s partials add up.
combine_lloyd = sum_partials


# ------------------------------------------------------------------------ inertia


def inertia_kernel(X, y, w, centers, *, xp, counts=False):
    """Weighted sum of squared distances to the closest center (one pass).

    The closest center comes from one matrix product per row block; the distance to it
    is then summed from the differences ``x - c`` (as scikit-learn's inertia), so it
    stays exact when clusters are tight next to their distances. ``counts=True`` also
    returns ``n`` (k,), the unweighted cluster sizes.
    """
    if is_sparse(X):
        d2 = sparse_sq_dist(X, centers)
        lab = np.argmin(d2, axis=1)
        dmin = d2[np.arange(X.shape[0]), lab]
        out = {"inertia": np.asarray(float(np.sum(dmin) if w is None else np.asarray(w, np.float64) @ dmin))}
        if counts:
            out["n"] = np.bincount(lab, minlength=centers.shape[0]).astype(np.float64)
        return out
    if is_numpy_namespace(xp):
        return _inertia_numpy(np.asarray(X), None if w is None else np.asarray(w), centers, counts)
    n, p = X.shape
    k = centers.shape[0]
    C = _host(centers, X, xp)
    mu = xp.mean(C, axis=0)
    Cs = C - mu
    c_sq = xp.sum(Cs * Cs, axis=1)
    CsT = xp.permute_dims(Cs, (1, 0))
    ks = xp.arange(k, dtype=xp.int64)
    inertia = xp.asarray(0.0, dtype=xp.float64)
    cnt = xp.zeros((k,), dtype=xp.float64)
    for a, b in row_blocks(n, max(p, k), _itemsize(X)):
        Xb = X[a:b, :] - mu
        lab = xp.argmin(c_sq[None, :] - 2.0 * xp.matmul(Xb, CsT), axis=1)
        diff = Xb - xp.take(Cs, lab, axis=0)
        d2 = xp.sum(diff * diff, axis=1)
        inertia = inertia + xp.sum(as_float64(d2 if w is None else w[a:b] * d2, xp))
        if counts:
            cnt = cnt + as_float64(xp.sum(xp.astype(lab[:, None] == ks[None, :], xp.float64), axis=0), xp)
    out = {"inertia": inertia}
    if counts:
        out["n"] = cnt
    return out


def _inertia_numpy(X, w, centers, counts):
    """:func:`inertia_kernel` for NumPy chunks, with per-chunk block buffers."""
    n, p = X.shape
    k = centers.shape[0]
    dt = X.dtype
    scores = _BlockScores(centers, np.asarray(centers, dtype=dt).mean(axis=0), dt, n, p)
    step = scores.step
    D_buf = np.empty((scores.m0, p), dtype=dt)
    inertia = 0.0
    cnt = np.zeros(k)
    for a in range(0, n, step):
        b = min(n, a + step)
        m = b - a
        Xc, S = scores(X[a:b])
        lab = np.argmin(S, axis=0)
        D = np.take(scores.Cs, lab, axis=0, out=D_buf[:m], mode="clip")
        np.subtract(Xc, D, out=D)
        d2 = np.vecdot(D, D)
        inertia += float(np.sum(d2, dtype=np.float64) if w is None else np.dot(w[a:b], d2))
        if counts:
            cnt += np.bincount(lab, minlength=k)
    out = {"inertia": np.asarray(inertia)}
    if counts:
        out["n"] = cnt
    return out


#: :func:`inertia_kernel`'s partials add up.
combine_inertia = sum_partials


# -------------------------------------------------------------- empty clusters


def far_points_kernel(X, y, w, centers, *, xp, n_far):
    """The ``n_far`` rows farthest from their closest center (for empty clusters).

    Returns ``dist`` (m,), ``rows`` (m, p), ``w`` (m,), ``labels`` (m,) with m <= n_far,
    sorted by decreasing distance; combine with :func:`combine_far_points`.
    """
    if is_sparse(X):
        d2 = sparse_sq_dist(X, centers)
        lab = np.argmin(d2, axis=1)
        dist = d2[np.arange(X.shape[0]), lab]
        order = np.argsort(-dist, kind="stable")[:n_far]
        return {
            "dist": dist[order],
            "rows": sparse_rows(X, order).astype(X.dtype),
            "w": np.ones(order.shape[0], dtype=X.dtype) if w is None else np.asarray(w)[order],
            "labels": lab[order],
        }
    n, p = X.shape
    C = _host(centers, X, xp)
    c_sq = xp.sum(C * C, axis=1)
    CT = xp.permute_dims(C, (1, 0))
    dists, labs = [], []
    for a, b in row_blocks(n, p, _itemsize(X)):
        Xb = X[a:b, :]
        lab = xp.argmin(c_sq[None, :] - 2.0 * xp.matmul(Xb, CT), axis=1)
        diff = Xb - xp.take(C, lab, axis=0)
        dists.append(xp.sum(diff * diff, axis=1))
        labs.append(lab)
    dist = xp.concat(dists) if len(dists) > 1 else dists[0]
    lab = xp.concat(labs) if len(labs) > 1 else labs[0]
    order = xp.argsort(dist, descending=True, stable=True)[:n_far]
    return {
        "dist": as_float64(xp.take(dist, order), xp),
        "rows": xp.take(X, order, axis=0),
        "w": xp.ones((order.shape[0],), dtype=X.dtype) if w is None else xp.take(w, order),
        "labels": xp.take(lab, order),
    }


def combine_far_points(parts):
    """Keep the overall farthest rows of :func:`far_points_kernel` partials."""
    parts = [p for p in parts if p]
    xp = get_namespace(parts[0]["dist"])
    n_far = max(int(p["dist"].shape[0]) for p in parts)
    cat = {k: xp.concat([p[k] for p in parts], axis=0) for k in parts[0]}
    order = xp.argsort(cat["dist"], descending=True, stable=True)[:n_far]
    return {k: xp.take(v, order, axis=0) for k, v in cat.items()}


# --------------------------------------------------------------------- predict side


def labels_kernel(X, *, xp, centers):
    """Index of the closest center for every row (blockwise predict)."""
    if is_sparse(X):
        return np.argmin(sparse_sq_dist(X, centers), axis=1).astype(np.int32)
    n, p = X.shape
    C = _host(centers, X, xp)
    c_sq = xp.sum(C * C, axis=1)
    CT = xp.permute_dims(C, (1, 0))
    out = []
    for a, b in row_blocks(n, max(p, C.shape[0]), _itemsize(X)):
        Xb = X[a:b, :]
        out.append(xp.astype(xp.argmin(c_sq[None, :] - 2.0 * xp.matmul(Xb, CT), axis=1), xp.int32))
    if not out:
        return xp.zeros((0,), dtype=xp.int32)
    return xp.concat(out) if len(out) > 1 else out[0]


def distances_kernel(X, *, xp, centers):
    """Euclidean distances (n, k) of every row to every center (blockwise transform)."""
    if is_sparse(X):
        return np.sqrt(sparse_sq_dist(X, centers)).astype(X.dtype)
    C = _host(centers, X, xp)
    c_sq = xp.sum(C * C, axis=1)
    return xp.sqrt(_sq_dist(X, C, c_sq, xp))
