"""The approximate index of ``algorithm='ivf'``: an inverted file.

The rows of the index are split into ``n_lists`` lists by dml's
:class:`~dml.cluster.KMeans` (fitted on a sample of at most ``64 * n_lists`` rows, seed
0, so the index is deterministic), and stored sorted by list, each list's rows
contiguous. A query probes the ``n_probe`` lists whose centroids are nearest (more when
those hold fewer than k rows) and re-ranks their best rows exactly; the k best of those
are its neighbours. The search is batched by list: the queries of a chunk are grouped by
the lists they probe, and each list's rows meet all the queries probing it in one
matrix product, so the work per query is about ``n_lists + n_probe * n_samples /
n_lists`` distances instead of ``n_samples`` and the Python work is one step per list.
On a cluster the lists are split into slabs of contiguous lists, one per worker thread
(:meth:`IVFIndex.slabs`), and every slab searches the probes that fall in it.
"""

from __future__ import annotations

import math
import uuid

import numpy as np
from threadpoolctl import threadpool_limits

from dml._engine.namespace import is_dask_collection
from dml.neighbors import _neighbors_kernels as K

_SAMPLE_PER_LIST = 64
_KMEANS_ITER = 25


class IVFIndex:
    """Lists of an IVF index (host arrays; pickles as plain NumPy).

    Attributes
    ----------
    centroids : ndarray of shape (n_lists, n_features)
    data : ndarray of shape (n_samples, n_features)
        The index rows, sorted by list.
    ids : ndarray of int64 of shape (n_samples,)
        Position in the fitted index of each sorted row.
    starts : ndarray of int64 of shape (n_lists + 1,)
        List ``l`` holds ``data[starts[l]:starts[l + 1]]``.
    """

    def __init__(self, centroids, data, ids, starts):
        self.centroids, self.data, self.ids, self.starts = centroids, data, ids, starts
        self._token = uuid.uuid4().hex  # the lists never change: a name, not a hash of them

    def __dask_tokenize__(self):
        return ("dml-ivf", self._token)

    @property
    def n_lists(self):
        return int(self.centroids.shape[0])

    @property
    def default_n_probe(self):
        """``n_probe=None``: a sixteenth of the lists (at least 1); see docs/neighbors.md
        for the recall it gives."""
        return max(1, math.ceil(self.n_lists / 16))

    @classmethod
    def build(cls, index, *, n_lists=None):
        """Cluster ``index`` (NumPy or Dask, gathered) into lists with dml's KMeans."""
        from dml.cluster import KMeans

        X = np.asarray(index.compute()) if is_dask_collection(index) else np.asarray(index)
        n = X.shape[0]
        if n_lists is None:
            n_lists = max(1, int(round(math.sqrt(n))))
        n_lists = min(int(n_lists), n)
        rng = np.random.default_rng(0)
        m = min(n, _SAMPLE_PER_LIST * n_lists)
        sample = X if m == n else X[np.sort(rng.choice(n, m, replace=False))]
        km = KMeans(n_clusters=n_lists, n_init=1, max_iter=_KMEANS_ITER, random_state=0).fit(sample)
        centroids = np.asarray(km.cluster_centers_, dtype=np.float64)
        labels = np.asarray(km.predict(X))
        ids = np.argsort(labels, kind="stable").astype(np.int64)
        counts = np.bincount(labels, minlength=n_lists)
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(centroids, np.ascontiguousarray(X[ids]), ids, starts)

    def __getstate__(self):
        return {"centroids": self.centroids, "data": self.data, "ids": self.ids, "starts": self.starts}

    def __setstate__(self, state):
        self.__init__(**state)

    def coarse(self):
        """The quantiser: centroids and list sizes (:class:`IVFCoarse`)."""
        return IVFCoarse(self.centroids, np.diff(self.starts))

    def slab(self):
        """Every list as one :class:`IVFSlab`."""
        return IVFSlab(0, self.n_lists, self.data, self.ids, self.starts)

    def slabs(self, n):
        """The lists in ``n`` slabs of contiguous lists balanced by rows (fewer when
        there are fewer lists)."""
        n = max(1, min(int(n), self.n_lists))
        total = int(self.starts[-1])
        cuts = np.searchsorted(self.starts, np.linspace(0, total, n + 1)[1:-1], side="left")
        bounds = np.unique(np.concatenate([[0], cuts, [self.n_lists]]))
        out = []
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            a, b = self.starts[lo], self.starts[hi]
            out.append(
                IVFSlab(
                    int(lo),
                    int(hi),
                    np.ascontiguousarray(self.data[a:b]),
                    self.ids[a:b].copy(),
                    self.starts[lo : hi + 1] - a,
                )
            )
        return out

    def search(self, Q, *, k, n_probe, metric="euclidean", out_dtype=None):
        """Approximate (dist, ind) of the k nearest rows for every query (``metric``:
        euclidean or sqeuclidean), in memory."""
        out_dtype = np.dtype(out_dtype or Q.dtype)
        probes = self.coarse().probes(Q, n_probe=n_probe, k=k)
        with threadpool_limits(limits=1, user_api="blas"):  # many small products
            dist, ind = self.slab().search(Q, probes, k=k, metric=metric)
        return dist.astype(out_dtype), ind


