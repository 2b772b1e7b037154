"""Chunk kernels of the histogram gradient boosting estimators (NumPy; the histogram
and row-descent loops numba-compiled through :func:`dml._engine.compiled.compiled`).

- :func:`find_binning_thresholds`: scikit-learn's bin edges of one feature (run on the
  driver, on the gathered subsample);
- :func:`gather_rows_kernel`: the rows of given global indices (the binning subsample);
- :func:`bin_chunk`: a chunk of X as uint8 bins (missing values in the last bin);
- :func:`boost_kernel`: one pass of tree growth: brings the chunk's raw predictions up
  to date with the finished trees, sends its rows down the trees being grown, and
  returns the (gradient, hessian, count) histograms of the requested nodes, and the
  training / validation losses when asked;
- :func:`raw_predict_block`: blockwise raw predictions of fitted trees on raw X.

A tree travels as a dict of arrays indexed by node: ``feature`` (int32, -1 for a leaf
or a node not split yet), ``bin`` (uint8, rows whose bin is ``<= bin`` go left),
``missing_left`` (bool), ``left`` / ``right`` (int32), ``value`` (float64, the leaf
value with the learning rate applied) and ``threshold`` (float64, the raw threshold:
``x <= threshold`` goes left, NaN follows ``missing_left``). Trees of models with
categorical features also carry ``is_cat`` (bool, a categorical split) and
``cat_left`` (bool, (nodes, n_bins): the bins, i.e. category codes, that go left; the
bitsets of scikit-learn's predictor); missing and unknown categories follow
``missing_left``.

Per-row state (raw predictions, the node of every row in the trees being grown) is
kept in the chunk cache when there is one and recomputed from the trees otherwise, with
the same arithmetic, so the result never depends on the cache.
"""

from __future__ import annotations

import numpy as np

from dml._engine.compiled import compiled

#: scikit-learn's ALMOST_INF: no threshold above it but the "split on NaN" one
ALMOST_INF = 1e300


# -------------------------------------------------------------------------- binning


def _weighted_percentile_avg(values, weights, q):
    """scikit-learn's ``_weighted_percentile(average=True)`` of sorted ``values`` with
    positive ``weights`` at percentile ``q`` (0-100)."""
    cdf = np.cumsum(weights)
    rank = q / 100 * cdf[-1]
    if rank == 0:
        rank = np.nextafter(rank, rank + 1)
    i = min(int(np.searchsorted(cdf, rank)), values.shape[0] - 1)
    if cdf[i] - rank > np.finfo(np.float64).eps:
        return values[i]
    return (values[i] + values[min(i + 1, values.shape[0] - 1)]) / 2


def find_binning_thresholds(col, max_bins, sample_weight=None):
    """Bin edges of one feature, as scikit-learn's ``_find_binning_thresholds``.

    Distinct values (NaN ignored): their midpoints when at most ``max_bins``; else the
    ``max_bins - 1`` inner percentiles ('averaged_inverted_cdf', weighted when
    ``sample_weight`` is given), duplicates removed, clipped at ``ALMOST_INF``.
    """
    col = np.asarray(col, dtype=np.float64)
    keep = ~np.isnan(col)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)[keep]
    col = col[keep]
    if w is not None:
        nz = w != 0
        col, w = col[nz], w[nz]
    if w is None:
        # the sorted values (the order of equal values does not matter without weights)
        col = np.sort(col)
    else:
        order = np.argsort(col, kind="stable")
        col, w = col[order], w[order]
    if col.shape[0] == 0:
        return np.asarray([], dtype=np.float64)
    first = np.empty(col.shape[0], dtype=bool)
    first[0] = True
    np.not_equal(col[1:], col[:-1], out=first[1:])
    distinct = col[first]  # np.unique of the sorted values
    if distinct.shape[0] <= 1:
        return np.asarray([], dtype=np.float64)
    if distinct.shape[0] <= max_bins:
        thr = (distinct[:-1] + distinct[1:]) / 2
    else:
        pct = np.linspace(0, 100, num=max_bins + 1)[1:-1]
        if w is None:
            thr = np.percentile(col, pct, method="averaged_inverted_cdf")
        else:
            thr = np.array([_weighted_percentile_avg(col, w, q) for q in pct])
        u = np.unique(thr)
        if u.shape[0] != thr.shape[0]:
            thr = u
    return np.clip(thr, None, ALMOST_INF)


