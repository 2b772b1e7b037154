"""Chunk kernels of BisectingKMeans: pure functions of ``(chunk, idx, w, ..., *, xp)``.

The bisecting tree travels to every chunk as three small arrays: ``nodes`` (S,), the
node split at each of the S bisections so far (in order), ``centers`` (S, 2, p), the
two child centers of each split, and the centring ``shift`` (p,). Nodes are numbered
as they are made: the root is 0 and split ``s`` makes nodes ``2s + 1`` (left, the first
center) and ``2s + 2`` (right). A row belongs to the leaf found by going down the tree,
at each split to the closer of the two child centers (ties to the left, the first
index, as scikit-learn's ``argmin``): the same rule gives the fit's partition and
``predict``, so ``predict`` on the training data gives ``labels_``.

- :func:`bisect_lloyd_kernel`: one Lloyd step of the 2-means of one leaf (KMeans's
  bounds kernel, or its fused Lloyd step, on that leaf's rows of the chunk);
- :func:`bisect_far_points_kernel`: the leaf's rows farthest from their center (empty
  clusters);
- :func:`bisect_split_kernel`: the children's inertia and sizes for two centers;
- :func:`bisect_keys_kernel` ('random' seeding), :func:`bisect_races_kernel`
  (k-means++), :func:`bisect_rows_kernel` (a callable ``init``: the leaf's rows);
- :func:`tree_labels_block`: blockwise ``predict``.

With a chunk ``cache`` (NumPy chunks) each chunk keeps its rows' leaf ids and the number
of splits they reflect, and a pass applies only the splits made since: the leaf of the
rows of the node split last is decided once, not by going down the whole tree every
pass. Without it (first pass, another process, other namespaces) the leaf ids are
recomputed from the tree, with the same arithmetic.
"""

from __future__ import annotations

import numpy as np

from dml._engine.blockwise import guard_finite
from dml._engine.kernels import row_blocks
from dml._engine.namespace import as_float64, get_namespace, is_numpy_namespace
from dml.cluster._bounds_kernels import lloyd_bounds_kernel
from dml.cluster._lloyd_kernels import _host, _itemsize, far_points_kernel, lloyd_kernel
from dml.cluster._seeding_kernels import races_kernel, smallest_keys_kernel


def _right_of(Xb, C, shift, xp):
    """``(right, d_left, d_right)``: whether each row of ``Xb`` is strictly closer to the
    second center of ``C`` (2, p), and its squared distances to both (in X's dtype),
    summed from the differences of the rows and centers centred at ``shift``."""
    mu = _host(shift, Xb, xp)
    Xc = Xb - mu
    C = _host(C, Xb, xp) - mu
    d0 = Xc - C[0, :]
    d0 = xp.sum(d0 * d0, axis=1)
    d1 = Xc - C[1, :]
    d1 = xp.sum(d1 * d1, axis=1)
    return d1 < d0, d0, d1


def _split_rows(Xr, C, shift, xp):
    """:func:`_right_of` over cache-sized row blocks: the boolean ``right`` (m,)."""
    n, p = Xr.shape
    out = [_right_of(Xr[a:b, :], C, shift, xp)[0] for a, b in row_blocks(n, p, _itemsize(Xr))]
    if not out:
        return xp.zeros((0,), dtype=xp.bool)
    return xp.concat(out) if len(out) > 1 else out[0]


