"""BisectingKMeans: a tree of 2-means splits, each Lloyd iteration one pass over the data."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
)
from sklearn.utils import check_array, check_random_state

from dml._base import TransformerMixin, check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import raise_if_not_finite, validate_fit_data
from dml._engine.mapreduce import chunk_cache, map_reduce, sum_partials, with_row_index
from dml._engine.namespace import to_numpy
from dml.cluster._bisect_k_means_kernels import (
    bisect_far_points_kernel,
    bisect_keys_kernel,
    bisect_lloyd_kernel,
    bisect_races_kernel,
    bisect_rows_kernel,
    bisect_split_kernel,
    combine_rows,
    tree_labels_block,
)
from dml.cluster._kmeans import (
    _KMeansPredictMixin,
    _move_far_points,
    _rounding_shift,
    _validate_center_shape,
)
from dml.cluster._lloyd_kernels import combine_far_points, combine_inertia, combine_lloyd, inertia_kernel
from dml.cluster._seeding_kernels import (
    combine_first_pass,
    combine_races,
    combine_smallest_keys,
    first_pass_kernel,
)


class _Tree:
    """The bisecting tree in the caller: the splits (for the kernels) and the leaves."""

    def __init__(self, center, p, dtype):
        self.nodes = np.zeros(0, dtype=np.int64)
        self.centers = np.zeros((0, 2, p), dtype=dtype)
        self.leaf = {0: {"center": center, "score": 0.0, "inertia": 0.0, "n": None}}
        self.children = {}

    def iter_leaves(self, node=0):
        """Leaf ids in scikit-learn's order (depth first, left before right)."""
        if node not in self.children:
            yield node
        else:
            for c in self.children[node]:
                yield from self.iter_leaves(c)

    def to_bisect(self):
        """The first leaf of largest score (scikit-learn's ``get_cluster_to_bisect``)."""
        best = None
        for node in self.iter_leaves():
            if best is None or self.leaf[node]["score"] > self.leaf[best]["score"]:
                best = node
        return best

    def split(self, node, centers, scores, inertia, counts):
        s = self.nodes.shape[0]
        left, right = 2 * s + 1, 2 * s + 2
        self.nodes = np.append(self.nodes, node)
        self.centers = np.concatenate([self.centers, centers[None].astype(self.centers.dtype)])
        self.children[node] = (left, right)
        del self.leaf[node]
        for j, c in enumerate((left, right)):
            self.leaf[c] = {
                "center": centers[j],
                "score": float(scores[j]),
                "inertia": float(inertia[j]),
                "n": int(counts[j]),
            }

    @property
    def broadcast(self):
        return (self.nodes, self.centers)


