"""Chunk kernels of the binned random forests and extra trees (NumPy; the prediction
descent numba-compiled through :func:`dml._engine.compiled.compiled`).

- :func:`bootstrap_counts`: the bootstrap count of every (tree, global row), from a
  hash of ``(seed, tree, row)``: the same counts however the rows are chunked;
- :func:`forest_kernel`: one pass of level-wise growth: sends the chunk's rows down
  the trees being grown and returns the histograms of the requested ``(tree, node)``
  pairs: weighted class counts (classification) or weighted sums of 1, y and y**2
  (regression), plus the count of rows with positive weight, per (feature, bin);
- :func:`oob_kernel`: the out-of-bag predictions summed over the trees for which a row
  has a zero bootstrap count;
- :func:`forest_predict_block`: blockwise averaged predictions / leaf indices.

Binned X comes from :func:`dml.ensemble._hist_gradient_boosting_kernels.bin_chunk`;
rows go down the binned trees with its ``descend``. Per-row state (node ids, bootstrap
weights) lives in the chunk cache and is recomputed when absent, with the same
arithmetic, so the result never depends on the cache.
"""

from __future__ import annotations

import numpy as np

from dml._engine.compiled import compiled
from dml.ensemble._hist_gradient_boosting_kernels import descend

_ROW_BLOCK = 1 << 15
_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


def _splitmix(x):
    x = x + _M1
    x = (x ^ (x >> np.uint64(30))) * _M2
    x = (x ^ (x >> np.uint64(27))) * _M3
    return x ^ (x >> np.uint64(31))


def poisson_cdf(lam, kmax=40):
    """CDF of Poisson(``lam``) at 0 .. kmax."""
    k = np.arange(kmax + 1)
    logp = -lam + k * np.log(lam) - np.cumsum(np.r_[0.0, np.log(np.arange(1, kmax + 1))])
    return np.cumsum(np.exp(logp))


