"""Chunk kernels of the neighbour searches: fused distance + partial top-k per
(query block, index block), the associative merge of top-k lists, and the radius and
vote kernels.

Pure functions of NumPy chunks (module level, so graphs that hold them pickle). The
distances that *select* neighbours are "reduced" distances, monotone in the metric per
query row: for euclidean / sqeuclidean ``|x|^2 - 2 q.x`` by one matrix product (the
``|q|^2`` term is the same for the whole row), for cosine ``-q.x / (|q| |x|)``, for
manhattan / minkowski the sum of ``|q - x|^p`` over small tiles. The distances
*returned* are recomputed exactly (from the differences) for the selected pairs, and
lists are ordered by (distance, index): ties go to the lower index, as in a stable
brute-force search.
"""

from __future__ import annotations

import numpy as np

#: index of a padding entry (a block with fewer than k rows): sorts after every real index
PAD_INDEX = np.iinfo(np.int64).max // 4
_Q_TILE = 1024  # query rows per matrix product
_I_TILE = 2048  # index rows per matrix product
_P_TILE = 64  # query rows per broadcast tile (manhattan / minkowski)


def _work_dtype(dtype):
    # float32 chunks select in float64 (as scikit-learn's float32 search): the reduced
    # euclidean distance |x|^2 - 2 q.x cancels badly in single precision
    return np.float64


def _prepared_index(B, metric):
    """(augmented / normalised index block, its tile function input) for ``metric``."""
    B = np.asarray(B, dtype=_work_dtype(B.dtype))
    if metric in ("euclidean", "sqeuclidean"):
        # one product gives |x|^2 - 2 q.x: [q, 1] @ [-2 x, |x|^2]^T
        return np.hstack([-2.0 * B, np.einsum("ij,ij->i", B, B)[:, None]])
    if metric == "cosine":
        return B / _safe_norms(B)[:, None]
    return B


def _prepared_queries(Q, metric):
    Q = np.asarray(Q, dtype=_work_dtype(Q.dtype))
    if metric in ("euclidean", "sqeuclidean"):
        return np.hstack([Q, np.ones((Q.shape[0], 1))])
    if metric == "cosine":
        return Q / _safe_norms(Q)[:, None]
    return Q


def _safe_norms(A):
    n = np.sqrt(np.einsum("ij,ij->i", A, A))
    n[n == 0] = 1.0  # a zero vector stays zero (scikit-learn's normalize): distance 1
    return n


def _reduced(Qp, Ip, metric, p, out=None):
    """Reduced distances of prepared query rows ``Qp`` to prepared index rows ``Ip``."""
    if metric in ("euclidean", "sqeuclidean"):
        return np.matmul(Qp, Ip.T, out=out)
    if metric == "cosine":
        r = np.matmul(Qp, Ip.T, out=out)
        np.negative(r, out=r)
        return r
    res = np.empty((Qp.shape[0], Ip.shape[0])) if out is None else out
    for s in range(0, Qp.shape[0], _P_TILE):
        diff = np.abs(Qp[s : s + _P_TILE, None, :] - Ip[None, :, :])
        if metric == "manhattan":
            res[s : s + _P_TILE] = diff.sum(axis=2)
        elif p == np.inf:
            res[s : s + _P_TILE] = diff.max(axis=2)
        else:
            res[s : s + _P_TILE] = (diff**p).sum(axis=2)
    return res


def exact_distances(Q, B, idx, metric, p):
    """Distances of every query row to its listed index rows ``B[idx]`` (``idx`` local,
    shape (n_queries, m)), from the differences; float64."""
    Q = np.asarray(Q, dtype=np.float64)
    rows = np.asarray(B, dtype=np.float64)[idx]  # (n, m, d)
    if metric == "cosine":
        qn = Q / _safe_norms(Q)[:, None]
        rn = rows / _safe_norms(rows.reshape(-1, rows.shape[-1])).reshape(rows.shape[:2])[..., None]
        return np.maximum(1.0 - np.einsum("nd,nmd->nm", qn, rn), 0.0)
    diff = np.abs(rows - Q[:, None, :])
    if metric == "sqeuclidean":
        return np.einsum("nmd,nmd->nm", diff, diff)
    if metric == "euclidean":
        return np.sqrt(np.einsum("nmd,nmd->nm", diff, diff))
    if metric == "manhattan":
        return diff.sum(axis=2)
    if p == np.inf:
        return diff.max(axis=2)
    return (diff**p).sum(axis=2) ** (1.0 / p)


