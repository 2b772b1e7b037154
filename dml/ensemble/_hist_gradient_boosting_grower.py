"""The driver side of histogram gradient boosting: split finding and level-wise tree
growth from merged histograms (scikit-learn's splitter and grower rules)."""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from dml._engine.compiled import compiled


def node_value(G, H, l2, lower=-np.inf, upper=np.inf):
    """scikit-learn's ``compute_node_value``: the Newton step, clipped to the bounds of
    the monotonic constraints."""
    return np.clip(-G / (H + l2 + 1e-15), lower, upper)


def _gains(gl, hl, nl, G, H, n, loss_cur, msl, min_hess, l2, lower, upper, mono):
    """Gains (``-inf`` where a constraint fails) of the splits with left sums
    ``gl, hl, nl`` (scikit-learn's formula and constraints; ``mono`` (p, 1) the
    monotonic constraint of each feature)."""
    gr, hr, nr = G - gl, H - hl, n - nl
    ok = (nl >= msl) & (nr >= msl) & (hl >= min_hess) & (hr >= min_hess)
    vl, vr = node_value(gl, hl, l2, lower, upper), node_value(gr, hr, l2, lower, upper)
    if mono is not None:
        ok &= ~(((mono == 1) & (vl > vr)) | ((mono == -1) & (vl < vr)))
    gain = loss_cur - gl * vl - gr * vr
    return np.where(ok, gain, -np.inf)


#: scikit-learn's MIN_CAT_SUPPORT: categories with less hessian (scaled to counts) go right
MIN_CAT_SUPPORT = 10.0


def categorical_split(hist_f, n, G, H, value, *, n_categories, has_missing, msl, min_hess, l2, lower, upper):
    """Best split of one categorical feature (scikit-learn's
    ``_find_best_bin_to_split_category``), from its histograms ``hist_f`` (3, n_bins).

    The categories (and the missing values, a category of their own) whose hessian
    sum times ``n / H`` reaches ``MIN_CAT_SUPPORT`` are sorted by
    ``G / (H + MIN_CAT_SUPPORT)``; the first categories of that order go left, scanned
    from both ends up to the middle (the others, and the low-support categories, go
    right). Returns ``(gain, left bins (bool, n_bins), G_left, H_left, n_left)`` or
    None."""
    Gh, Hh, Ch = hist_f
    B = Gh.shape[0]
    support_factor = n / H
    bins = np.arange(n_categories)
    if has_missing:
        bins = np.append(bins, B - 1)
    used = bins[Hh[bins] * support_factor >= MIN_CAT_SUPPORT]
    m = used.shape[0]
    if m <= 1:
        return None
    ratio = Gh[used] / (Hh[used] + MIN_CAT_SUPPORT)
    order = used[np.argsort(ratio, kind="stable")]
    loss_cur = value * G
    best = None
    best_gain = -1.0
    for direction in (1, -1):
        middle = (m + 1) // 2 if direction == 1 else (m + 1) // 2 - 1
        if middle <= 0:
            continue
        seq = order[:middle] if direction == 1 else order[::-1][:middle]
        nl = np.cumsum(Ch[seq])
        hl = np.cumsum(Hh[seq])
        gl = np.cumsum(Gh[seq])
        nr, hr, gr = n - nl, H - hl, G - gl
        ok_left = (nl >= msl) & (hl >= min_hess)
        stop = ok_left & ~((nr >= msl) & (hr >= min_hess))
        end = int(np.argmax(stop)) if stop.any() else middle
        vl = node_value(gl, hl, l2, lower, upper)
        vr = node_value(gr, hr, l2, lower, upper)
        gain = loss_cur - gl * vl - gr * vr
        for i in range(end):
            if ok_left[i] and gain[i] > best_gain and gain[i] > 0:
                best_gain = float(gain[i])
                best = (seq[: i + 1], float(gl[i]), float(hl[i]), float(nl[i]))
    if best is None:
        return None
    left = np.zeros(B, dtype=bool)
    left[best[0]] = True
    return best_gain, left, best[1], best[2], best[3]


