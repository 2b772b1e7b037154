"""Pure NumPy kernels of alternating least squares: one task solves one block.

A block is a CSR matrix of the ratings of a contiguous range of users (or items), as
``(indptr, indices, data)`` with global column indices into the other side's factors.
These functions import only NumPy (the CG loop is compiled by numba on its first call, see
:func:`dml._engine.compiled.compiled`); they run on whichever worker holds the block.
"""

from __future__ import annotations

import numpy as np

from dml._engine.compiled import compiled

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


def _triangular_solves(L, b):
    """``x`` with ``L L^T x = b`` for a stack of lower-triangular ``L``: (n, r, r), (n, r).

    Forward then back substitution, one column of all the systems at a time (``2 r``
    vectorised steps over the stack).
    """
    rank = b.shape[1]
    y = np.empty_like(b)
    for k in range(rank):
        y[:, k] = (b[:, k] - np.einsum("ij,ij->i", L[:, k, :k], y[:, :k])) / L[:, k, k]
    x = np.empty_like(b)
    for k in range(rank - 1, -1, -1):
        x[:, k] = (y[:, k] - np.einsum("ij,ij->i", L[:, k + 1 :, k], x[:, k + 1 :])) / L[:, k, k]
    return x


def cholesky_solve(A, b):
    """Solve the stack of symmetric positive definite systems ``A x = b`` by Cholesky.

    One batched LAPACK factorisation ``A = L L^T`` (``numpy.linalg.cholesky``), then
    vectorised triangular solves. A system that is not positive definite (a row with
    ``reg_param=0`` and fewer ratings than ``rank``) raises ``LinAlgError``.
    """
    return _triangular_solves(np.linalg.cholesky(A), b)


@compiled(fastmath=True)
def _cg_rows(indptr, indices, Y, weights, targets, YtY, implicit, lam, X, steps):
    """:func:`conjugate_gradient`'s loop, one row at a time (``X`` updated in place)."""
    n, rank = X.shape
    r = np.empty(rank)
    p = np.empty(rank)
    ap = np.empty(rank)
    for u in range(n):
        start, stop = indptr[u], indptr[u + 1]
        if start == stop:
            continue
        x = X[u]
        # r = b - A x, with b = sum_j t_j y_j and A x = YtY x + sum_j w_j (y_j . x) y_j + lam x
        for k in range(rank):
            s = lam[u] * x[k]
            if implicit:
                for m in range(rank):
                    s += YtY[k, m] * x[m]
            r[k] = -s
        for j in range(start, stop):
            y = Y[indices[j]]
            d = 0.0
            for k in range(rank):
                d += y[k] * x[k]
            c = targets[j] - weights[j] * d
            for k in range(rank):
                r[k] += c * y[k]
        rs = 0.0
        for k in range(rank):
            p[k] = r[k]
            rs += r[k] * r[k]
        for _ in range(steps):
            if rs <= 1e-20:
                break
            for k in range(rank):
                s = lam[u] * p[k]
                if implicit:
                    for m in range(rank):
                        s += YtY[k, m] * p[m]
                ap[k] = s
            for j in range(start, stop):
                y = Y[indices[j]]
                d = 0.0
                for k in range(rank):
                    d += y[k] * p[k]
                d *= weights[j]
                for k in range(rank):
                    ap[k] += d * y[k]
            pap = 0.0
            for k in range(rank):
                pap += p[k] * ap[k]
            step = rs / pap if pap > 0 else 0.0
            rs_new = 0.0
            for k in range(rank):
                x[k] += step * p[k]
                r[k] -= step * ap[k]
                rs_new += r[k] * r[k]
            beta = rs_new / rs
            for k in range(rank):
                p[k] = r[k] + beta * p[k]
            rs = rs_new


def conjugate_gradient(indptr, indices, Y, weights, targets, YtY, lam, X, steps):
    """A few conjugate-gradient steps on every row's normal equations, from ``X``.

    Row ``u`` solves ``(YtY + Y_u^T diag(w_u) Y_u + lam_u I) x_u = Y_u^T t_u`` where
    ``Y_u`` holds the other side's factor rows ``Y[indices[indptr[u]:indptr[u + 1]]]``
    (one per rating), ``w`` the weights and ``t`` the targets; ``YtY`` is None for
    explicit feedback. Hu, Koren and Volinsky's CG as the ``implicit`` package runs it
    (Takacs et al., 2011): start from the previous factors, ``steps`` iterations, a row
    stops when its squared residual drops below 1e-20; rows without ratings are left
    as they are. The systems are never formed: each product ``A p`` is one pass over
    the row's ratings (a dot product and an axpy of length ``rank`` per rating) plus
    ``YtY p``, compiled (:func:`dml._engine.compiled.compiled`) and run row by row, so
    no per-rating buffer is allocated. Returns the new factors (``X`` is not modified).
    """
    X = np.array(X, dtype=np.float64, copy=True, order="C")
    rank = X.shape[1]
    implicit = YtY is not None
    _cg_rows(
        np.ascontiguousarray(indptr, dtype=np.int64),
        np.ascontiguousarray(indices, dtype=np.int64),
        np.ascontiguousarray(Y, dtype=np.float64),
        np.ascontiguousarray(weights, dtype=np.float64),
        np.ascontiguousarray(targets, dtype=np.float64),
        np.ascontiguousarray(YtY if implicit else np.zeros((rank, rank)), dtype=np.float64),
        implicit,
        np.ascontiguousarray(lam, dtype=np.float64),
        X,
        int(steps),
    )
    return X


