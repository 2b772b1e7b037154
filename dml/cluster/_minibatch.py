"""MiniBatchKMeans: scikit-learn's minibatch updates, fed from row-chunked data."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin
from sklearn.cluster import kmeans_plusplus
from sklearn.utils import check_random_state

from dml._base import TransformerMixin, check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.inputs import raise_if_not_finite, validate_fit_data
from dml._engine.kernels import combine_centered, moments_kernel
from dml._engine.mapreduce import map_reduce, with_row_index
from dml._engine.namespace import is_sparse, to_numpy
from dml.cluster._kmeans import (
    _check_weights_nonzero,
    _explicit_centers,
    _KMeansPredictMixin,
    _one_init_for_explicit_centers,
)
from dml.cluster._lloyd_kernels import (
    combine_inertia,
    combine_lloyd,
    inertia_kernel,
    lloyd_kernel,
    sparse_sq_dist,
)
from dml.cluster._minibatch_kernels import (
    combine_gather_rows,
    combine_weight_count,
    gather_rows_kernel,
    weight_count_kernel,
)

#: Bytes of minibatch rows fetched from the workers in one round trip.
PREFETCH_BYTES = 32 * 2**20


def gather_rows(data, indices):
    """Rows (and weights) of ``data`` at the global ``indices`` (repeats allowed), in
    the order of ``indices``; one pass. ``data`` carries global row indices."""
    indices = np.asarray(indices, dtype=np.int64)
    order = np.argsort(indices, kind="stable")
    res = map_reduce(gather_rows_kernel, data, combine=combine_gather_rows, indices=indices[order])
    pos = to_numpy(res["pos"])
    if is_sparse(res["rows"]):  # CSR chunks: a CSR batch, in the order of indices
        rows = res["rows"][np.argsort(order[pos], kind="stable")].astype(data.dtype)
    else:
        rows = np.empty((indices.size, data.n_features), dtype=data.dtype)
        rows[order[pos]] = to_numpy(res["rows"])
    w = None
    if "w" in res:
        w = np.empty(indices.size, dtype=data.dtype)
        w[order[pos]] = to_numpy(res["w"])
    return rows, w


def _dense_rows(X):
    """Rows of a (small) CSR batch as a dense array; dense input unchanged."""
    return X.toarray() if is_sparse(X) else X


def _labels_inertia(X, w, centers):
    if is_sparse(X):
        d2 = sparse_sq_dist(X, centers)
        lab = np.argmin(d2, axis=1)
        d2 = d2[np.arange(X.shape[0]), lab]
        return lab, float(np.sum(d2 if w is None else w * d2))
    c_sq = np.einsum("ij,ij->i", centers, centers)
    lab = np.argmin(c_sq[None, :] - 2.0 * X @ centers.T, axis=1)
    diff = X - centers[lab]
    d2 = np.einsum("ij,ij->i", diff, diff)
    return lab, float(np.sum(d2 if w is None else w * d2))


def _update(centers, counts, sums, wsum):
    """scikit-learn's minibatch center update (in place on ``counts``)."""
    new = centers.copy()
    hit = wsum > 0
    total = counts[hit] + wsum[hit]
    new[hit] = ((centers[hit] * counts[hit][:, None] + sums[hit]) / total[:, None]).astype(centers.dtype)
    counts[hit] = total
    return new


def _reassign(new, counts, n_rows, random_state, ratio, fetch_rows, verbose):
    """scikit-learn's random reassignment of the centers with tiny counts."""
    to_reassign = counts < ratio * counts.max()
    if to_reassign.sum() > 0.5 * n_rows:
        to_reassign[np.argsort(counts)[int(0.5 * n_rows) :]] = False
    n_reassigns = int(to_reassign.sum())
    if n_reassigns:
        picked = random_state.choice(n_rows, replace=False, size=n_reassigns)
        if verbose:
            print(f"[MiniBatchKMeans] Reassigning {n_reassigns} cluster centers.")
        new[to_reassign] = _dense_rows(fetch_rows(picked))
    counts[to_reassign] = np.min(counts[~to_reassign])