@compiled
def _scan_numeric(Gh, Hh, Ch, n, G, H, loss_cur, msl, min_hess, l2, lower, upper, mono, nbnm, hm, allowed):
    """The two scans of :func:`find_split` over every allowed feature, one bin at a
    time (left sums accumulated in bin order, right sums from the last non-missing bin
    down, as ``np.cumsum`` adds them). Per feature: the best gain (``-inf``: none),
    whether it is the right-to-left scan's (missing values left), its bin, and the
    left sums of that split."""

    def split_gain(gl, hl, nl, mono):
        # _gains of one candidate split: the same operations in the same order
        gr, hr, nr = G - gl, H - hl, n - nl
        if not (nl >= msl and nr >= msl and hl >= min_hess and hr >= min_hess):
            return -np.inf
        vl = min(max(-gl / (hl + l2 + 1e-15), lower), upper)
        vr = min(max(-gr / (hr + l2 + 1e-15), lower), upper)
        if (mono == 1 and vl > vr) or (mono == -1 and vl < vr):
            return -np.inf
        return loss_cur - gl * vl - gr * vr

    p, B = Gh.shape
    nb = B - 1
    best = np.full(p, -np.inf)
    use_r = np.zeros(p, dtype=np.bool_)
    jbest = np.zeros(p, dtype=np.int64)
    left = np.zeros((p, 3))
    rg = np.empty(nb)
    rh = np.empty(nb)
    rn = np.empty(nb)
    for f in range(p):
        if not allowed[f]:
            continue
        lim_l = nbnm[f] - 1 + (1 if hm[f] else 0)
        # left to right: the first maximum wins (np.argmax)
        gl = 0.0
        hl = 0.0
        nl = 0.0
        bl = -np.inf
        jl = 0
        bgl = 0.0
        bhl = 0.0
        bnl = 0.0
        for j in range(nb):
            gl += Gh[f, j]
            hl += Hh[f, j]
            nl += Ch[f, j]
            if j < lim_l:
                gain = split_gain(gl, hl, nl, mono[f])
                if gain > bl:
                    bl, jl, bgl, bhl, bnl = gain, j, gl, hl, nl
        br = -np.inf
        jr = 0
        bgr = 0.0
        bhr = 0.0
        bnr = 0.0
        if hm[f] and nb > 1:
            # right sums of bins j+1 .. nb-1, accumulated from bin nb-1 down
            sg = 0.0
            sh = 0.0
            sn = 0.0
            for i in range(nb):
                sg += Gh[f, nb - 1 - i]
                sh += Hh[f, nb - 1 - i]
                sn += Ch[f, nb - 1 - i]
                rg[i], rh[i], rn[i] = sg, sh, sn
            # the right-to-left scan meets high bins first: the highest maximum wins
            for j in range(nb - 2, -1, -1):
                if j > nbnm[f] - 2:
                    continue
                c = nb - 2 - j
                gain = split_gain(G - rg[c], H - rh[c], n - rn[c], mono[f])
                if gain > br:
                    br, jr, bgr, bhr, bnr = gain, j, rg[c], rh[c], rn[c]
        if br > max(bl, 0.0):
            best[f], use_r[f], jbest[f] = br, True, jr
            left[f, 0], left[f, 1], left[f, 2] = G - bgr, H - bhr, n - bnr
        else:
            best[f], jbest[f] = bl, jl
            left[f, 0], left[f, 1], left[f, 2] = bgl, bhl, bnl
    return best, use_r, jbest, left


