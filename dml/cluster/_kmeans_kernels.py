"""Chunk kernels of KMeans and MiniBatchKMeans: pure functions of ``(chunk, ..., *, xp)``.

Every kernel walks its chunk in cache-sized row blocks: for each block the distances to
all centers come from one matrix product, and everything the step needs (labels,
per-cluster weighted sums, weights, inertia, sampling keys) is taken from the block
while it is in cache, so a pass reads X from memory once.

Random draws that must not depend on how the data is chunked (the seeding of
k-means++, k-means|| and 'random') use a counter-based generator: the uniform number
of a row is a hash of ``(seed, stream, global row index)`` (SplitMix64), so the same
rows are drawn whatever the chunking or the number of workers. The global row index
travels in the ``y`` slot of the data (see :func:`dml.cluster._rows.with_row_index`).
"""

from __future__ import annotations

import numpy as np

from dml._engine.kernels import block_rows, combine_centered, moments_kernel, row_blocks
from dml._engine.namespace import get_namespace, is_numpy_namespace

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix(seed, stream):
    """A 64-bit key of (seed, stream), computed on the host."""
    z = (int(seed) * 0xD1342543DE82EF95 + int(stream) * _GOLDEN + 0x632BE59BD9B4E019) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def hash_uniform(idx, seed, stream, *, xp):
    """Uniform numbers in (0, 1), one per global row index in ``idx`` (SplitMix64)."""
    z = xp.astype(idx, xp.uint64) * _GOLDEN + _mix(seed, stream)
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    z = z ^ (z >> 31)
    return (xp.astype(z >> 11, xp.float64) + 0.5) * (2.0**-53)


def hash_exponential(idx, seed, stream, *, xp):
    """Standard exponential numbers, one per global row index (``-log(u)``)."""
    return -xp.log(hash_uniform(idx, seed, stream, xp=xp))


def _host(a, X, xp, dtype=None):
    """A small host array in the chunk's namespace (and dtype)."""
    return xp.asarray(a, dtype=X.dtype if dtype is None else dtype)


def _sq_dist(Xb, C, c_sq, xp):
    """Squared distances (b, k) of (already shifted) rows ``Xb`` to centers ``C``."""
    x_sq = xp.sum(Xb * Xb, axis=1)
    d = x_sq[:, None] + c_sq[None, :] - 2.0 * xp.matmul(Xb, xp.permute_dims(C, (1, 0)))
    return xp.maximum(d, 0.0)


def _min_sq_dist(Xb, C, c_sq, xp):
    """Squared distance (b,) of each (already shifted) row of ``Xb`` to its closest center."""
    if C.shape[0] == 0:
        return xp.ones((Xb.shape[0],), dtype=Xb.dtype)
    if is_numpy_namespace(xp):
        # centers along axis 0: the minimum over centers runs across contiguous rows
        S = C @ Xb.T
        S *= -2.0
        S += c_sq[:, None]
        d = S.min(axis=0)
        d += np.einsum("ij,ij->i", Xb, Xb)
        return np.maximum(d, 0.0, out=d)
    return xp.min(_sq_dist(Xb, C, c_sq, xp), axis=1)


def _itemsize(X):
    return getattr(X.dtype, "itemsize", None) or (4 if "32" in str(X.dtype) else 8)


def _f64(a, xp):
    return a if a.dtype == xp.float64 else xp.astype(a, xp.float64)


def _centred_centers(centers, shift, dt):
    """``(mu, Cs, c_sq)``: the shift and the centers centred at it, in ``dt``, and the
    centred centers' squared norms (NumPy kernels)."""
    mu = np.asarray(shift, dtype=dt)
    Cs = np.asarray(centers, dtype=dt) - mu
    return mu, Cs, np.einsum("ij,ij->i", Cs, Cs)


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
            inertia = inertia + xp.sum(_f64(d2, xp))
        else:
            wb = w[a:b]
            W = onehot * wb[:, None]
            inertia = inertia + xp.sum(_f64(wb * d2, xp))
        sums = sums + _f64(xp.matmul(xp.permute_dims(W, (1, 0)), Xb), xp)
        wsum = wsum + _f64(xp.sum(W, axis=0), xp)
        if counts:
            cnt = cnt + _f64(xp.sum(onehot, axis=0), xp)
    sums = sums + wsum[:, None] * _f64(mu, xp)[None, :]
    out = {"sums": sums, "weights": wsum, "inertia": inertia}
    if counts:
        out["n"] = cnt
    return out


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
    import numpy as np

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


