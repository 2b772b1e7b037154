"""Chunk kernels of the Gaussian mixture: pure functions of ``(chunk, ..., *, xp)``.

- :func:`em_stats_kernel`: one fused pass of EM. For every cache-sized row block it
  computes the responsibilities (from the current model, a hard assignment to given
  centres, hashed uniform draws, or a one-hot on chosen rows) and accumulates, in
  float64, what the M-step needs: ``nk`` (responsibility per component), ``b`` (the
  responsibility-weighted sum of ``x - c_k``, ``c_k`` the broadcast centres), the second
  moments ``s2`` per covariance type (around ``c_k``; 'tied': around one shift ``s``) and ``ll``, the sum of the rows'
  log-likelihoods under the current model. The partials add up (:func:`combine_em_stats`).
- :func:`mixture_predict_kernel`: blockwise labels, responsibilities or log-densities.

Second moments are taken around the current means (the centres), not around zero, so
the covariances do not cancel when the data sit far from the origin.
"""

from __future__ import annotations

import math

from dml._engine.kernels import row_blocks
from dml._engine.mapreduce import sum_partials
from dml._engine.namespace import as_float64, assert_finite_chunk
from dml.cluster._seeding_kernels import hash_uniform

_LOG_2PI = math.log(2.0 * math.pi)

#: Hashed draws of init_params='random' use this stream of the seed.
RANDOM_RESP_STREAM = 7_000_001


def _itemsize(X):
    return getattr(X.dtype, "itemsize", None) or (4 if "32" in str(X.dtype) else 8)


def _quad_forms(Xb, C, P, s, xp, covariance_type):
    """``(m, k)`` squared Mahalanobis distances of the rows ``Xb`` to the means ``C``
    with the precision Cholesky factors ``P`` (in X's dtype)."""
    k = C.shape[0]
    cols = []
    if covariance_type == "tied":
        XP = xp.matmul(Xb - s, P)
        CP = xp.matmul(C - s, P)
        for j in range(k):
            Y = XP - CP[j, :]
            cols.append(xp.sum(Y * Y, axis=1))
    else:
        for j in range(k):
            D = Xb - C[j, :]
            if covariance_type == "full":
                Y = xp.matmul(D, P[j, :, :])
                cols.append(xp.sum(Y * Y, axis=1))
            elif covariance_type == "diag":
                cols.append(xp.matmul(D * D, P[j, :] * P[j, :]))
            else:
                cols.append(xp.sum(D * D, axis=1) * (P[j] * P[j]))
    return xp.stack(cols, axis=1)


def weighted_log_prob(Xb, C, P, log_weights, log_det, s, *, xp, covariance_type):
    """``log p(x | k) + log w_k`` (m, k) in float64, scikit-learn's formula (the
    log-determinant of the precision Cholesky factor ``log_det`` precomputed)."""
    p = Xb.shape[1]
    q = as_float64(_quad_forms(Xb, C, P, s, xp, covariance_type), xp)
    return -0.5 * (p * _LOG_2PI + q) + log_det[None, :] + log_weights[None, :]


def _logsumexp_rows(A, xp):
    m = xp.max(A, axis=1)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return m + xp.log(xp.sum(xp.exp(A - m[:, None]), axis=1))


def _hard_resp(Xb, C, xp):
    """One-hot (m, k) of the closest centre of every row (first index on ties)."""
    k = C.shape[0]
    score = xp.sum(C * C, axis=1)[None, :] - 2.0 * xp.matmul(Xb, xp.permute_dims(C, (1, 0)))
    lab = xp.argmin(score, axis=1)
    return xp.astype(lab[:, None] == xp.arange(k, dtype=lab.dtype)[None, :], Xb.dtype)


