"""The index and the searches shared by dml's neighbour estimators.

``fit`` validates the index with the engine and keeps it: the validated NumPy array for
in-memory input, the validated Dask array for Dask input (nothing is gathered). One pass
at fit checks its values (scikit-learn's NaN / infinity errors). For the euclidean
metrics the rows are prepared once (:class:`~._neighbors_kernels.EuclideanSlab`): in
memory, or on a ``distributed`` cluster as one slab per worker thread built where the
index blocks live (:func:`resident_slabs`). ``kneighbors`` on Dask queries then runs one
task per (query chunk, slab) on the slab's worker (:func:`_per_slab_search`), so only
query chunks and top-k lists travel; without slabs, one task per (query chunk, index
block), a fused distance + partial top-k, merged per query chunk in a tree
(``dask.array.reduction``). In-memory queries against an in-memory index run the
kernel directly, with no graph.
"""

from __future__ import annotations

import numbers
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import dask
import dask.array as da
import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from dml._base import check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._config import config_context, get_config
from dml._engine.inputs import raise_if_not_finite, validate_fit_data, validate_predict_data
from dml._engine.mapreduce import map_reduce, place_chunks
from dml._engine.memory import scheduler_workers, should_persist
from dml._engine.namespace import assert_finite_chunk, is_dask_collection
from dml._engine.runtime import get_client
from dml.neighbors import _neighbors_kernels as K

METRICS = (
    "euclidean",
    "sqeuclidean",
    "cosine",
    "manhattan",
    "cityblock",
    "l1",
    "l2",
    "minkowski",
    "chebyshev",
)
_ALGORITHMS = ("auto", "brute", "ivf")
#: metrics searched by the single-precision candidate kernel (:func:`~._neighbors_kernels.topk_slab`)
_EUCLIDEAN = ("euclidean", "sqeuclidean")


def _nonfinite_kernel(X, y, w, *, xp):
    bad = int(np.count_nonzero(~np.isfinite(X)))
    if y is not None and np.asarray(y).dtype.kind == "f":
        bad += int(np.count_nonzero(~np.isfinite(y)))
    return {"n_nonfinite": np.asarray(bad, dtype=np.int64)}


def effective_metric(metric, p, metric_params):
    """(scikit-learn's ``effective_metric_``, kernel metric, kernel p, effective params)."""
    params = dict(metric_params or {})
    if set(params) - {"p"}:
        raise ValueError(
            f"metric_params {sorted(set(params) - {'p'})} are not supported: dml's neighbour "
            "searches take only 'p' (for metric='minkowski')."
        )
    if "p" in params:
        if metric != "minkowski":
            raise ValueError("metric_params 'p' is only meaningful for metric='minkowski'.")
        p = params.pop("p")
    if p is not None and not (isinstance(p, numbers.Real) and p >= 1):
        raise ValueError(f"p must be a real number >= 1 (dml supports true metrics only), got {p!r}.")
    name = {"cityblock": "manhattan", "l1": "manhattan", "l2": "euclidean"}.get(metric, metric)
    if name == "minkowski":
        p = 2 if p is None else p
        if p == 2:
            name = "euclidean"
        elif p == 1:
            name = "manhattan"
        elif p == np.inf:
            name = "chebyshev"
        else:
            return "minkowski", "minkowski", float(p), {"p": p}
    if name == "chebyshev":
        return "chebyshev", "minkowski", np.inf, {}
    return name, name, 2.0, {}