def lloyd_bounds_kernel(X, y, w, centers, shift, *, xp, cache, final=False, moments=False, elkan=False):
    """One Lloyd step that computes distances only for the rows whose closest center
    may have changed: :func:`lloyd_kernel`'s ``sums`` and ``weights`` from per-row
    state kept in the chunk's ``cache`` between iterations.

    The state is Hamerly's: per row, its label, an upper bound on the distance to its
    center and a lower bound on the distance to every other center, plus the chunk's
    per-cluster sums. When the centers move by ``delta_j``, the upper bound grows by
    ``delta`` of the row's center and the lower bound shrinks by the largest ``delta``
    of the others; a row whose upper bound is below its lower bound, or below half the
    distance from its center to the nearest other center, keeps its label without
    reading it. Only the other rows are gathered and their distances computed (as
    :func:`lloyd_kernel` computes them: centred rows, one matrix product); the rows
    that change cluster move their weighted values between the per-cluster sums.

    Exactness: the bounds are widened by the rounding error of the computed squared
    distances (``2 (p + 2) eps (max ||x'||^2 + max ||c'||^2)``) and a row is kept only
    with a margin of twice that error's square root, so a kept row's label is the one a
    full recomputation in the same floating-point type would give. Near-ties are always
    recomputed, and ties go to the first center, as scikit-learn.

    ``elkan=True`` keeps Elkan's bounds instead: a lower bound on the distance to each
    other center (``n_clusters`` per row), each lowered by that center's own shift, so
    a row is read again only when its upper bound reaches the smallest of them. The
    bounds are tighter when a few centers move and the others stay (many clusters,
    late iterations), at ``8 * n_clusters`` bytes per row more state.

    Parameters
    ----------
    X : (n, p) chunk; y : ignored; w : (n,) weights or None
    centers : (k, p) host array, the current centers (X's dtype)
    shift : (p,) host array, the centring shift (the data mean); constant during a fit
    cache : dict
        The chunk's cache (see :func:`dml._engine.mapreduce.chunk_cache`); empty on the
        first call, or whenever the chunk runs where its state is not, in which case
        every row is computed.
    final : bool
        Also return what the inertia of ``centers`` follows from without another read
        of X: ``centred_sums`` (k, p), the sums of ``w (x - shift)`` per cluster,
        ``scatter``, the total ``sum w ||x - shift||^2`` of the chunk (computed once, in
        the first call), and ``n`` (k,), the unweighted cluster sizes. Then
        ``inertia = scatter - 2 sum_j c'_j . centred_sums_j + sum_j weights_j ||c'_j||^2``
        with ``c' = centers - shift``; this loses accuracy only when the inertia is
        tiny next to the scatter, which the caller checks. Other namespaces than NumPy,
        which keep no per-row state, return :func:`inertia_kernel`'s ``inertia``
        (exact differences) and ``n`` instead, from the same single pass.

    moments : bool
        Also return ``xs``, the per-feature sums of ``x - shift``, and ``xss``, the sum
        of ``||x - shift||^2`` (float64, unweighted; the mean per-feature variance is
        ``(xss / n - ||xs / n||^2) / p``), and ``w_nonzero``, the number of non-zero weights:
        the first iteration of a fit gives its tolerance and value checks this way
        instead of a pass of their own. All rows are then computed.
    elkan : bool
        Per-center lower bounds (Elkan) instead of one (Hamerly); same results.

    Returns
    -------
    dict: ``sums`` (k, p) float64, ``weights`` (k,) float64 as :func:`lloyd_kernel`,
    ``recomputed``, the number of rows whose distances were computed, and with
    ``final`` or ``moments`` the keys above.

    Notes
    -----
    Computation: reads only the recomputed rows of X (all of them on the first call);
    the state costs 32 bytes per row (label, the two bounds and a scratch value, 8 bytes
    each; with ``elkan``, ``8 * (n_clusters + 3)``) in the memory of the process holding
    the chunk. Other namespaces than NumPy run :func:`lloyd_kernel`
    (with ``final``, :func:`inertia_kernel`): one full pass per call.
    """
    if not is_numpy_namespace(xp):
        if final:
            # no per-row state to reuse: the final E-step is the exact inertia pass itself
            return inertia_kernel(X, y, w, centers, xp=xp, counts=True)
        out = lloyd_kernel(X, y, w, centers, shift, xp=xp)
        n = xp.asarray(float(X.shape[0]), dtype=xp.float64)
        out = {"sums": out["sums"], "weights": out["weights"], "recomputed": n}
        if moments:
            Xc = X - _host(shift, X, xp)
            out["xs"] = _f64(xp.sum(Xc, axis=0), xp)
            out["xss"] = _f64(xp.sum(Xc * Xc), xp)
            out["w_nonzero"] = _n_nonzero(w, xp) if w is not None else n
        return out
    X = np.asarray(X)
    w = None if w is None else np.asarray(w)
    return _lloyd_bounds_numpy(X, w, centers, shift, cache, final, moments, elkan)