class MiniBatchKMeans(
    _KMeansPredictMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """Mini-batch K-Means clustering, for row-chunked and streaming data.

    A drop-in for :class:`sklearn.cluster.MiniBatchKMeans`: the same minibatch updates,
    random reassignment and early stopping. ``partial_fit`` takes one block of a stream
    (NumPy or a Dask array of any size) as one minibatch.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form.
    init : {'k-means++', 'random'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means++'
        Seeding, run (as scikit-learn) on ``init_size`` rows drawn at random. A
        callable is called as ``init(X, n_clusters, random_state=random_state)``; an
        array gives the initial centers.
    max_iter : int, default=100
        Maximum number of passes over the data (epochs) in ``fit``.
    batch_size : int, default=1024
        Rows per minibatch.
    verbose : int, default=0
        Print the batch inertia of every step and the reassignments.
    compute_labels : bool, default=True
        Compute ``labels_`` and ``inertia_`` of the whole data for the final centers.
    random_state : int, RandomState instance or None, default=None
        Seeds the seeding, the minibatch draws and the reassignments (the rows are
        drawn by global index, so the model does not depend on the chunking).
    tol : float, default=0.0
        Early stopping on the squared center change, relative to the mean feature
        variance (0 disables it).
    max_no_improvement : int or None, default=10
        Early stopping after this many minibatches without improvement of the smoothed
        inertia (None disables it).
    init_size : int or None, default=None
        Rows drawn for the seeding (``3 * batch_size`` when None).
    n_init : 'auto' or int, default='auto'
        Seedings tried (best inertia on an ``init_size`` validation sample); 'auto' is
        1 for 'k-means++' and an array, 3 otherwise.
    reassignment_ratio : float, default=0.01
        Centers whose count falls below this fraction of the largest are moved to
        random rows.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of cluster centers, in X's dtype.
    labels_ : ndarray or Dask array of shape (n_samples,)
        When ``compute_labels``; lazy for Dask input.
    inertia_ : float
        Weighted sum of squared distances of the samples to their closest center
        (with ``compute_labels``; else estimated from the smoothed batch inertia).
    n_iter_ : int
        Epochs started.
    n_steps_ : int
        Minibatches processed.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: minibatch updates are sequential and small, so they run on the
    caller (NumPy) exactly as scikit-learn's; the data stays chunked where it lives.
    ``fit`` makes one pass for the feature variances (``tol``), one pass per seeding
    for its ``init_size`` sample and one for the validation sample, then fetches the
    minibatch rows of many steps in one round trip (up to 32 MiB of rows per pass;
    rows are addressed by their global index, so the model does not depend on the
    chunking), and with ``compute_labels`` one final pass for ``inertia_`` (``labels_``
    is lazy for Dask input). ``partial_fit`` treats its X as one minibatch: one fused
    pass (labels, per-cluster sums, weights, inertia, as a KMeans iteration), one small
    pass to fetch rows when centers are reassigned, and with ``compute_labels`` one
    inertia pass. For data on a cluster, :class:`dml.cluster.KMeans` (one pass per
    Lloyd iteration) is usually the better choice; MiniBatchKMeans is for streams.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.cluster import MiniBatchKMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> mbk = MiniBatchKMeans(n_clusters=2, batch_size=6, random_state=0).fit(X)
    >>> sorted(mbk.cluster_centers_[:, 0].tolist())
    [1.0, 10.0]
    >>> labels = mbk.predict(np.array([[0.0, 0.0], [12.0, 3.0]]))
    >>> bool(labels[0] != labels[1])
    True
    """

    _accept_sparse = True

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"}), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "compute_labels": ["boolean"],
        "max_no_improvement": [Interval(Integral, 0, None, closed="left"), None],
        "init_size": [Interval(Integral, 1, None, closed="left"), None],
        "reassignment_ratio": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        max_iter=100,
        batch_size=1024,
        verbose=0,
        compute_labels=True,
        random_state=None,
        tol=0.0,
        max_no_improvement=10,
        init_size=None,
        n_init="auto",
        reassignment_ratio=0.01,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio

    # ------------------------------------------------------------------ helpers

    def _check_params_vs_input(self, n_samples):
        if n_samples < self.n_clusters:
            raise ValueError(f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}.")
        init = self.init
        if self.n_init == "auto":
            self._n_init = (
                1
                if (isinstance(init, str) and init == "k-means++")
                or (not isinstance(init, str) and not callable(init))
                else 3
            )
        else:
            self._n_init = self.n_init
        self._n_init = _one_init_for_explicit_centers(self, init, self._n_init)
        self._batch_size = min(self.batch_size, n_samples)
        self._init_size = self.init_size
        if self._init_size is None:
            self._init_size = 3 * self._batch_size
            if self._init_size < self.n_clusters:
                self._init_size = 3 * self.n_clusters
        elif self._init_size < self.n_clusters:
            warnings.warn(
                f"init_size={self._init_size} should be larger than n_clusters="
                f"{self.n_clusters}. Setting it to min(3*n_clusters, n_samples)",
                RuntimeWarning,
                stacklevel=3,
            )
            self._init_size = 3 * self.n_clusters
        self._init_size = min(self._init_size, n_samples)

    def _init_centroids(self, X, data, random_state, init_array):
        """scikit-learn's seeding on an ``init_size`` random sample of the rows."""
        n = data.n_samples
        init = self.init
        if init_array is not None:
            return init_array
        if callable(init):
            return _explicit_centers(
                init(X, self.n_clusters, random_state=random_state),
                self.n_clusters,
                data.dtype,
                data.n_features,
            )
        if self._init_size < n:
            Xs, ws = gather_rows(data, random_state.randint(0, n, self._init_size))
        else:
            Xs, ws = gather_rows(data, np.arange(n))
        ws = np.ones(Xs.shape[0], dtype=Xs.dtype) if ws is None else ws
        if init == "k-means++":
            centers, _ = kmeans_plusplus(Xs, self.n_clusters, sample_weight=ws, random_state=random_state)
        else:
            seeds = random_state.choice(Xs.shape[0], size=self.n_clusters, replace=False, p=ws / ws.sum())
            centers = _dense_rows(Xs[seeds])
        return np.asarray(centers, dtype=data.dtype)

    def _convergence(self, step, n_steps, n_samples, diff, batch_inertia):
        batch_inertia /= self._batch_size
        step = step + 1
        if step == 1:
            if self.verbose:
                print(f"Minibatch step {step}/{n_steps}: mean batch inertia: {batch_inertia}")
            return False
        if self._ewa_inertia is None:
            self._ewa_inertia = batch_inertia
        else:
            alpha = min(self._batch_size * 2.0 / (n_samples + 1), 1)
            self._ewa_inertia = self._ewa_inertia * (1 - alpha) + batch_inertia * alpha
        if self.verbose:
            print(
                f"Minibatch step {step}/{n_steps}: mean batch inertia: {batch_inertia}, "
                f"ewa inertia: {self._ewa_inertia}"
            )
        if self._tol > 0.0 and diff <= self._tol:
            return True
        if self._ewa_inertia_min is None or self._ewa_inertia < self._ewa_inertia_min:
            self._no_improvement = 0
            self._ewa_inertia_min = self._ewa_inertia
        else:
            self._no_improvement += 1
        return self.max_no_improvement is not None and self._no_improvement >= self.max_no_improvement

    def _random_reassign(self, n_rows):
        self._n_since_last_reassign += n_rows
        if (self._counts == 0).any() or self._n_since_last_reassign >= 10 * self.n_clusters:
            self._n_since_last_reassign = 0
            return True
        return False

    # ---------------------------------------------------------------------- fit

    def fit(self, X, y=None, sample_weight=None):
        """Compute the centroids on X by chunking it into minibatches.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like or Dask array of shape (n_samples,), default=None

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from dml.cluster import MiniBatchKMeans
        >>> X = np.random.default_rng(0).normal(size=(200, 3))
        >>> mbk = MiniBatchKMeans(n_clusters=4, batch_size=50, random_state=0).fit(X)
        >>> mbk.cluster_centers_.shape, mbk.labels_.shape
        ((4, 3), (200,))
        """
        check_params(self)
        with validate_fit_data(self, X, None, sample_weight, accept_sparse="csr") as data0:
            n = data0.n_samples
            self._check_params_vs_input(n)
            rs = check_random_state(self.random_state)
            data = with_row_index(data0)
            init_array = _explicit_centers(self.init, self.n_clusters, data.dtype, data.n_features)
            mom = map_reduce(moments_kernel, data, combine=combine_centered)
            raise_if_not_finite(data, mom["mean"], mom["m2"])
            if sample_weight is not None:
                _check_weights_nonzero(
                    map_reduce(weight_count_kernel, data, combine=combine_weight_count)["nonzero"]
                )
            var = to_numpy(mom["m2"]) / n
            self._tol = float(np.mean(var) * self.tol) if self.tol else 0.0
            X_valid, w_valid = gather_rows(data, rs.randint(0, n, self._init_size))
            best_inertia, init_centers = None, None
            for _ in range(self._n_init):
                centers = self._init_centroids(X, data, rs, init_array)
                _, inertia = _labels_inertia(X_valid, w_valid, centers)
                if best_inertia is None or inertia < best_inertia:
                    init_centers, best_inertia = centers, inertia
            centers = init_centers.copy()
            self._counts = np.zeros(self.n_clusters, dtype=data.dtype)
            self._ewa_inertia = self._ewa_inertia_min = None
            self._no_improvement = 0
            self._n_since_last_reassign = 0
            bs = self._batch_size
            n_steps = (self.max_iter * n) // bs
            per_fetch = max(1, PREFETCH_BYTES // max(1, bs * data.n_features * data.dtype.itemsize))
            buf, i = [], -1
            for i in range(n_steps):
                if not buf:
                    m = min(per_fetch, n_steps - i)
                    idx = rs.randint(0, n, size=m * bs)
                    rows, w = gather_rows(data, idx)
                    buf = [
                        (rows[j * bs : (j + 1) * bs], None if w is None else w[j * bs : (j + 1) * bs])
                        for j in range(m)
                    ][::-1]
                Xb, wb = buf.pop()
                lab, batch_inertia = _labels_inertia(Xb, wb, centers)
                W = np.zeros((Xb.shape[0], self.n_clusters), dtype=np.float64)
                W[np.arange(Xb.shape[0]), lab] = 1.0 if wb is None else wb
                sums = np.asarray(Xb.T @ W).T if is_sparse(Xb) else W.T @ Xb
                new = _update(centers, self._counts, sums, W.sum(axis=0))
                if self._random_reassign(bs) and self.reassignment_ratio > 0:
                    _reassign(
                        new,
                        self._counts,
                        Xb.shape[0],
                        rs,
                        self.reassignment_ratio,
                        lambda picked, Xb=Xb: Xb[picked],
                        self.verbose,
                    )
                diff = float(np.sum((new - centers) ** 2)) if self._tol > 0.0 else 0.0
                centers = new
                if self._convergence(i, n_steps, n, diff, batch_inertia):
                    break
            self.cluster_centers_ = centers
            self._n_features_out = centers.shape[0]
            self.n_steps_ = i + 1
            self.n_iter_ = int(np.ceil(((i + 1) * bs) / n))
            if self.compute_labels:
                res = map_reduce(inertia_kernel, data, broadcast=(centers,), combine=combine_inertia)
                self.inertia_ = float(to_numpy(res["inertia"]))
            else:
                self.inertia_ = self._ewa_inertia * n
        if self.compute_labels:
            self._set_labels(X)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the centers with X as one minibatch.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            One block of the stream (one pass over it).
        y : None
            Ignored.
        sample_weight : array-like or Dask array of shape (n_samples,), default=None

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from dml.cluster import MiniBatchKMeans
        >>> stream = np.random.default_rng(0).normal(size=(4, 50, 3))
        >>> mbk = MiniBatchKMeans(n_clusters=3, random_state=0)
        >>> for block in stream:  # one minibatch per block of the stream
        ...     mbk = mbk.partial_fit(block)
        >>> mbk.n_steps_, mbk.cluster_centers_.shape
        (4, (3, 3))
        """
        check_params(self)
        has_centers = hasattr(self, "cluster_centers_")
        with validate_fit_data(
            self, X, None, sample_weight, reset=not has_centers, accept_sparse="csr"
        ) as data0:
            data = with_row_index(data0)
            n = data.n_samples
            self._random_state = getattr(self, "_random_state", check_random_state(self.random_state))
            self.n_steps_ = getattr(self, "n_steps_", 0)
            if not has_centers:
                self._check_params_vs_input(n)
                init_array = _explicit_centers(self.init, self.n_clusters, data.dtype, data.n_features)
                mom = map_reduce(moments_kernel, data, combine=combine_centered)
                raise_if_not_finite(data, mom["mean"], mom["m2"])
                self.cluster_centers_ = self._init_centroids(X, data, self._random_state, init_array)
                self._counts = np.zeros(self.n_clusters, dtype=data.dtype)
                self._n_since_last_reassign = 0
            centers = self.cluster_centers_
            shift = np.zeros(data.n_features, dtype=data.dtype)
            res = map_reduce(lloyd_kernel, data, broadcast=(centers, shift), combine=combine_lloyd)
            raise_if_not_finite(data, res["inertia"], res["sums"])
            new = _update(centers, self._counts, to_numpy(res["sums"]), to_numpy(res["weights"]))
            if self._random_reassign(n) and self.reassignment_ratio > 0:
                _reassign(
                    new,
                    self._counts,
                    n,
                    self._random_state,
                    self.reassignment_ratio,
                    lambda picked: gather_rows(data, picked)[0],
                    self.verbose,
                )
            self.cluster_centers_ = new
            if self.compute_labels:
                res = map_reduce(inertia_kernel, data, broadcast=(new,), combine=combine_inertia)
                self.inertia_ = float(to_numpy(res["inertia"]))
        if self.compute_labels:
            self._set_labels(X)
        self.n_steps_ += 1
        self._n_features_out = self.cluster_centers_.shape[0]
        return self
