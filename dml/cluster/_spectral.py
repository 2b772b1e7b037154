"""SpectralClustering: the Nyström approximation of the affinity matrix (dask-ml's
algorithm), two passes over the data, then k-means on the embedding."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.linalg import svd
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import KMeans as SkKMeans
from sklearn.utils import check_random_state

from dml._base import CpuMixin, LazyAttributesPickleMixin, check_params
from dml._compat.sklearn import HasMethods, Interval, StrOptions
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import validate_fit_data, validate_predict_data
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import is_dask_collection, to_numpy
from dml.cluster._kmeans import KMeans
from dml.cluster._spectral_kernels import (
    combine_rows,
    degrees_kernel,
    embed_block,
    take_rows_kernel,
)
from dml.metrics import pairwise_kernels
from dml.metrics._pairwise_kernels import KERNEL_METRICS

#: scikit-learn's affinities that need the full matrix or a neighbours graph.
_UNSUPPORTED = {
    "precomputed": (
        "affinity='precomputed' is not supported: the Nyström approximation never forms "
        "the n_samples x n_samples affinity matrix, it computes kernel values from the "
        "rows of X. Pass X with a kernel name or a callable, or use "
        "sklearn.cluster.SpectralClustering on an in-memory precomputed matrix."
    ),
    "precomputed_nearest_neighbors": None,
    "nearest_neighbors": (
        "affinity={!r} is not supported: a nearest-neighbours graph is not a kernel the "
        "Nyström approximation can sample. Use 'rbf' (or another kernel) or "
        "sklearn.cluster.SpectralClustering on in-memory data."
    ),
    "additive_chi2": None,
    "chi2": None,
    "laplacian": None,
}


def _unsupported_message(affinity):
    msg = _UNSUPPORTED[affinity]
    if msg is None and affinity == "precomputed_nearest_neighbors":
        return _UNSUPPORTED["nearest_neighbors"].format(affinity)
    if msg is None:
        return (
            f"affinity={affinity!r} is not supported by dml's SpectralClustering; use one "
            f"of {sorted(KERNEL_METRICS)} or a callable."
        )
    return msg.format(affinity)


class SpectralClustering(CpuMixin, LazyAttributesPickleMixin, ClusterMixin, BaseEstimator):
    """Spectral clustering with the Nyström approximation of the affinity matrix.

    The ``n_samples x n_samples`` affinity matrix is never formed. ``n_components``
    rows are sampled; the affinity of every row with the sampled rows (an
    ``n_samples x n_components`` block, computed chunk by chunk) approximates the full
    matrix (Fowlkes et al., 2004). The normalised matrix's leading eigenvectors give an
    ``n_clusters``-dimensional embedding of the rows, scaled to unit length (Ng, Jordan
    and Weiss), and k-means on the embedding assigns the labels. This is dask-ml's
    algorithm and API.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters, and dimension of the embedding (at most ``n_components``,
        as dask-ml's).
    eigen_solver : None, default=None
        Only None: the small ``n_components x n_components`` eigenproblem is solved
        exactly (a dense SVD); scikit-learn's solver names raise.
    random_state : int, RandomState instance or None, default=None
        Draws the sampled rows and the seed of the k-means label assignment. An int
        gives the same sample, embedding and labels on every run and chunking.
    n_init : 'auto' or int, default='auto'
        ``n_init`` of the :class:`~dml.cluster.KMeans` that assigns the labels
        (``assign_labels='kmeans'`` or ``'sklearn-kmeans'``).
    gamma : float, default=1.0
        Kernel coefficient of 'rbf', 'polynomial' and 'sigmoid' (and passed to a
        callable ``affinity``).
    affinity : str or callable, default='rbf'
        'rbf', 'polynomial' ('poly'), 'sigmoid', 'linear' or 'cosine' (the kernels of
        :func:`dml.metrics.pairwise_kernels`), or a callable ``affinity(X, Y, gamma=,
        degree=, coef0=, **kernel_params)`` returning the ``(len(X), len(Y))`` kernel
        block (it runs on every chunk of ``X``). Only kernels whose values are
        non-negative make sense; non-positive degrees raise. 'precomputed',
        'nearest_neighbors' and the other affinities of scikit-learn raise a
        ``ValueError``: the approximation computes kernel values from the rows of X.
    n_neighbors : int, default=10
        scikit-learn's parameter of ``affinity='nearest_neighbors'``, which dml does
        not support: it has no effect on the kernels above (as in scikit-learn).
    eigen_tol : float or 'auto', default=0.0
        The eigenproblem is solved exactly, so any tolerance is met (kept for
        scikit-learn and dask-ml compatibility).
    assign_labels : 'kmeans', 'sklearn-kmeans' or estimator, default='kmeans'
        How labels are assigned in the embedding space: 'kmeans' fits
        :class:`dml.cluster.KMeans` (``n_clusters``, ``n_init``, a seed drawn from
        ``random_state``), 'sklearn-kmeans' scikit-learn's KMeans (on the embedding in
        memory), and an estimator is cloned and fitted (``n_clusters`` is not set on
        it). Its fitted copy is ``assign_labels_``.
    degree : float, default=3
        Degree of the 'polynomial' kernel.
    coef0 : float, default=1
        Zero coefficient of the 'polynomial' and 'sigmoid' kernels.
    kernel_params : dict, default=None
        Extra keyword arguments of a callable ``affinity``. Given with a kernel name,
        it raises (set ``gamma``, ``degree``, ``coef0`` instead).
    n_jobs : int, default=1
        Jobs of scikit-learn's ``pairwise_kernels`` for the in-memory
        ``n_components x n_components`` block of the sampled rows; the passes over X
        run one task per chunk.
    n_components : int, default=100
        Number of rows sampled for the Nyström approximation. More rows approximate
        the affinity matrix better and cost ``n_components`` kernel values per row.
        When ``n_components >= n_samples`` every row is used (the exact embedding of
        the full affinity matrix).
    persist_embedding : bool, default=False
        Persist the ``n_samples x n_clusters`` embedding (Dask input) before the label
        assignment, so that its passes read it from memory instead of recomputing the
        kernel block of every chunk (dml's KMeans also persists it by its own policy
        when it fits in memory).
    kmeans_params : dict, default=None
        Parameters set on the label-assigning estimator (``set_params``).

    Attributes
    ----------
    assign_labels_ : estimator
        The fitted estimator that assigned the labels.
    labels_ : ndarray or Dask array of shape (n_samples,)
        Cluster labels: ``assign_labels_.labels_``, a lazy Dask array for Dask input
        with dml's KMeans.
    eigenvalues_ : ndarray of shape (min(n_clusters, n_components),)
        The leading singular values of the normalised affinity block of the sampled
        rows (its eigenvalues, for a positive semi-definite kernel).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has column names.

    See Also
    --------
    KMeans : The label assignment's default.

    Notes
    -----
    Computation: two passes over X, then the label assignment's. Pass 1 gathers the
    ``n_components`` sampled rows (drawn by global row index, so the sample does not
    depend on the chunking). Pass 2 sums each chunk's affinity block with the sampled
    rows over its rows (the degrees of the sampled rows). In between, the
    ``n_components x n_components`` block is decomposed in this process (one SVD).
    The embedding is blockwise: each chunk's affinity block times an
    ``n_components x n_clusters`` projection, rows scaled to unit length; it is lazy
    for Dask input and computed by the label assignment's passes (once, when it is
    persisted). Memory per task: one chunk plus ``O(block rows x n_components)``.
    The row normalisation makes the degrees of the other rows unnecessary: each
    embedded row of dask-ml's algorithm is ours times a positive factor.

    References
    ----------
    Fowlkes, Belongie, Chung and Malik, "Spectral grouping using the Nyström method",
    IEEE TPAMI 26(2), 2004. Chen, Song, Bai, Lin and Chang, "Parallel spectral
    clustering in distributed systems", IEEE TPAMI 33(3), 2011.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.cluster import SpectralClustering
    >>> from dml.datasets import make_blobs
    >>> X, y = make_blobs(n_samples=2000, centers=3, cluster_std=0.5, chunks=500, random_state=0)
    >>> sc = SpectralClustering(n_clusters=3, gamma=0.1, n_components=50, random_state=0).fit(X)
    >>> sc.eigenvalues_.shape
    (3,)
    >>> from sklearn.metrics import adjusted_rand_score
    >>> adjusted_rand_score(y.compute(), sc.labels_.compute())
    1.0
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "eigen_solver": [None],
        "random_state": ["random_state"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "affinity": [StrOptions(set(KERNEL_METRICS) | set(_UNSUPPORTED)), callable],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "eigen_tol": [Interval(Real, 0.0, None, closed="left"), StrOptions({"auto"})],
        "assign_labels": [StrOptions({"kmeans", "sklearn-kmeans"}), HasMethods(["fit"])],
        "degree": [Interval(Real, 0, None, closed="left")],
        "coef0": [Interval(Real, None, None, closed="neither")],
        "kernel_params": [dict, None],
        "n_jobs": [Integral, None],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "persist_embedding": ["boolean"],
        "kmeans_params": [dict, None],
    }

    def __init__(
        self,
        n_clusters=8,
        eigen_solver=None,
        random_state=None,
        n_init="auto",
        gamma=1.0,
        affinity="rbf",
        n_neighbors=10,
        eigen_tol=0.0,
        assign_labels="kmeans",
        degree=3,
        coef0=1,
        kernel_params=None,
        n_jobs=1,
        n_components=100,
        persist_embedding=False,
        kmeans_params=None,
    ):
        self.n_clusters = n_clusters
        self.eigen_solver = eigen_solver
        self.random_state = random_state
        self.n_init = n_init
        self.gamma = gamma
        self.affinity = affinity
        self.n_neighbors = n_neighbors
        self.eigen_tol = eigen_tol
        self.assign_labels = assign_labels
        self.degree = degree
        self.coef0 = coef0
        self.kernel_params = kernel_params
        self.n_jobs = n_jobs
        self.n_components = n_components
        self.persist_embedding = persist_embedding
        self.kmeans_params = kmeans_params

    def _affinity_params(self):
        """``(affinity, params)`` for the chunk kernels, with the unsupported choices'
        errors."""
        affinity = self.affinity
        if callable(affinity):
            params = dict(self.kernel_params or {})
            params.update(gamma=self.gamma, degree=self.degree, coef0=self.coef0)
            return affinity, params
        if affinity in _UNSUPPORTED:
            raise ValueError(_unsupported_message(affinity))
        if self.kernel_params:
            raise ValueError(
                f"kernel_params is for a callable affinity; with affinity={affinity!r} set "
                "gamma, degree and coef0 instead."
            )
        return affinity, {"gamma": float(self.gamma), "degree": self.degree, "coef0": self.coef0}

    def _label_assigner(self, rng):
        if isinstance(self.assign_labels, str):
            seed = int(rng.randint(np.iinfo(np.int32).max))
            cls = KMeans if self.assign_labels == "kmeans" else SkKMeans
            km = cls(n_clusters=self.n_clusters, n_init=self.n_init, random_state=seed)
        else:
            km = clone(self.assign_labels)
        if self.kmeans_params:
            km.set_params(**self.kmeans_params)
        return km

    def _sample_kernel(self, Y, affinity, params):
        """The affinity block of the sampled rows with themselves, in memory."""
        if callable(affinity):
            A = np.asarray(affinity(Y, Y, **params), dtype=np.float64)
            if A.shape != (len(Y), len(Y)):
                raise ValueError(
                    f"The affinity callable returned shape {A.shape} for two inputs of "
                    f"{len(Y)} rows; expected ({len(Y)}, {len(Y)})."
                )
            return A
        return np.asarray(
            pairwise_kernels(Y, metric=affinity, filter_params=True, n_jobs=self.n_jobs, **params),
            dtype=np.float64,
        )

    def _projection(self, A, degrees):
        """``D^-1/2 U_k S_k^-1/2`` from the sampled block and its degrees: the embedding
        of a row is its affinity block with the sampled rows times this matrix."""
        if not np.all(np.isfinite(degrees)) or np.any(degrees <= 0):
            raise ValueError(
                "The affinity gave non-positive degrees (row sums of the affinity "
                "matrix): spectral clustering needs a kernel with non-negative values "
                f"(affinity={self.affinity!r}). Use 'rbf', or change gamma, degree or coef0."
            )
        d_isqrt = 1.0 / np.sqrt(degrees)
        U, S, _ = svd(d_isqrt[:, None] * A * d_isqrt[None, :])
        k = self.n_clusters
        U, S = U[:, :k], S[:k]
        # directions of a (numerically) singular block carry no information
        keep = S > S[0] * len(A) * np.finfo(np.float64).eps if S[0] > 0 else np.zeros_like(S, bool)
        inv = np.where(keep, 1.0 / np.sqrt(np.where(keep, S, 1.0)), 0.0)
        return d_isqrt[:, None] * U * inv[None, :], S

    def fit(self, X, y=None):
        """Compute the Nyström embedding and assign the labels.

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        check_params(self)
        affinity, params = self._affinity_params()
        rng = check_random_state(self.random_state)
        with validate_fit_data(self, X, iterative=False) as data:
            n = data.n_samples
            if n < self.n_clusters:
                raise ValueError(f"n_samples={n} should be >= n_clusters={self.n_clusters}.")
            m = min(self.n_components, n)
            keep = np.sort(rng.choice(n, m, replace=False))
            res = map_reduce(take_rows_kernel, data, combine=combine_rows, pass_row_offset=True, rows=keep)
            Y = to_numpy(res["rows"])[np.argsort(to_numpy(res["index"]))]
            Y_sq = np.einsum("ij,ij->i", Y, Y)
            res = map_reduce(degrees_kernel, data, broadcast=(Y, Y_sq), affinity=affinity, params=params)
            projection, S = self._projection(
                self._sample_kernel(Y, affinity, params), to_numpy(res["degrees"])
            )
        km = self._label_assigner(rng)
        embedding = apply_blockwise(
            embed_block,
            validate_predict_data(self, X),
            n_outputs=projection.shape[1],
            dtype=np.float64,
            Y=Y,
            Y_sq=Y_sq,
            affinity=affinity,
            params=params,
            projection=projection,
        )
        if is_dask_collection(embedding) and self.assign_labels == "sklearn-kmeans":
            embedding = embedding.compute()  # scikit-learn's KMeans fits in memory
        elif self.persist_embedding and is_dask_collection(embedding):
            embedding = embedding.persist()
        km.fit(embedding)
        self.assign_labels_ = km
        self.labels_ = km.labels_
        self.eigenvalues_ = S
        return self

    def to_cpu(self):
        """Move the fitted arrays, and those of ``assign_labels_``, to host memory (NumPy).

        Returns
        -------
        self : object
        """
        super().to_cpu()
        inner = getattr(self, "assign_labels_", None)
        if hasattr(inner, "to_cpu"):
            inner.to_cpu()
        return self

    def fit_predict(self, X, y=None):
        """Fit and return ``labels_`` (lazy for Dask input).

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        labels : ndarray or Dask array of shape (n_samples,)
        """
        return self.fit(X).labels_
