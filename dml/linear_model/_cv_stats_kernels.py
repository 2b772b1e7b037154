"""Chunk kernels of the per-fold statistics (:mod:`dml.linear_model._cv_stats`): pure
functions of ``(chunk, ..., *, xp)``, importing nothing beyond NumPy and the engine's kernels."""

from __future__ import annotations

import numpy as np

from dml._engine.namespace import get_namespace, is_sparse
from dml.linear_model._base_kernels import block
from dml.linear_model._base_kernels import sufficient_stats_kernel as gram_kernel


def _empty_stats(q, xp):
    return {
        "n": xp.asarray(0.0, dtype=xp.float64),
        "mean": xp.zeros((q,), dtype=xp.float64),
        "scatter": xp.zeros((q, q), dtype=xp.float64),
        "n_rows": xp.asarray(0, dtype=xp.int64),
        "w_neg": xp.asarray(0, dtype=xp.int64),
        "w_nonzero": xp.asarray(0, dtype=xp.int64),
    }


def fold_gram_kernel(X, y, w, *fold_ids, xp, n_splits, row_offset, bounds=None):
    """Statistics of ``[X, y]`` per fold, stacked: ``n`` (K,), ``mean`` (K, q),
    ``scatter`` (K, q, q), ``n_rows`` / ``w_neg`` / ``w_nonzero`` (K,).

    ``row_offset`` is the chunk's first row in the data set. Folds are given either by ``bounds`` (K + 1
    row boundaries: the chunk's rows are sliced per fold, views, no copy) or by a
    broadcast array of one fold id per row of the data set (rows gathered per fold).
    Each fold's rows go through
    :func:`dml._engine.kernels.gram_kernel` (CSR chunks: its sparse counterpart,
    :func:`dml.linear_model._base_kernels.sufficient_stats_kernel`).
    """
    start = row_offset
    n_rows, p = X.shape
    t = 1 if y.ndim == 1 else y.shape[1]
    q = p + t
    out = []
    ids = None
    if bounds is None:
        ids = np.asarray(fold_ids[0][start : start + n_rows])
    for k in range(n_splits):
        if ids is None:
            a = max(int(bounds[k]) - start, 0)
            b = min(int(bounds[k + 1]) - start, n_rows)
            if b > a:
                out.append(gram_kernel(block(X, a, b), y[a:b, ...], None if w is None else w[a:b], xp=xp))
            else:
                out.append(_empty_stats(q, xp))
            continue
        rows = np.flatnonzero(ids == k)
        if rows.size == 0:
            out.append(_empty_stats(q, xp))
            continue
        idx = xp.asarray(rows)
        out.append(
            gram_kernel(
                X[rows] if is_sparse(X) else xp.take(X, idx, axis=0),
                xp.take(y, idx, axis=0),
                None if w is None else xp.take(w, idx, axis=0),
                xp=xp,
            )
        )
    return {k: xp.stack([o[k] for o in out]) for k in out[0]}


def _merge_stacked(a, b):
    """Chan's merge of two stacked (per-fold) partials, fold by fold."""
    xp = get_namespace(a["mean"])
    na, nb = a["n"], b["n"]
    n = na + nb
    safe = xp.where(n > 0, n, 1.0)
    delta = b["mean"] - a["mean"]
    out = {k: a[k] + b[k] for k in a if k not in ("n", "mean", "scatter")}
    out["n"] = n
    out["mean"] = a["mean"] + delta * (nb / safe)[:, None]
    coef = (na * nb / safe)[:, None, None]
    out["scatter"] = a["scatter"] + b["scatter"] + coef * (delta[:, :, None] * delta[:, None, :])
    return out


def combine_folds(parts):
    """Associative combine of :func:`fold_gram_kernel` partials (per-fold Chan merge)."""
    parts = [p for p in parts if p]
    out = None
    for p in parts:
        out = dict(p) if out is None else _merge_stacked(out, p)
    return out if out is not None else {}