def _sorted_rows(dist, idx):
    """Order every row by (distance, index)."""
    o = np.argsort(idx, axis=1, kind="stable")
    dist, idx = np.take_along_axis(dist, o, 1), np.take_along_axis(idx, o, 1)
    o = np.argsort(dist, axis=1, kind="stable")
    return np.take_along_axis(dist, o, 1), np.take_along_axis(idx, o, 1)


def _dense_topk(R, k):
    """Local column indices of the k smallest of every row of ``R``, any order."""
    if R.shape[1] <= k:
        return np.broadcast_to(np.arange(R.shape[1]), R.shape).copy()
    return np.argpartition(R, k - 1, axis=1)[:, :k]


def _seed_threshold(R, k):
    """An upper bound of every row's k-th smallest entry of ``R`` without a selection:
    the largest of the minima of k disjoint column groups (k distinct entries lie at or
    below it)."""
    g = R.shape[1] // k
    return R[:, : g * k].reshape(R.shape[0], k, g).min(axis=2).max(axis=1)


def _dense_merge(best_r, best_i, R, base, k):
    """The k best of the running lists and every entry of ``R`` (small tiles)."""
    cat_r = np.hstack([best_r, R])
    cat_i = np.hstack([best_i, np.broadcast_to(np.arange(base, base + R.shape[1]), R.shape)])
    o = np.argsort(np.where(np.isnan(cat_r), np.inf, cat_r), axis=1, kind="stable")[:, :k]
    return np.take_along_axis(cat_r, o, 1), np.take_along_axis(cat_i, o, 1)


def _merge_candidates(best_r, best_i, R, base, k, thr=None):
    """Merge the entries of ``R`` at or below each row's threshold (default: its k-th
    best) into the running lists (``best_r``, ``best_i``: (n, k) sorted by (value,
    index), updated in place). ``base``: index of R's column 0, above every index in
    the lists (tiles come in index order)."""
    if thr is None:
        thr = best_r[:, -1]
    flat = np.flatnonzero(R <= thr[:, None])  # 1-D: far faster than a 2-D nonzero
    if flat.size == 0:
        return
    rows, cols = np.divmod(flat, R.shape[1])  # row-major: rows ascending, then columns
    counts = np.bincount(rows, minlength=R.shape[0])
    sel = np.flatnonzero(counts)
    n_sel, m = sel.size, int(counts.max())
    slot = np.cumsum(counts > 0) - 1  # row -> its position in sel
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(rows.size) - starts[rows] + k
    # padded lists: the running k (sorted) then the candidates in index order, so a
    # stable sort by value orders ties by index
    P = np.full((n_sel, k + m), np.inf)
    J = np.full((n_sel, k + m), PAD_INDEX, dtype=np.int64)
    P[:, :k], J[:, :k] = best_r[sel], best_i[sel]
    P[slot[rows], pos] = R[rows, cols]
    J[slot[rows], pos] = cols + base
    o = np.argsort(P, axis=1, kind="stable")[:, :k]
    best_r[sel] = np.take_along_axis(P, o, 1)
    best_i[sel] = np.take_along_axis(J, o, 1)