def _nearest_block(Xb, wb, old, ctx):
    """Closest and second closest centers of the rows ``Xb`` (one row block).

    Centres the rows into a per-chunk buffer and takes the distances to all centers
    from one product (``ctx["scores"]``, a :class:`_BlockScores`), and adds the rows' weighted centred values to ``ctx["sums"]`` /
    ``ctx["wsum"]`` under their new label (and subtracts them under ``old`` when
    given). Returns the labels and the squared distances to the closest and second
    closest centers, the latter two as views of per-chunk buffers, and ``(S, x_sq)``:
    ``S + x_sq`` are the squared distances to every center (k, m), except that the
    closest center's entry is pushed out of reach (a view valid until the next block).
    """
    m = Xb.shape[0]
    k = ctx["k"]
    Xc, S = ctx["scores"](Xb)
    smin = np.min(S, axis=0, out=ctx["d1"][:m])
    W = _onehot_first_min(S, smin, ctx["ks"], ctx["W"][:, :m])
    lab = np.matmul(ctx["ks_row"], W)[0].astype(np.intp)
    x_sq = np.vecdot(Xc, Xc)
    if old is None:
        ctx["x_sq_max"] = max(ctx["x_sq_max"], float(x_sq.max()))
        ctx["scatter"] += float(np.sum(x_sq, dtype=np.float64) if wb is None else np.dot(wb, x_sq))
        if ctx["xs"] is not None:
            ctx["xs"] += np.matmul(ctx["ones"][:m], Xc)
            ctx["xss"] += float(np.sum(x_sq, dtype=np.float64))
    if ctx["cnt"] is not None:
        ctx["cnt"] += W.sum(axis=1)
        if old is not None:
            ctx["cnt"] -= np.bincount(old, minlength=k)
    # the second closest: the minimum once the closest is pushed out of reach
    S += np.multiply(W, ctx["far"], out=ctx["T"][:, :m])
    d2 = np.min(S, axis=0, out=ctx["d2"][:m])
    d1 = np.add(smin, x_sq, out=smin)
    d2 += x_sq
    if wb is not None:
        W *= wb[None, :]
    if old is not None:
        W[old, np.arange(m)] -= 1.0 if wb is None else wb
    ctx["wsum"] += W.sum(axis=1, dtype=np.float64)
    ctx["sums"] += np.matmul(W, Xc, out=ctx["block_sums"])
    return lab, d1, d2, S, x_sq


