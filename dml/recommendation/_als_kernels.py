"""Pure NumPy kernels of alternating least squares: one task solves one block.

A block is a CSR matrix of the ratings of a contiguous range of users (or items), as
``(indptr, indices, data)`` with global column indices into the other side's factors.
These functions import only NumPy; they run on whichever worker holds the block.
"""

from __future__ import annotations

import numpy as np

#: Elements (ratings x rank x rank) of the outer-product buffer built at once per block.
_OUTER_BUDGET = 1 << 22


def init_factors(n, rank, seed, nonnegative):
    """Initial factors as Spark's ALS: Gaussian rows scaled to unit norm (abs if nonnegative).

    One generator per side seeded by ``seed`` draws the rows in id-index order, so the
    initial factors depend on the ids only, never on the chunking.
    """
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((n, rank))
    if nonnegative:
        F = np.abs(F)
    norm = np.linalg.norm(F, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return F / norm


def nnls_normal(A, b, tol=1e-12):
    """Minimise ``x^T A x / 2 - b^T x`` subject to ``x >= 0`` (A symmetric positive definite).

    Lawson and Hanson's active-set method on the normal equations (the problem Spark's
    NNLS solver solves for ``nonnegative=True``).
    """
    n = b.shape[0]
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    scale = max(np.abs(b).max(), 1.0)
    for _ in range(3 * n + 3):
        grad = b - A @ x
        candidates = ~passive & (grad > tol * scale)
        if not candidates.any():
            break
        j = int(np.argmax(np.where(candidates, grad, -np.inf)))
        passive[j] = True
        while True:
            s = np.zeros(n)
            idx = np.flatnonzero(passive)
            s[idx] = np.linalg.solve(A[np.ix_(idx, idx)], b[idx])
            if (s[idx] > 0).all():
                x = s
                break
            bad = passive & (s <= 0)
            step = np.min(x[bad] / (x[bad] - s[bad]))
            x = x + step * (s - x)
            passive &= x > tol * scale
            x[~passive] = 0.0
    return x


def _bucket_caps(lengths):
    """Padded length of each row: the next value of a grid growing by about 1/8."""
    caps = np.maximum(lengths, 1).astype(np.float64)
    exp = np.floor(np.log2(caps))
    step = np.maximum(2.0 ** (exp - 3), 1.0)
    return (np.ceil(caps / step) * step).astype(np.int64)


def _gram_blocks(indptr, indices, weights, Y, rows):
    """Sum over each row's ratings of ``weight * y y^T`` for the rows ``rows``: (len, r, r).

    Rows are grouped by padded length and each group is one batched matrix product
    ``G^T diag(w) G`` (padding rows are zero), so the work runs in BLAS.
    """
    rank = Y.shape[1]
    out = np.empty((len(rows), rank, rank))
    lengths = indptr[rows + 1] - indptr[rows]
    caps = _bucket_caps(lengths)
    Yz = np.vstack([Y, np.zeros((1, rank))])
    last = max(len(indices) - 1, 0)
    for cap in np.unique(caps):
        sel = np.flatnonzero(caps == cap)
        step = max(1, _OUTER_BUDGET // (int(cap) * rank))
        for start in range(0, len(sel), step):
            piece = sel[start : start + step]
            offs = np.arange(cap)
            pos = np.minimum(indptr[rows[piece]][:, None] + offs, last)
            valid = offs < lengths[piece][:, None]
            G = Yz[np.where(valid, indices[pos], Y.shape[0])]
            Gw = G * np.where(valid, weights[pos], 0.0)[:, :, None]
            out[piece] = np.matmul(Gw.transpose(0, 2, 1), G)
    return out


def solve_block(indptr, indices, data, Y, YtY, *, reg_param, implicit_prefs, alpha, nonnegative):
    """New factors of one block's rows given the other side's factors ``Y``.

    Explicit (Spark's ALS-WR): ``(Y_u^T Y_u + reg_param * n_u * I) x_u = Y_u^T r_u``.
    Implicit (Hu, Koren and Volinsky): confidence ``c = 1 + alpha * r``, preference
    ``p = r > 0``; ``(Y^T Y + Y_u^T (C_u - I) Y_u + reg_param * n_u^+ * I) x_u =
    Y_u^T C_u p_u`` with ``Y^T Y`` (``YtY``) computed once per half-sweep and ``n_u^+`` the
    number of positive ratings (Spark's count). Rows without ratings get zero factors.
    ``nonnegative``: the same normal equations solved under ``x >= 0`` (NNLS).
    """
    n_rows = indptr.shape[0] - 1
    rank = Y.shape[1]
    X = np.zeros((n_rows, rank))
    lengths = np.diff(indptr)
    if implicit_prefs:
        c1 = alpha * data
        positive = data > 0
        counts = np.bincount(np.repeat(np.arange(n_rows), lengths), weights=positive, minlength=n_rows)
        weights, targets = c1, np.where(positive, 1.0 + c1, 0.0)
        rows = np.arange(n_rows)
    else:
        counts = lengths.astype(np.float64)
        weights, targets = np.ones_like(data), data
        rows = np.flatnonzero(lengths > 0)
    if rows.size == 0:
        return X
    rated = rows[lengths[rows] > 0]
    A = np.zeros((rows.size, rank, rank))
    b = np.zeros((rows.size, rank))
    pos = np.searchsorted(rows, rated)
    if rated.size:
        A[pos] = _gram_blocks(indptr, indices, weights, Y, rated)
        contrib = Y[indices] * targets[:, None]
        b[pos] = np.add.reduceat(contrib, indptr[rated], axis=0)
    if implicit_prefs:
        A += YtY
    diag = np.arange(rank)
    A[:, diag, diag] += (reg_param * counts[rows])[:, None]
    if nonnegative:
        for j, row in enumerate(rows):
            X[row] = nnls_normal(A[j], b[j])
    else:
        X[rows] = np.linalg.solve(A, b[:, :, None])[:, :, 0]
    return X


def block_pieces(u, i, r, user_bounds, item_bounds):
    """Split one chunk's ratings (as indices) into per-user-block and per-item-block pieces.

    Returns two lists of ``(rows, cols, ratings)`` triples, one entry per block.
    """
    ub = np.searchsorted(user_bounds, u, side="right") - 1
    ib = np.searchsorted(item_bounds, i, side="right") - 1
    by_user = [(u[m], i[m], r[m]) for m in (ub == b for b in range(len(user_bounds) - 1))]
    by_item = [(i[m], u[m], r[m]) for m in (ib == b for b in range(len(item_bounds) - 1))]
    return by_user, by_item


def assemble_block(start, stop, *pieces):
    """One block's CSR ``(indptr, indices, data)`` from its pieces (rows local to the block).

    Within a row the ratings are ordered by column index, so the block (and the sums
    the solver makes over it) do not depend on how the input was chunked.
    """
    rows = np.concatenate([p[0] for p in pieces]) - start
    cols = np.concatenate([p[1] for p in pieces])
    vals = np.concatenate([p[2] for p in pieces]).astype(np.float64)
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.zeros(stop - start + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=stop - start), out=indptr[1:])
    return indptr, cols.astype(np.int64), vals


def top_k_block(F, G, k):
    """Top ``k`` columns of ``F @ G.T`` per row: ``(indices, scores)``, best first.

    Within the top ``k`` ties are ordered by the lower column index.
    """
    scores = F @ G.T
    k = min(k, G.shape[0])
    if k < G.shape[0]:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(G.shape[0]), scores.shape).copy()
    top = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -top), axis=1)
    idx = np.take_along_axis(part, order, axis=1)
    return idx, np.take_along_axis(top, order, axis=1)
