"""Growth of one binned tree (or subtree) in one task, on rows held in memory (pure NumPy).

:func:`grow_local` grows level by level, all nodes of a level at once: one
``np.bincount`` histogram of the level's rows over (node, drawn feature, bin), then a
vectorised search of every node's best split (cumulative sums along the bins), then
the rows are routed to the children. The work per level is O(rows x max_features) plus
O(nodes x max_features x 256) for the split search, with no per-node Python loop.

Features of a node are drawn from a hash of ``(base, node)`` (``base`` names the tree and
the subtree), so the tree does not depend on where it is grown. scikit-learn's rule: the
first ``max_features`` features of a random order are evaluated, constant ones included;
only when all of them are constant in the node is the next non-constant one used.

``max_leaf_nodes`` (best-first, as scikit-learn's ``BestFirstTreeBuilder``): after each
level, a greedy walk from the root pops the evaluated nodes in decreasing order of
impurity decrease, as scikit-learn's frontier does, and stops at ``max_leaf_nodes - 1``
splits; the nodes it pops that have no children yet are split in the next level. When
it pops no such node the walk is scikit-learn's, and the tree is cut to the nodes it
split (:func:`best_first_keep`).
"""

from __future__ import annotations

import heapq

import numpy as np

from dml._engine.allocation import kept_allocations
from dml.ensemble._forest_kernels import _M2, _splitmix, bootstrap_counts, second_moment

N_BINS = 256
_MIN_IMPURITY = 1e-7
_EPS = np.finfo(np.float64).eps
_F_SALT = np.uint64(0xD1B54A32D192ED03)
_U_SALT = np.uint64(0x8CB92BA72F3D8DD7)


def node_keys(base, nodes):
    """uint64 keys of ``nodes`` (int) under ``base`` (a uint64 from the seed and tree)."""
    with np.errstate(over="ignore"):
        return _splitmix(np.uint64(base) ^ _splitmix(np.asarray(nodes, dtype=np.uint64) * _M2 + _F_SALT))


def tree_base(seed, tree, root=0):
    """The key base of tree ``tree`` (and of the subtree grown from its node ``root``)."""
    with np.errstate(over="ignore"):
        b = _splitmix(np.uint64(seed) ^ _splitmix(np.uint64(tree) + _U_SALT))
        return int(_splitmix(b ^ np.uint64(root)))


def feature_order(keys, p):
    """(len(keys), p) random feature orders, one per node key."""
    with np.errstate(over="ignore"):
        fk = _splitmix(np.arange(1, p + 1, dtype=np.uint64) * _M2)
        u = _splitmix(keys[:, None] ^ fk[None, :])
    return np.argsort(u, axis=1, kind="stable")