def _lloyd_bounds_numpy(X, w, centers, shift, cache, final, moments, elkan=False):
    n, p = X.shape
    k = centers.shape[0]
    dt = X.dtype
    scores = _BlockScores(centers, shift, dt, n, p)
    mu, c_sq, step, m0 = scores.mu, scores.c_sq, scores.step, scores.m0
    C64 = scores.Cs.astype(np.float64)
    gamma = 2.0 * (p + 2) * float(np.finfo(dt).eps)
    lower_shape = (k, n) if elkan else (n,)  # Elkan's: one row of bounds per center
    st = cache.get("lloyd")
    rows = None
    if st is not None and st["lower"].shape == lower_shape and st["centers"].shape == C64.shape:
        # move the bounds by how far the centers moved; keep the rows clear of every other center
        delta = np.sqrt(np.sum((C64 - st["centers"]) ** 2, axis=1))
        if k > 1:
            cc = np.sum((C64[:, None, :] - C64[None, :, :]) ** 2, axis=2)
            np.fill_diagonal(cc, np.inf)
            half = 0.5 * np.sqrt(cc.min(axis=1))
        else:
            half = np.full(1, np.inf)
        lab, up, lo, sc = st["labels"], st["upper"], st["lower"], st["scratch"]
        np.take(delta, lab, out=sc, mode="clip")
        up += sc
        if elkan:
            # each center's bound drops by its own shift (a row's own center is out of reach)
            lo -= delta[:, None]
            np.min(lo, axis=0, out=sc)
            np.maximum(sc, np.take(half, lab, mode="clip"), out=sc)
        else:
            if k > 1:
                top = np.argsort(delta)
                other_max = np.full(k, delta[top[-1]])
                other_max[top[-1]] = delta[top[-2]]
            else:
                other_max = np.zeros(1)
            np.take(other_max, lab, out=sc, mode="clip")
            lo -= sc
            np.take(half, lab, out=sc, mode="clip")
            np.maximum(sc, lo, out=sc)
        sc -= up
        tau = 2.0 * np.sqrt(gamma * (st["x_sq_max"] + float(c_sq.max())))
        rows = np.flatnonzero(sc < tau)
        if rows.shape[0] > n // 2 or moments:
            rows = None  # most rows: recompute all, in place, with exact sums
    else:
        st = {"labels": np.empty(n, dtype=np.intp), "upper": np.empty(n), "lower": np.empty(lower_shape),
              "scratch": np.empty(n), "x_sq_max": 0.0, "scatter": 0.0}
    ctx = {
        "k": k, "scores": scores, "x_sq_max": st["x_sq_max"],
        "ks": np.arange(k)[:, None], "ks_row": np.arange(k, dtype=dt)[None, :],
        "W": np.empty((k, m0), dtype=dt),
        "T": np.empty((k, m0), dtype=dt), "far": float(np.finfo(dt).max) / 4,
        "d1": np.empty(m0, dtype=dt), "d2": np.empty(m0, dtype=dt),
        "block_sums": np.empty((k, p), dtype=dt), "scatter": 0.0,
        "xs": np.zeros(p) if moments else None, "xss": 0.0, "ones": np.ones(m0, dtype=dt),
    }

    def lower_rows(d2, S, x_sq, err):
        """The widened lower bounds of a block: (m,) Hamerly, (k, m) Elkan."""
        if elkan:
            d2 = np.add(S, x_sq[None, :], dtype=np.float64)  # the own center's entry stays out of reach
        d2 -= err
        return np.sqrt(np.maximum(d2, 0.0, out=d2), out=d2)

    if rows is None:
        ctx["sums"], ctx["wsum"], ctx["x_sq_max"] = np.zeros((k, p)), np.zeros(k), 0.0
        ctx["cnt"] = None if w is None else np.zeros(k)
        for a in range(0, n, step):
            b = min(n, a + step)
            lab, d1, d2, S, x_sq = _nearest_block(X[a:b], None if w is None else w[a:b], None, ctx)
            st["labels"][a:b] = lab
            st["upper"][a:b] = d1
            if elkan:
                np.add(S, x_sq[None, :], out=st["lower"][:, a:b])
            else:
                st["lower"][a:b] = d2
        st["x_sq_max"], st["scatter"], st["n"] = ctx["x_sq_max"], ctx["scatter"], ctx["cnt"]
        err = gamma * (st["x_sq_max"] + float(c_sq.max()))
        # widen the bounds by the rounding error of the computed squared distances
        for key, sign in (("upper", 1.0), ("lower", -1.0)):
            v = st[key]
            v += sign * err
            np.maximum(v, 0.0, out=v)
            np.sqrt(v, out=v)
        recomputed = n
    else:
        ctx["sums"], ctx["wsum"], ctx["cnt"] = st["sums"], st["weights"], st["n"]
        err = gamma * (st["x_sq_max"] + float(c_sq.max()))
        gathered = np.empty((m0, p), dtype=dt)
        for a in range(0, rows.shape[0], step):
            idx = rows[a : a + step]
            Xg = np.take(X, idx, axis=0, out=gathered[: idx.shape[0]], mode="clip")
            lab, d1, d2, S, x_sq = _nearest_block(Xg, None if w is None else w[idx], st["labels"][idx], ctx)
            st["labels"][idx] = lab
            d1 += err
            st["upper"][idx] = np.sqrt(np.maximum(d1, 0.0, out=d1), out=d1)
            if elkan:
                st["lower"][:, idx] = lower_rows(d2, S, x_sq, err)
            else:
                st["lower"][idx] = lower_rows(d2, S, x_sq, err)
        recomputed = rows.shape[0]
    st["sums"], st["weights"], st["centers"] = ctx["sums"], ctx["wsum"], C64
    cache["lloyd"] = st
    raw = ctx["sums"] + ctx["wsum"][:, None] * mu.astype(np.float64)[None, :]
    out = {"sums": raw, "weights": ctx["wsum"].copy(), "recomputed": np.asarray(float(recomputed))}
    if moments:
        out["xs"], out["xss"] = ctx["xs"], np.asarray(ctx["xss"])
        out["w_nonzero"] = np.asarray(n if w is None else int(np.count_nonzero(w)))
    if final:
        out["centred_sums"] = ctx["sums"].copy()
        out["scatter"] = np.asarray(st["scatter"])
        out["n"] = (ctx["wsum"] if w is None else st["n"]).copy()
    return out