def topk_block(Q, B, *, k, metric, p, offset=0, out_dtype=None, exact=True):
    """The k nearest rows of index block ``B`` for every query row of ``Q``.

    Parameters
    ----------
    Q : ndarray of shape (n_queries, n_features)
    B : ndarray of shape (n_index, n_features)
    k : int
        List length; a block of fewer than ``k`` rows pads with distance ``inf`` and
        index :data:`PAD_INDEX`.
    metric : {"euclidean", "sqeuclidean", "cosine", "manhattan", "minkowski"}
    p : float
        Minkowski's power (``metric="minkowski"`` only).
    offset : int
        Global index of the block's first row.
    out_dtype : dtype, optional
        Dtype of the returned distances (default: ``Q``'s).
    exact : bool, default=True
        ``False``: return the reduced distances (float64, comparable within a query
        row only) of the k selected rows, unsorted, without the exact recomputation.

    Returns
    -------
    dist : ndarray of shape (n_queries, k)
        Exact distances, each row ascending, ties by index.
    idx : ndarray of int64 of shape (n_queries, k)
        Global indices.
    """
    out_dtype = np.dtype(out_dtype or Q.dtype)
    nq, n = Q.shape[0], B.shape[0]
    kk = min(k, n)
    dist = np.full((nq, k), np.inf)
    idx = np.full((nq, k), PAD_INDEX, dtype=np.int64)
    if nq == 0 or n == 0:
        return dist.astype(out_dtype), idx
    Ip = _prepared_index(B, metric)
    tile = _P_TILE * 8 if metric in ("manhattan", "minkowski") else _I_TILE
    for qs in range(0, nq, _Q_TILE):
        q = Q[qs : qs + _Q_TILE]
        Qp = _prepared_queries(q, metric)
        best_r = np.full((Qp.shape[0], kk), np.inf)
        best_i = np.full((Qp.shape[0], kk), PAD_INDEX, dtype=np.int64)
        seeded = False
        buf = None
        for s in range(0, n, tile):
            block = Ip[s : s + tile]
            if buf is None or buf.shape[1] != block.shape[0]:
                buf = np.empty((Qp.shape[0], block.shape[0]))
            R = _reduced(Qp, block, metric, p, out=buf)
            if seeded:
                _merge_candidates(best_r, best_i, R, s, kk)
            elif R.shape[1] >= 2 * kk:
                _merge_candidates(best_r, best_i, R, s, kk, thr=_seed_threshold(R, kk))
                seeded = bool(np.all(np.isfinite(best_r)))
            else:
                best_r, best_i = _dense_merge(best_r, best_i, R, s, kk)
                seeded = bool(np.all(np.isfinite(best_r)))
        if not exact:
            dist[qs : qs + _Q_TILE, :kk] = best_r
            idx[qs : qs + _Q_TILE, :kk] = np.where(best_i == PAD_INDEX, PAD_INDEX, best_i + offset)
            continue
        pad = best_i == PAD_INDEX
        if pad.any():  # rows without k finite entries (NaN queries): inf, checked later
            best_i = np.where(pad, 0, best_i)
        d = exact_distances(q, B, best_i, metric, p)
        if pad.any():
            d[pad] = np.inf
            best_i = np.where(pad, PAD_INDEX - offset, best_i)
        d, gi = _sorted_rows(d, best_i + offset)
        dist[qs : qs + _Q_TILE, :kk] = d
        idx[qs : qs + _Q_TILE, :kk] = gi
    return (dist if not exact else dist.astype(out_dtype)), idx


# ------------------------------------------- single-precision euclidean selection

#: candidates kept per query row beyond k by the single-precision selection
_EXTRA = 6
_F_Q_TILE = 256  # query rows per single-precision product (a 256 x 1024 tile: 1 MiB)
_F_I_TILE = 1024  # index rows per single-precision product
_U32 = float(np.finfo(np.float32).eps) / 2  # float32 unit roundoff


