"""The k-means iteration kernel that skips settled rows: Hamerly's (and Elkan's)
triangle-inequality bounds kept per row in the chunk's cache.

:func:`lloyd_bounds_kernel` / :func:`combine_lloyd_bounds` give the ``sums`` and
``weights`` of a Lloyd step, as :func:`dml.cluster._lloyd_kernels.lloyd_kernel`, reading
only the rows whose closest center may have changed. Its NumPy path keeps two small
named structures: :class:`_RowBounds`, the per-row state that lives in the chunk's cache
between iterations, and :class:`_BlockPass`, the per-chunk block buffers and running
sums of one call.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dml._engine.mapreduce import sum_partials
from dml._engine.namespace import as_float64, is_numpy_namespace
from dml.cluster._lloyd_kernels import (
    _BlockScores,
    _host,
    _n_nonzero,
    _onehot_first_min,
    inertia_kernel,
    lloyd_kernel,
)


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
            out["xs"] = as_float64(xp.sum(Xc, axis=0), xp)
            out["xss"] = as_float64(xp.sum(Xc * Xc), xp)
            out["w_nonzero"] = _n_nonzero(w, xp) if w is not None else n
        return out
    X = np.asarray(X)
    w = None if w is None else np.asarray(w)
    return _lloyd_bounds_numpy(X, w, centers, shift, cache, final, moments, elkan)


#: :func:`lloyd_bounds_kernel`'s partials add up.
combine_lloyd_bounds = sum_partials


@dataclasses.dataclass
class _RowBounds:
    """The per-row state of a chunk, kept in its cache (``cache["lloyd"]``) between
    iterations: per row the label, the upper bound on the distance to its center and
    the lower bound(s) on the distances to the others, plus the chunk's per-cluster
    sums for the centers ``centers`` the bounds belong to."""

    labels: np.ndarray  # (n,) intp
    upper: np.ndarray  # (n,)
    lower: np.ndarray  # (n,) Hamerly's, (k, n) Elkan's
    scratch: np.ndarray  # (n,) work space
    x_sq_max: float = 0.0  # largest ||x - shift||^2 of the chunk (rounding error bound)
    scatter: float = 0.0  # sum w ||x - shift||^2 of the chunk
    sums: np.ndarray | None = None  # (k, p) float64 sums of w (x - shift) per cluster
    weights: np.ndarray | None = None  # (k,) float64 weight per cluster
    centers: np.ndarray | None = None  # (k, p) float64 centred centers of the last call
    n: np.ndarray | None = None  # (k,) unweighted cluster sizes (weighted data only)

    @classmethod
    def empty(cls, n, lower_shape):
        return cls(np.empty(n, dtype=np.intp), np.empty(n), np.empty(lower_shape), np.empty(n))


@dataclasses.dataclass
class _BlockPass:
    """The per-chunk block buffers and running sums of one :func:`_nearest_block` pass
    (NumPy): the centred centers and score buffers (``scores``), the one-hot, scratch
    and distance buffers of a block, and the per-cluster sums and chunk statistics
    the blocks add to."""

    scores: _BlockScores
    sums: np.ndarray  # (k, p) float64 sums of w (x - shift) per cluster
    wsum: np.ndarray  # (k,) float64 weight per cluster
    cnt: np.ndarray | None  # (k,) unweighted cluster sizes, or None (not needed)
    xs: np.ndarray | None  # (p,) sums of x - shift (``moments``), or None
    ks: np.ndarray  # (k, 1) center indices
    ks_row: np.ndarray  # (1, k) center indices in X's dtype (labels from the one-hot)
    W: np.ndarray  # (k, m0) one-hot (then weight) matrix of a block
    T: np.ndarray  # (k, m0) scratch: the closest center pushed out of reach
    d1: np.ndarray  # (m0,) squared distances to the closest center
    d2: np.ndarray  # (m0,) squared distances to the second closest
    block_sums: np.ndarray  # (k, p) a block's per-cluster sums
    ones: np.ndarray  # (m0,) ones (the column sums of a block by one product)
    far: float  # a score no distance reaches
    x_sq_max: float = 0.0
    scatter: float = 0.0
    xss: float = 0.0

    @classmethod
    def start(cls, scores, p, dt, sums, wsum, cnt, moments):
        k, m0 = scores.Cs.shape[0], scores.m0
        return cls(
            scores=scores,
            sums=sums,
            wsum=wsum,
            cnt=cnt,
            xs=np.zeros(p) if moments else None,
            ks=np.arange(k)[:, None],
            ks_row=np.arange(k, dtype=dt)[None, :],
            W=np.empty((k, m0), dtype=dt),
            T=np.empty((k, m0), dtype=dt),
            d1=np.empty(m0, dtype=dt),
            d2=np.empty(m0, dtype=dt),
            block_sums=np.empty((k, p), dtype=dt),
            ones=np.ones(m0, dtype=dt),
            far=float(np.finfo(dt).max) / 4,
        )


def _nearest_block(Xb, wb, old, acc):
    """Closest and second closest centers of the rows ``Xb`` (one row block).

    Centres the rows into a per-chunk buffer and takes the distances to all centers
    from one product (``acc.scores``, a :class:`_BlockScores`), and adds the rows'
    weighted centred values to ``acc.sums`` / ``acc.wsum`` under their new label (and
    subtracts them under ``old`` when given). Returns the labels and the squared
    distances to the closest and second closest centers, the latter two as views of
    per-chunk buffers, and ``(S, x_sq)``: ``S + x_sq`` are the squared distances to
    every center (k, m), except that the closest center's entry is pushed out of reach
    (a view valid until the next block).
    """
    m = Xb.shape[0]
    k = acc.ks.shape[0]
    Xc, S = acc.scores(Xb)
    smin = np.min(S, axis=0, out=acc.d1[:m])
    W = _onehot_first_min(S, smin, acc.ks, acc.W[:, :m])
    lab = np.matmul(acc.ks_row, W)[0].astype(np.intp)
    x_sq = np.vecdot(Xc, Xc)
    if old is None:
        acc.x_sq_max = max(acc.x_sq_max, float(x_sq.max()))
        acc.scatter += float(np.sum(x_sq, dtype=np.float64) if wb is None else np.dot(wb, x_sq))
        if acc.xs is not None:
            acc.xs += np.matmul(acc.ones[:m], Xc)
            acc.xss += float(np.sum(x_sq, dtype=np.float64))
    if acc.cnt is not None:
        acc.cnt += W.sum(axis=1)
        if old is not None:
            acc.cnt -= np.bincount(old, minlength=k)
    # the second closest: the minimum once the closest is pushed out of reach
    S += np.multiply(W, acc.far, out=acc.T[:, :m])
    d2 = np.min(S, axis=0, out=acc.d2[:m])
    d1 = np.add(smin, x_sq, out=smin)
    d2 += x_sq
    if wb is not None:
        W *= wb[None, :]
    if old is not None:
        W[old, np.arange(m)] -= 1.0 if wb is None else wb
    acc.wsum += W.sum(axis=1, dtype=np.float64)
    acc.sums += np.matmul(W, Xc, out=acc.block_sums)
    return lab, d1, d2, S, x_sq


def _rows_to_recompute(st, C64, c_sq, gamma, elkan, moments):
    """Move the cached bounds ``st`` by how far the centers moved (to ``C64``, centred,
    float64) and return the rows whose label may have changed, or None when most rows
    (or, with ``moments``, all of them) are to be computed again."""
    n = st.labels.shape[0]
    k = C64.shape[0]
    # move the bounds by how far the centers moved; keep the rows clear of every other center
    delta = np.sqrt(np.sum((C64 - st.centers) ** 2, axis=1))
    if k > 1:
        cc = np.sum((C64[:, None, :] - C64[None, :, :]) ** 2, axis=2)
        np.fill_diagonal(cc, np.inf)
        half = 0.5 * np.sqrt(cc.min(axis=1))
    else:
        half = np.full(1, np.inf)
    lab, up, lo, sc = st.labels, st.upper, st.lower, st.scratch
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
    tau = 2.0 * np.sqrt(gamma * (st.x_sq_max + float(c_sq.max())))
    rows = np.flatnonzero(sc < tau)
    if rows.shape[0] > n // 2 or moments:
        return None  # most rows: recompute all, in place, with exact sums
    return rows


def _widened_lower(d2, S, x_sq, err, elkan):
    """The widened lower bounds of a block: (m,) Hamerly, (k, m) Elkan."""
    if elkan:
        d2 = np.add(S, x_sq[None, :], dtype=np.float64)  # the own center's entry stays out of reach
    d2 -= err
    return np.sqrt(np.maximum(d2, 0.0, out=d2), out=d2)


def _bounds_full_pass(X, w, st, acc, err_of, elkan):
    """Every row of the chunk: labels, bounds and sums from scratch (into ``st``)."""
    n = X.shape[0]
    step = acc.scores.step
    for a in range(0, n, step):
        b = min(n, a + step)
        lab, d1, d2, S, x_sq = _nearest_block(X[a:b], None if w is None else w[a:b], None, acc)
        st.labels[a:b] = lab
        st.upper[a:b] = d1
        if elkan:
            np.add(S, x_sq[None, :], out=st.lower[:, a:b])
        else:
            st.lower[a:b] = d2
    st.x_sq_max, st.scatter, st.n = acc.x_sq_max, acc.scatter, acc.cnt
    err = err_of(st.x_sq_max)
    # widen the bounds by the rounding error of the computed squared distances
    for v, sign in ((st.upper, 1.0), (st.lower, -1.0)):
        v += sign * err
        np.maximum(v, 0.0, out=v)
        np.sqrt(v, out=v)


def _bounds_partial_pass(X, w, rows, st, acc, err, elkan):
    """The rows ``rows`` only: gathered in blocks, relabelled, their bounds reset and
    their weighted values moved between the per-cluster sums (``st``'s, in place)."""
    step, m0 = acc.scores.step, acc.scores.m0
    gathered = np.empty((m0, X.shape[1]), dtype=X.dtype)
    for a in range(0, rows.shape[0], step):
        idx = rows[a : a + step]
        Xg = np.take(X, idx, axis=0, out=gathered[: idx.shape[0]], mode="clip")
        lab, d1, d2, S, x_sq = _nearest_block(Xg, None if w is None else w[idx], st.labels[idx], acc)
        st.labels[idx] = lab
        d1 += err
        st.upper[idx] = np.sqrt(np.maximum(d1, 0.0, out=d1), out=d1)
        if elkan:
            st.lower[:, idx] = _widened_lower(d2, S, x_sq, err, elkan)
        else:
            st.lower[idx] = _widened_lower(d2, S, x_sq, err, elkan)


def _lloyd_bounds_numpy(X, w, centers, shift, cache, final, moments, elkan=False):
    """:func:`lloyd_bounds_kernel` for NumPy chunks."""
    n, p = X.shape
    k = centers.shape[0]
    dt = X.dtype
    scores = _BlockScores(centers, shift, dt, n, p)
    mu, c_sq = scores.mu, scores.c_sq
    C64 = scores.Cs.astype(np.float64)
    gamma = 2.0 * (p + 2) * float(np.finfo(dt).eps)
    lower_shape = (k, n) if elkan else (n,)  # Elkan's: one row of bounds per center
    st = cache.get("lloyd")
    rows = None
    if st is not None and st.lower.shape == lower_shape and st.centers.shape == C64.shape:
        rows = _rows_to_recompute(st, C64, c_sq, gamma, elkan, moments)
    else:
        st = _RowBounds.empty(n, lower_shape)
    if rows is None:
        acc = _BlockPass.start(
            scores, p, dt, np.zeros((k, p)), np.zeros(k), None if w is None else np.zeros(k), moments
        )
        _bounds_full_pass(X, w, st, acc, lambda x_sq_max: gamma * (x_sq_max + float(c_sq.max())), elkan)
        recomputed = n
    else:
        acc = _BlockPass.start(scores, p, dt, st.sums, st.weights, st.n, moments)
        _bounds_partial_pass(X, w, rows, st, acc, gamma * (st.x_sq_max + float(c_sq.max())), elkan)
        recomputed = rows.shape[0]
    st.sums, st.weights, st.centers = acc.sums, acc.wsum, C64
    cache["lloyd"] = st
    raw = acc.sums + acc.wsum[:, None] * mu.astype(np.float64)[None, :]
    out = {"sums": raw, "weights": acc.wsum.copy(), "recomputed": np.asarray(float(recomputed))}
    if moments:
        out["xs"], out["xss"] = acc.xs, np.asarray(acc.xss)
        out["w_nonzero"] = np.asarray(n if w is None else int(np.count_nonzero(w)))
    if final:
        out["centred_sums"] = acc.sums.copy()
        out["scatter"] = np.asarray(st.scatter)
        out["n"] = (acc.wsum if w is None else st.n).copy()
    return out