def far_points_kernel(X, y, w, centers, *, xp, n_far):
    """The ``n_far`` rows farthest from their closest center (for empty clusters).

    Returns ``dist`` (m,), ``rows`` (m, p), ``w`` (m,), ``labels`` (m,) with m <= n_far,
    sorted by decreasing distance; combine with :func:`combine_far`.
    """
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
        "dist": _f64(xp.take(dist, order), xp),
        "rows": xp.take(X, order, axis=0),
        "w": xp.ones((order.shape[0],), dtype=X.dtype) if w is None else xp.take(w, order),
        "labels": xp.take(lab, order),
    }


def combine_far(parts):
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
    C = _host(centers, X, xp)
    c_sq = xp.sum(C * C, axis=1)
    return xp.sqrt(_sq_dist(X, C, c_sq, xp))


def inertia_kernel(X, y, w, centers, *, xp, counts=False):
    """Weighted sum of squared distances to the closest center (one pass).

    The closest center comes from one matrix product per row block; the distance to it
    is then summed from the differences ``x - c`` (as scikit-learn's inertia), so it
    stays exact when clusters are tight next to their distances. ``counts=True`` also
    returns ``n`` (k,), the unweighted cluster sizes.
    """
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
        inertia = inertia + xp.sum(_f64(d2 if w is None else w[a:b] * d2, xp))
        if counts:
            cnt = cnt + _f64(xp.sum(xp.astype(lab[:, None] == ks[None, :], xp.float64), axis=0), xp)
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


# -------------------------------------------------------------------------- seeding


_MOMENTS = ("n", "mean", "m2", "n_rows", "w_nonzero")
_RACE = ("pot", "key", "rows", "ridx")


def first_pass_kernel(X, idx, w, *, xp, seed, n_races):
    """Per-feature moments of X (unweighted: the tolerance and the centring shift, as
    scikit-learn), the weight sum, and ``n_races`` draws proportional to the weights."""
    out = moments_kernel(X, None, None, xp=xp)
    out["wsum"] = xp.asarray(0.0, dtype=xp.float64) if w is None else xp.sum(xp.astype(w, xp.float64))
    if w is not None:
        out["w_nonzero"] = _n_nonzero(w, xp)
    if n_races:
        p = X.shape[1]
        empty = np.zeros((0, p))
        out.update(
            race_kernel(X, idx, w, np.zeros(p), empty, None, xp=xp, seed=seed, stream=0, n_races=n_races)
        )
    return out


def combine_first(parts):
    parts = [p for p in parts if p]
    out = combine_centered([{k: p[k] for k in _MOMENTS} for p in parts])
    out["wsum"] = sum(p["wsum"] for p in parts[1:]) + parts[0]["wsum"]
    if "key" in parts[0]:
        out.update(combine_races([{k: p[k] for k in _RACE} for p in parts]))
    return out