def _block_resp(Xb, a, C, P, lw, ld, s, rows, xp, covariance_type, mode, seed, row_offset):
    """Responsibilities (m, k) in X's dtype and the block's log-likelihood sum."""
    m = Xb.shape[0]
    k = C.shape[0]
    zero = xp.asarray(0.0, dtype=xp.float64)
    if mode == "em":
        wlp = weighted_log_prob(Xb, C, P, lw, ld, s, xp=xp, covariance_type=covariance_type)
        lse = _logsumexp_rows(wlp, xp)
        R = xp.exp(wlp - lse[:, None])
        return xp.astype(R, Xb.dtype), xp.sum(lse)
    if mode == "hard":
        return _hard_resp(Xb, C, xp), zero
    idx = xp.arange(m, dtype=xp.int64) + int(row_offset) + int(a)
    if mode == "random":
        cols = [hash_uniform(idx * k + j, seed, RANDOM_RESP_STREAM, xp=xp) for j in range(k)]
        U = xp.stack(cols, axis=1)
        U = xp.astype(U, Xb.dtype)
        return U / xp.sum(U, axis=1)[:, None], zero
    # mode == "rows": one-hot of the chosen global rows (component j on rows[j])
    if rows.shape[0] == 0:
        return xp.zeros((m, k), dtype=Xb.dtype), zero
    return xp.astype(idx[:, None] == rows[None, :], Xb.dtype), zero


def em_stats_kernel(
    X,
    y,
    w,
    centres,
    prec_chol,
    log_weights,
    log_det,
    shift,
    rows,
    *,
    xp,
    covariance_type,
    mode,
    seed=0,
    row_offset=0,
):
    """One fused EM pass over a chunk: responsibilities and the M-step's statistics.

    Parameters
    ----------
    X : (n, p) chunk; y, w : ignored (None)
    centres : (k, p) host array: the current means (``mode='em'``), the centres of the
        hard assignment (``'hard'``), else the points the moments are taken around
    prec_chol : precision Cholesky factors of the current model (``'em'`` only; the
        shape of scikit-learn's ``precisions_cholesky_``)
    log_weights, log_det : (k,) host arrays: log mixing weights, log-determinants of
        ``prec_chol`` (``'em'`` only)
    shift : (p,) host array: the centre of the 'tied' second moment
    rows : (k,) int64 host array: the global rows of the components (``'rows'``)
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    mode : {'em', 'hard', 'random', 'rows'}
    seed : int, the seed of the hashed draws (``'random'``)
    row_offset : int, the chunk's first row in the data set

    Returns
    -------
    dict of float64 arrays: ``nk`` (k,), ``b`` (k, p), ``s2`` ('full' (k, p, p),
    'diag' / 'spherical' (k, p), 'tied' (p, p): all rows, around ``shift``), ``ll``
    (scalar); 'tied' also ``q_u`` (p,) and ``q_n`` (scalar), the sums of
    ``(1 - sum_k r_ik) (x_i - shift)`` and ``1 - sum_k r_ik``: zero (not computed) where
    the responsibilities sum to one, the rows left out for ``mode='rows'``.
    """
    n, p = X.shape
    dt = X.dtype
    C = xp.asarray(centres, dtype=dt)
    k = C.shape[0]
    s = xp.asarray(shift, dtype=dt)
    P = xp.asarray(prec_chol, dtype=dt) if mode == "em" else None
    lw = xp.asarray(log_weights, dtype=xp.float64) if mode == "em" else None
    ld = xp.asarray(log_det, dtype=xp.float64) if mode == "em" else None
    rws = xp.asarray(rows, dtype=xp.int64) if mode == "rows" else None
    f64 = xp.float64
    nk = xp.zeros((k,), dtype=f64)
    b = xp.zeros((k, p), dtype=f64)
    if covariance_type == "full":
        s2 = xp.zeros((k, p, p), dtype=f64)
    elif covariance_type == "tied":
        s2 = xp.zeros((p, p), dtype=f64)
        q_u = xp.zeros((p,), dtype=f64)
        q_n = xp.asarray(0.0, dtype=f64)
    else:
        s2 = xp.zeros((k, p), dtype=f64)
    ll = xp.asarray(0.0, dtype=f64)
    for a, e in row_blocks(n, max(p, k), _itemsize(X)):
        Xb = X[a:e, :]
        R, ll_b = _block_resp(Xb, a, C, P, lw, ld, s, rws, xp, covariance_type, mode, seed, row_offset)
        ll = ll + ll_b
        nkb = xp.sum(R, axis=0)
        nk = nk + as_float64(nkb, xp)
        RT = xp.permute_dims(R, (1, 0))
        if covariance_type == "tied":
            Xs = Xb - s
            b = b + as_float64(xp.matmul(RT, Xs), xp) - as_float64(nkb[:, None] * (C - s), xp)
            s2 = s2 + as_float64(xp.matmul(xp.permute_dims(Xs, (1, 0)), Xs), xp)
            if mode == "rows":  # rows without a component (responsibilities not summing to 1)
                q = 1.0 - xp.sum(R, axis=1)
                q_u = q_u + as_float64(xp.matmul(q[None, :], Xs)[0, :], xp)
                q_n = q_n + as_float64(xp.sum(q), xp)
            continue
        bs, ss = [], []
        for j in range(k):
            D = Xb - C[j, :]
            r = R[:, j]
            bs.append(as_float64(xp.matmul(r[None, :], D)[0, :], xp))
            if covariance_type == "full":
                ss.append(as_float64(xp.matmul(xp.permute_dims(D * r[:, None], (1, 0)), D), xp))
            else:
                ss.append(as_float64(xp.matmul(r[None, :], D * D)[0, :], xp))
        b = b + xp.stack(bs, axis=0)
        s2 = s2 + xp.stack(ss, axis=0)
    out = {"nk": nk, "b": b, "s2": s2, "ll": ll}
    if covariance_type == "tied":
        out["q_u"] = q_u
        out["q_n"] = q_n
    return out