def gather_rows_kernel(X, y, w, *, xp, row_offset, rows):
    """The rows of X whose global index is in the sorted ``rows``: ``{"X", "idx"}``
    (combine with :func:`combine_rows`, ordered)."""
    n = X.shape[0]
    lo, hi = np.searchsorted(rows, [row_offset, row_offset + n])
    local = rows[lo:hi] - row_offset
    return {"X": np.asarray(X)[local].astype(np.float64), "idx": rows[lo:hi]}


def combine_rows(parts):
    """Concatenate :func:`gather_rows_kernel` partials (in chunk order)."""
    parts = [p for p in parts if p]
    return {
        "X": np.concatenate([p["X"] for p in parts]),
        "idx": np.concatenate([p["idx"] for p in parts]),
    }


def bin_chunk(X, *, xp, thresholds, missing_bin):
    """X (n, p) as uint8 bins: ``bin = #thresholds < x``; NaN in ``missing_bin``."""
    X = np.asarray(X)
    out = np.empty(X.shape, dtype=np.uint8)
    for f, thr in enumerate(thresholds):
        col = X[:, f]
        b = np.searchsorted(thr, col, side="left")
        b[np.isnan(col)] = missing_bin
        out[:, f] = b
    return out


def make_y_chunk(y, *, xp):
    """The per-row targets block: host float64 (rows, 3) of (target, train, weight)."""
    return np.asarray(y, dtype=np.float64)


# --------------------------------------------------------------------------- losses


def _expit(z):
    return np.exp(-np.logaddexp(0.0, -z))


def gradient_hessian(loss, y, raw, w, quantile=None):
    """Gradients and hessians (float32, (n, K)) of scikit-learn's half losses, times w
    (absolute error and pinball loss: scikit-learn's subgradients, hessian 1)."""
    if loss == "squared_error":
        g = raw[:, 0] - y
        h = np.ones_like(g)
        g, h = g[:, None], h[:, None]
    elif loss == "absolute_error":
        g = np.where(raw[:, 0] > y, 1.0, -1.0)[:, None]
        h = np.ones_like(g)
    elif loss == "quantile":
        g = np.where(y >= raw[:, 0], -quantile, 1.0 - quantile)[:, None]
        h = np.ones_like(g)
    elif loss == "log_loss" and raw.shape[1] == 1:
        p = _expit(raw[:, 0])
        g = (p - y)[:, None]
        h = (p * (1 - p))[:, None]
    elif loss == "log_loss":
        m = raw.max(axis=1, keepdims=True)
        e = np.exp(raw - m)
        p = e / e.sum(axis=1, keepdims=True)
        onehot = np.arange(raw.shape[1])[None, :] == y[:, None].astype(np.int64)
        g = p - onehot
        h = p * (1 - p)
    elif loss == "poisson":
        e = np.exp(raw[:, 0])
        g, h = (e - y)[:, None], e[:, None]
    elif loss == "gamma":
        e = y * np.exp(-raw[:, 0])
        g, h = (1 - e)[:, None], e[:, None]
    else:  # pragma: no cover - guarded by the estimator
        raise ValueError(loss)
    g = g * w[:, None]
    h = h * w[:, None]
    return g.astype(np.float32), h.astype(np.float32)