class NeighborsBase(BaseEstimator):
    """Fit, index and searches of the neighbour estimators (not public)."""

    _host_only = True  # NumPy kernels: CuPy input gets check_host_input's TypeError

    _parameter_constraints: dict = {
        "algorithm": [StrOptions({"auto", "brute", "ivf", "ball_tree", "kd_tree"})],
        "p": [Interval(numbers.Real, 1, None, closed="left"), None],
        "metric": [StrOptions(set(METRICS))],
        "metric_params": [dict, None],
        "n_jobs": [numbers.Integral, None],
        "n_lists": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_probe": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }
    _supports_ivf = True

    # ------------------------------------------------------------------ fit

    def _check_algorithm(self):
        if self.algorithm in ("ball_tree", "kd_tree"):
            raise ValueError(
                f"algorithm={self.algorithm!r} is not available in dml: its searches are exact "
                "brute force over the index chunks (algorithm='brute' or 'auto', the same "
                "neighbours as scikit-learn's trees) or approximate with algorithm='ivf'."
            )
        if self.algorithm == "ivf" and not self._supports_ivf:
            raise ValueError(f"{type(self).__name__} does not support algorithm='ivf' (exact searches only).")
        if self.algorithm != "ivf" and (self.n_lists is not None or self.n_probe is not None):
            raise ValueError("n_lists and n_probe are parameters of algorithm='ivf' only.")

    def _fit_index(self, X, y=None, *, y_numeric=False):
        """Validate and keep the index (and ``y``); returns ``y`` on the host or None."""
        check_params(self)
        self._check_algorithm()
        (
            self.effective_metric_,
            self._metric,
            self._p,
            self.effective_metric_params_,
        ) = effective_metric(self.metric, self.p, self.metric_params)
        if self.algorithm == "ivf" and self._metric not in ("euclidean", "sqeuclidean"):
            raise ValueError(
                "algorithm='ivf' supports the euclidean metrics only (its lists come from "
                f"k-means), got metric={self.effective_metric_!r}."
            )
        dask_input = is_dask_collection(X) or is_dask_collection(y)
        # in memory: one direct chunk (no scatter); the index is the validated array
        settings = {} if dask_input else {"fast_path_bytes": 2**62}
        with config_context(**settings):
            data = validate_fit_data(self, X, y, y_numeric=y_numeric, multi_output=True, iterative=False)
            with data:
                if data.mode == "direct":
                    index, y_host = data.X[0], None if data.y is None else data.y[0]
                else:
                    index = data.source[0]
                    if len(index.chunks[1]) > 1:
                        index = index.rechunk({1: -1})
                    y_host = None if data.y is None else np.asarray(data.gather("y"))
                res = map_reduce(_nonfinite_kernel, data)
                if int(res["n_nonfinite"]):
                    raise_if_not_finite(data, np.asarray(np.nan))
        self.n_samples_fit_ = int(index.shape[0])
        self._fit_X = index
        self._ivf = self._slab = self._resident = None
        if self.algorithm == "ivf":
            from dml.neighbors._ivf import IVFIndex

            self._ivf = IVFIndex.build(index, n_lists=self.n_lists)
            self._resident = resident_ivf(self._ivf, get_client())
        elif self._metric in _EUCLIDEAN:
            if not is_dask_collection(index):
                self._slab = K.EuclideanSlab(index)
            else:
                self._resident = resident_slabs(index, get_client())
        return y_host

    # --------------------------------------------------------------- pickle

    def __getstate__(self):
        state = super().__getstate__()
        fit_X = state.get("_fit_X")
        if fit_X is not None and is_dask_collection(fit_X):
            # the model's data, as scikit-learn's pickles hold _fit_X: no graph, no futures
            state = dict(state, _fit_X=np.asarray(fit_X.compute()))
        # the prepared index is made again from _fit_X on loading
        return {k: v for k, v in state.items() if k not in ("_slab", "_resident")}

    def __setstate__(self, state):
        super().__setstate__(state)
        fit_X = state.get("_fit_X")
        self._resident = None
        self._slab = None
        if fit_X is not None and state.get("_ivf") is None and state.get("_metric") in _EUCLIDEAN:
            self._slab = K.EuclideanSlab(fit_X)

    # ------------------------------------------------------------- searches

    def _check_k(self, n_neighbors, query_is_train, n_queries):
        if n_neighbors is None:
            n_neighbors = self.n_neighbors
        if not isinstance(n_neighbors, numbers.Integral) or isinstance(n_neighbors, bool):
            raise TypeError(f"n_neighbors does not take {type(n_neighbors)} value, enter integer value")
        if n_neighbors <= 0:
            raise ValueError(f"Expected n_neighbors > 0. Got {n_neighbors}")
        k = int(n_neighbors) + (1 if query_is_train else 0)
        if k > self.n_samples_fit_:
            raise ValueError(
                "Expected n_neighbors <= n_samples_fit, but n_neighbors = "
                f"{k}, n_samples_fit = {self.n_samples_fit_}, n_samples = {n_queries}"
            )
        return k

    def _queries(self, X):
        """(validated queries, whether they are the index itself)."""
        check_is_fitted(self, "_fit_X")
        if X is None:
            return self._fit_X, True
        Q = validate_predict_data(self, X)
        if not is_dask_collection(Q):
            assert_finite_chunk(Q)
        elif len(Q.chunks[1]) > 1:
            Q = Q.rechunk({1: -1})
        return Q, False

    def _search(self, Q, k):
        """(dist, ind) of the k nearest index rows of validated queries ``Q``."""
        if self._ivf is not None:
            return self._ivf_search(Q, k)
        index = self._fit_X
        lazy_out = is_dask_collection(Q)
        if not lazy_out and not is_dask_collection(index):
            return self._direct(Q, index, k)
        Qd = Q if lazy_out else da.from_array(Q, chunks=(_chunk_rows(Q), -1))
        resident = self._live_resident()
        if resident is not None:
            task = partial(_slab_task, k=k, metric=self._metric)
            dist, ind = _per_slab_search(Qd, resident[0], task, k, places=resident[1])
        else:
            dist, ind = self._lazy_topk(Qd, index, k)
        if not lazy_out:
            return dask.compute(dist, ind)
        return dist, ind

    def _live_resident(self):
        """(futures, workers) of the index's slabs on the workers, when they live on the
        current client; else None (the search then reads the index blocks)."""
        res = getattr(self, "_resident", None)
        if res is None:
            return None
        client = get_client()
        if client is None or client is not res[0] or any(f.status != "finished" for f in res[1]):
            return None
        return res[1], res[2]

    def _direct(self, Q, index, k):
        if getattr(self, "_slab", None) is not None:
            slab = self._slab
            kernel = lambda q, _: K.topk_slab(q, slab, k=k, metric=self._metric)  # noqa: E731
        else:
            kernel = partial(K.topk_block, k=k, metric=self._metric, p=self._p)
        n_jobs = self.n_jobs or 1
        n_jobs = os.cpu_count() if n_jobs < 0 else n_jobs
        if n_jobs == 1 or Q.shape[0] < 2048:
            dist, ind = kernel(Q, index)
        else:
            bounds = np.linspace(0, Q.shape[0], n_jobs + 1).astype(int)
            with ThreadPoolExecutor(n_jobs) as pool, threadpool_limits(limits=1, user_api="blas"):
                parts = list(
                    pool.map(lambda ab: kernel(Q[ab[0] : ab[1]], index), zip(bounds[:-1], bounds[1:]))
                )
            dist = np.concatenate([d for d, _ in parts])
            ind = np.concatenate([i for _, i in parts])
        _check_result(dist, Q)
        return dist.astype(Q.dtype, copy=False), ind

    def _index_blocks(self, index):
        """The index as Dask blocks of at least ``_MIN_INDEX_ROWS`` rows (bounded by
        ``chunk_bytes``), and their offsets: a task pays a fixed cost per (query tile,
        index block), so small blocks are merged (a rechunk, per query call)."""
        rows = max(
            1, min(_MIN_INDEX_ROWS, get_config()["chunk_bytes"] // (index.shape[1] * index.dtype.itemsize))
        )
        if not is_dask_collection(index):
            index = da.from_array(index, chunks=(max(rows, _chunk_rows(index)), -1))
        elif len(index.chunks[0]) > 1 and min(index.chunks[0][:-1]) < rows // 2:
            index = index.rechunk({0: rows})
        starts = np.concatenate([[0], np.cumsum(index.chunks[0])[:-1]]).astype(np.int64)
        return index, da.from_array(starts, chunks=1)

    def _lazy_topk(self, Qd, index, k):
        Id, offsets = self._index_blocks(index)
        pairs = da.blockwise(
            _topk_task,
            "ij",
            Qd,
            "if",
            Id,
            "jf",
            offsets,
            "j",
            k=k,
            metric=self._metric,
            p=self._p,
            adjust_chunks={"j": 2 * k},
            dtype=np.float64,
            concatenate=True,
            align_arrays=False,  # the offsets hold one entry per index block
            meta=np.empty((0, 0)),
        )
        merge = partial(K.merge_packed, k=k)
        packed = da.reduction(
            pairs,
            chunk=K.packed_identity,
            combine=merge,
            aggregate=merge,
            axis=1,
            keepdims=True,
            concatenate=True,
            output_size=2 * k,
            dtype=np.float64,
            split_every=get_config()["split_every"],
            meta=np.empty((0, 0)),
        )
        dist = packed[:, :k].astype(Qd.dtype)
        ind = packed[:, k:].astype(np.int64)
        return dist, ind

    def _ivf_search(self, Q, k):
        n_probe = self._n_probe()
        if not is_dask_collection(Q):
            dist, ind = self._ivf.search(Q, k=k, n_probe=n_probe, metric=self._metric, out_dtype=Q.dtype)
            _check_result(dist, Q)
            return dist, ind
        resident = self._live_resident()
        if resident is None:
            # no cluster copy: the whole index as one slab, one graph dependency
            slabs, places = [shared(self._ivf.slab())], None
            coarse = shared(self._ivf.coarse())
        else:
            (coarse, *slabs), (_, *places) = resident
        task = partial(_ivf_slab_task, k=k, metric=self._metric)
        probe = (partial(_ivf_probe_task, n_probe=n_probe, k=k), coarse)
        return _per_slab_search(Q, slabs, task, k, probe=probe, places=places)

    def _n_probe(self):
        if self.n_probe is not None:
            return min(int(self.n_probe), self._ivf.n_lists)
        return self._ivf.default_n_probe

    # --------------------------------------------------------------- radius

    def _check_radius(self, radius):
        radius = self.radius if radius is None else radius
        if not isinstance(radius, numbers.Real) or radius < 0:
            raise ValueError(f"radius must be a non-negative real number, got {radius!r}.")
        return float(radius)

    def _radius_triplets(self, Q, radius):
        """(rows, ind, dist) of every pair within ``radius``, in (row, index) order, NumPy."""
        kernel = partial(K.radius_block, radius=radius, metric=self._metric, p=self._p)
        index = self._fit_X
        if not is_dask_collection(Q) and not is_dask_collection(index):
            return kernel(Q, index)
        Qd = Q if is_dask_collection(Q) else da.from_array(Q, chunks=(_chunk_rows(Q), -1))
        Id, _ = self._index_blocks(index)
        qd = Qd.to_delayed().ravel()
        idl = Id.to_delayed().ravel()
        qstarts = np.concatenate([[0], np.cumsum(Qd.chunks[0])[:-1]])
        istarts = np.concatenate([[0], np.cumsum(Id.chunks[0])[:-1]])
        task = dask.delayed(_radius_task, pure=True)
        tasks = [
            task(q, b, int(qs), int(bs), radius, self._metric, self._p)
            for q, qs in zip(qd, qstarts)
            for b, bs in zip(idl, istarts)
        ]
        parts = dask.compute(*tasks)
        r, i, d = (np.concatenate([p[j] for p in parts]) for j in range(3))
        o = np.lexsort((i, r))
        return r[o], i[o], d[o]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class KNeighborsMixin:
    """``kneighbors`` and ``kneighbors_graph`` (not public)."""

    def kneighbors(self, X=None, n_neighbors=None, return_distance=True):
        """Find the k nearest neighbours of points.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_queries, n_features), default=None
            The query points. ``None``: the indexed points, each not counted as its own
            neighbour (scikit-learn's rule).
        n_neighbors : int, default=None
            Neighbours per query (default: the estimator's ``n_neighbors``).
        return_distance : bool, default=True
            Also return the distances.

        Returns
        -------
        neigh_dist : ndarray or Dask array of shape (n_queries, n_neighbors)
            Distances, ascending per row (only with ``return_distance=True``); dtype of
            the index (float32 stays float32).
        neigh_ind : ndarray or Dask array of int64 of shape (n_queries, n_neighbors)
            Indices of the neighbours in the index; ties go to the lower index.

        Notes
        -----
        Computation: Dask queries (or a Dask index) give lazy Dask arrays. With the
        index's slabs on a cluster (euclidean metrics, see the class notes): one task
        per (query chunk, slab), run on the slab's worker, then one merge of the slabs'
        lists per query chunk; otherwise one task per (query chunk, index block) and a
        tree merge. A task computes distances by matrix products in tiles of 256 x 1024
        (the euclidean metrics: float32 products of centred rows select ``k + 6``
        candidates, ranked by their exact float64 distances, and a rounding bound
        certifies each row's k nearest, rows it cannot certify being searched again in
        float64) and keeps each row's k best; memory per task one query chunk, its slab
        or index block and a few tiles. Compute the distances and the indices together
        (``dask.compute(dist, ind)``) to run the search once. In-memory queries against
        an in-memory index are searched directly (``n_jobs`` threads). With
        ``algorithm='ivf'`` the search is approximate: see :mod:`dml.neighbors`.
        """
        Q, train = self._queries(X)
        k = self._check_k(n_neighbors, train, Q.shape[0])
        dist, ind = self._search(Q, k)
        if train:
            dist, ind = _drop_self(dist, ind, k)
        if return_distance:
            return dist, ind
        return ind

    def kneighbors_graph(self, X=None, n_neighbors=None, mode="connectivity"):
        """Compute the (weighted) graph of k-neighbours of points.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_queries, n_features), default=None
            The query points; ``None``: the indexed points, each not its own neighbour.
        n_neighbors : int, default=None
            Neighbours per query (default: the estimator's ``n_neighbors``).
        mode : {'connectivity', 'distance'}, default='connectivity'
            Ones, or the distances, as the values.

        Returns
        -------
        A : scipy.sparse.csr_matrix of shape (n_queries, n_samples_fit)
            Row ``i`` holds the neighbours of query ``i``.

        Notes
        -----
        Computation: :meth:`kneighbors`, computed (a sparse matrix lives in memory).
        """
        return knn_csr(self, X, n_neighbors, mode)


class RadiusNeighborsMixin:
    """``radius_neighbors`` and ``radius_neighbors_graph`` (not public)."""

    def radius_neighbors(self, X=None, radius=None, return_distance=True, sort_results=False):
        """Find the neighbours within a given radius of points.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_queries, n_features), default=None
            The query points; ``None``: the indexed points, each not its own neighbour.
        radius : float, default=None
            Limiting distance, inclusive (default: the estimator's ``radius``).
        return_distance : bool, default=True
            Also return the distances.
        sort_results : bool, default=False
            Sort each query's neighbours by increasing distance (ties by index);
            otherwise they are in index order.

        Returns
        -------
        neigh_dist : ndarray of shape (n_queries,) of arrays
            Distances per query (only with ``return_distance=True``).
        neigh_ind : ndarray of shape (n_queries,) of arrays
            Indices per query.

        Notes
        -----
        Computation: the result has one array per query of any length, so it is always
        computed (NumPy object arrays, as scikit-learn's), also for Dask queries: one
        task per (query chunk, index block) returning its pairs, gathered here. With
        ``algorithm='ivf'`` radius queries are exact (the IVF index keeps all the rows).
        """
        if sort_results and not return_distance:
            raise ValueError("return_distance must be True if sort_results is True.")
        Q, train = self._queries(X)
        radius = self._check_radius(radius)
        rows, ind, dist = self._radius_triplets(Q, radius)
        n_q = int(Q.shape[0])
        if train:
            keep = rows != ind
            rows, ind, dist = rows[keep], ind[keep], dist[keep]
        if sort_results:
            o = np.lexsort((ind, dist, rows))
            rows, ind, dist = rows[o], ind[o], dist[o]
        dtype = Q.dtype
        bounds = np.searchsorted(rows, np.arange(n_q + 1))
        neigh_ind = np.empty(n_q, dtype=object)
        neigh_dist = np.empty(n_q, dtype=object)
        for j in range(n_q):
            a, b = bounds[j], bounds[j + 1]
            neigh_ind[j] = ind[a:b]
            neigh_dist[j] = dist[a:b].astype(dtype)
        if return_distance:
            return neigh_dist, neigh_ind
        return neigh_ind

    def radius_neighbors_graph(self, X=None, radius=None, mode="connectivity", sort_results=False):
        """Compute the (weighted) graph of neighbours within a radius of points.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_queries, n_features), default=None
            The query points; ``None``: the indexed points, each not its own neighbour.
        radius : float, default=None
            Limiting distance, inclusive (default: the estimator's ``radius``).
        mode : {'connectivity', 'distance'}, default='connectivity'
            Ones, or the distances, as the values.
        sort_results : bool, default=False
            Sort each row's entries by distance (``mode='distance'`` only).

        Returns
        -------
        A : scipy.sparse.csr_matrix of shape (n_queries, n_samples_fit)

        Notes
        -----
        Computation: :meth:`radius_neighbors`, computed.
        """
        return radius_csr(self, X, radius, mode, sort_results)


# ------------------------------------------------------------------ tasks

#: rows of an index block below which blocks are merged for a search
_MIN_INDEX_ROWS = 32768


def _chunk_rows(a):
    """Rows of one ``chunk_bytes`` chunk of ``a`` (in-memory data entering a graph)."""
    return max(1, get_config()["chunk_bytes"] // max(1, a.shape[1] * a.dtype.itemsize))


def shared(obj):
    """``obj`` as one graph dependency of the tasks that use it: broadcast once to the
    workers of a distributed client (a future: not sent inside every graph), else a
    ``dask.delayed`` key."""
    client = get_client()
    if client is not None:
        # a key of its own: equal objects scattered by two searches at once would share
        # one key, released by the first search while the second still needs it
        return client.scatter(obj, broadcast=True, hash=False)
    return dask.delayed(obj, pure=True)


def _check_result(dist, Q):
    """Ride-along check: non-finite distances come from non-finite queries (the index was
    checked at fit)."""
    if dist.size and not np.all(np.isfinite(dist[:, :1])):
        assert_finite_chunk(Q)


def _topk_task(Q, B, offsets, *, k, metric, p):
    packed = K.topk_packed(Q, B, offsets, k=k, metric=metric, p=p)
    if B.shape[0]:
        _check_result(packed[:, :1], Q)
    return packed


def _ivf_probe_task(Q, coarse, *, n_probe, k):
    assert_finite_chunk(Q)  # the index was checked at fit
    return coarse.probes(Q, n_probe=n_probe, k=k)


def _ivf_slab_task(Q, probes, slab, *, k, metric):
    dist, ind = slab.search(Q, probes, k=k, metric=metric)
    return K.pack(dist, ind)


def _slab_task(Q, slab, *, k, metric):
    dist, ind = K.topk_slab(Q, slab, k=k, metric=metric)
    if slab.n:
        _check_result(dist, Q)
    return K.pack(dist, ind)


def _merge_task(*parts, k):
    return K.merge_packed(np.hstack(parts), k=k) if len(parts) > 1 else parts[0]


def _per_slab_search(Qd, slabs, task, k, probe=None, places=None):
    """Lazy (dist, ind) of Dask queries ``Qd`` against index slabs (futures on the
    workers, or delayed objects): one ``task(Q_chunk, [probes,] slab)`` per (query
    chunk, slab), which the scheduler runs where its slab lives, and one merge of the
    slabs' lists per query chunk. ``probe``: ``(function, argument)``, the probes of a
    query chunk are ``function(Q_chunk, argument)``, one task per chunk. ``places``:
    the worker of each slab, where its tasks are asked to run (a loose restriction:
    the scheduler would otherwise move small slabs to idle workers)."""
    call = partial(dask.delayed, pure=True)
    pieces = []
    for q, rows in zip(Qd.to_delayed().ravel(), Qd.chunks[0]):
        extra = () if probe is None else (call(probe[0])(q, probe[1]),)
        parts = []
        for j, s in enumerate(slabs):
            if places is None:
                parts.append(call(task)(q, *extra, s))
                continue
            with dask.annotate(workers=[places[j]], allow_other_workers=True):
                parts.append(call(task)(q, *extra, s))
        merged = call(partial(_merge_task, k=k))(*parts)
        pieces.append(da.from_delayed(merged, shape=(rows, 2 * k), dtype=np.float64, meta=np.empty((0, 0))))
    packed = da.concatenate(pieces, axis=0)
    return packed[:, :k].astype(Qd.dtype), packed[:, k:].astype(np.int64)


def _build_slab(offsets, *blocks):
    return K.EuclideanSlab.from_blocks(list(blocks), list(offsets))


def _scatter_to(client, obj, worker):
    return client.scatter(obj, workers=[worker], direct=False, hash=False)


def _worker_threads(client):
    """``[(worker, threads)]`` of the client's workers, in address order."""
    info = scheduler_workers(client)
    return sorted((w, max(1, int(i.get("nthreads", 1)))) for w, i in info.items())


def resident_slabs(index, client):
    """The Dask ``index`` as one :class:`~._neighbors_kernels.EuclideanSlab` per worker
    thread, built on the workers (``(client, futures, their workers)``), or None without a distributed
    client or when the persist policy does not keep it (1.6 times the index's bytes:
    the rows and their float32 form).

    The index is persisted (a no-op for a persisted index), its blocks are placed on the
    workers balancing rows and preferring their holders (the engine's chunk placement),
    and each worker thread concatenates its blocks once: later searches send the query
    chunks to the slabs, never index blocks between workers."""
    if client is None or not should_persist(int(1.6 * index.nbytes), client, iterative=True):
        return None
    from dask.core import flatten
    from distributed import futures_of, wait

    persisted = client.persist(index)
    by_key = {f.key: f for f in futures_of(persisted)}
    futs = [by_key[key] for key in flatten(persisted.__dask_keys__())]
    wait(futs)
    rows = [int(r) for r in index.chunks[0]]
    offsets = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(np.int64)
    threads = dict(_worker_threads(client))
    who = client.who_has(futs)
    loc = place_chunks(rows, [who.get(f.key) or () for f in futs], threads)
    slabs, places = [], []
    for worker, t in sorted(threads.items()):
        mine = [i for i, w in enumerate(loc) if w == worker]
        for j in range(t):
            part = mine[j::t]
            if part:
                places.append(worker)
                slabs.append(
                    client.submit(
                        _build_slab,
                        [int(offsets[i]) for i in part],
                        *[futs[i] for i in part],
                        workers=[worker],
                        allow_other_workers=False,
                        pure=False,
                    )
                )
    unplaced = [i for i, w in enumerate(loc) if w is None]
    if unplaced:
        slabs.append(
            client.submit(_build_slab, [int(offsets[i]) for i in unplaced], *[futs[i] for i in unplaced])
        )
        wait(slabs[-1])
        places.append(next(iter(client.who_has(slabs[-1:]).values()))[0])
    wait(slabs)
    return client, slabs, places


def resident_ivf(ivf, client):
    """An IVF index's lists on the workers: ``(client, [coarse, slab, ...], [None,
    worker, ...])``, the
    coarse quantiser broadcast and one slab of contiguous lists per worker thread
    (balanced by rows); None without a distributed client or when the persist policy
    does not keep the lists."""
    if client is None or not should_persist(int(ivf.data.nbytes * 1.1), client, iterative=True):
        return None
    from distributed import wait

    places = [w for w, t in _worker_threads(client) for _ in range(t)]
    coarse = client.scatter(ivf.coarse(), broadcast=True, hash=False)
    slabs = [_scatter_to(client, s, w) for s, w in zip(ivf.slabs(len(places)), places)]
    wait([coarse, *slabs])
    return client, [coarse, *slabs], [None, *places[: len(slabs)]]


def _radius_task(Q, B, q_start, i_start, radius, metric, p):
    if Q.shape[0] and B.shape[0]:
        _check_result(np.sum(Q, axis=1, keepdims=True), Q)
    r, i, d = K.radius_block(Q, B, radius=radius, metric=metric, p=p, offset=i_start)
    return r + q_start, i, d


def _drop_self_block(dist, ind, row0, k):
    """scikit-learn's removal of each query's own index (queries are the index rows)."""
    rows = np.arange(ind.shape[0])[:, None] + int(np.asarray(row0).ravel()[0])
    mask = ind != rows
    # more duplicates than neighbours: the row itself may be missing; drop the first
    no_self = np.all(mask, axis=1)
    mask[no_self, 0] = False
    return dist[mask].reshape(ind.shape[0], k - 1), ind[mask].reshape(ind.shape[0], k - 1)


def _drop_self_dist(dist, ind, row0, *, k):
    return _drop_self_block(dist, ind, row0, k)[0]


def _drop_self_ind(dist, ind, row0, *, k):
    return _drop_self_block(dist, ind, row0, k)[1]


def _drop_self(dist, ind, k):
    if not is_dask_collection(ind):
        return _drop_self_block(dist, ind, 0, k)
    starts = np.concatenate([[0], np.cumsum(ind.chunks[0])[:-1]]).astype(np.int64)
    row0 = da.from_array(starts, chunks=1)  # one entry per query chunk
    kw = dict(k=k, adjust_chunks={"k": k - 1}, align_arrays=False, concatenate=True)
    d = da.blockwise(_drop_self_dist, "ik", dist, "ik", ind, "ik", row0, "i", dtype=dist.dtype, **kw)
    i = da.blockwise(_drop_self_ind, "ik", dist, "ik", ind, "ik", row0, "i", dtype=ind.dtype, **kw)
    return d, i


def _mode(mode):
    if mode not in ("connectivity", "distance"):
        raise ValueError(
            f'Unsupported mode, must be one of "connectivity", or "distance" but got "{mode}" instead'
        )


def knn_csr(est, X, n_neighbors, mode):
    """The CSR graph of ``est.kneighbors(X, n_neighbors)`` (computed)."""
    _mode(mode)
    dist, ind = est.kneighbors(X, n_neighbors, return_distance=True)
    if is_dask_collection(ind):
        dist, ind = dask.compute(dist, ind)
    n_q, k = ind.shape
    data = np.ones(n_q * k) if mode == "connectivity" else np.asarray(dist).ravel()
    indptr = np.arange(0, n_q * k + 1, k)
    return sparse.csr_matrix((data, ind.ravel(), indptr), shape=(n_q, est.n_samples_fit_))


def radius_csr(est, X, radius, mode, sort_results):
    """The CSR graph of ``est.radius_neighbors(X, radius)`` (computed)."""
    _mode(mode)
    if mode == "connectivity":
        ind = est.radius_neighbors(X, radius, return_distance=False)
        dist = None
    else:
        dist, ind = est.radius_neighbors(X, radius, return_distance=True, sort_results=sort_results)
    n_q = len(ind)
    counts = np.array([len(a) for a in ind], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    cols = np.concatenate(list(ind)) if n_q else np.empty(0, np.int64)
    data = np.ones(cols.size) if dist is None else np.concatenate(list(dist)).astype(np.float64)
    return sparse.csr_matrix((data, cols.astype(np.int64), indptr), shape=(n_q, est.n_samples_fit_))
