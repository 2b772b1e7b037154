"""The approximate index of ``algorithm='ivf'``: an inverted file.

The rows of the index are split into ``n_lists`` lists by dml's
:class:`~dml.cluster.KMeans` (fitted on a sample of at most ``64 * n_lists`` rows, seed
0, so the index is deterministic), and stored on the host sorted by list. A query
probes the ``n_probe`` lists whose centroids are nearest and re-ranks their rows
exactly; the k best of those are its neighbours. Queries of one list are searched
together by the fused top-k kernel, so the work per query is about
``n_lists + n_probe * n_samples / n_lists`` distances instead of ``n_samples``.
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

    def search(self, Q, *, k, n_probe, metric="euclidean", out_dtype=None):
        """Approximate (dist, ind) of the k nearest rows for every query (``metric``:
        euclidean or sqeuclidean).

        Rows whose probed lists hold fewer than ``k`` rows are searched exactly.
        """
        out_dtype = np.dtype(out_dtype or Q.dtype)
        n_probe = min(n_probe, self.n_lists)
        _, probes = K.topk_block(Q, self.centroids, k=n_probe, metric="sqeuclidean", p=2.0)
        with threadpool_limits(limits=1, user_api="blas"):  # many small products
            return self._probe(Q, probes, k=k, metric=metric, out_dtype=out_dtype)

    def _probe(self, Q, probes, *, k, metric, out_dtype):
        nq, n_probe = probes.shape
        # per list: the k best by reduced distance (comparable within a query), as
        # positions in the sorted data; exact distances only for the final k
        res_r = np.full((nq, n_probe, k), np.inf)
        res_p = np.full((nq, n_probe, k), K.PAD_INDEX, dtype=np.int64)
        flat = probes.ravel()
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(self.n_lists + 1))
        for lst in range(self.n_lists):
            a, b = bounds[lst], bounds[lst + 1]
            s, e = self.starts[lst], self.starts[lst + 1]
            if a == b or s == e:
                continue
            q_rows, slots = np.divmod(order[a:b], n_probe)
            r, pos = K.topk_block(
                Q[q_rows], self.data[s:e], k=k, metric=metric, p=2.0, offset=int(s), exact=False
            )
            res_r[q_rows, slots] = r
            res_p[q_rows, slots] = pos
        res_r, res_p = res_r.reshape(nq, -1), res_p.reshape(nq, -1)
        loc = K._dense_topk(res_r, k)
        pos = np.take_along_axis(res_p, loc, 1)
        short = np.flatnonzero((pos == K.PAD_INDEX).any(axis=1))
        pad = pos == K.PAD_INDEX
        dist = K.exact_distances(Q, self.data, np.where(pad, 0, pos), metric, 2.0)
        ind = self.ids[np.where(pad, 0, pos)]
        dist[pad] = np.inf
        dist, ind = K._sorted_rows(dist, ind)
        if short.size:  # probed lists holding fewer than k rows: exact search
            d, i = K.topk_block(Q[short], self.data, k=k, metric=metric, p=2.0, out_dtype=np.float64)
            dist[short], ind[short] = d, self.ids[i]
        return dist.astype(out_dtype), ind