def pointwise_loss(loss, y, raw, quantile=None):
    """scikit-learn's half loss of every row (float64)."""
    if loss == "squared_error":
        return 0.5 * (raw[:, 0] - y) ** 2
    if loss == "absolute_error":
        return np.abs(raw[:, 0] - y)
    if loss == "quantile":
        d = y - raw[:, 0]
        return np.where(d >= 0, quantile * d, (quantile - 1.0) * d)
    if loss == "log_loss" and raw.shape[1] == 1:
        return np.logaddexp(0.0, raw[:, 0]) - y * raw[:, 0]
    if loss == "log_loss":
        m = raw.max(axis=1)
        lse = m + np.log(np.exp(raw - m[:, None]).sum(axis=1))
        return lse - raw[np.arange(raw.shape[0]), y.astype(np.int64)]
    if loss == "poisson":
        return np.exp(raw[:, 0]) - y * raw[:, 0]
    if loss == "gamma":
        return raw[:, 0] + y * np.exp(-raw[:, 0])
    raise ValueError(loss)  # pragma: no cover


# ---------------------------------------------------------------------------- trees


def _categorical_left(go_left, is_cat, nd, b, missing, cat_left, mleft):
    """Directions at categorical nodes (scikit-learn's bitset rule): a category in the
    node's left set goes left; missing (or unknown) values follow ``missing_left``.
    ``b`` holds bin indices (valid where not ``missing``)."""
    if not is_cat.any():
        return go_left
    sel = np.flatnonzero(is_cat)
    ns, ms = nd[sel], missing[sel]
    idx = np.where(ms, 0, b[sel]).astype(np.intp)
    go_left = go_left.copy()
    go_left[sel] = np.where(ms, mleft[ns], cat_left[ns, idx])
    return go_left


@compiled
def _descend_numeric(Xb, node, feature, thr, mleft, left, right, missing_bin):
    """:func:`descend` of a tree with no categorical split, one row at a time (in place)."""
    n = node.shape[0]
    for i in range(n):
        nd = node[i]
        while feature[nd] >= 0:
            b = Xb[i, feature[nd]]
            if b <= thr[nd] or (mleft[nd] and b == missing_bin):
                nd = left[nd]
            else:
                nd = right[nd]
        node[i] = nd


def descend(Xb, tree, node, missing_bin):
    """Send the rows of binned ``Xb`` from nodes ``node`` (int32, (n,)) down ``tree``
    until each reaches a node that is not split; returns the new node ids."""
    node = node.copy()
    feature, thr, mleft = tree["feature"], tree["bin"], tree["missing_left"]
    left, right = tree["left"], tree["right"]
    cat_left = tree.get("cat_left")
    if cat_left is None or not tree["is_cat"].any():
        node = np.ascontiguousarray(node, dtype=np.int32)
        _descend_numeric(
            np.ascontiguousarray(Xb),
            node,
            np.ascontiguousarray(feature, dtype=np.int32),
            np.ascontiguousarray(thr, dtype=np.uint8),
            np.ascontiguousarray(mleft, dtype=np.bool_),
            np.ascontiguousarray(left, dtype=np.int32),
            np.ascontiguousarray(right, dtype=np.int32),
            np.uint8(missing_bin),
        )
        return node
    active = np.flatnonzero(feature[node] >= 0)
    while active.size:
        nd = node[active]
        b = Xb[active, feature[nd]]
        go_left = (b <= thr[nd]) | (mleft[nd] & (b == missing_bin))
        go_left = _categorical_left(go_left, tree["is_cat"][nd], nd, b, b == missing_bin, cat_left, mleft)
        node[active] = np.where(go_left, left[nd], right[nd])
        active = active[feature[node[active]] >= 0]
    return node