def block_terms(indptr, data, *, implicit_prefs, alpha):
    """``(weights, targets, counts)`` of one block's ratings, the same every sweep.

    Explicit: weights 1, targets the ratings, counts the ratings per row. Implicit:
    weights ``alpha * r`` (``c - 1``), targets ``c * p`` and counts the positive ratings
    per row.
    """
    n_rows = indptr.shape[0] - 1
    lengths = np.diff(indptr)
    if implicit_prefs:
        weights = alpha * data
        positive = data > 0
        counts = np.bincount(np.repeat(np.arange(n_rows), lengths), weights=positive, minlength=n_rows)
        targets = np.where(positive, 1.0 + weights, 0.0)
    else:
        counts = lengths.astype(np.float64)
        weights, targets = np.ones_like(data), data
    return weights, targets, counts


def solve_block(
    indptr,
    indices,
    data,
    Y,
    YtY,
    X0=None,
    *,
    reg_param,
    implicit_prefs,
    alpha,
    nonnegative,
    solver="cholesky",
    cg_steps=3,
    terms=None,
):
    """New factors of one block's rows given the other side's factors ``Y``.

    Explicit (Spark's ALS-WR): ``(Y_u^T Y_u + reg_param * n_u * I) x_u = Y_u^T r_u``.
    Implicit (Hu, Koren and Volinsky): confidence ``c = 1 + alpha * r``, preference
    ``p = r > 0``; ``(Y^T Y + Y_u^T (C_u - I) Y_u + reg_param * n_u^+ * I) x_u =
    Y_u^T C_u p_u`` with ``Y^T Y`` (``YtY``) computed once per half-sweep and ``n_u^+`` the
    number of positive ratings (Spark's count). Rows without ratings get zero factors.

    ``solver='cholesky'`` forms every row's ``(rank, rank)`` system (batched products
    over rows grouped by length) and solves the stack by one batched Cholesky
    factorisation; ``nonnegative`` solves the same systems under ``x >= 0`` (NNLS).
    ``solver='cg'`` runs ``cg_steps`` conjugate-gradient steps from the block's previous
    factors ``X0`` without forming the systems (see :func:`conjugate_gradient`).
    ``terms`` are the block's :func:`block_terms` when already computed.
    """
    n_rows = indptr.shape[0] - 1
    rank = Y.shape[1]
    X = np.zeros((n_rows, rank))
    lengths = np.diff(indptr)
    if terms is None:
        terms = block_terms(indptr, data, implicit_prefs=implicit_prefs, alpha=alpha)
    weights, targets, counts = terms
    rows = np.flatnonzero(lengths > 0)
    if rows.size == 0:
        return X
    if solver == "cg":
        X0 = np.where(lengths[:, None] > 0, X0, 0.0)
        return conjugate_gradient(indptr, indices, Y, weights, targets, YtY, reg_param * counts, X0, cg_steps)
    lam = reg_param * counts[rows]
    A = _gram_blocks(indptr, indices, weights, Y, rows)
    b = np.add.reduceat(Y[indices] * targets[:, None], indptr[rows], axis=0)
    if implicit_prefs:
        A += YtY
    diag = np.arange(rank)
    A[:, diag, diag] += lam[:, None]
    if nonnegative:
        for j, row in enumerate(rows):
            X[row] = nnls_normal(A[j], b[j])
    else:
        X[rows] = cholesky_solve(A, b)
    return X


def block_pieces(u, i, r, user_bounds, item_bounds):
    """Split one chunk's ratings (as indices) into per-user-block and per-item-block pieces.

    Returns two lists of ``(rows, cols, ratings)`` triples, one entry per block. Each
    side is one stable sort of the block numbers (a radix sort), then contiguous slices.
    """

    def split(rows, cols, bounds):
        n_blocks = len(bounds) - 1
        block = (np.searchsorted(bounds, rows, side="right") - 1).astype(
            np.int16 if n_blocks < 2**15 else np.int64
        )
        order = np.argsort(block, kind="stable")
        cuts = np.searchsorted(block[order], np.arange(n_blocks + 1))
        rows, cols, vals = rows[order], cols[order], r[order]
        return [(rows[a:b], cols[a:b], vals[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]

    return split(u, i, user_bounds), split(i, u, item_bounds)


def assemble_block(start, stop, *pieces):
    """One block's CSR ``(indptr, indices, data)`` from its pieces (rows local to the block).

    Within a row the ratings are ordered by column index (one stable sort of
    ``row * n_cols + col``), so the block (and the sums the solver makes over it) do
    not depend on how the input was chunked.
    """
    rows = np.concatenate([p[0] for p in pieces]) - start
    cols = np.concatenate([p[1] for p in pieces]).astype(np.int64)
    vals = np.concatenate([p[2] for p in pieces]).astype(np.float64)
    width = int(cols.max()) + 1 if cols.size else 1
    order = np.argsort(rows * width + cols, kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.zeros(stop - start + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=stop - start), out=indptr[1:])
    return indptr, cols, vals


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