def uniforms(keys, feats):
    """Uniform [0, 1) draws per (node key, feature) pair, for extra trees' thresholds."""
    with np.errstate(over="ignore"):
        u = _splitmix(keys[:, None] ^ _splitmix(feats.astype(np.uint64) + _U_SALT))
    return (u >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


# ------------------------------------------------------------------------ impurity


def _xlogx(v):
    out = np.zeros_like(v)
    np.multiply(v, np.log2(v, where=v > 0, out=np.ones_like(v)), out=out, where=v > 0)
    return out


def node_impurity(criterion, stats, n_classes):
    """Impurity and weight of nodes from their stats (..., S)."""
    if n_classes:
        cls = stats[..., :n_classes]
        w = cls.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            if criterion == "gini":
                imp = 1.0 - np.sum(cls * cls, axis=-1) / (w * w)
            else:
                imp = (_xlogx(w) - _xlogx(cls).sum(axis=-1)) / w
    elif criterion == "poisson":  # stats: w, w y, w y log y (scikit-learn's half deviance)
        w, sy = stats[..., 0], stats[..., 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            imp = (stats[..., 2] - sy * np.log(sy / w)) / w
        imp = np.where(sy <= _EPS, np.inf, np.maximum(imp, 0.0))
    else:
        w = stats[..., 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = stats[..., 1] / w
            imp = np.maximum(stats[..., 2] / w - mean * mean, 0.0)
    return np.where(w > 0, imp, 0.0), w


# --------------------------------------------------------------------------- nodes


class Nodes:
    """Growing node arrays of one tree: stats (S channels), count, depth, the best split
    (feature, bin, gain, the children's stats and counts) and the children."""

    def __init__(self, S):
        self.n, self.S = 0, S
        self._alloc(64)

    def _alloc(self, cap):
        old = getattr(self, "cap", 0)
        spec = {
            "stats": ((self.S,), np.float64, 0.0),
            "lstats": ((self.S,), np.float64, 0.0),
            "rstats": ((self.S,), np.float64, 0.0),
            "cnt": ((), np.int64, 0),
            "lcnt": ((), np.int64, 0),
            "rcnt": ((), np.int64, 0),
            "depth": ((), np.int64, 0),
            "feature": ((), np.int64, -1),
            "bin": ((), np.int64, 0),
            "gain": ((), np.float64, -np.inf),
            "left": ((), np.int64, -1),
            "right": ((), np.int64, -1),
            "lo": ((), np.float64, -np.inf),
            "hi": ((), np.float64, np.inf),
        }
        for name, (shape, dt, fill) in spec.items():
            a = np.full((cap,) + shape, fill, dtype=dt)
            if old:
                a[:old] = getattr(self, name)
            setattr(self, name, a)
        self.cap = cap

    def add(self, stats, cnt, depth):
        k = stats.shape[0]
        if self.n + k > self.cap:
            self._alloc(max(2 * self.cap, self.n + k))
        ids = np.arange(self.n, self.n + k)
        self.stats[ids], self.cnt[ids], self.depth[ids] = stats, cnt, depth
        self.n += k
        return ids


def best_first_walk(gain, left, right, budget, state=None):
    """scikit-learn's best-first order over evaluated nodes: pop the largest split gain
    (-inf: a leaf, popped without using the budget) until ``budget`` splits. Returns
    (popped nodes that have children, popped nodes that have none yet).

    ``state`` (a dict, updated): where the walk stood when it first popped a node
    without children; as gains never change and children only come to such nodes, a
    later walk resumes from there."""
    if state and "heap" in state:
        heap, split = list(state["heap"]), list(state["split"])
    else:
        heap, split = [(-gain[0], 0)], []
    frontier = []
    while heap and len(split) + len(frontier) < budget:
        item = heapq.heappop(heap)
        g, v = item
        if g == np.inf:
            continue
        if left[v] >= 0:
            split.append(v)
            heapq.heappush(heap, (-gain[left[v]], int(left[v])))
            heapq.heappush(heap, (-gain[right[v]], int(right[v])))
        else:
            if not frontier and state is not None:
                state["heap"] = heap + [item]
                heapq.heapify(state["heap"])
                state["split"] = list(split)
            frontier.append(v)
    return split, frontier


def best_first_keep(gain, left, right, budget):
    """Boolean mask of the nodes kept by scikit-learn's best-first growth with ``budget``
    splits over a tree whose every needed node is evaluated (the root and the children
    of the nodes split)."""
    split, frontier = best_first_walk(gain, left, right, budget)
    if frontier:
        raise AssertionError("best-first walk reached unexpanded nodes")  # pragma: no cover
    keep = np.zeros(gain.shape[0], dtype=bool)
    keep[0] = True
    s = np.asarray(split, dtype=np.int64)
    keep[left[s]] = True
    keep[right[s]] = True
    is_split = np.zeros(gain.shape[0], dtype=bool)
    is_split[s] = True
    return keep, is_split


def renumber(keep, is_split, left, right):
    """Breadth-first new ids of the kept nodes: (old ids in new order, new left, new right)."""
    order = [0]
    i = 0
    while i < len(order):
        v = order[i]
        if is_split[v]:
            order.append(int(left[v]))
            order.append(int(right[v]))
        i += 1
    order = np.asarray(order, dtype=np.int64)
    new = np.full(left.shape[0], -1, dtype=np.int64)
    new[order] = np.arange(order.shape[0])
    sp = is_split[order]
    nl = np.where(sp, new[np.where(sp, left[order], 0)], -1)
    nr = np.where(sp, new[np.where(sp, right[order], 0)], -1)
    return order, nl, nr


# ---------------------------------------------------------------------------- grow


def _histograms(XT, y, W, rows, slots, F, n_classes, count, n_slot, y2=None):
    """The occupied histogram cells of the rows over their nodes' features ``F``
    (n_slot, kk): ``(idx, Hc)``, the cell ids ``(slot * kk + j) * 256 + bin`` in
    increasing order and their stats (S', G), channels first: class weights, or the
    weights, ``w y`` and ``w y**2``; then the row count with ``count``. ``XT`` is the
    binned data transposed (p, m), so each drawn feature's values are one 1-D gather.

    Few nodes: ``np.bincount`` over every cell, then the occupied ones. Many nodes
    (cells outnumber the rows' values): the values' cell ids are sorted instead (one
    ``np.sort`` of the ids packed with their positions) and summed per run, so the cost
    follows the rows, not the 256 bins of every node and feature."""
    kk = F.shape[1]
    m = XT.shape[1]
    flat = XT.reshape(-1)
    cells = n_slot * kk * N_BINS
    base = slots * (kk * N_BINS)
    r = rows.shape[0]
    key = np.empty((kk, r), dtype=np.int64)  # feature-major: the order bincount ignores
    for j in range(kk):
        fj = F[:, j] if n_slot > 1 else None
        src = flat[(fj[slots] * m + rows) if fj is not None else (F[0, j] * m + rows)]
        np.add(base, src, out=key[j])
        if j:
            key[j] += j * N_BINS
    key = key.reshape(-1)
    n_el = key.shape[0]
    if cells <= 2 * n_el:
        wr = np.tile(W[rows], kk)
        if n_classes:
            ck = key + np.tile(y[rows] * cells, kk)
            H = np.bincount(ck, weights=wr, minlength=cells * n_classes).reshape(n_classes, cells)
            idx = np.flatnonzero(H.sum(axis=0) > 0)
        else:
            wy = wr * np.tile(y[rows], kk)
            wy2 = wr * np.tile(y2[rows], kk)
            H = np.stack([np.bincount(key, weights=v, minlength=cells) for v in (wr, wy, wy2)])
            idx = np.flatnonzero(np.bincount(key, minlength=cells))
        Hc = H[:, idx]
        if count:
            Hc = np.concatenate([Hc, np.bincount(key, minlength=cells)[None, idx].astype(np.float64)])
        return idx, Hc
    bits = max(1, int(n_el - 1).bit_length())
    packed = (key << bits) | np.arange(n_el, dtype=np.int64)
    packed.sort()
    r = rows[(packed & ((1 << bits) - 1)) % r]
    ks = packed >> bits
    first = np.empty(n_el, dtype=bool)
    first[0] = True
    np.not_equal(ks[1:], ks[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    idx = ks[starts]
    G = idx.shape[0]
    g = np.cumsum(first) - 1
    w = W[r]
    if n_classes:
        Hc = np.bincount(g * n_classes + y[r], weights=w, minlength=G * n_classes).reshape(G, n_classes).T
    else:
        Hc = np.stack([np.add.reduceat(v, starts) for v in (w, w * y[r], w * y2[r])])
    if count:
        cnt = np.diff(np.r_[starts, n_el]).astype(np.float64)
        Hc = np.concatenate([Hc, cnt[None, :]])
    return idx, Hc


def _score(crit, st, C):
    """Per candidate the part of ``-w * impurity`` a split score needs, and the weight,
    from channel-first stats (S', ...)."""
    if C:
        w = st[0].copy()
        for c in range(1, C):
            w += st[c]
        if crit == "gini":
            sq = st[0] * st[0]
            for c in range(1, C):
                sq += st[c] * st[c]
            return sq / w, w
        v = _xlogx(w)
        for c in range(C):
            v -= _xlogx(st[c])
        return -v, w
    w = st[0]
    if crit == "poisson":
        return st[1] * np.log(st[1] / w), w
    return st[1] * st[1] / w, w


def _runs(a):
    """Start flags, start positions and run index of the runs of equal values of ``a``."""
    first = np.empty(a.shape[0], dtype=bool)
    first[:1] = True
    np.not_equal(a[1:], a[:-1], out=first[1:])
    return first, np.flatnonzero(first), np.cumsum(first) - 1


def _node_value(st, C):
    """The value monotonic constraints bound: the class-0 share (binary classification,
    scikit-learn's choice, constraints sign-flipped), or the mean."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return st[0] / (st[0] + st[1]) if C else st[1] / st[0]


def _search(idx, Hc, nb, kk, cfg, draw=None, mono=None):
    """Best split of each node from its occupied cells ``(idx, Hc)`` (a split after an
    empty bin is the split after the occupied bin before it). Returns (feature
    position, bin, gain, left stats, right stats, left count, right count); gain -inf
    where no split is valid. ``draw`` (nb, kk): extra trees' candidate bin per feature."""
    C, crit, S = cfg["n_classes"], cfg["criterion"], cfg["S"]
    seg = idx // N_BINS
    bins = idx - seg * N_BINS
    G = idx.shape[0]
    _, starts, rank = _runs(seg)
    cum = np.cumsum(Hc, axis=1)
    before = cum[:, starts] - Hc[:, starts]
    ends = np.r_[starts[1:] - 1, G - 1]
    L = cum - before[:, rank]
    T = (cum[:, ends] - before)[:, rank]
    R = T - L
    with np.errstate(invalid="ignore", divide="ignore"):
        sl, wl = _score(crit, L[:S], C)
        sr, wr = _score(crit, R[:S], C)
        st, _ = _score(crit, T[:S], C)
        gain = sl + sr - st
    ok = (wl > 0) & (wr > 0)
    if crit == "poisson":
        ok &= (L[1] > _EPS) & (R[1] > _EPS)
    if cfg["min_wl"] > 0:
        ok &= (wl >= cfg["min_wl"]) & (wr >= cfg["min_wl"])
    if cfg["count"]:
        ok &= (L[-1] >= cfg["msl"]) & (R[-1] >= cfg["msl"])
    if mono is not None:  # (constraint (nb, kk), node lower and upper bounds (nb,))
        cst, lo, hi = mono
        c = cst.ravel()[seg]
        vl, vr = _node_value(L, C), _node_value(R, C)
        ln, hn = lo[seg // kk], hi[seg // kk]
        ok &= (c == 0) | ((vl >= ln) & (vr >= ln) & (vl <= hn) & (vr <= hn) & ((vl - vr) * c <= 0))
    if draw is not None:
        nxt = np.r_[bins[1:], N_BINS]
        nxt[ends] = N_BINS
        d = draw.ravel()[seg]
        ok &= (bins <= d) & (d < nxt)
    gain = np.where(ok, gain, -np.inf)
    node = seg // kk
    nfirst, nstarts, nrank = _runs(node)
    mx = np.maximum.reduceat(gain, nstarts)
    hit = np.flatnonzero(gain == mx[nrank])
    _, fi = np.unique(node[hit], return_index=True)
    ch = hit[fi]
    j = seg[ch] - node[ch] * kk
    b = bins[ch] if draw is None else draw.ravel()[seg[ch]]
    g = gain[ch]
    ls, rs = L[:, ch].T, R[:, ch].T
    lc = ls[:, -1] if cfg["count"] else None
    rc = rs[:, -1] if cfg["count"] else None
    return j, b, g, ls[:, :S], rs[:, :S], lc, rc


def _seg_range(idx, nb, kk):
    """Per (node, feature): number of occupied bins, lowest and highest occupied bin."""
    seg = idx // N_BINS
    bins = idx - seg * N_BINS
    n_occ = np.bincount(seg, minlength=nb * kk)
    _, starts, _ = _runs(seg)
    lo = np.zeros(nb * kk, dtype=np.int64)
    hi = np.zeros(nb * kk, dtype=np.int64)
    lo[seg[starts]] = bins[starts]
    ends = np.r_[starts[1:] - 1, idx.shape[0] - 1]
    hi[seg[ends]] = bins[ends]
    return n_occ.reshape(nb, kk), lo.reshape(nb, kk), hi.reshape(nb, kk)


def _extra_draw(lo, hi, F, keys, edges, n_edges):
    """Extra trees: per (node, feature) one candidate bin, drawn as scikit-learn draws a
    threshold uniformly between the node's smallest and largest values (here: between
    the bin edges around the node's lowest and highest occupied bins); -1 for a
    feature constant in the node."""
    ne = n_edges[F]  # (nb, kk)
    a = edges[F, np.clip(lo - 1, 0, None)]
    bnd = edges[F, np.clip(np.minimum(hi, ne - 1), 0, None)]
    u = uniforms(keys, F) if F.shape[0] else np.zeros(F.shape)
    v = a + u * (bnd - a)
    draw = (edges[F] < v[..., None]).sum(axis=-1)  # searchsorted(edges[f], v, 'left')
    draw = np.minimum(np.maximum(draw, lo), hi - 1)
    return np.where(hi > lo, draw, -1)


def _evaluate(nodes, ev, XT, y, W, r_all, s_all, cfg, y2=None):
    """Find the best split of every node in ``ev`` (ids) from its rows: ``r_all`` (row
    positions) with ``s_all`` (each row's position in ``ev``); fills ``nodes``' split
    fields."""
    p = XT.shape[0]
    k = cfg["k"]
    keys = node_keys(cfg["base"], ev)
    order = feature_order(keys, p)
    C, count = cfg["n_classes"], cfg["count"]
    idx, Hc = _histograms(XT, y, W, r_all, s_all, order[:, :k], C, count, ev.shape[0], y2)
    nb = ev.shape[0]
    n_occ, lo, hi = _seg_range(idx, nb, k)
    F = order[:, :k]
    draw = _extra_draw(lo, hi, F, keys, cfg["edges"], cfg["n_edges"]) if cfg["extra"] else None
    mono = None if cfg.get("mono") is None else (cfg["mono"][F], nodes.lo[ev], nodes.hi[ev])
    j, bn, g, ls, rs, lc, rc = _search(idx, Hc, nb, k, cfg, draw, mono)
    _store(nodes, ev, F[np.arange(nb), j], bn, g, ls, rs, lc, rc)
    if k == p:
        return
    for a in np.flatnonzero(~(n_occ > 1).any(axis=1)):  # all drawn features constant (rare)
        F = order[a : a + 1, k:]
        m = s_all == a
        idx, Hc = _histograms(XT, y, W, r_all[m], s_all[m] * 0, F, C, count, 1, y2)
        n_occ, lo, hi = _seg_range(idx, 1, F.shape[1])
        nonconst = n_occ[0] > 1
        if not nonconst.any():
            continue
        first = int(np.argmax(nonconst))
        keep = idx // N_BINS == first
        idx, Hc = idx[keep] - first * N_BINS, Hc[:, keep]
        F, lo, hi = F[:, first : first + 1], lo[:, first : first + 1], hi[:, first : first + 1]
        draw = _extra_draw(lo, hi, F, keys[a : a + 1], cfg["edges"], cfg["n_edges"]) if cfg["extra"] else None
        mono = (
            None
            if cfg.get("mono") is None
            else (cfg["mono"][F], nodes.lo[ev[a : a + 1]], nodes.hi[ev[a : a + 1]])
        )
        j, bn, g, ls, rs, lc, rc = _search(idx, Hc, 1, 1, cfg, draw, mono)
        _store(nodes, ev[a : a + 1], F[0, j], bn, g, ls, rs, lc, rc)


def _store(nodes, ids, feat, bn, g, ls, rs, lc, rc):
    nodes.feature[ids] = feat
    nodes.bin[ids] = bn
    nodes.gain[ids] = g
    nodes.lstats[ids], nodes.rstats[ids] = ls, rs
    if lc is not None:
        nodes.lcnt[ids], nodes.rcnt[ids] = lc, rc


def _child_bounds(nodes, expand, lid, rid, mono, C):
    """scikit-learn's bounds of the children under monotonic constraints: the middle of
    the two children's values caps the side the constraint orders below it."""
    c = mono[nodes.feature[expand]]
    lo, hi = nodes.lo[expand], nodes.hi[expand]
    vl, vr = _node_value(nodes.lstats[expand].T, C), _node_value(nodes.rstats[expand].T, C)
    mid = vl / 2 + vr / 2
    nodes.lo[lid] = np.where(c == -1, mid, lo)
    nodes.hi[lid] = np.where(c == 1, mid, hi)
    nodes.lo[rid] = np.where(c == 1, mid, lo)
    nodes.hi[rid] = np.where(c == -1, mid, hi)


def grow_local(Xb, y, W, *, cfg):
    """Grow one tree (or subtree) on in-memory binned rows.

    Parameters
    ----------
    Xb : ndarray of shape (m, p), uint8
    y : ndarray of shape (m,)
        Class index (int64) or target (float64).
    W : ndarray of shape (m,)
        Positive row weights (sample weight times bootstrap count).
    cfg : dict
        ``n_classes`` (0: regression), ``criterion``, ``S`` (stats channels), ``k``
        (max_features), ``max_depth``, ``depth0`` (depth of the root), ``msl``, ``mss``,
        ``min_wl``, ``min_gain`` (min_impurity_decrease times the tree's weight),
        ``max_leaf_nodes`` (None or int), ``extra``, ``edges`` (p, 255) / ``n_edges``
        (p,), ``base`` (key base), ``count`` (whether min_samples_leaf needs counts).

    Returns
    -------
    dict of node arrays (breadth-first): ``stats``, ``cnt``, ``depth``, ``feature``
    (-1 at leaves), ``bin``, ``gain`` (the split's weighted impurity decrease; at a
    leaf, its best candidate's, or -inf), ``left``, ``right`` (-1 at leaves).
    """
    C = cfg["n_classes"]
    m = Xb.shape[0]
    XT = np.ascontiguousarray(Xb.T)  # (p, m): a feature's values contiguous
    flat = XT.reshape(-1)
    nodes = Nodes(cfg["S"])
    y2 = None
    if C:
        root = np.bincount(y, weights=W, minlength=C)[None, :].astype(np.float64)
    else:
        y2 = second_moment(cfg["criterion"], y)
        root = np.array([[W.sum(), (W * y).sum(), (W * y2).sum()]])
    nodes.add(root, m, cfg["depth0"])
    ev = np.array([0])
    erows, eslot = np.arange(m), np.zeros(m, dtype=np.int64)  # rows of the nodes ev
    wrows, wnid = erows[:0], eslot[:0]  # rows of evaluated nodes waiting to split
    budget = np.inf if cfg["max_leaf_nodes"] is None else cfg["max_leaf_nodes"] - 1
    walk = {}
    while True:
        # nodes that may split: the others keep gain -inf (leaves)
        imp, w = node_impurity(cfg["criterion"], nodes.stats[ev], C)
        can = (
            (nodes.depth[ev] < cfg["max_depth"])
            & (nodes.cnt[ev] >= cfg["mss"])
            & (w >= 2 * cfg["min_wl"])
            & (imp > _MIN_IMPURITY)
        )
        evc = ev[can]
        if evc.shape[0]:
            if evc.shape[0] == ev.shape[0]:
                rc, sc = erows, eslot
            else:
                mc = can[eslot]
                rc, sc = erows[mc], (np.cumsum(can) - 1)[eslot[mc]]
            _evaluate(nodes, evc, XT, y, W, rc, sc, cfg, y2)
            g = nodes.gain[evc]
            nodes.gain[evc] = np.where(g + np.finfo(np.float64).eps < cfg["min_gain"], -np.inf, g)
        # rows of nodes that cannot split leave the working set
        fin = np.isfinite(nodes.gain[ev])
        keep = fin[eslot]
        wrows = np.concatenate([wrows, erows[keep]])
        wnid = np.concatenate([wnid, ev[eslot[keep]]])
        n = nodes.n
        if budget == np.inf:
            expand = ev[fin]
        elif np.isfinite(nodes.gain[:n]).sum() <= budget:
            # the walk would pop every node that can split: all the unsplit ones
            expand = np.flatnonzero(np.isfinite(nodes.gain[:n]) & (nodes.left[:n] < 0))
        else:
            _, frontier = best_first_walk(nodes.gain[:n], nodes.left[:n], nodes.right[:n], budget, walk)
            expand = np.asarray(frontier, dtype=np.int64)
        if expand.shape[0] == 0:
            break
        expand.sort()
        E = expand.shape[0]
        d = nodes.depth[expand] + 1
        lid = nodes.add(nodes.lstats[expand], nodes.lcnt[expand], d)
        rid = nodes.add(nodes.rstats[expand], nodes.rcnt[expand], d)
        nodes.left[expand], nodes.right[expand] = lid, rid
        if cfg.get("mono") is not None:
            _child_bounds(nodes, expand, lid, rid, cfg["mono"], C)
        pos = np.full(nodes.n, -1, dtype=np.int64)
        pos[expand] = np.arange(E)
        q = pos[wnid]
        mv = q >= 0
        if mv.all():
            erows, qm = wrows, q
            wrows, wnid = wrows[:0], wnid[:0]
        else:
            erows, qm = wrows[mv], q[mv]
            wrows, wnid = wrows[~mv], wnid[~mv]
        go_left = flat[nodes.feature[expand][qm] * m + erows] <= nodes.bin[expand][qm]
        eslot = np.where(go_left, qm, qm + E)
        if not cfg["count"]:
            cnt = np.bincount(eslot, minlength=2 * E)
            nodes.cnt[lid], nodes.cnt[rid] = cnt[:E], cnt[E:]
        ev = np.concatenate([lid, rid])
    n = nodes.n
    gain, left, right = nodes.gain[:n].copy(), nodes.left[:n], nodes.right[:n]
    if budget == np.inf:
        keep = np.ones(n, dtype=bool)
        is_split = left >= 0
    else:
        keep, is_split = best_first_keep(gain, left, right, budget)
    order, nl, nr = renumber(keep, is_split, left, right)
    sp = is_split[order]
    return {
        "stats": nodes.stats[order],
        "cnt": nodes.cnt[order],
        "depth": nodes.depth[order],
        "feature": np.where(sp, nodes.feature[order], -1),
        "bin": np.where(sp, nodes.bin[order], 0),
        "gain": gain[order],
        "left": nl,
        "right": nr,
        "lo": nodes.lo[order],
        "hi": nodes.hi[order],
    }


# --------------------------------------------------------------------------- tasks


def tree_weights(sw, y, rows, *, tree, boot, balanced, n_classes):
    """Row weights of ``tree``: sample weight times the hashed bootstrap count of each
    global row (``rows``), times the bootstrap's 'balanced' class weights with
    ``class_weight='balanced_subsample'`` (scikit-learn's ``compute_sample_weight(
    'balanced', y, indices=bootstrap)``: ``n_drawn / (n_present * drawn of the class)``)."""
    if boot is None:
        return sw.copy()
    c = bootstrap_counts(boot[0], tree, rows, boot[1])
    W = sw * c
    if balanced:
        per = np.bincount(y, weights=c, minlength=n_classes)
        present = per > 0
        cw = np.where(present, c.sum() / (present.sum() * np.where(present, per, 1)), 0.0)
        W = W * cw[y]
    return W


def build_trees(Xb, y, sw, *, trees, boot, balanced, cfg, fractions):
    """Grow whole trees ``trees`` (global ids) on all the rows (binned, in global row
    order), each with its own bootstrap weights; a list of :func:`grow_local` results.

    ``fractions = (min_weight_fraction_leaf, min_impurity_decrease)``, scaled by each
    tree's total weight as scikit-learn scales them."""
    with kept_allocations():
        return _build_trees(Xb, y, sw, trees, boot, balanced, cfg, fractions)


def _build_trees(Xb, y, sw, trees, boot, balanced, cfg, fractions):
    rows = np.arange(Xb.shape[0], dtype=np.int64)
    yi = y.astype(np.int64) if cfg["n_classes"] else y
    out = []
    for t in trees:
        W = tree_weights(sw, yi, rows, tree=t, boot=boot, balanced=balanced, n_classes=cfg["n_classes"])
        keep = np.flatnonzero(W > 0)
        total = float(W.sum())
        c = dict(
            cfg,
            base=tree_base(cfg["seed"], t),
            min_wl=fractions[0] * total,
            min_gain=fractions[1] * total,
        )
        out.append(grow_local(Xb[keep], yi[keep], W[keep], cfg=c))
    return out


def build_subtrees(items, *, boot, cfg):
    """Grow the subtrees ``items``: each ``(Xb, y, sw, rows, tree, node, depth, min_wl,
    min_gain)``, the rows of node ``node`` of tree ``tree`` (global ``rows``, in order)
    at depth ``depth``; weights are the sample weights times the hashed bootstrap counts.
    A list of :func:`grow_local` results."""
    with kept_allocations():
        return [_build_subtree(item, boot, cfg) for item in items]


def _build_subtree(item, boot, cfg):
    Xb, y, sw, rows, tree, node, depth, min_wl, min_gain = item
    yi = y.astype(np.int64) if cfg["n_classes"] else y
    W = tree_weights(sw, yi, rows, tree=tree, boot=boot, balanced=False, n_classes=cfg["n_classes"])
    c = dict(cfg, base=tree_base(cfg["seed"], tree, node + 1), depth0=depth, min_wl=min_wl, min_gain=min_gain)
    return grow_local(Xb, yi, W, cfg=c)