def race_kernel(X, idx, w, shift, centers, candidates, *, xp, seed, stream, n_races):
    """Exponential races for D^2 sampling (k-means++), with candidate potentials.

    Every row gets, for each race ``r``, the key ``E_r / (w * D^2)`` where ``E_r`` is a
    hashed standard exponential of its global index; the row with the smallest key
    of a race is a draw with probability proportional to ``w * D^2``. ``D^2`` is the
    squared distance to the closest of ``centers`` (1 when there are none: a draw
    proportional to ``w``). With ``candidates`` (m, p), each candidate ``j`` defines a
    group with ``D_j^2 = min(D^2, d(x, cand_j)^2)``: the kernel returns the potential
    ``sum w D_j^2`` of every group and runs the races within every group.

    Returns
    -------
    dict: ``pot`` (g,) float64, ``key`` (g, n_races) float64, ``rows`` (g, n_races, p),
    ``ridx`` (g, n_races) int64; with g = max(1, m). Combine with :func:`combine_races`.
    """
    n, p = X.shape
    m = 0 if candidates is None else candidates.shape[0]
    if m == 0 and centers.shape[0] == 0:
        return _first_draw_races(X, idx, w, xp=xp, seed=seed, stream=stream, n_races=n_races)
    mu = _host(shift, X, xp)
    C = _host(centers, X, xp) - mu
    c_sq = xp.sum(C * C, axis=1)
    if m:
        Cd = _host(candidates, X, xp) - mu
        cd_sq = xp.sum(Cd * Cd, axis=1)
    g = max(1, m)
    inf = float("inf")
    pot = xp.zeros((g,), dtype=xp.float64)
    best_key = xp.full((g, n_races), inf, dtype=xp.float64)
    best_row = xp.zeros((g, n_races), dtype=xp.int64)
    for a, b in row_blocks(n, max(p, C.shape[0] + m), _itemsize(X)):
        Xb = X[a:b, :] - mu
        d2 = _f64(_min_sq_dist(Xb, C, c_sq, xp), xp)
        if m:
            D = xp.minimum(d2[:, None], _f64(_sq_dist(Xb, Cd, cd_sq, xp), xp))  # (b, m)
        else:
            D = d2[:, None]
        WD = D if w is None else _f64(w[a:b], xp)[:, None] * D
        pot = pot + xp.sum(WD, axis=0)
        ib = idx[a:b]
        for r in range(n_races):
            E = hash_exponential(ib, seed, stream * 4096 + r, xp=xp)
            pos = WD > 0
            key = xp.where(pos, E[:, None] / xp.where(pos, WD, 1.0), inf)  # (b, g)
            j = xp.argmin(key, axis=0)  # (g,)
            kmin = xp.min(key, axis=0)
            better = kmin < best_key[:, r]
            best_key_r = xp.where(better, kmin, best_key[:, r])
            best_row_r = xp.where(better, j + a, best_row[:, r])
            best_key = _set_col(best_key, r, best_key_r, xp)
            best_row = _set_col(best_row, r, best_row_r, xp)
    flat = xp.reshape(best_row, (-1,))
    rows = xp.reshape(xp.take(X, flat, axis=0), (g, n_races, p))
    ridx = xp.reshape(xp.take(idx, flat), (g, n_races))
    return {"pot": pot, "key": best_key, "rows": rows, "ridx": xp.astype(ridx, xp.int64)}


def _first_draw_races(X, idx, w, *, xp, seed, stream, n_races):
    """:func:`race_kernel` with no centers and no candidates: every ``D^2`` is 1, so the
    races need the weights and the hashed keys only, not X (whose winning rows alone are
    gathered). Same keys and winners as the blocked computation (ties: the first row)."""
    n, p = X.shape
    WD = xp.ones((n,), dtype=xp.float64) if w is None else _f64(w, xp)
    pos = WD > 0
    safe = xp.where(pos, WD, 1.0)
    keys, rows = [], []
    for r in range(n_races):
        E = hash_exponential(idx, seed, stream * 4096 + r, xp=xp)
        key = xp.where(pos, E / safe, float("inf"))
        j = xp.argmin(key)
        keys.append(key[j])
        rows.append(j)
    best_row = xp.reshape(xp.astype(xp.stack(rows), xp.int64), (1, n_races))
    flat = xp.reshape(best_row, (-1,))
    return {
        "pot": xp.reshape(xp.sum(WD), (1,)),
        "key": xp.reshape(xp.stack(keys), (1, n_races)),
        "rows": xp.reshape(xp.take(X, flat, axis=0), (1, n_races, p)),
        "ridx": xp.astype(xp.reshape(xp.take(idx, flat), (1, n_races)), xp.int64),
    }


def _set_col(M, r, col, xp):
    cols = [M[:, i] if i != r else col for i in range(M.shape[1])]
    return xp.stack(cols, axis=1)


def combine_races(parts):
    """Keep the winner of every race; potentials (and other keys) are summed."""
    parts = [p for p in parts if p]
    out = dict(parts[0])
    xp = get_namespace(out["key"])
    for p in parts[1:]:
        better = p["key"] < out["key"]
        out["rows"] = xp.where(better[:, :, None], p["rows"], out["rows"])
        out["ridx"] = xp.where(better, p["ridx"], out["ridx"])
        out["key"] = xp.where(better, p["key"], out["key"])
        for k in p:
            if k not in ("rows", "ridx", "key"):
                out[k] = out[k] + p[k]
    return out