def bootstrap_counts(seed, tree, rows, lam):
    """Poisson(``lam``) bootstrap counts (float64) of global ``rows`` for ``tree``:
    inverse CDF of a uniform from splitmix64 of ``(seed, tree, row)``."""
    with np.errstate(over="ignore"):
        key = _splitmix(np.uint64(seed) ^ _splitmix(np.uint64(tree) * _M2))
        u = _splitmix(np.asarray(rows, dtype=np.uint64) ^ key)
    u = (u >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
    return np.searchsorted(poisson_cdf(lam), u, side="right").astype(np.float64)


def second_moment(criterion, y):
    """The third regression channel per row: ``y**2``, or ``y log y`` for 'poisson'."""
    if criterion == "poisson":
        return np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    return y * y


def _weights(n, sw, row_offset, trees, boot, cache):
    """(n, T) row weights of the trees ``trees`` (global tree ids): bootstrap counts times
    the sample weights."""
    key = ("w", tuple(trees), boot)
    if cache is not None and key in cache:
        return cache[key]
    rows = np.arange(row_offset, row_offset + n, dtype=np.int64)
    W = np.empty((n, len(trees)))
    for j, t in enumerate(trees):
        W[:, j] = sw if boot is None else sw * bootstrap_counts(boot[0], t, rows, boot[1])
    if cache is not None:
        cache.clear()
        cache[key] = W
    return W


def _nodes(Xb, trees, cache, level):
    """(n, T) node of every row in the binned trees being grown."""
    n = Xb.shape[0]
    st = None if cache is None else cache.get("nodes")
    if st is not None and st[0] <= level and st[1].shape == (n, len(trees)):
        nodes = st[1].copy()
    else:
        nodes = np.zeros((n, len(trees)), dtype=np.int32)
    for j, tree in enumerate(trees):
        if tree["feature"].shape[0] == 0:  # the root, not known yet
            continue
        nodes[:, j] = descend(Xb, tree, nodes[:, j], 255)
    if cache is not None:
        cache["nodes"] = (level, nodes)
    return nodes


def forest_kernel(
    Xb,
    Y,
    w,
    trees,
    *,
    xp,
    row_offset,
    tree_ids,
    compute,
    n_bins,
    n_classes,
    boot,
    level,
    criterion="squared_error",
    cache=None,
):
    """One pass of forest growth over a binned chunk.

    Parameters
    ----------
    Xb : ndarray of shape (n, p), uint8
    Y : ndarray of shape (n, 2)
        Target (class index for classifiers) and sample weight.
    trees : list of dict
        The binned trees being grown (``feature``, ``bin``, ``missing_left``, ``left``,
        ``right``), one per id of ``tree_ids``.
    compute : ndarray of shape (S, 2), int
        ``(position in trees, node)`` pairs whose histograms are wanted.
    n_classes : int
        0 for regression.
    boot : tuple (seed, lam) or None
        The bootstrap; None gives every row its sample weight.
    criterion : str
        'poisson' sums ``w y log y`` in the third regression channel (``w y**2`` else).

    Returns
    -------
    dict with ``H`` of shape (S, p, n_bins, ch): ``ch = n_classes + 1`` (class weights,
    count) or 4 (weight, weighted sum of y, of y**2, count).
    """
    Xb = np.asarray(Xb)
    Y = np.asarray(Y, dtype=np.float64)
    n, p = Xb.shape
    y, sw = Y[:, 0], Y[:, 1]
    compute = np.asarray(compute, dtype=np.int64).reshape(-1, 2)
    S = compute.shape[0]
    ch = n_classes + 1 if n_classes else 4
    size = S * p * n_bins
    H = np.zeros((ch, size))
    if S == 0 or n == 0:
        return {"H": np.moveaxis(H.reshape(ch, S, p, n_bins), 0, -1)}
    W = _weights(n, sw, row_offset, tree_ids, boot, cache)
    nodes = _nodes(Xb, trees, cache, level)
    offs = np.arange(p, dtype=np.int64) * n_bins
    yi = y.astype(np.int64) if n_classes else None
    y2 = None if n_classes else second_moment(criterion, y)
    for k in range(len(trees)):
        sel = compute[:, 0] == k
        if not sel.any():
            continue
        wanted = compute[sel, 1]
        slot = np.full(int(max(wanted.max(), nodes[:, k].max())) + 1, -1, dtype=np.int64)
        slot[wanted] = np.flatnonzero(sel)
        s = slot[nodes[:, k]]
        rows = np.flatnonzero((s >= 0) & (W[:, k] > 0))
        for a in range(0, rows.size, _ROW_BLOCK):
            r = rows[a : a + _ROW_BLOCK]
            idx = (s[r, None] * (p * n_bins) + offs[None, :] + Xb[r]).ravel()
            wr = np.repeat(W[r, k], p)
            H[-1] += np.bincount(idx, minlength=size)
            if n_classes:
                cidx = idx * n_classes + np.repeat(yi[r], p)
                cls = np.bincount(cidx, weights=wr, minlength=size * n_classes)
                H[:-1] += cls.reshape(size, n_classes).T
            else:
                yr = np.repeat(y[r], p)
                H[0] += np.bincount(idx, weights=wr, minlength=size)
                H[1] += np.bincount(idx, weights=wr * yr, minlength=size)
                H[2] += np.bincount(idx, weights=wr * np.repeat(y2[r], p), minlength=size)
    return {"H": np.moveaxis(H.reshape(ch, S, p, n_bins), 0, -1)}


# --------------------------------------------------------------------------- predict


@compiled
def _leaves_loop(X, links, thr, roots, out):
    """:func:`leaves`: blocks of rows down one tree at a time (``out``: (n, T)), so a
    tree's nodes and the block's rows stay in cache. ``links[node]`` is ``(feature,
    left, right)``, feature ``-1`` at a leaf."""
    n, T = out.shape
    for start in range(0, n, 2048):
        stop = min(start + 2048, n)
        for t in range(T):
            for i in range(start, stop):
                nd = roots[t]
                f = links[nd, 0]
                while f >= 0:
                    nd = links[nd, 1] if X[i, f] <= thr[nd] else links[nd, 2]
                    f = links[nd, 0]
                out[i, t] = nd


@compiled
def _mean_values_loop(X, links, thr, roots, value, out):
    """Sum over the trees of each row's leaf value (``value``: (nodes, d); ``out``:
    (n, d), zeroed), trees in order for every row, without the (n, T) leaf matrix;
    blocks of rows go down one tree at a time."""
    n, d = out.shape
    for start in range(0, n, 2048):
        stop = min(start + 2048, n)
        for t in range(roots.shape[0]):
            for i in range(start, stop):
                nd = roots[t]
                f = links[nd, 0]
                while f >= 0:
                    nd = links[nd, 1] if X[i, f] <= thr[nd] else links[nd, 2]
                    f = links[nd, 0]
                for k in range(d):
                    out[i, k] += value[nd, k]


def _table_arrays(X, table, roots):
    """The compiled loops' arguments: X, the nodes' ``(feature, left, right)`` as one
    int32 (nodes, 3) array (one cache line per visited node), thresholds, roots."""
    links = np.stack([table["feature"], table["left"], table["right"]], axis=1).astype(np.int32)
    return (
        np.ascontiguousarray(X, dtype=np.float64),
        links,
        np.ascontiguousarray(table["threshold"], dtype=np.float64),
        np.ascontiguousarray(roots, dtype=np.int32),
    )


def leaves(X, table, roots):
    """The leaf (global node index) of every row in every tree: (n, T) int64 (a
    compiled descent: blocks of rows down one tree at a time)."""
    args = _table_arrays(X, table, roots)
    out = np.empty((args[0].shape[0], args[-1].shape[0]), dtype=np.int64)
    _leaves_loop(*args, out)
    return out


def _check_finite(X):
    X = np.asarray(X, dtype=np.float64)
    if not np.isfinite(X).all():
        if np.isnan(X).any():
            raise ValueError("Input X contains NaN.")
        raise ValueError("Input X contains infinity or a value too large for dtype('float64').")
    return X


def forest_predict_block(X, *, xp, table, roots, output, classes=None):
    """Blockwise forest outputs: 'proba' / 'predict_class' (averaged class
    distributions), 'predict' (averaged means) or 'apply' (leaf index per tree)."""
    X = _check_finite(X)
    if output == "apply":
        return leaves(X, table, roots) - roots[None, :]
    T = roots.shape[0]
    value = np.asarray(table["value"], dtype=np.float64)
    acc = np.zeros((X.shape[0], int(np.prod(value.shape[1:], dtype=np.int64))))
    _mean_values_loop(
        *_table_arrays(X, table, roots), np.ascontiguousarray(value.reshape(value.shape[0], -1)), acc
    )
    acc = acc.reshape((X.shape[0],) + value.shape[1:])
    acc /= T
    if output == "predict":
        return acc[:, 0]
    if output == "proba":
        return acc
    return classes[np.argmax(acc, axis=1)]


def oob_kernel(X, y, w, *, xp, row_offset, table, roots, boot):
    """Out-of-bag sums of one chunk: ``{"sum": (n, d), "count": (n,)}`` over the trees
    whose bootstrap count of the row is zero (concatenate in chunk order)."""
    X = _check_finite(X)
    n = X.shape[0]
    leaf = leaves(X, table, roots)
    rows = np.arange(row_offset, row_offset + n, dtype=np.int64)
    vals = table["value"]
    s = np.zeros((n, vals.shape[1]))
    c = np.zeros(n)
    for t in range(roots.shape[0]):
        oob = bootstrap_counts(boot[0], t, rows, boot[1]) == 0
        s[oob] += vals[leaf[oob, t]]
        c += oob
    return {"sum": s, "count": c}


def combine_rows(parts):
    """Concatenate per-row partials in chunk order."""
    parts = [q for q in parts if q]
    return {k: np.concatenate([q[k] for q in parts]) for k in parts[0]}


def binned_rows_kernel(Xb, y, w, *, xp):
    """The binned chunk itself (uint8), for the fits that grow whole trees in one task
    (concatenate in chunk order with :func:`combine_rows`)."""
    return {"X": np.asarray(Xb, dtype=np.uint8)}


def gather_nodes_kernel(Xb, Y, w, trees, *, xp, row_offset, tree_ids, jobs, boot, level, cache=None):
    """The rows of one chunk that lie in the nodes ``jobs`` (``(position in trees, node)``
    pairs) with a positive weight in that tree: their bins (uint8), target, sample
    weight, global row and job index (concatenate in chunk order with
    :func:`combine_rows`). A row in the nodes of several trees comes once per tree."""
    Xb = np.asarray(Xb)
    Y = np.asarray(Y, dtype=np.float64)
    n = Xb.shape[0]
    jobs = np.asarray(jobs, dtype=np.int64).reshape(-1, 2)
    W = _weights(n, Y[:, 1], row_offset, tree_ids, boot, cache)
    nodes = _nodes(Xb, trees, cache, level)
    idx, job = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for k in np.unique(jobs[:, 0]):
        sel = np.flatnonzero(jobs[:, 0] == k)
        slot = np.full(int(max(jobs[sel, 1].max(), nodes[:, k].max())) + 1, -1, dtype=np.int64)
        slot[jobs[sel, 1]] = sel
        s = slot[nodes[:, k]]
        r = np.flatnonzero((s >= 0) & (W[:, k] > 0))
        idx.append(r)
        job.append(s[r])
    idx, job = np.concatenate(idx), np.concatenate(job)
    return {"X": Xb[idx], "y": Y[idx, 0], "sw": Y[idx, 1], "row": idx + row_offset, "job": job}


def concat_chunks(n_chunks, *parts):
    """The binned chunks (uint8), then the target and the sample weight of the (n, 2)
    ``y`` chunks, each as one array in row order (a task on the cluster): the first
    ``n_chunks`` parts are X's, the rest y's."""
    Xb = np.concatenate([np.asarray(q, dtype=np.uint8) for q in parts[:n_chunks]])
    Y = np.concatenate([np.asarray(q, dtype=np.float64).reshape(-1, 2) for q in parts[n_chunks:]])
    return Xb, np.ascontiguousarray(Y[:, 0]), np.ascontiguousarray(Y[:, 1])