@compiled
def _histogram_loop(Xb, s, g, h, train, hist, const_hess):
    """Add every training row ``i`` with slot ``s[i] >= 0`` to the histograms of that
    slot (``hist``: (S, p, n_bins, 3) float64, the gradient, hessian and count sums of a
    bin side by side, so a row's update of one feature touches one cache line), row by
    row in order."""
    n, p = Xb.shape
    for i in range(n):
        si = s[i]
        if si < 0 or not train[i]:
            continue
        gi = np.float64(g[i])
        if const_hess:
            for f in range(p):
                b = Xb[i, f]
                hist[si, f, b, 0] += gi
                hist[si, f, b, 2] += 1.0
        else:
            hi = np.float64(h[i])
            for f in range(p):
                b = Xb[i, f]
                hist[si, f, b, 0] += gi
                hist[si, f, b, 1] += hi
                hist[si, f, b, 2] += 1.0


def _histograms(Xb, nodes, g, h, train, compute, n_bins, const_hess=False):
    """The (gradient, hessian, count) histograms of the S requested ``(tree k, node)``
    pairs of ``compute``: (S, p, n_bins, 3) float64 (the last axis: gradient, hessian,
    count), over the training rows (one compiled loop over the rows per tree, float64
    sums in row order). ``const_hess``: every hessian is 1, so the hessian histogram is
    the count's (not summed)."""
    n, p = Xb.shape
    S = compute.shape[0]
    hist = np.zeros((S, p, n_bins, 3))
    if S == 0:
        return hist
    K = nodes.shape[1]
    Xb = np.ascontiguousarray(Xb)
    train = np.ascontiguousarray(train, dtype=np.bool_)
    for k in range(K):
        sel = compute[:, 0] == k
        if not sel.any():
            continue
        wanted = compute[sel, 1]
        slot = np.full(int(max(wanted.max(), nodes[:, k].max())) + 1, -1, dtype=np.int64)
        slot[wanted] = np.flatnonzero(sel)
        s = slot[nodes[:, k]]
        _histogram_loop(
            Xb,
            s,
            np.ascontiguousarray(g[:, k]),
            np.ascontiguousarray(h[:, k]),
            train,
            hist,
            bool(const_hess),
        )
    if const_hess:
        hist[..., 1] = hist[..., 2]
    return hist


def node_histograms(hist, s):
    """Slot ``s`` of a combined ``hist`` (S, p, n_bins, 3) as the (3, p, n_bins)
    gradient, hessian and count histograms (contiguous)."""
    return np.ascontiguousarray(np.moveaxis(hist[s], 2, 0))


def _raw_predictions(Xb, model, cache, missing_bin):
    """The chunk's raw predictions after the finished iterations of ``model``."""
    n = Xb.shape[0]
    done = model["trees"]
    K = model["baseline"].shape[0]
    st = None if cache is None else cache.pop("raw", None)
    if st is None or st[0] > len(done) or st[1].shape != (n, K):
        st = (0, np.tile(model["baseline"], (n, 1)))
    start, raw = st
    nodes_st = None if cache is None else cache.get("nodes")
    for it in range(start, len(done)):
        for k, tree in enumerate(done[it]):
            if nodes_st is not None and nodes_st[0] == it:
                begin = nodes_st[1][:, k]
            else:
                begin = np.zeros(n, dtype=np.int32)
            leaf = descend(Xb, tree, begin, missing_bin)
            raw[:, k] += tree["value"][leaf]
    if cache is not None:
        cache["raw"] = (len(done), raw)
    return raw