def smallest_keys_kernel(X, idx, w, shift, centers, *, xp, seed, stream, cap, cache=None):
    """The ``cap`` rows with the smallest keys ``u / (w D^2)`` (k-means|| rounds), or
    ``E / w`` when ``centers`` is empty (weighted sampling without replacement).

    With a chunk ``cache`` (NumPy chunks), each row's ``D^2`` and closest candidate are
    kept between rounds: k-means|| only appends candidates, so a round computes the
    distances to the candidates added since the previous one only (see
    :func:`_fold_candidates`), and :func:`candidate_weights_kernel` then needs no
    distances but those to the last round's candidates.

    Returns ``phi`` (the potential ``sum w D^2``), ``key`` (m,), ``rows`` (m, p),
    ``ridx`` (m,), m <= cap, sorted by key; combine with :func:`combine_smallest`.
    """
    n, p = X.shape
    if isinstance(X, np.ndarray):
        return _smallest_keys_numpy(X, idx, w, shift, centers, seed, stream, cap, cache)
    mu = _host(shift, X, xp)
    C = _host(centers, X, xp) - mu
    c_sq = xp.sum(C * C, axis=1)
    keys = []
    phi = xp.asarray(0.0, dtype=xp.float64)
    for a, b in row_blocks(n, max(p, C.shape[0]), _itemsize(X)):
        Xb = X[a:b, :] - mu
        d2 = _f64(_min_sq_dist(Xb, C, c_sq, xp), xp)
        wd = d2 if w is None else _f64(w[a:b], xp) * d2
        phi = phi + xp.sum(wd)
        if C.shape[0] == 0:
            num = hash_exponential(idx[a:b], seed, stream, xp=xp)
        else:
            num = hash_uniform(idx[a:b], seed, stream, xp=xp)
        pos = wd > 0
        keys.append(xp.where(pos, num / xp.where(pos, wd, 1.0), float("inf")))
    key = xp.concat(keys) if len(keys) > 1 else keys[0]
    order = xp.argsort(key, stable=True)[:cap]
    return {
        "phi": phi,
        "key": xp.take(key, order),
        "rows": xp.take(X, order, axis=0),
        "ridx": xp.astype(xp.take(idx, order), xp.int64),
    }


def _fold_candidates(X, shift, centers, cache):
    """Squared distance (float64) of every row to its closest of ``centers`` and that
    candidate's index, for NumPy chunks.

    Each cache-sized row block is centred at ``shift`` into a per-chunk buffer and
    multiplied once by the centred candidates; the minimum is taken across contiguous
    rows of the (candidates, rows) product, and ``argmin`` only for the rows that found
    a closer candidate. With a chunk ``cache`` holding the result for a prefix of
    ``centers`` (candidates are only ever appended), only the new candidates are
    computed, and the rows' squared norms are kept too; a new candidate replaces the
    closest only when strictly closer, so ties keep the first index, as ``argmin``.
    """
    n, p = X.shape
    dt = X.dtype
    kc = centers.shape[0]
    st = None if cache is None else cache.get("candidates")
    if st is None or st["d2"].shape[0] != n or st["k"] > kc or not np.array_equal(st["shift"], shift):
        st = {"d2": np.full(n, np.inf), "nearest": np.zeros(n, dtype=np.intp), "k": 0,
              "shift": np.array(shift, copy=True), "x_sq": None}
    j = st["k"]
    if kc > j:
        scores = _BlockScores(centers[j:], shift, dt, n, p)
        kn, step = scores.Cs.shape[0], scores.step
        smin_buf = np.empty(scores.m0, dtype=dt)
        first = st["x_sq"] is None
        if first:
            st["x_sq"] = np.empty(n)
        d2_all, near_all, x_sq = st["d2"], st["nearest"], st["x_sq"]
        for a in range(0, n, step):
            b = min(n, a + step)
            m = b - a
            Xc, S = scores(X[a:b])
            smin = np.min(S, axis=0, out=smin_buf[:m])
            if first:
                x_sq[a:b] = np.vecdot(Xc, Xc)
            d2 = np.add(x_sq[a:b], smin)
            np.maximum(d2, 0.0, out=d2)
            closer = np.flatnonzero(d2 < d2_all[a:b])
            if closer.size:
                arg = np.argmin(S[:, closer], axis=0) if kn > 1 else 0
                d2_all[a + closer] = d2[closer]
                near_all[a + closer] = arg + j
        st["k"] = kc
    if cache is not None:
        cache["candidates"] = st
    return st["d2"], st["nearest"]