class EuclideanSlab:
    """Index rows prepared once for the euclidean searches of :func:`topk_slab`.

    The rows are centred on their mean ``mu`` and stored as float32 ``[-2 x', |x'|^2]``
    (``x' = x - mu``), so that one single-precision product ``[q', 1] @ A.T`` gives the
    reduced distances ``|x'|^2 - 2 q'.x'`` of a tile; ``radius`` is the largest ``|x'|``,
    which bounds their rounding error. ``X`` keeps the rows themselves for the exact
    distances, ``ids`` their global indices (ascending).
    """

    __slots__ = ("X", "A32", "mu", "radius", "ids")

    def __init__(self, X, ids=None):
        X = np.asarray(X)
        X64 = np.asarray(X, dtype=np.float64)
        n, d = X64.shape
        self.X = X
        self.ids = np.arange(n, dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
        self.mu = X64.mean(axis=0) if n else np.zeros(d)
        Xc = X64 - self.mu
        sq = np.einsum("ij,ij->i", Xc, Xc)
        self.radius = float(np.sqrt(sq.max())) if n else 0.0
        A = np.empty((n, d + 1), dtype=np.float32)
        np.multiply(Xc, -2.0, out=A[:, :d], casting="same_kind")
        A[:, d] = sq
        self.A32 = A

    @classmethod
    def from_blocks(cls, blocks, offsets):
        """One slab of several index blocks (``offsets``: each block's first global
        index), in index order."""
        order = np.argsort(offsets, kind="stable")
        blocks = [blocks[i] for i in order]
        ids = np.concatenate(
            [np.arange(offsets[i], offsets[i] + b.shape[0], dtype=np.int64) for i, b in zip(order, blocks)]
        )
        X = aligned(np.ascontiguousarray(blocks[0])) if len(blocks) == 1 else np.concatenate(blocks)
        return cls(X, ids)

    @property
    def n(self):
        return int(self.X.shape[0])

    @property
    def nbytes(self):
        return self.X.nbytes + self.A32.nbytes + self.ids.nbytes

    def __getstate__(self):
        return {a: getattr(self, a) for a in self.__slots__}

    def __setstate__(self, state):
        for a, v in state.items():
            setattr(self, a, aligned(v))


def aligned(a):
    """``a``, copied when it is a NumPy array whose data is not aligned for its dtype
    (arrays received from the network may be; ``matmul`` then skips BLAS)."""
    if isinstance(a, np.ndarray) and not a.flags.aligned:
        return a.copy()
    return a


def _merge_rows(best_r, best_i, R, rows, thr, base, k):
    """:func:`_merge_candidates` on the rows ``rows`` of the tile only (None: all)."""
    sub = R if rows is None else R[rows]
    t = thr if rows is None else thr[rows]
    flat = np.flatnonzero(sub <= t[:, None])
    if flat.size == 0:
        return
    r, cols = np.divmod(flat, sub.shape[1])
    counts = np.bincount(r, minlength=sub.shape[0])
    sel = np.flatnonzero(counts)
    slot = np.cumsum(counts > 0) - 1
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(r.size) - starts[r] + k
    m = int(counts.max())
    if rows is not None:
        sel = rows[sel]
    P = np.full((sel.size, k + m), np.inf, dtype=best_r.dtype)
    J = np.full((sel.size, k + m), PAD_INDEX, dtype=np.int64)
    P[:, :k], J[:, :k] = best_r[sel], best_i[sel]
    P[slot[r], pos] = sub[r, cols]
    J[slot[r], pos] = cols + base
    o = np.argsort(P, axis=1, kind="stable")[:, :k]
    best_r[sel] = np.take_along_axis(P, o, 1)
    best_i[sel] = np.take_along_axis(J, o, 1)


def _approx_candidates(q32, A32, kp):
    """The ``kp`` smallest single-precision reduced distances of every row of ``q32``
    against the rows of ``A32`` (values, local positions), by tiles: the first tile
    seeds each row's threshold (:func:`_seed_threshold`), later tiles merge only the
    rows whose minimum is under their threshold."""
    t, n = q32.shape[0], A32.shape[0]
    width = max(_F_I_TILE, 4 * kp)
    best_r = np.full((t, kp), np.inf, dtype=np.float32)
    best_i = np.full((t, kp), PAD_INDEX, dtype=np.int64)
    buf = np.empty((t, min(width, n)), dtype=np.float32)
    for s in range(0, n, width):
        blk = A32[s : s + width]
        R = np.matmul(q32, blk.T, out=buf if blk.shape[0] == buf.shape[1] else None)
        if s == 0:
            if R.shape[1] >= 2 * kp:
                _merge_rows(best_r, best_i, R, None, _seed_threshold(R, kp), 0, kp)
            else:
                best_r, best_i = _dense_merge(best_r, best_i, R, 0, kp)
            continue
        thr = best_r[:, -1]
        hit = np.flatnonzero(R.min(axis=1) <= thr)
        if hit.size:
            _merge_rows(best_r, best_i, R, hit, thr, s, kp)
    return best_r, best_i


def topk_slab(Q, slab, *, k, metric):
    """The k nearest rows of an :class:`EuclideanSlab` for every query row (``metric``
    euclidean or sqeuclidean); the same neighbours and distances as
    ``topk_block(Q, slab.X, ...)`` with the slab's global indices.

    The candidates come from single-precision products (twice the speed of double
    precision, half the memory traffic): every row keeps its ``k + 6`` smallest
    approximate reduced distances, whose exact squared distances (from the
    differences, float64) are then sorted by (distance, index). A row's result is
    certified when the bound ``approx_(k+6) + |q'|^2 - err`` under the squared distance
    of every row it did not keep exceeds its k-th exact squared distance, where ``err``
    bounds the rounding of the float32 product (``(d + 8) u (2 |q'| r + r^2)``, ``u``
    float32's unit roundoff, ``r`` the slab's radius); rows not certified (ties, NaN,
    overflow) are searched again by the double-precision :func:`topk_block`.

    Returns
    -------
    dist : ndarray of float64 of shape (n_queries, k)
    idx : ndarray of int64 of shape (n_queries, k)
        Global indices (``slab.ids``); a slab of fewer than ``k`` rows pads with
        ``inf`` and :data:`PAD_INDEX`.
    """
    nq, n = Q.shape[0], slab.n
    dist = np.full((nq, k), np.inf)
    idx = np.full((nq, k), PAD_INDEX, dtype=np.int64)
    if nq == 0 or n == 0:
        return dist, idx
    kk = min(k, n)
    kp = min(n, kk + _EXTRA)
    d = slab.A32.shape[1] - 1
    gamma = (d + 8) * _U32 / (1 - (d + 8) * _U32)
    rad = slab.radius
    for qs in range(0, nq, _F_Q_TILE):
        q = np.asarray(Q[qs : qs + _F_Q_TILE], dtype=np.float64)
        qc = q - slab.mu
        qsq = np.einsum("ij,ij->i", qc, qc)
        q32 = np.empty((q.shape[0], d + 1), dtype=np.float32)
        q32[:, :d] = qc
        q32[:, d] = 1.0
        best_r, best_i = _approx_candidates(q32, slab.A32, kp)
        pad = best_i == PAD_INDEX
        loc = np.where(pad, 0, best_i)
        with np.errstate(invalid="ignore", over="ignore"):
            d2 = exact_distances(q, slab.X, loc, "sqeuclidean", 2.0)
            d2[pad] = np.inf
            d2, gi = _sorted_rows(d2, np.where(pad, PAD_INDEX, slab.ids[loc]))
            if kp < n:
                qn = np.sqrt(qsq)
                err = gamma * (2.0 * qn * rad + rad * rad) * (1 + 1e-6) + 1e-12 * (qn + rad) ** 2
                bound = best_r[:, -1].astype(np.float64) + qsq - err
                ok = bound > d2[:, kk - 1] * (1 + 1e-12)
            else:  # every row of the slab is a candidate
                ok = np.isfinite(d2[:, kk - 1])
        out = d2[:, :kk] if metric == "sqeuclidean" else np.sqrt(d2[:, :kk])
        dist[qs : qs + _F_Q_TILE, :kk] = out
        idx[qs : qs + _F_Q_TILE, :kk] = gi[:, :kk]
        redo = np.flatnonzero(~ok)
        if redo.size:
            rd, ri = topk_block(q[redo], slab.X, k=kk, metric=metric, p=2.0, out_dtype=np.float64)
            rows = redo + qs
            dist[rows, :kk] = rd
            idx[rows, :kk] = np.where(ri == PAD_INDEX, PAD_INDEX, slab.ids[np.where(ri == PAD_INDEX, 0, ri)])
    return dist, idx


def merge_topk(dists, idxs, k):
    """Merge per-block lists (each (n, k_i), sorted) into the k best, by (distance, index)."""
    d = np.concatenate(dists, axis=1)
    i = np.concatenate(idxs, axis=1)
    d, i = _sorted_rows(d, i)
    return d[:, :k], i[:, :k]


# ------------------------------------------------------------- packed (Dask) form


def pack(dist, idx):
    """One float64 array (n, 2k): distances then indices (exact below 2**53)."""
    return np.hstack([dist.astype(np.float64), idx.astype(np.float64)])


def unpack(packed):
    k = packed.shape[1] // 2
    return packed[:, :k], packed[:, k:].astype(np.int64)


def topk_packed(Q, B, offsets, *, k, metric, p):
    """:func:`topk_block` in packed form; ``offsets`` is the block's (1,) offset array."""
    off = int(np.asarray(offsets).ravel()[0]) if np.size(offsets) else 0
    if metric in ("euclidean", "sqeuclidean"):
        slab = EuclideanSlab(B, np.arange(off, off + B.shape[0], dtype=np.int64))
        d, i = topk_slab(Q, slab, k=k, metric=metric)
    else:
        d, i = topk_block(Q, B, k=k, metric=metric, p=p, offset=off, out_dtype=np.float64)
    return pack(d, i)


def merge_packed(packed, axis=None, keepdims=True, *, k):
    """Combine of the tree reduce: ``packed`` is several (n, 2k) lists side by side."""
    width = 2 * k
    parts = [unpack(packed[:, s : s + width]) for s in range(0, packed.shape[1], width)]
    d, i = merge_topk([a for a, _ in parts], [b for _, b in parts], k)
    return pack(d, i)


def packed_identity(packed, axis=None, keepdims=True):
    return packed


# ------------------------------------------------------------------------ radius


def radius_block(Q, B, *, radius, metric, p, offset=0):
    """Every (query row, index row) pair within ``radius`` (inclusive).

    Returns
    -------
    rows, idx : ndarray of int64
        Query row (local) and global index of every pair, in (row, index) order.
    dist : ndarray of float64
        Their exact distances.
    """
    nq, n = Q.shape[0], B.shape[0]
    if nq == 0 or n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    Ip = _prepared_index(B, metric)
    tile = _P_TILE * 8 if metric in ("manhattan", "minkowski") else _I_TILE
    out_r, out_i, out_d = [], [], []
    for qs in range(0, nq, _Q_TILE):
        q = np.asarray(Q[qs : qs + _Q_TILE], dtype=np.float64)
        Qp = _prepared_queries(q, metric)
        thr = _reduced_threshold(q, radius, metric, p)
        for s in range(0, n, tile):
            R = _reduced(Qp, Ip[s : s + tile], metric, p)
            flat = np.flatnonzero(R <= thr[:, None])
            if flat.size == 0:
                continue
            rows, cols = np.divmod(flat, R.shape[1])
            cols = cols + s
            d = _pair_distances(q[rows], np.asarray(B, np.float64)[cols], metric, p)
            keep = d <= radius
            out_r.append(rows[keep] + qs)
            out_i.append(cols[keep] + offset)
            out_d.append(d[keep])
    if not out_r:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    r, i, d = (np.concatenate(a) for a in (out_r, out_i, out_d))
    o = np.lexsort((i, r))
    return r[o].astype(np.int64), i[o].astype(np.int64), d[o]


def _reduced_threshold(q, radius, metric, p):
    """Per-row bound on the reduced distance, with slack for rounding (the exact distance
    is checked afterwards)."""
    if metric in ("euclidean", "sqeuclidean"):
        r2 = radius**2 if metric == "euclidean" else radius
        sq = np.einsum("ij,ij->i", q, q)
        return r2 - sq + 1e-7 * (r2 + sq) + 1e-12
    if metric == "cosine":
        return np.full(q.shape[0], radius - 1.0 + 1e-9)
    if metric == "manhattan" or p == np.inf:
        return np.full(q.shape[0], radius * (1 + 1e-12))
    return np.full(q.shape[0], radius**p * (1 + 1e-9))


def _pair_distances(A, B, metric, p):
    """Exact distances of paired rows A[i], B[i]."""
    return exact_distances(A, B[:, None, :].reshape(-1, B.shape[1]), np.arange(len(B))[:, None], metric, p)[
        :, 0
    ]


# ------------------------------------------------------------------------- votes


def neighbor_weights(dist, weights):
    """scikit-learn's weights of neighbours at ``dist`` (None for uniform): inverse
    distance, and rows holding a zero distance weight only their zero-distance entries."""
    if weights in (None, "uniform"):
        return None
    if weights == "distance":
        with np.errstate(divide="ignore"):
            w = 1.0 / dist
        inf_mask = np.isinf(w)
        inf_row = np.any(inf_mask, axis=1)
        w[inf_row] = inf_mask[inf_row]
        return w
    return weights(dist)


def vote_block(idx, dist, y_codes, *, n_classes, weights):
    """Per-class weight sums (n, n_classes) of every row's neighbours (``y_codes`` int)."""
    w = neighbor_weights(dist, weights)
    labels = y_codes[idx]
    out = np.zeros((idx.shape[0], n_classes))
    rows = np.repeat(np.arange(idx.shape[0]), idx.shape[1])
    np.add.at(out, (rows, labels.ravel()), 1.0 if w is None else np.asarray(w, np.float64).ravel())
    return out


def mean_block(idx, dist, y, *, weights):
    """Neighbour mean of ``y`` (2-D, (n_fit, n_outputs)) per row, weighted as scikit-learn."""
    w = neighbor_weights(dist, weights)
    vals = y[idx]  # (n, k, n_outputs)
    if w is None:
        return vals.mean(axis=1)
    w = np.asarray(w, dtype=np.float64)
    return np.einsum("nk,nko->no", w, vals) / w.sum(axis=1)[:, None]


# ------------------------------------------------------------- radius statistics


def _pair_weights(d, weights):
    """Weights of (non-zero-distance) pairs at distances ``d`` (1-D)."""
    if weights in (None, "uniform"):
        return np.ones_like(d)
    if weights == "distance":
        with np.errstate(divide="ignore"):
            return 1.0 / d
    return np.asarray(weights(d), dtype=np.float64)


def radius_stats(Q, B, offsets, *, radius, metric, p, targets, n_classes, weights):
    """Additive per-row statistics of the neighbours within ``radius`` in one index block,
    for the radius estimators' predictions; shape (n_queries, 1, n_stats).

    ``targets`` (n_fit, n_outputs): class codes (``n_classes`` a list, classifier) or
    values (``n_classes`` None, regressor). Per output, the weighted sums over pairs
    at non-zero distance and, apart, the sums over pairs at distance zero (scikit-learn
    weights only those when ``weights='distance'``), then the pair counts.
    """
    off = int(np.asarray(offsets).ravel()[0]) if np.size(offsets) else 0
    rows, idx, d = radius_block(Q, B, radius=radius, metric=metric, p=p, offset=off)
    nq = Q.shape[0]
    zero = d == 0
    dist_w = weights == "distance"
    w = _pair_weights(d, weights)
    if dist_w:
        w = np.where(zero, 0.0, w)
    return _stats(rows, idx, w, zero, nq, targets, n_classes, dist_w)[:, None, :]


def _stats(rows, idx, w, zero, nq, targets, n_classes, dist_w):
    t = targets[idx]
    parts = []
    n_out = targets.shape[1]
    for j in range(n_out):
        if n_classes is not None:
            c = n_classes[j]
            acc = np.zeros((nq, c))
            np.add.at(acc, (rows, t[:, j].astype(np.int64)), w)
            z = np.zeros((nq, c))
            if dist_w:
                np.add.at(z, (rows, t[:, j].astype(np.int64)), zero.astype(np.float64))
        else:
            acc = np.bincount(rows, weights=w * t[:, j], minlength=nq)[:, None]
            z = np.zeros((nq, 1))
            if dist_w:
                z = np.bincount(rows, weights=zero * t[:, j].astype(np.float64), minlength=nq)[:, None]
        parts += [acc, z]
    parts.append(np.bincount(rows, weights=w, minlength=nq)[:, None])
    parts.append(np.bincount(rows, weights=zero.astype(np.float64), minlength=nq)[:, None])
    parts.append(np.bincount(rows, minlength=nq).astype(np.float64)[:, None])
    return np.hstack(parts)


def split_stats(stats, n_outputs, widths):
    """(per output (sums, zero sums), weight total, zero count, pair count) of summed stats."""
    out, s = [], 0
    for wdt in widths:
        out.append((stats[:, s : s + wdt], stats[:, s + wdt : s + 2 * wdt]))
        s += 2 * wdt
    return out, stats[:, s], stats[:, s + 1], stats[:, s + 2]