#: :func:`em_stats_kernel`'s partials add up.
combine_em_stats = sum_partials


def mixture_predict_kernel(X, *, xp, means, prec_chol, log_weights, log_det, covariance_type, output):
    """Blockwise predictions of a fitted mixture.

    ``output``: ``'labels'`` (int64 argmax of the weighted log-probabilities),
    ``'proba'`` (responsibilities, X's dtype) or ``'score'`` (per-row log-density,
    X's dtype).
    """
    n, p = X.shape
    dt = X.dtype
    C = xp.asarray(means, dtype=dt)
    k = C.shape[0]
    P = xp.asarray(prec_chol, dtype=dt)
    lw = xp.asarray(log_weights, dtype=xp.float64)
    ld = xp.asarray(log_det, dtype=xp.float64)
    s = xp.mean(C, axis=0)
    outs = []
    for a, e in row_blocks(n, max(p, k), _itemsize(X)):
        wlp = weighted_log_prob(X[a:e, :], C, P, lw, ld, s, xp=xp, covariance_type=covariance_type)
        if not bool(xp.all(xp.isfinite(wlp))):  # ride-along value check: scikit-learn's error
            assert_finite_chunk(X[a:e, :])
        if output == "labels":
            outs.append(xp.astype(xp.argmax(wlp, axis=1), xp.int64))
            continue
        lse = _logsumexp_rows(wlp, xp)
        if output == "score":
            outs.append(xp.astype(lse, dt))
        else:
            outs.append(xp.astype(xp.exp(wlp - lse[:, None]), dt))
    if not outs:
        if output == "labels":
            return xp.zeros((0,), dtype=xp.int64)
        return xp.zeros((0,) if output == "score" else (0, k), dtype=dt)
    return xp.concat(outs, axis=0) if len(outs) > 1 else outs[0]


def row_sum_kernel(X, y, w, *, xp):
    """Column sums of a chunk in float64 (the data mean, for the initialisation)."""
    return {"sum": xp.sum(as_float64(X, xp), axis=0)}