def find_split(
    hist,
    n,
    G,
    H,
    value,
    *,
    nbnm,
    has_missing,
    msl,
    min_hess,
    l2,
    features=None,
    lower=-np.inf,
    upper=np.inf,
    monotonic=None,
    n_categories=None,
):
    """Best split of one node from its histograms ``hist`` (3, p, n_bins): grad, hess,
    count, vectorised over features and bins.

    scikit-learn's scans: left to right over bins ``0 .. nbnm - 2 + has_missing``
    (missing values right; the last of them is "all non-missing left"), and for
    features with missing values right to left over ``nbnm - 2 .. 0`` (missing values
    left), summed in scikit-learn's order so the sums are bitwise its own. Ties keep
    the first split scikit-learn's scans meet. Returns a dict, or None when no split
    has a positive gain. ``n_categories`` (p,): the number of known categories of
    each categorical feature (0 for numeric ones; None: no categorical feature), whose
    splits are found by :func:`categorical_split` (the result then holds
    ``cat_left``)."""
    Gh, Hh, Ch = (np.ascontiguousarray(a, dtype=np.float64) for a in hist)
    p, B = Gh.shape
    loss_cur = G * value
    mono = np.zeros(p, dtype=np.int8) if monotonic is None else np.asarray(monotonic, dtype=np.int8)
    hm = np.asarray(has_missing, dtype=bool)
    allowed = np.ones(p, dtype=bool)
    if features is not None:
        allowed[:] = False
        allowed[np.asarray(features, dtype=np.int64)] = True
    best, use_r, jbest, left_sums = _scan_numeric(
        Gh,
        Hh,
        Ch,
        float(n),
        float(G),
        float(H),
        float(loss_cur),
        float(msl),
        float(min_hess),
        float(l2),
        float(lower),
        float(upper),
        mono,
        np.asarray(nbnm, dtype=np.int64),
        hm,
        allowed,
    )
    cats = {}
    if n_categories is not None:
        for f in np.flatnonzero((np.asarray(n_categories) > 0) & allowed):
            c = categorical_split(
                hist[:, f],
                n,
                G,
                H,
                value,
                n_categories=int(n_categories[f]),
                has_missing=bool(hm[f]),
                msl=msl,
                min_hess=min_hess,
                l2=l2,
                lower=lower,
                upper=upper,
            )
            best[f] = -np.inf if c is None else c[0]
            if c is not None:
                cats[f] = c
        best[(np.asarray(n_categories) > 0) & ~allowed] = -np.inf
    f = int(np.argmax(best))
    if not best[f] > 0:
        return None
    if f in cats:
        _, left, G_left, H_left, n_left = cats[f]
        out = {
            "gain": float(best[f]),
            "feature": f,
            "bin": 0,
            "missing_left": bool(left[B - 1]),
            "cat_left": left,
            "G_left": G_left,
            "H_left": H_left,
            "n_left": n_left,
            "G_right": G - G_left,
            "H_right": H - H_left,
            "n_right": n - n_left,
        }
        out["value_left"] = float(node_value(G_left, H_left, l2, lower, upper))
        out["value_right"] = float(node_value(out["G_right"], out["H_right"], l2, lower, upper))
        return out
    j = int(jbest[f])
    G_left, H_left, n_left = (float(v) for v in left_sums[f])
    out = {
        "gain": float(best[f]),
        "feature": f,
        "bin": j,
        "missing_left": bool(use_r[f]),
        "G_left": G_left,
        "H_left": H_left,
        "n_left": n_left,
        "G_right": G - G_left,
        "H_right": H - H_left,
        "n_right": n - n_left,
    }
    out["value_left"] = float(node_value(out["G_left"], out["H_left"], l2, lower, upper))
    out["value_right"] = float(node_value(out["G_right"], out["H_right"], l2, lower, upper))
    return out