def boost_kernel(
    Xb,
    Y,
    w,
    model,
    *,
    xp,
    compute,
    loss,
    n_bins,
    missing_bin,
    want_loss,
    const_hess=False,
    quantile=None,
    want_rows=False,
    fetch=None,
    fetch_X=True,
    row_offset=0,
    cache=None,
):
    """One pass of tree growth over a binned chunk.

    Parameters
    ----------
    Xb : ndarray of shape (n, p), uint8
    Y : ndarray of shape (n, 3)
        Target (class index for classifiers), training flag (1) or validation (0),
        sample weight.
    w : ignored (the weights are in Y)
    model : dict
        ``baseline`` (K,), ``trees`` (finished iterations, each a list of K trees),
        ``current`` (the K trees being grown, or None).
    compute : ndarray of shape (S, 2), int
        The ``(tree, node)`` pairs whose histograms are wanted.
    const_hess : bool
        Every hessian is 1 (squared error without sample weights).
    want_loss : bool
        Also return the summed weighted losses of the training and validation rows at
        the raw predictions of the finished iterations.
    quantile : float, optional
        The quantile of ``loss='quantile'``.
    want_rows : bool
        Also return the raw predictions ``rows_raw`` (finished iterations) and global
        indices ``rows_idx`` of the rows the scorer sees (training flag 2, and the
        validation rows); ``row_offset`` is the chunk's first row.
    fetch : ndarray of shape (F, 3), int, optional
        ``(tree, left, right)``: also return the training rows at node ``left`` or
        ``right`` of tree ``tree`` (the children of a split whose subtree is grown
        from its rows by the caller): their global indices ``fetch_idx``, the entry
        ``j`` of ``fetch`` they belong to ``fetch_slot``, their node ``fetch_node``,
        binned X ``fetch_X``, gradients ``fetch_g`` and hessians ``fetch_h`` (those
        of tree ``tree``); ``row_offset`` is the chunk's first row.
    fetch_X : bool
        Return ``fetch_X`` (False: the caller holds the binned rows already).

    Returns
    -------
    dict with ``hist`` (S, p, n_bins, 3: gradient, hessian and count sums; see
    :func:`node_histograms`), the ``fetch_*`` rows and, when asked, ``train_loss``,
    ``train_w``, ``val_loss``, ``val_w``.
    """
    Xb = np.asarray(Xb)
    Y = np.asarray(Y, dtype=np.float64)
    n = Xb.shape[0]
    y, train, sw = Y[:, 0], Y[:, 1] > 0, Y[:, 2]
    raw = _raw_predictions(Xb, model, cache, missing_bin)
    out = {}
    if want_loss:
        lv = pointwise_loss(loss, y, raw, quantile) * sw
        out["train_loss"] = np.array([lv[train].sum()])
        out["train_w"] = np.array([sw[train].sum()])
        out["val_loss"] = np.array([lv[~train].sum()])
        out["val_w"] = np.array([sw[~train].sum()])
    if want_rows:
        sel = np.flatnonzero(Y[:, 1] != 1)
        out["rows_idx"] = sel + int(row_offset)
        out["rows_raw"] = raw[sel]
    current = model.get("current")
    if current is not None:
        it = len(model["trees"])
        K = len(current)
        st = None if cache is None else cache.get("nodes")
        if st is not None and st[0] == it and st[1].shape == (n, K):
            nodes = st[1].copy()
        else:
            nodes = np.zeros((n, K), dtype=np.int32)
        for k, tree in enumerate(current):
            nodes[:, k] = descend(Xb, tree, nodes[:, k], missing_bin)
        if cache is not None:
            cache["nodes"] = (it, nodes)
        gh = None if cache is None else cache.get("gh")
        if gh is None or gh[0] != it or gh[1].shape != (n, K):
            gh = (it, *gradient_hessian(loss, y, raw, sw, quantile))
            if cache is not None:
                cache["gh"] = gh
        _, g, h = gh
        out["hist"] = _histograms(
            Xb, nodes, g, h, train, np.asarray(compute, dtype=np.int64), n_bins, const_hess
        )
        if fetch is not None and len(fetch):
            rows = _fetched_rows(
                Xb, nodes, g, h, train, np.asarray(fetch, dtype=np.int64), row_offset, fetch_X
            )
            out.update(rows)
    return out