def leaf_ids(X, shift, nodes, centers, *, xp, cache=None):
    """The leaf (node id, int64) of every row of ``X`` for the tree ``(nodes, centers)``."""
    n = X.shape[0]
    n_splits = int(nodes.shape[0])
    if is_numpy_namespace(xp):
        X = np.asarray(X)
        st = None if cache is None else cache.get("leaf")
        if st is None or st[0] > n_splits or st[1].shape[0] != n:
            st = (0, np.zeros(n, dtype=np.int64))
        start, leaf = st
        for s in range(start, n_splits):
            rows = np.flatnonzero(leaf == int(nodes[s]))
            if rows.size:
                right = _split_rows(X[rows], centers[s], shift, np)
                leaf[rows] = np.where(right, 2 * s + 2, 2 * s + 1)
        if cache is not None:
            cache["leaf"] = (n_splits, leaf)
        return leaf
    leaf = xp.zeros((n,), dtype=xp.int64)
    for s in range(n_splits):
        right = _split_rows(X, centers[s], shift, xp)
        child = xp.where(right, xp.asarray(2 * s + 2, dtype=xp.int64), xp.asarray(2 * s + 1, dtype=xp.int64))
        leaf = xp.where(leaf == int(nodes[s]), child, leaf)
    return leaf


def _node_rows(X, idx, w, shift, nodes, tree_centers, node, xp, cache):
    """The rows of ``X`` (and their indices and weights) in leaf ``node``."""
    leaf = leaf_ids(X, shift, nodes, tree_centers, xp=xp, cache=cache)
    if is_numpy_namespace(xp):
        rows = np.flatnonzero(leaf == node)
        take = lambda a: None if a is None else np.asarray(a)[rows]  # noqa: E731
        return np.asarray(X)[rows], take(idx), take(w)
    rows = xp.nonzero(leaf == node)[0]
    take = lambda a: None if a is None else xp.take(a, rows, axis=0)  # noqa: E731
    return xp.take(X, rows, axis=0), take(idx), take(w)


def bisect_lloyd_kernel(
    X, idx, w, shift, nodes, tree_centers, centers, *, xp, node, bounds=None, elkan=False, cache=None
):
    """One Lloyd step of the 2-means of leaf ``node`` over that leaf's rows of the chunk:
    ``sums`` (2, p) and ``weights`` (2,).

    ``bounds``: a key of the 2-means run (split, run). The step is then
    :func:`~dml.cluster._bounds_kernels.lloyd_bounds_kernel` (Hamerly's bounds, or
    Elkan's with ``elkan``), whose per-row state lives in the chunk ``cache`` under that
    key while the run lasts, so later iterations read only the rows whose label may
    change (the leaf's rows come in the same order every pass). Without it, the fused
    :func:`~dml.cluster._lloyd_kernels.lloyd_kernel`, which also gives the ``inertia``
    (``verbose``).
    """
    Xs, _, ws = _node_rows(X, idx, w, shift, nodes, tree_centers, node, xp, cache)
    if Xs.shape[0] == 0:
        p = X.shape[1]
        out = {"sums": xp.zeros((2, p), dtype=xp.float64), "weights": xp.zeros((2,), dtype=xp.float64)}
        if bounds is None:
            out["inertia"] = xp.asarray(0.0, dtype=xp.float64)
        return out
    if bounds is None:
        return lloyd_kernel(Xs, None, ws, centers, shift, xp=xp)
    st = None if cache is None else cache.get("bisect_bounds")
    if st is None or st[0] != bounds:
        st = (bounds, {})
        if cache is not None:
            cache["bisect_bounds"] = st  # one run's state at a time
    res = lloyd_bounds_kernel(Xs, None, ws, centers, shift, xp=xp, cache=st[1], elkan=elkan)
    return {"sums": res["sums"], "weights": res["weights"]}


def bisect_far_points_kernel(X, idx, w, shift, nodes, tree_centers, centers, *, xp, node, n_far, cache=None):
    """:func:`far_points_kernel` over leaf ``node``'s rows of the chunk (or ``{}``)."""
    Xs, _, ws = _node_rows(X, idx, w, shift, nodes, tree_centers, node, xp, cache)
    if Xs.shape[0] == 0:
        return {}
    return far_points_kernel(Xs, None, ws, centers, xp=xp, n_far=n_far)