class LevelGrower:
    """One tree, grown as scikit-learn's best-first grower decides, one pass per round.

    A node's best split depends only on its own rows, so scikit-learn's tree is the
    part of the fully grown tree that its heap (largest gain first, within
    ``max_leaf_nodes``) reaches. Every round replays that heap over the nodes known
    so far; the nodes it splits whose children are not known yet are expanded
    together in the next pass (which computes the histograms of the smaller child of
    each; the larger child's are the parent's minus it). When a replay needs no
    unknown node, the tree is scikit-learn's. Nodes expanded by a replay but not
    split by the final one are dropped (their rows take their ancestor leaf's value).
    """

    def __init__(self, *, params, nbnm, has_missing, n_bins, thresholds):
        self.p = params
        self.nbnm, self.has_missing, self.n_bins = nbnm, has_missing, n_bins
        self.thresholds = thresholds
        self.feature, self.bin, self.mleft = [-1], [0], [False]
        self.left, self.right, self.value = [-1], [-1], [0.0]
        self.depth, self.n, self.G, self.H = [0], [0.0], [0.0], [0.0]
        self.parent = [-1]
        self.split = [None]
        self.cat = [None]  # the left bins of a categorical split
        self.lo, self.hi = [-np.inf], [np.inf]  # bounds of a node's children's values
        groups = params.get("interaction_cst")
        self.cst = [None if groups is None else list(range(len(groups)))]  # groups a node may use
        self.hist = {}
        self.expand = []
        self.split_set = []
        self.started = False
        self.done = False

    # ---- passes
    def requests(self):
        """Nodes whose histograms the next pass must compute."""
        if self.done:
            return []
        if not self.started:
            return [0]
        return [self._smaller(node) for node in self.expand]

    def _smaller(self, node):
        lc, rc = self.left[node], self.right[node]
        return lc if self.n[lc] < self.n[rc] else rc

    def receive(self, hists):
        """Take the pass's histograms ``{node: (3, p, B)}`` and replay the heap."""
        if not self.started:
            self.started = True
            h = hists[0]
            self.n[0] = float(h[2, 0].sum())
            self.G[0] = float(h[0, 0].sum())
            self.H[0] = float(h[1, 0].sum())
            if self.n[0] >= 2 * self.p["min_samples_leaf"] and self.H[0] >= self.p["min_hessian_to_split"]:
                self._evaluate(0, h)
        else:
            for node in self.expand:
                small = self._smaller(node)
                h_small = hists[small]
                h_large = self.hist.pop(node) - h_small
                for c in (self.left[node], self.right[node]):
                    if self._wants_split(c):
                        self._evaluate(c, h_small if c == small else h_large)
        self._replay()

    def _wants_split(self, node):
        p = self.p
        if p["max_depth"] is not None and self.depth[node] >= p["max_depth"]:
            return False
        return self.n[node] >= 2 * p["min_samples_leaf"]

    def _evaluate(self, node, h):
        p = self.p
        s = find_split(
            h,
            self.n[node],
            self.G[node],
            self.H[node],
            self.value[node],
            nbnm=self.nbnm,
            has_missing=self.has_missing,
            msl=p["min_samples_leaf"],
            min_hess=p["min_hessian_to_split"],
            l2=p["l2_regularization"],
            features=self._draw_features(node),
            lower=self.lo[node],
            upper=self.hi[node],
            monotonic=p.get("monotonic"),
            n_categories=p.get("n_categories"),
        )
        self.split[node] = s
        if s is not None:
            self.hist[node] = h

    def _draw_features(self, node):
        """The features ``node`` may split on: those of its interaction groups, and of
        them a ``max_features`` share drawn as scikit-learn draws it."""
        groups = self.p.get("interaction_cst")
        allowed = None
        if groups is not None:
            allowed = np.array(sorted(set().union(*(groups[i] for i in self.cst[node]))), dtype=np.int64)
        draw = self.p.get("feature_draw")
        if draw is None:
            return allowed
        rng, fraction = draw
        n_allowed = self.nbnm.shape[0] if allowed is None else allowed.shape[0]
        n_sub = max(1, int(np.ceil(fraction * n_allowed)))
        mask = np.zeros(n_allowed, dtype=bool)
        mask[:n_sub] = True
        rng.shuffle(mask)
        return np.flatnonzero(mask) if allowed is None else allowed[mask]

    def _add(self, depth, n, G, H, value, parent):
        i = len(self.feature)
        for lst, v in (
            (self.parent, parent),
            (self.feature, -1),
            (self.bin, 0),
            (self.mleft, False),
            (self.left, -1),
            (self.right, -1),
            (self.value, value),
            (self.depth, depth),
            (self.n, n),
            (self.G, G),
            (self.H, H),
            (self.split, None),
            (self.lo, -np.inf),
            (self.hi, np.inf),
            (self.cst, None),
            (self.cat, None),
        ):
            lst.append(v)
        return i

    def _make_children(self, node):
        """Create the children of a split node; True when one needs a histogram."""
        s = self.split[node]
        f = s["feature"]
        self.feature[node], self.bin[node] = f, s["bin"]
        ml = s["missing_left"] if self.has_missing[f] else s["n_left"] > s["n_right"]
        self.mleft[node] = bool(ml)
        self.cat[node] = s.get("cat_left")
        depth = self.depth[node] + 1
        lc = self._add(depth, s["n_left"], s["G_left"], s["H_left"], s["value_left"], node)
        rc = self._add(depth, s["n_right"], s["G_right"], s["H_right"], s["value_right"], node)
        self.left[node], self.right[node] = lc, rc
        mono = self.p.get("monotonic")
        cst = 0 if mono is None else int(mono[f])
        lo, hi = self.lo[node], self.hi[node]
        if cst == 0:
            bounds = ((lo, hi), (lo, hi))
        else:
            mid = (self.value[lc] + self.value[rc]) / 2
            bounds = ((lo, mid), (mid, hi)) if cst == 1 else ((mid, hi), (lo, mid))
        (self.lo[lc], self.hi[lc]), (self.lo[rc], self.hi[rc]) = bounds
        groups = self.p.get("interaction_cst")
        if groups is not None:
            self.cst[lc] = self.cst[rc] = [i for i in self.cst[node] if f in groups[i]]
        return self._wants_split(lc) or self._wants_split(rc)

    def _replay(self):
        """scikit-learn's heap over the known nodes; sets ``expand`` (nodes to expand
        in the next pass) and, when none, the final ``split_set``."""
        heap, counter = [], itertools.count()

        def push(node):
            s = self.split[node]
            if s is not None and s["gain"] > 0:
                heapq.heappush(heap, (-s["gain"], next(counter), node))

        max_leaves = self.p["max_leaf_nodes"]
        push(0)
        n_leaves, split_set, expand = 1, [], []
        while heap:
            _, _, node = heapq.heappop(heap)
            split_set.append(node)
            n_leaves += 1
            new = self.left[node] < 0
            needs = self._make_children(node) if new else False
            if max_leaves is not None and n_leaves == max_leaves:
                break
            if new:
                if needs:
                    expand.append(node)
                continue
            push(self.left[node])
            push(self.right[node])
        self.expand = expand
        if not expand:
            self.split_set = split_set
            self.done = True
            self.hist.clear()

    # ---- arrays
    def arrays(self, shrinkage=None):
        """The tree as node arrays. While growing: every expanded node split (rows go
        down to the deepest known nodes). Finished (``shrinkage`` given): only the
        final splits, leaf values times ``shrinkage``, and the dropped nodes below a
        leaf carrying that leaf's value."""
        feature = np.asarray(self.feature, dtype=np.int32)
        value = np.asarray(self.value, dtype=np.float64)
        out = {
            "feature": feature,
            "bin": np.asarray(self.bin, dtype=np.uint8),
            "missing_left": np.asarray(self.mleft, dtype=bool),
            "left": np.asarray(self.left, dtype=np.int32),
            "right": np.asarray(self.right, dtype=np.int32),
            "value": value,
        }
        if self.p.get("n_categories") is not None:
            out["is_cat"] = np.array([c is not None for c in self.cat], dtype=bool)
            cat_left = np.zeros((feature.shape[0], self.n_bins), dtype=bool)
            for i, c in enumerate(self.cat):
                if c is not None:
                    cat_left[i] = c
            out["cat_left"] = cat_left
        if shrinkage is None:
            return out
        split = set(self.split_set)
        feat = np.full(feature.shape[0], -1, dtype=np.int32)
        vals = np.zeros(feature.shape[0])
        thr = np.zeros(feature.shape[0])
        stack = [(0, None)]
        while stack:
            node, leaf_value = stack.pop()
            if leaf_value is None and node in split:
                f, b = int(feature[node]), int(self.bin[node])
                feat[node] = f
                t = self.thresholds[f]
                thr[node] = np.nan if self.cat[node] is not None else (np.inf if b >= t.shape[0] else t[b])
                children_value = None
            else:
                if leaf_value is None:
                    leaf_value = value[node] * shrinkage
                vals[node] = leaf_value
                children_value = leaf_value
            if self.left[node] >= 0:
                stack.append((self.left[node], children_value))
                stack.append((self.right[node], children_value))
        out.update(feature=feat, value=vals, threshold=thr)
        return out