def _fetched_rows(Xb, nodes, g, h, train, fetch, row_offset, with_X=True):
    """:func:`boost_kernel`'s ``fetch_*`` arrays: the training rows at the nodes of
    every ``(tree, left, right)`` entry of ``fetch``, in row order per entry."""
    idx, slot, node, X, gs, hs = [], [], [], [], [], []
    for j, (k, a, b) in enumerate(fetch):
        nd = nodes[:, k]
        sel = np.flatnonzero(((nd == a) | (nd == b)) & train)
        idx.append(sel + int(row_offset))
        slot.append(np.full(sel.shape[0], j, dtype=np.int32))
        node.append(nd[sel])
        if with_X:
            X.append(Xb[sel])
        gs.append(g[sel, k])
        hs.append(h[sel, k])
    out = {
        "fetch_idx": np.concatenate(idx),
        "fetch_slot": np.concatenate(slot),
        "fetch_node": np.concatenate(node).astype(np.int32),
        "fetch_g": np.concatenate(gs),
        "fetch_h": np.concatenate(hs),
    }
    if with_X:
        out["fetch_X"] = np.concatenate(X)
    return out


def local_histograms(Xb, node, g, h, nodes_wanted, n_bins, const_hess=False):
    """(S, p, n_bins, 3) histograms of the rows of ``Xb`` (all training rows, in the
    order to sum them) at each node of ``nodes_wanted`` (``node``: their nodes), as
    :func:`_histograms` computes them on a chunk."""
    compute = np.column_stack(
        [np.zeros(len(nodes_wanted), dtype=np.int64), np.asarray(nodes_wanted, np.int64)]
    )
    return _histograms(
        Xb,
        node[:, None],
        g[:, None],
        h[:, None],
        np.ones(node.shape[0], dtype=bool),
        compute,
        n_bins,
        const_hess,
    )


def leaf_order_stats_kernel(
    Xb, Y, w, model, *, xp, leaves, brackets, size, weighted, missing_bin, cache=None
):
    """Order statistics of the residuals ``y - raw`` of the training rows of each leaf
    of the tree just grown (``model["leaf_tree"]``, leaf node ids ``leaves``), at the
    raw predictions of the finished iterations (``model["trees"]``): the engine's
    :func:`~dml._engine.quantiles.order_stats_kernel` with one column per leaf (its
    ``brackets``), weighted by the sample weights when ``weighted``. Combine with
    :func:`~dml._engine.quantiles.combine_order_stats`."""
    from dml._engine.quantiles import order_stats_kernel

    Xb = np.asarray(Xb)
    Y = np.asarray(Y, dtype=np.float64)
    raw = _raw_predictions(Xb, model, cache, missing_bin)
    leaf = descend(Xb, model["leaf_tree"], np.zeros(Xb.shape[0], dtype=np.int32), missing_bin)
    train = np.flatnonzero(Y[:, 1] > 0)
    resid = Y[train, 0] - raw[train, 0]
    slot = np.searchsorted(leaves, leaf[train])
    order = np.argsort(slot, kind="stable")
    bounds = np.searchsorted(slot[order], np.arange(len(leaves) + 1))
    stats, n_inf = [], 0
    for j, col in enumerate(brackets):
        rows = order[bounds[j] : bounds[j + 1]]
        if not col:
            stats.append([])
            continue
        wj = Y[train[rows], 2] if weighted else None
        res = order_stats_kernel(
            resid[rows, None], None, wj, xp=xp, brackets=[col], size=size, weighted=weighted
        )
        stats.append(res["order_stats"][0])
        n_inf += res["n_inf"]
    return {"order_stats": stats, "n_inf": n_inf}


# -------------------------------------------------------------------------- predict