class IVFCoarse:
    """The coarse quantiser of an IVF index: which lists each query probes."""

    def __init__(self, centroids, counts):
        self.centroids, self.counts = centroids, np.asarray(counts, dtype=np.int64)

    def probes(self, Q, *, n_probe, k):
        """The lists probed by every query, nearest centroid first: ``(n_queries, w)``
        int64, ``-1`` in unused slots. A query probes its ``n_probe`` nearest lists, and
        further ones in order until they hold at least ``k`` rows."""
        n_lists = self.centroids.shape[0]
        n_probe = min(int(n_probe), n_lists)
        _, probes = K.topk_block(Q, self.centroids, k=n_probe, metric="sqeuclidean", p=2.0)
        held = self.counts[probes].sum(axis=1)
        short = np.flatnonzero(held < k)
        if short.size == 0:
            return probes
        # probe on: every list, in order, for the few queries whose lists hold < k rows
        _, full = K.topk_block(Q[short], self.centroids, k=n_lists, metric="sqeuclidean", p=2.0)
        cum = np.cumsum(self.counts[full], axis=1)
        need = np.maximum(n_probe, 1 + np.argmax(cum >= k, axis=1))
        w = int(need.max())
        out = np.full((Q.shape[0], w), -1, dtype=np.int64)
        out[:, :n_probe] = probes
        cols = np.arange(w)
        out[short] = np.where(cols[None, :] < need[:, None], full[:, :w], -1)
        return out


class IVFSlab:
    """Lists ``lo .. hi - 1`` of an IVF index, their rows contiguous (one per worker
    thread on a cluster)."""

    def __init__(self, lo, hi, data, ids, starts):
        self.lo, self.hi, self.data, self.ids, self.starts = lo, hi, data, ids, starts
        X = np.asarray(data, dtype=np.float64)
        # [-2 x, |x|^2]: one product gives the reduced distances |x|^2 - 2 q.x
        self._prep = np.hstack([-2.0 * X, np.einsum("ij,ij->i", X, X)[:, None]])

    def __getstate__(self):
        return {"lo": self.lo, "hi": self.hi, "data": self.data, "ids": self.ids, "starts": self.starts}

    def __setstate__(self, state):
        self.__init__(**{k: K.aligned(v) for k, v in state.items()})

    def search(self, Q, probes, *, k, metric):
        """(dist, ind) of the k best rows of this slab's probed lists for every query
        (float64 exact distances, global indices; ``inf`` / PAD when fewer)."""
        nq = Q.shape[0]
        dist = np.full((nq, k), np.inf)
        ind = np.full((nq, k), K.PAD_INDEX, dtype=np.int64)
        mine = (probes >= self.lo) & (probes < self.hi)
        q_rows, slots = np.nonzero(mine)
        if q_rows.size == 0:
            return dist, ind
        lists = probes[q_rows, slots] - self.lo
        Q64 = np.asarray(Q, dtype=np.float64)
        Qp = np.hstack([Q64, np.ones((nq, 1))])
        kk = min(k + K._EXTRA, int(self.starts[-1]))
        # every query's running kk best rows by reduced distance (comparable within a
        # query), as positions in this slab. Each list meets all its queries in one
        # product; each query's nearest list here goes first (np.nonzero lists a row's
        # probes nearest first), so that the other lists merge only the queries they
        # improve.
        best_r = np.full((nq, kk), np.inf)
        best_p = np.full((nq, kk), -1, dtype=np.int64)
        first = np.ones(q_rows.size, dtype=bool)
        first[1:] = q_rows[1:] != q_rows[:-1]
        for phase in (np.flatnonzero(first), np.flatnonzero(~first)):
            order = phase[np.argsort(lists[phase], kind="stable")]
            bounds = np.searchsorted(lists[order], np.arange(self.hi - self.lo + 1))
            for lst in np.flatnonzero(np.diff(bounds)):
                s, e = int(self.starts[lst]), int(self.starts[lst + 1])
                if s == e:
                    continue
                rows = q_rows[order[bounds[lst] : bounds[lst + 1]]]
                G = Qp[rows] @ self._prep[s:e].T
                _merge_list(best_r, best_p, rows, G, s, kk)
        pos = best_p
        pad = pos < 0
        safe = np.where(pad, 0, pos)
        d = K.exact_distances(Q64, self.data, safe, metric, 2.0)
        d[pad] = np.inf
        gi = np.where(pad, K.PAD_INDEX, self.ids[safe])
        d, gi = K._sorted_rows(d, gi)
        m = min(k, kk)
        dist[:, :m], ind[:, :m] = d[:, :m], gi[:, :m]
        return dist, ind


def _merge_list(best_r, best_p, rows, G, s, kk):
    """Merge the reduced distances ``G`` of a list (its rows from position ``s``) into
    the running lists of query rows ``rows`` (distinct): only the rows whose best entry
    in ``G`` reaches their current kk-th."""
    thr = best_r[rows].max(axis=1)
    hit = np.flatnonzero(G.min(axis=1) <= thr)
    if hit.size == 0:
        return
    if hit.size < rows.size:
        rows, G = rows[hit], G[hit]
    R = np.hstack([best_r[rows], G])
    loc = np.argpartition(R, kk - 1, axis=1)[:, :kk]
    old = np.take_along_axis(best_p[rows], np.minimum(loc, kk - 1), 1)
    best_r[rows] = np.take_along_axis(R, loc, 1)
    best_p[rows] = np.where(loc < kk, old, loc - kk + s)