def bisect_split_kernel(X, idx, w, shift, nodes, tree_centers, centers, *, xp, node, cache=None):
    """The children of leaf ``node`` for the two ``centers``: ``inertia`` (2,), the
    weighted sum of squared distances of each child's rows to its center (exact
    differences), ``n`` (2,) its number of rows and ``weights`` (2,) its weight."""
    Xs, _, ws = _node_rows(X, idx, w, shift, nodes, tree_centers, node, xp, cache)
    inertia = xp.zeros((2,), dtype=xp.float64)
    cnt = xp.zeros((2,), dtype=xp.float64)
    wsum = xp.zeros((2,), dtype=xp.float64)
    n, p = Xs.shape
    for a, b in row_blocks(n, p, _itemsize(Xs)):
        right, d0, d1 = _right_of(Xs[a:b, :], centers, shift, xp)
        r = as_float64(xp.astype(right, Xs.dtype), xp)
        left = 1.0 - r
        d0, d1 = as_float64(d0, xp), as_float64(d1, xp)
        wb = xp.ones_like(r) if ws is None else as_float64(ws[a:b], xp)
        inertia = inertia + xp.stack([xp.sum(wb * left * d0), xp.sum(wb * r * d1)])
        cnt = cnt + xp.stack([xp.sum(left), xp.sum(r)])
        wsum = wsum + xp.stack([xp.sum(wb * left), xp.sum(wb * r)])
    return {"inertia": inertia, "n": cnt, "weights": wsum}


def bisect_keys_kernel(X, idx, w, shift, nodes, tree_centers, *, xp, node, seed, stream, cache=None):
    """:func:`smallest_keys_kernel` with no centers over leaf ``node``'s rows: the two
    rows of smallest hashed key ``E / w`` (weighted sampling without replacement)."""
    Xs, idxs, ws = _node_rows(X, idx, w, shift, nodes, tree_centers, node, xp, cache)
    if Xs.shape[0] == 0:
        return {}
    empty = np.zeros((0, X.shape[1]))
    return smallest_keys_kernel(Xs, idxs, ws, shift, empty, xp=xp, seed=seed, stream=stream, cap=2)


def bisect_races_kernel(
    X, idx, w, shift, nodes, tree_centers, centers, candidates, *, xp, node, seed, stream, n_races, cache=None
):
    """:func:`races_kernel` over leaf ``node``'s rows (k-means++ draws and potentials)."""
    Xs, idxs, ws = _node_rows(X, idx, w, shift, nodes, tree_centers, node, xp, cache)
    if Xs.shape[0] == 0:
        return {}
    return races_kernel(
        Xs, idxs, ws, shift, centers, candidates, xp=xp, seed=seed, stream=stream, n_races=n_races
    )


def bisect_rows_kernel(X, idx, w, shift, nodes, tree_centers, *, xp, node, cache=None):
    """Leaf ``node``'s rows of the chunk with their global indices (a callable init)."""
    Xs, idxs, _ = _node_rows(X, idx, w, shift, nodes, tree_centers, node, xp, cache)
    if Xs.shape[0] == 0:
        return {}
    return {"rows": Xs, "idx": xp.astype(idxs, xp.int64)}


def combine_rows(parts):
    """Concatenate :func:`bisect_rows_kernel` partials in global row order."""
    parts = [p for p in parts if p]
    if not parts:
        return {}
    xp = get_namespace(parts[0]["idx"])
    idx = xp.concat([p["idx"] for p in parts])
    rows = xp.concat([p["rows"] for p in parts], axis=0)
    order = xp.argsort(idx, stable=True)
    return {"rows": xp.take(rows, order, axis=0), "idx": xp.take(idx, order)}


def tree_labels_block(chunk, *, xp, shift, nodes, centers, leaf_labels):
    """The cluster label (int32) of every row of ``chunk``: its leaf in the tree, mapped
    by ``leaf_labels`` (node id -> label). Blockwise ``predict``."""
    leaf = leaf_ids(chunk, shift, nodes, centers, xp=xp)
    out = xp.astype(xp.take(xp.asarray(leaf_labels, dtype=xp.int64), leaf), xp.int32)
    if out.shape[0]:
        guard_finite(xp.sum(chunk, axis=1), chunk)
    return out