def pack_trees(trees, n_categories=None):
    """Concatenate trees (dicts of node arrays) into one node table with global child
    indices; returns ``(table, roots)``. ``n_categories`` (p,): the number of known
    categories of each feature (0 for numeric ones), for models with categorical
    features (whose trees carry ``is_cat`` and ``cat_left``)."""
    offs = np.cumsum([0] + [t["feature"].shape[0] for t in trees])[:-1]
    cat = lambda key: np.concatenate([t[key] for t in trees]) if trees else np.zeros(0)  # noqa: E731
    table = {
        "feature": cat("feature").astype(np.int64),
        "threshold": cat("threshold").astype(np.float64),
        "missing_left": cat("missing_left").astype(bool),
        "value": cat("value").astype(np.float64),
        "left": np.concatenate([t["left"] + o for t, o in zip(trees, offs)]) if trees else np.zeros(0, int),
        "right": np.concatenate([t["right"] + o for t, o in zip(trees, offs)]) if trees else np.zeros(0, int),
    }
    if n_categories is not None:
        table["n_categories"] = np.asarray(n_categories, dtype=np.float64)
        table["is_cat"] = cat("is_cat").astype(bool)
        table["cat_left"] = (
            np.concatenate([t["cat_left"] for t in trees]) if trees else np.zeros((0, 1), bool)
        )
    return table, np.asarray(offs, dtype=np.int64)


def tree_values(X, table, roots):
    """The leaf value of every row in every tree: (n, T) float64 (raw X, NaN allowed)."""
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    T = roots.shape[0]
    node = np.broadcast_to(roots, (n, T)).copy()
    feature = table["feature"]
    rows = np.broadcast_to(np.arange(n)[:, None], (n, T))
    active = feature[node] >= 0
    while active.any():
        r, t = np.nonzero(active)
        nd = node[r, t]
        f = feature[nd]
        x = X[r, f]
        go_left = np.where(np.isnan(x), table["missing_left"][nd], x <= table["threshold"][nd])
        if "cat_left" in table:
            # categorical values are category codes: negative, NaN or unknown codes
            # (at least the feature's number of known categories) are missing
            with np.errstate(invalid="ignore"):
                unknown = ~((x >= 0) & (x < table["n_categories"][f]))
            code = np.where(unknown, 0, x).astype(np.intp)
            go_left = _categorical_left(
                go_left, table["is_cat"][nd], nd, code, unknown, table["cat_left"], table["missing_left"]
            )
        node[r, t] = np.where(go_left, table["left"][nd], table["right"][nd])
        active[r, t] = feature[node[r, t]] >= 0
    del rows
    return table["value"][node]


def raw_predict_block(X, *, xp, table, roots, baseline, n_iter):
    """Raw predictions (n, K) from the first ``n_iter`` iterations (K trees each)."""
    K = baseline.shape[0]
    T = n_iter * K
    vals = tree_values(X, table, roots[:T])
    raw = np.tile(baseline, (vals.shape[0], 1))
    for k in range(K):
        raw[:, k] += vals[:, k::K].sum(axis=1)
    return raw


def predict_block(X, *, xp, table, roots, baseline, n_iter, output, loss, classes=None):
    """Blockwise predictions: ``output`` 'raw' (decision function), 'predict'
    (regression: the inverse link), 'proba' or 'predict_class'."""
    raw = raw_predict_block(X, xp=xp, table=table, roots=roots, baseline=baseline, n_iter=n_iter)
    return outputs_from_raw(raw, output, loss, classes)


def outputs_from_raw(raw, output, loss, classes=None):
    """:func:`predict_block`'s outputs from raw predictions (n, K)."""
    K = raw.shape[1]
    if output == "raw":
        return raw[:, 0] if K == 1 else raw
    if output == "predict":
        identity = loss in ("squared_error", "absolute_error", "quantile")
        return raw[:, 0] if identity else np.exp(raw[:, 0])
    if K == 1:
        p1 = _expit(raw[:, 0])
        proba = np.column_stack([1 - p1, p1])
    else:
        e = np.exp(raw - raw.max(axis=1, keepdims=True))
        proba = e / e.sum(axis=1, keepdims=True)
    if output == "proba":
        return proba
    if K == 1:
        return classes[(raw[:, 0] > 0).astype(np.int64)]
    return classes[np.argmax(raw, axis=1)]