class BisectingKMeans(
    _KMeansPredictMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """Bisecting K-Means clustering on row-chunked data (NumPy, pandas, Dask).

    A drop-in for :class:`sklearn.cluster.BisectingKMeans`: starting from one cluster
    holding every row, it splits a leaf cluster in two by a 2-means, ``n_clusters - 1``
    times, choosing each time the leaf of largest inertia or the largest leaf. Each
    Lloyd iteration of a split is one pass over the data in which every chunk runs
    dml's fused Lloyd step on its rows of the leaf being split.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form.
    init : {'k-means++', 'random'} or callable, default='random'
        Initialisation of every 2-means. 'random': two rows of the leaf drawn without
        replacement with probability proportional to ``sample_weight`` (one pass).
        'k-means++': greedy k-means++ (``2 + int(log(2))`` = 2 local trials for the
        second center; three passes). A callable is called as scikit-learn does,
        ``init(X_leaf, 2, random_state=random_state)``, with the leaf's rows centred
        at the mean of X (gathered into memory: one pass), and must return two
        centers in those coordinates. Arrays are rejected, as by scikit-learn.
    n_init : int, default=1
        Number of 2-means runs with different seedings per bisection; the run of
        lowest inertia is kept (scikit-learn's rule: lower by more than 1e-6
        relative).
    random_state : int, RandomState instance or None, default=None
        Seeds the seedings. The random draws over the data are hashed from the global
        row index, so the model does not depend on the chunking.
    max_iter : int, default=300
        Maximum number of Lloyd iterations of one 2-means.
    verbose : int, default=0
        Print the inertia of every iteration and the centers of every bisection.
    tol : float, default=1e-4
        A 2-means stops when the squared norm of the center shift is at most ``tol``
        (an absolute value, as scikit-learn's BisectingKMeans uses it), or when no
        row changes cluster.
    copy_x : bool, default=True
        X is never modified (the centring happens inside the kernels), so both
        values behave the same; kept for scikit-learn compatibility.
    algorithm : {'lloyd', 'elkan'}, default='lloyd'
        Both run Lloyd's iterations exactly (the same 2-means, as scikit-learn's two)
        and skip the rows whose label triangle-inequality bounds settle, as
        :class:`~dml.cluster.KMeans`: 'lloyd' keeps Hamerly's bounds per row, 'elkan'
        Elkan's (one lower bound per center).
    bisecting_strategy : {'biggest_inertia', 'largest_cluster'}, default='biggest_inertia'
        The leaf split next: the one with the largest sum of squared distances to
        its center, or the one with most rows (ties: the first leaf in depth-first
        order, as scikit-learn).

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        The leaves' centers, in depth-first order of the tree.
    labels_ : ndarray or Dask array of shape (n_samples,), dtype int32
        The leaf of every training row. A lazy Dask array for Dask input.
    inertia_ : float
        Weighted sum of squared distances of the rows to the center of their leaf.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: one pass for the per-feature moments (the centring mean, the root
    center and the NaN/inf check). Then for every bisection and each of ``n_init``
    runs: the seeding ('random' and a callable: one pass; 'k-means++': three), one
    pass per Lloyd iteration, one more pass when a cluster empties (its center moves
    to the farthest row, as scikit-learn), and one pass giving both children's
    inertia and sizes. Only the tree (two centers per split) travels to the chunks
    and ``(2, n_features)`` partials travel back. Every chunk keeps its rows' leaf ids
    on the worker holding it (8 bytes per row, a chunk cache), so a pass decides the
    leaf of the rows of the last split node only and runs KMeans's bounds kernel on
    the rows of the leaf being split, whose per-row bounds (32 bytes per row of the
    leaf; 'elkan': 40) stay cached for the run, so that later iterations read only the
    rows whose label may change. With ``n_clusters=1`` one pass gives the inertia.
    Memory per task: one chunk plus its rows in the leaf being split. ``labels_`` is
    computed at fit for in-memory input and lazy (one blockwise pass) for Dask input;
    ``predict`` goes down the tree blockwise.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.cluster import BisectingKMeans
    >>> X = np.array([[1, 1], [10, 1], [3, 1], [10, 0], [2, 1], [10, 2],
    ...               [10, 8], [10, 9], [10, 10]], dtype=float)
    >>> bkm = BisectingKMeans(n_clusters=3, random_state=0).fit(X)
    >>> sorted(map(tuple, bkm.cluster_centers_.tolist()))
    [(2.0, 1.0), (10.0, 1.0), (10.0, 9.0)]
    >>> bool(bkm.predict(np.array([[0.0, 0.0]]))[0] == bkm.labels_[0])
    True
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"}), callable],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "copy_x": ["boolean"],
        "algorithm": [StrOptions({"lloyd", "elkan"})],
        "bisecting_strategy": [StrOptions({"biggest_inertia", "largest_cluster"})],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="random",
        n_init=1,
        random_state=None,
        max_iter=300,
        verbose=0,
        tol=1e-4,
        copy_x=True,
        algorithm="lloyd",
        bisecting_strategy="biggest_inertia",
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.random_state = random_state
        self.max_iter = max_iter
        self.verbose = verbose
        self.tol = tol
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.bisecting_strategy = bisecting_strategy

    def fit(self, X, y=None, sample_weight=None):
        """Compute bisecting k-means clustering.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            Training instances (float64 and float32 are kept; other types become
            float64).
        y : None
            Ignored.
        sample_weight : array-like or Dask array of shape (n_samples,), default=None
            Weights of the observations. Not used by a callable ``init``.

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from dml.cluster import BisectingKMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
        >>> bkm = BisectingKMeans(n_clusters=2, random_state=0).fit(X)
        >>> round(bkm.inertia_, 6), bkm.cluster_centers_.shape
        (16.0, (2, 2))
        """
        check_params(self)
        with validate_fit_data(self, X, None, sample_weight) as data0:
            n_samples, p, dtype = data0.n_samples, data0.n_features, data0.dtype
            k = self.n_clusters
            if n_samples < k:
                raise ValueError(f"n_samples={n_samples} should be >= n_clusters={k}.")
            rs = check_random_state(self.random_state)
            seed = int(rs.randint(np.iinfo(np.int32).max))
            data = with_row_index(data0)
            first = map_reduce(first_pass_kernel, data, combine=combine_first_pass, seed=seed, n_races=0)
            raise_if_not_finite(data, first["mean"], first["m2"], first["wsum"])
            if sample_weight is not None and int(to_numpy(first["w_nonzero"])) == 0:
                raise ValueError("Sample weights must contain at least one non-zero number.")
            shift = to_numpy(first["mean"]).astype(dtype)
            tree = _Tree(shift.copy(), p, dtype)
            self._split_iters = []  # Lloyd iterations of every run of every split
            with chunk_cache(data) as cache:
                for b in range(k - 1):
                    self._bisect(data, cache, tree, shift, seed, b, rs, X)
                if k == 1:
                    res = map_reduce(
                        inertia_kernel, data0, broadcast=(shift[None, :],), combine=combine_inertia
                    )
                    tree.leaf[0]["inertia"] = float(to_numpy(res["inertia"]))
        leaves = list(tree.iter_leaves())
        leaf_labels = np.full(2 * tree.nodes.shape[0] + 1, -1, dtype=np.int64)
        leaf_labels[leaves] = np.arange(len(leaves))
        self._X_mean = shift
        self._tree_nodes, self._tree_centers, self._leaf_labels = tree.nodes, tree.centers, leaf_labels
        self.cluster_centers_ = np.stack([tree.leaf[c]["center"] for c in leaves]).astype(dtype)
        self.inertia_ = float(sum(tree.leaf[c]["inertia"] for c in leaves))
        self._n_features_out = k
        self._set_labels(X)
        return self

    # ---------------------------------------------------------------- one bisection

    def _bisect(self, data, cache, tree, shift, seed, b, rs, X):
        node = tree.to_bisect()
        if tree.leaf[node]["n"] == 0:  # scikit-learn fails in NumPy's sampling here
            raise ValueError("The cluster to bisect is empty (duplicate points or negative sample weights).")
        common = {"broadcast": (shift, *tree.broadcast), "cache": cache}
        best = None
        for run in range(self.n_init):
            stream = 1_000_000 * (b + 1) + 1000 * run
            centers = self._seed(data, common, node, seed, stream, rs)
            if self.verbose:
                print("Initialization complete")
            centers, n_iter = self._two_means(data, common, node, centers, (b, run))
            self._split_iters.append(n_iter)
            res = map_reduce(
                bisect_split_kernel,
                data,
                broadcast=(*common["broadcast"], centers),
                cache=cache,
                combine=sum_partials,
                node=node,
            )
            inertia = to_numpy(res["inertia"])
            total = float(inertia.sum())
            if best is None or total < best[0] * (1 - 1e-6):
                best = (total, centers, inertia, to_numpy(res["n"]))
        _, centers, inertia, counts = best
        if self.verbose:
            print(f"New centroids from bisection: {centers}")
        scores = inertia if self.bisecting_strategy == "biggest_inertia" else counts
        tree.split(node, centers, scores, inertia, counts)

    def _seed(self, data, common, node, seed, stream, rs):
        dtype = data.dtype
        if callable(self.init):
            res = map_reduce(bisect_rows_kernel, data, combine=combine_rows, node=node, **common)
            rows = to_numpy(res["rows"]) - _shift_of(common)
            centers = check_array(self.init(rows, 2, random_state=rs), dtype=dtype, copy=True)
            _validate_center_shape(centers, 2, data.n_features)
            return (centers + _shift_of(common)).astype(dtype)
        if self.init == "random":
            res = map_reduce(
                bisect_keys_kernel,
                data,
                combine=combine_smallest_keys,
                node=node,
                seed=seed,
                stream=stream,
                **common,
            )
            rows = to_numpy(res["rows"]).astype(dtype)
            return rows if rows.shape[0] == 2 else np.vstack([rows, rows])[:2]
        # k-means++: a first center drawn by weight, two candidates by w * D^2, the
        # candidate of smallest potential
        empty = np.zeros((0, data.n_features))
        kw = {"combine": combine_races, "node": node, "seed": seed, "cache": common["cache"]}
        bc = common["broadcast"]
        res = map_reduce(
            bisect_races_kernel, data, broadcast=(*bc, empty, None), stream=stream, n_races=1, **kw
        )
        c0 = to_numpy(res["rows"])[0, :1, :].astype(dtype)
        res = map_reduce(
            bisect_races_kernel, data, broadcast=(*bc, c0, None), stream=stream + 1, n_races=2, **kw
        )
        cand = to_numpy(res["rows"])[0].astype(dtype)
        res = map_reduce(
            bisect_races_kernel, data, broadcast=(*bc, c0, cand), stream=stream + 2, n_races=0, **kw
        )
        j = int(np.argmin(to_numpy(res["pot"])))
        return np.vstack([c0, cand[j : j + 1]])

    def _two_means(self, data, common, node, centers, run_key):
        """Lloyd iterations of the 2-means of leaf ``node`` from ``centers``; one pass each
        (scikit-learn's ``_kmeans_single_lloyd`` without its final E-step, which
        :func:`bisect_split_kernel` does)."""
        dtype = data.dtype
        tol = float(self.tol)
        n_iter = 0
        for i in range(self.max_iter):
            res = map_reduce(
                bisect_lloyd_kernel,
                data,
                broadcast=(*common["broadcast"], centers),
                combine=combine_lloyd,
                cache=common["cache"],
                node=node,
                bounds=None if self.verbose else run_key,
                elkan=self.algorithm == "elkan",
            )
            if self.verbose:
                print(f"Iteration {i}, inertia {float(to_numpy(res['inertia']))}.")
            sums = to_numpy(res["sums"]).copy()
            weights = to_numpy(res["weights"]).copy()
            empty = np.flatnonzero(weights == 0)
            if empty.size:
                far = map_reduce(
                    bisect_far_points_kernel,
                    data,
                    broadcast=(*common["broadcast"], centers),
                    combine=combine_far_points,
                    cache=common["cache"],
                    node=node,
                    n_far=empty.size,
                )
                _move_far_points(sums, weights, far, empty)
            safe = np.where(weights > 0, weights, 1.0)
            new = (sums / safe[:, None]).astype(dtype)
            shift_tot = float(np.sum((new.astype(np.float64) - centers) ** 2))
            centers = new
            n_iter = i + 1
            if shift_tot <= max(tol, _rounding_shift(centers)):
                if self.verbose:
                    print(f"Converged at iteration {i}: center shift {shift_tot} within tolerance {tol}.")
                break
        return centers, n_iter

    # ------------------------------------------------------------------ predict side

    def _labels(self, X):
        return apply_blockwise(
            tree_labels_block,
            X,
            n_outputs=None,
            dtype=np.int32,
            shift=self._X_mean,
            nodes=self._tree_nodes,
            centers=self._tree_centers,
            leaf_labels=self._leaf_labels,
        )

    def predict(self, X):
        """Cluster of each sample, found by going down the bisecting tree.

        At every split a row goes to the closer of the two child centers, as in
        scikit-learn's ``predict`` (which may differ from the closest of
        ``cluster_centers_``).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray or Dask array of shape (n_samples,), dtype int32
            Lazy for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.cluster import BisectingKMeans
        >>> X = np.array([[1, 1], [10, 1], [3, 1], [10, 0], [2, 1], [10, 2],
        ...               [10, 8], [10, 9], [10, 10]], dtype=float)
        >>> bkm = BisectingKMeans(n_clusters=3, random_state=0).fit(X)
        >>> bool((bkm.predict(X) == bkm.labels_).all())
        True
        """
        return super().predict(X)


def _shift_of(common):
    """The centring shift among a bisection's broadcast arrays."""
    return common["broadcast"][0]