def _smallest_keys_numpy(X, idx, w, shift, centers, seed, stream, cap, cache):
    """:func:`smallest_keys_kernel` for NumPy chunks: ``D^2`` from
    :func:`_fold_candidates`, and the ``cap`` smallest keys found by partitioning (then
    a stable sort of the few candidates: the same rows, in the same order, as a stable
    sort of all keys)."""
    n, p = X.shape
    idx = np.asarray(idx)
    w = None if w is None else np.asarray(w, dtype=np.float64)
    if centers.shape[0]:
        d2, _ = _fold_candidates(X, shift, centers, cache)
        num = hash_uniform(idx, seed, stream, xp=np)
    else:
        d2 = np.ones(n)
        num = hash_exponential(idx, seed, stream, xp=np)
    wd = d2 if w is None else w * d2
    phi = float(wd.sum())
    pos = wd > 0
    key = np.where(pos, num / np.where(pos, wd, 1.0), np.inf)
    if cap < n:
        cut = np.partition(key, cap - 1)[cap - 1]
        cand = np.flatnonzero(key <= cut)
        order = cand[np.argsort(key[cand], kind="stable")[:cap]]
    else:
        order = np.argsort(key, kind="stable")
    return {
        "phi": np.asarray(phi),
        "key": key[order],
        "rows": X[order],
        "ridx": idx[order].astype(np.int64),
    }


def candidate_weights_kernel(X, idx, w, shift, centers, *, xp, cache=None):
    """The weight of the rows closest to each k-means|| candidate: ``weights`` (m,).

    NumPy chunks use (and complete) the closest candidates kept in the chunk ``cache``
    by the sampling rounds; other chunks compute the assignment (as :func:`lloyd_kernel`).
    Ties go to the first candidate.
    """
    if not isinstance(X, np.ndarray):
        return {"weights": lloyd_kernel(X, None, w, centers, shift, xp=xp)["weights"]}
    _, nearest = _fold_candidates(X, shift, centers, cache)
    weights = np.bincount(nearest, None if w is None else np.asarray(w, dtype=np.float64),
                          minlength=centers.shape[0])
    return {"weights": weights.astype(np.float64)}


def combine_smallest(parts):
    """Keep the overall smallest keys of :func:`smallest_keys_kernel` partials."""
    parts = [p for p in parts if p]
    xp = get_namespace(parts[0]["key"])
    cap = max(int(p["key"].shape[0]) for p in parts)
    key = xp.concat([p["key"] for p in parts])
    rows = xp.concat([p["rows"] for p in parts], axis=0)
    ridx = xp.concat([p["ridx"] for p in parts])
    # ties broken by the global row index, so the result does not depend on chunking
    order = xp.argsort(ridx, stable=True)
    key, rows, ridx = xp.take(key, order), xp.take(rows, order, axis=0), xp.take(ridx, order)
    order = xp.argsort(key, stable=True)[:cap]
    return {
        "phi": sum(p["phi"] for p in parts[1:]) + parts[0]["phi"],
        "key": xp.take(key, order),
        "rows": xp.take(rows, order, axis=0),
        "ridx": xp.take(ridx, order),
    }


def gather_rows_kernel(X, idx, w, *, xp, indices):
    """The rows of the chunk whose global indices are in the sorted host array
    ``indices`` (repeats allowed), with their weights and positions in ``indices``."""
    import numpy as np

    from dml._engine.namespace import to_numpy

    n = X.shape[0]
    if n == 0:
        return {}
    start = int(to_numpy(idx[0:1])[0])
    lo, hi = np.searchsorted(indices, [start, start + n])
    local = xp.asarray(indices[lo:hi] - start, dtype=xp.int64)
    out = {
        "rows": xp.take(X, local, axis=0),
        "pos": xp.asarray(np.arange(lo, hi), dtype=xp.int64),
    }
    if w is not None:
        out["w"] = xp.take(w, local)
    return out


def combine_gather(parts):
    """Concatenate :func:`gather_rows_kernel` partials."""
    parts = [p for p in parts if p]
    xp = get_namespace(parts[0]["rows"])
    return {k: xp.concat([p[k] for p in parts], axis=0) for k in parts[0]}


def _n_nonzero(w, xp):
    """Number of non-zero weights (int64 scalar in ``w``'s namespace)."""
    return xp.sum(xp.astype(w != 0, xp.int64))


def weight_count_kernel(X, y, w, *, xp):
    """Number of non-zero weights of a chunk."""
    return {"nonzero": _n_nonzero(w, xp)}
