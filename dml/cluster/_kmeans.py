"""KMeans: scalable seeding (k-means||) and Lloyd iterations as one fused pass each."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, LazyAttributesPickleMixin, TransformerMixin, check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import (
    raise_if_not_finite,
    validate_fit_data,
    validate_predict_data,
)
from dml._engine.mapreduce import chunk_cache, map_reduce, with_row_index
from dml._engine.namespace import to_numpy
from dml.cluster._bounds_kernels import combine_lloyd_bounds, lloyd_bounds_kernel
from dml.cluster._lloyd_kernels import (
    combine_far_points,
    combine_inertia,
    combine_lloyd,
    far_points_kernel,
    inertia_kernel,
    lloyd_kernel,
)
from dml.cluster._predict_kernels import distances_block, labels_block
from dml.cluster._seeding_kernels import (
    candidate_weights_kernel,
    combine_candidate_weights,
    combine_first_pass,
    combine_races,
    combine_smallest_keys,
    first_pass_kernel,
    races_kernel,
    smallest_keys_kernel,
)

#: Sampling rounds of k-means|| (Bahmani et al. report 5 rounds suffice).
KMEANS_PARALLEL_ROUNDS = 5


def _is_arraylike_not_scalar(x):
    return (hasattr(x, "__len__") or hasattr(x, "shape") or hasattr(x, "__array__")) and not isinstance(
        x, str
    )


def _check_weights_nonzero(count):
    if int(to_numpy(count)) == 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")


def _one_init_for_explicit_centers(estimator, init, n_init):
    """``n_init``, or 1 with scikit-learn's warning when ``init`` is an array of centers
    (there is nothing to vary). Called by a helper of ``fit`` / ``partial_fit``: the
    warning points at their caller."""
    if _is_arraylike_not_scalar(init) and not isinstance(init, str) and n_init != 1:
        warnings.warn(
            "Explicit initial center position passed: performing only one init in "
            f"{type(estimator).__name__} instead of n_init={n_init}.",
            RuntimeWarning,
            stacklevel=4,
        )
        n_init = 1
    return n_init


def _validate_center_shape(centers, n_clusters, n_features):
    """scikit-learn's errors for initial ``centers`` that are not (n_clusters, n_features)."""
    if centers.shape[0] != n_clusters:
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match the "
            f"number of clusters {n_clusters}."
        )
    if centers.shape[1] != n_features:
        raise ValueError(
            f"The shape of the initial centers {centers.shape} does not match the "
            f"number of features of the data {n_features}."
        )


def _explicit_centers(init, n_clusters, dtype, n_features):
    """The initial centers given as an array-like ``init`` (or returned by a callable
    ``init``), checked and copied into ``dtype``; None for a string or a callable."""
    if isinstance(init, str) or callable(init):
        return None
    centers = check_array(to_numpy(init), dtype=dtype, copy=True)  # CuPy init: to the host
    _validate_center_shape(centers, n_clusters, n_features)
    return centers


def _tolerance(data, res, tol_factor, weighted):
    """The value checks and the tolerance from the first iteration's ``moments``
    (``tol_factor`` times the mean per-feature variance, as scikit-learn)."""
    xs, xss = to_numpy(res["xs"]), to_numpy(res["xss"])
    raise_if_not_finite(data, res["sums"], res["weights"], xs, xss)
    if weighted:
        _check_weights_nonzero(res["w_nonzero"])
    mean = xs / data.n_samples
    var = max(float(xss) / data.n_samples - float(mean @ mean), 0.0) / data.n_features
    return var * tol_factor if tol_factor else 0.0


def _lloyd(data, centers, shift, *, max_iter, tol, verbose, tol_factor=None, weighted=False, elkan=False):
    """Lloyd iterations from ``centers``; one pass per iteration.

    The iterations run :func:`lloyd_bounds_kernel`, whose per-row distance bounds stay
    in each chunk's cache on the worker that holds it, so that only the rows whose
    closest center may have changed are read again (``verbose`` runs the full
    :func:`lloyd_kernel` instead, to print the inertia of every iteration). A final
    pass labels the rows for the returned centers (scikit-learn's final E-step) and
    gives their inertia and cluster sizes: from the per-cluster sums and the chunks'
    scatter when that is accurate (:func:`_inertia_from_sums`), else by a full pass
    that sums the squared differences (:func:`inertia_kernel`).

    ``tol=None`` (explicit init, not verbose): the first iteration also returns the
    per-feature moments, from which the value checks run and the tolerance
    (``tol_factor``) is computed, so the fit needs no pass of its own for them.

    ``elkan``: the bounds kernel keeps a lower bound per center (Elkan's) instead of one.

    Returns ``(centers, inertia, counts, n_iter)`` where inertia and counts belong to
    the returned centers.
    """
    dtype = data.dtype
    centers = np.asarray(centers, dtype=dtype)
    res = None
    shift_tot = np.inf
    n_iter = 0
    # CSR chunks: plain Lloyd passes (one sparse product per chunk and iteration)
    full = verbose or data.sparse
    with chunk_cache(data) as cache:
        for i in range(max_iter):
            if full:
                res = map_reduce(
                    lloyd_kernel, data, broadcast=(centers, shift), combine=combine_lloyd, counts=True
                )
                if verbose:
                    print(f"Iteration {i}, inertia {float(to_numpy(res['inertia']))}.")
            else:
                checks = tol is None
                res = map_reduce(
                    lloyd_bounds_kernel,
                    data,
                    broadcast=(centers, shift),
                    combine=combine_lloyd_bounds,
                    cache=cache,
                    moments=checks,
                    elkan=elkan,
                )
                if checks:
                    tol = _tolerance(data, res, tol_factor, weighted)
            sums = to_numpy(res["sums"]).copy()
            weights = to_numpy(res["weights"]).copy()
            empty = np.flatnonzero(weights == 0)
            if empty.size:
                far = map_reduce(
                    far_points_kernel,
                    data,
                    broadcast=(centers,),
                    combine=combine_far_points,
                    n_far=empty.size,
                )
                _move_far_points(sums, weights, far, empty)
            safe = np.where(weights > 0, weights, 1.0)
            new = (sums / safe[:, None]).astype(dtype)
            shift_tot = float(np.sum((new.astype(np.float64) - centers) ** 2))
            centers = new
            n_iter = i + 1
            if shift_tot <= max(tol, _rounding_shift(centers)):
                if verbose:
                    print(f"Converged at iteration {i}: center shift {shift_tot} within tolerance {tol}.")
                break
        if not full:
            res = map_reduce(
                lloyd_bounds_kernel,
                data,
                broadcast=(centers, shift),
                combine=combine_lloyd_bounds,
                cache=cache,
                final=True,
                elkan=elkan,
            )
            if "inertia" in res:  # chunks without per-row state ran the exact inertia pass
                return centers, float(to_numpy(res["inertia"])), to_numpy(res["n"]), n_iter
            inertia = _inertia_from_sums(res, centers, shift) if "centred_sums" in res else None
            if inertia is not None:
                return centers, inertia, to_numpy(res["n"]), n_iter
    # the final E-step by a full pass: inertia (exact differences) and sizes
    res = map_reduce(inertia_kernel, data, broadcast=(centers,), combine=combine_inertia, counts=True)
    return centers, float(to_numpy(res["inertia"])), to_numpy(res["n"]), n_iter


def _move_far_points(sums, weights, far, empty):
    """Give each empty cluster one of the farthest points (``far``, from
    ``combine_far_points``), moving its weighted row out of its old cluster's sums."""
    rows = to_numpy(far["rows"]).astype(np.float64)
    fw = to_numpy(far["w"]).astype(np.float64)
    flab = to_numpy(far["labels"])
    for j, new_id in enumerate(empty[: rows.shape[0]]):
        old_id = flab[j]
        sums[old_id] -= rows[j] * fw[j]
        sums[new_id] = rows[j] * fw[j]
        weights[new_id] = fw[j]
        weights[old_id] -= fw[j]


def _rounding_shift(centers):
    """The largest squared center shift that re-rounding alone can cause.

    A chunk whose cached sums were lost (its worker died, or it ran elsewhere) sums its
    rows afresh, which can differ from the incrementally kept sums in the last bits;
    that moves the centers by ~1e-16 relative, while one row changing cluster moves a
    center by its distance over the cluster's weight, many orders of magnitude more.
    A shift this small therefore means no row changed cluster (the strict convergence
    of scikit-learn), so the iterations stop at the same point whatever was cached.
    """
    return (1024 * np.finfo(np.float64).eps) ** 2 * float(np.sum(centers.astype(np.float64) ** 2))


#: The inertia is taken from the per-cluster sums only when it is at least this fraction
#: of the total scatter: the cancellation then costs at most ~1e-12 relative in float64;
#: float32 rows (their norms rounded to ~1e-7) need the inertia within 10x of the scatter
#: to stay at float32's own accuracy (~1e-6).
_MIN_INERTIA_FRACTION = {np.dtype(np.float64): 1e-4, np.dtype(np.float32): 1e-1}


def _inertia_from_sums(res, centers, shift):
    """``sum_i w_i ||x_i - c_{l_i}||^2`` from :func:`lloyd_bounds_kernel`'s final partials,
    or None when the cancellation in that identity could cost accuracy."""
    C = centers.astype(np.float64) - np.asarray(shift, dtype=centers.dtype).astype(np.float64)
    S = to_numpy(res["centred_sums"])
    W = to_numpy(res["weights"])
    scatter = float(to_numpy(res["scatter"]))
    inertia = scatter - 2.0 * float(np.sum(C * S)) + float(np.dot(W, np.sum(C * C, axis=1)))
    if not inertia >= _MIN_INERTIA_FRACTION.get(np.dtype(centers.dtype), 1.0) * scatter:
        return None
    return inertia


class _KMeansPredictMixin(CpuMixin, LazyAttributesPickleMixin):
    """predict / transform / score / fit_predict shared by the k-means estimators."""

    #: whether sparse X (scipy.sparse, Dask arrays of CSR chunks) is taken
    _accept_sparse = False

    def _sparse_arg(self):
        return "csr" if self._accept_sparse else False

    def _check_test_data(self, X):
        check_is_fitted(self)
        return validate_predict_data(self, X, accept_sparse=self._sparse_arg())

    def predict(self, X):
        """Index of the closest cluster center for each sample.

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
        >>> from dml.cluster import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
        >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> labels = km.predict(np.array([[0.0, 0.0], [12.0, 3.0]]))
        >>> bool(labels[0] == km.labels_[0]), bool(labels[1] == km.labels_[3])
        (True, True)
        """
        X = self._check_test_data(X)
        return self._labels(X)

    def _labels(self, X):
        return apply_blockwise(labels_block, X, n_outputs=None, dtype=np.int32, centers=self.cluster_centers_)

    def transform(self, X):
        """Distances of each sample to every cluster center.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray or Dask array of shape (n_samples, n_clusters)
            Lazy for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.cluster import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
        >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> D = km.transform(X)
        >>> D.shape, round(float(D.min(axis=1).max()), 6)
        ((6, 2), 2.0)
        """
        X = self._check_test_data(X)
        return self._transform(X)

    def _transform(self, X):
        centers = self.cluster_centers_
        # float32 X on a model fitted on float64 gives float64 distances, as scikit-learn
        dtype = np.result_type(X.dtype, centers.dtype)
        return apply_blockwise(
            distances_block, X, n_outputs=centers.shape[0], dtype=dtype, centers=centers, out_dtype=dtype
        )

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit and return ``labels_`` (lazy for Dask input).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        labels : ndarray or Dask array of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.cluster import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
        >>> labels = KMeans(n_clusters=2, random_state=0).fit_predict(X)
        >>> bool(labels[0] == labels[1] == labels[2] != labels[3] == labels[4] == labels[5])
        True
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit and return the distances of X to the centers (lazy for Dask input).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        X_new : ndarray or Dask array of shape (n_samples, n_clusters)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.cluster import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
        >>> KMeans(n_clusters=2, random_state=0).fit_transform(X).shape
        (6, 2)
        """
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the value of X on the k-means objective (one pass).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float

        Examples
        --------
        >>> import numpy as np
        >>> from dml.cluster import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
        >>> round(KMeans(n_clusters=2, random_state=0).fit(X).score(X), 6)
        -16.0
        """
        check_is_fitted(self)
        with validate_fit_data(
            self, X, None, sample_weight, reset=False, accept_sparse=self._sparse_arg()
        ) as data:
            res = map_reduce(
                inertia_kernel, data, broadcast=(self.cluster_centers_,), combine=combine_inertia
            )
            raise_if_not_finite(data, res["inertia"])
        return -float(to_numpy(res["inertia"]))

    def _set_labels(self, X):
        """labels_ of the training data: lazy for Dask input, else computed now."""
        X = validate_predict_data(self, X, accept_sparse=self._sparse_arg())
        self.labels_ = self._labels(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = self._accept_sparse
        return tags


class KMeans(
    _KMeansPredictMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator
):
    """K-Means clustering on row-chunked data (NumPy, pandas, Dask, CuPy).

    A drop-in for :class:`sklearn.cluster.KMeans` whose Lloyd iterations each run as a
    single fused pass over the data (reading, after the first ones, only the rows whose
    label may change), and whose default seeding, k-means|| (Bahmani et al., 2012),
    needs a handful of passes instead of one per center.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters to form.
    init : {'k-means||', 'k-means++', 'random'}, callable or array-like of shape \
            (n_clusters, n_features), default='k-means||'
        'k-means||': scalable k-means++ (one pass for the first center,
        ``KMEANS_PARALLEL_ROUNDS`` = 5 sampling rounds of about
        ``oversampling_factor * n_clusters`` points each, one pass to weight the
        candidates, then weighted k-means++ and Lloyd on the candidates in memory).
        'k-means++': greedy k-means++ as scikit-learn's (``2 + log(n_clusters)`` local
        trials), one pass per center. 'random': ``n_clusters`` rows drawn without
        replacement with probability proportional to ``sample_weight``. An array gives
        the initial centers. A callable is called as ``init(X, n_clusters,
        random_state=random_state)`` with X as passed to ``fit``.
    n_init : 'auto' or int, default='auto'
        Number of runs with different seedings; the best inertia is kept. 'auto' is 1
        for 'k-means||', 'k-means++' and an array, 10 for 'random' and a callable.
    max_iter : int, default=300
        Maximum number of Lloyd iterations of one run.
    tol : float, default=1e-4
        Relative tolerance: the run stops when the squared norm of the center shift is
        at most ``tol`` times the mean per-feature variance of X (scikit-learn's rule).
    verbose : int, default=0
        Print the inertia of every iteration.
    random_state : int, RandomState instance or None, default=None
        Seeds the seeding. The random draws over the data are hashed from the global
        row index, so the fitted model does not depend on the chunking.
    copy_x : bool, default=True
        X is never modified (nothing is centred in place), so both values behave
        the same; kept for scikit-learn compatibility.
    algorithm : {'lloyd', 'elkan'}, default='lloyd'
        Both run Lloyd's iterations exactly (same labels, centers and ``n_iter_``) and
        skip the rows whose label triangle-inequality bounds settle. 'lloyd' keeps
        Hamerly's bounds: per row, one upper and one lower bound (32 bytes of state).
        'elkan' keeps Elkan's: a lower bound per center (``8 * (n_clusters + 3)``
        bytes per row, as scikit-learn's 'elkan'), which settles more rows when a few
        centers move and the others stay (many clusters, late iterations). With one
        cluster 'elkan' falls back to 'lloyd' with a warning, as scikit-learn.
    oversampling_factor : float, default=2.0
        k-means|| draws about ``oversampling_factor * n_clusters`` candidates per round.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Coordinates of cluster centers, in X's dtype.
    labels_ : ndarray or Dask array of shape (n_samples,)
        Label of each training point for the final centers. A lazy Dask array when X
        is a Dask collection (nothing computed at fit), else a NumPy array.
    inertia_ : float
        Weighted sum of squared distances of the samples to their closest center
        (exact: squared differences, not expanded norms), for the final centers.
    n_iter_ : int
        Lloyd iterations of the best run.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: one pass for the per-feature moments (the tolerance, the centring
    shift and the NaN/inf check) fused with the first draws of the seeding (with an
    array ``init`` these ride on the first Lloyd iteration instead); k-means|| adds 5
    sampling passes and 1 weighting pass per run, each row's distance to its closest
    candidate kept on its worker so that a pass computes distances to the new
    candidates only (k-means++: one pass per center; 'random': one pass). Each Lloyd iteration is one pass and one round trip,
    and only ``(n_clusters, n_features)`` partials travel, combined on the workers.
    The first iteration computes, for every row, the distances to all centers by one
    matrix product per cache-sized row block, and keeps per row (in the memory of the
    worker holding the chunk, 32 bytes per row) its label and Hamerly's bounds on the
    distances to its center and to the others (``algorithm='elkan'``: to each other
    center); later iterations move the bounds by
    how far the centers moved and recompute only the rows whose label may change
    (near-ties always), moving their weighted values between the per-cluster sums. The
    iterations are Lloyd's exactly (same labels, centers, ``n_iter_``); as the centers
    settle, an iteration reads a shrinking fraction of X. An empty cluster costs one
    extra pass (it is moved to the farthest point, as scikit-learn does). One final
    pass labels the rows for the final centers and gives their inertia and cluster
    sizes from the per-cluster sums and each chunk's scatter, or, when that identity
    would cancel (tight clusters), one more pass sums the squared differences.
    Memory per task: one chunk plus O(block rows x n_clusters). ``labels_`` is computed at fit for
    in-memory input and is lazy (one blockwise pass when computed) for Dask input.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.cluster import KMeans
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_[:, 0].tolist())
    [1.0, 10.0]
    """

    _accept_sparse = True

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means||", "k-means++", "random"}), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "copy_x": ["boolean"],
        "algorithm": [StrOptions({"lloyd", "elkan"})],
        "oversampling_factor": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means||",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        verbose=0,
        random_state=None,
        copy_x=True,
        algorithm="lloyd",
        oversampling_factor=2.0,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.random_state = random_state
        self.copy_x = copy_x
        self.algorithm = algorithm
        self.oversampling_factor = oversampling_factor

    def _n_init(self):
        init = self.init
        if self.n_init == "auto":
            if isinstance(init, str) and init == "random" or callable(init):
                n_init = 10
            else:
                n_init = 1
        else:
            n_init = self.n_init
        return _one_init_for_explicit_centers(self, init, n_init)

    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            Training instances (float64 and float32 are kept; other types become
            float64).
        y : None
            Ignored.
        sample_weight : array-like or Dask array of shape (n_samples,), default=None
            Weights of the observations. Not used by a callable or array ``init``.

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from dml.cluster import KMeans
        >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
        >>> km = KMeans(n_clusters=2, random_state=0).fit(X)
        >>> round(km.inertia_, 6), km.cluster_centers_.shape
        (16.0, (2, 2))
        """
        check_params(self)
        with validate_fit_data(self, X, None, sample_weight, accept_sparse="csr") as data0:
            n_samples = data0.n_samples
            k = self.n_clusters
            if n_samples < k:
                raise ValueError(f"n_samples={n_samples} should be >= n_clusters={k}.")
            n_init = self._n_init()
            init = self.init
            init_array = _explicit_centers(init, k, data0.dtype, data0.n_features)
            elkan = self.algorithm == "elkan"
            if elkan and k == 1:
                warnings.warn(
                    "algorithm='elkan' doesn't make sense for a single cluster. Using 'lloyd' instead.",
                    RuntimeWarning,
                    stacklevel=2,
                )
                elkan = False
            rs = check_random_state(self.random_state)
            seed = int(rs.randint(np.iinfo(np.int32).max))
            if init_array is not None and not self.verbose and not data0.sparse:
                # no seeding: the checks and the tolerance ride on the first iteration,
                # centred at the initial centers' mean instead of the data's
                data, tol, shift = data0, None, init_array.mean(axis=0).astype(data0.dtype)
            else:
                data = with_row_index(data0)
                n_races = n_init if isinstance(init, str) and init != "random" else 0
                first = map_reduce(
                    first_pass_kernel, data, combine=combine_first_pass, seed=seed, n_races=n_races
                )
                raise_if_not_finite(data, first["mean"], first["m2"], first["wsum"])
                if sample_weight is not None:
                    _check_weights_nonzero(first["w_nonzero"])
                mean = to_numpy(first["mean"])
                var = to_numpy(first["m2"]) / max(n_samples, 1)
                tol = float(np.mean(var) * self.tol) if self.tol else 0.0
                shift = mean.astype(data.dtype)
            best = None
            for run in range(n_init):
                if init_array is not None:
                    centers = init_array
                elif callable(init):
                    centers = _explicit_centers(init(X, k, random_state=rs), k, data.dtype, data.n_features)
                elif init == "random":
                    centers = self._init_random(data, seed, run, shift)
                elif init == "k-means++":
                    centers = self._init_kmeanspp(data, seed, run, shift, first)
                else:
                    centers = self._init_kmeans_parallel(data, seed, run, shift, first, rs)
                if self.verbose:
                    print("Initialization complete")
                out = _lloyd(
                    data,
                    centers,
                    shift,
                    max_iter=self.max_iter,
                    tol=tol,
                    verbose=self.verbose,
                    tol_factor=self.tol,
                    weighted=sample_weight is not None,
                    elkan=elkan,
                )
                if best is None or out[1] < best[1]:
                    best = out
        centers, inertia, counts, n_iter = best
        distinct = int(np.count_nonzero(counts))
        if distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
                f"({self.n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.cluster_centers_ = centers
        self._n_features_out = centers.shape[0]
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        self._set_labels(X)
        return self

    # ------------------------------------------------------------------ seeding

    def _init_random(self, data, seed, run, shift):
        res = map_reduce(
            smallest_keys_kernel,
            data,
            broadcast=(shift, np.zeros((0, data.n_features))),
            combine=combine_smallest_keys,
            seed=seed,
            stream=1_000_000 + run,
            cap=self.n_clusters,
        )
        return to_numpy(res["rows"]).astype(data.dtype)

    def _init_kmeanspp(self, data, seed, run, shift, first):
        k = self.n_clusters
        trials = 2 + int(np.log(k))
        centers = to_numpy(first["rows"])[0, run : run + 1, :].astype(data.dtype)
        cand = None
        stream = 1_000_000 * (run + 2)
        for m in range(1, k + 1):
            n_races = trials if m < k else 0
            if cand is None and m == k:
                break
            res = map_reduce(
                races_kernel,
                data,
                broadcast=(shift, centers, cand),
                combine=combine_races,
                seed=seed,
                stream=stream + m,
                n_races=n_races,
            )
            rows = to_numpy(res["rows"]).astype(data.dtype)
            if cand is None:
                cand = rows[0]
                continue
            best = int(np.argmin(to_numpy(res["pot"])))
            centers = np.vstack([centers, cand[best : best + 1]])
            cand = rows[best] if n_races else None
        return centers

    def _init_kmeans_parallel(self, data, seed, run, shift, first, rs):
        # sklearn.cluster (every clustering estimator and its compiled code) loads only
        # when a k-means|| seeding reaches its in-memory step, not with this module
        from sklearn.cluster import KMeans as _HostKMeans

        k = self.n_clusters
        ell = self.oversampling_factor * k
        cap = int(np.ceil(3 * ell)) + 16
        cand = to_numpy(first["rows"])[0, run : run + 1, :].astype(data.dtype)
        stream = 1_000_000 * (run + 2)
        with chunk_cache(data) as cache:
            # each row's distance to its closest candidate stays on its worker between
            # rounds: a round computes the distances to the new candidates only
            for r in range(KMEANS_PARALLEL_ROUNDS):
                res = map_reduce(
                    smallest_keys_kernel,
                    data,
                    broadcast=(shift, cand),
                    combine=combine_smallest_keys,
                    seed=seed,
                    stream=stream + r,
                    cap=cap,
                    cache=cache,
                )
                phi = float(to_numpy(res["phi"]))
                if phi <= 0:
                    break
                key = to_numpy(res["key"])
                take = key < ell / phi
                if take.any():
                    cand = np.vstack([cand, to_numpy(res["rows"])[take].astype(data.dtype)])
            if cand.shape[0] < k:
                extra = self._init_random(data, seed, run, shift)
                cand = np.vstack([cand, extra[: k - cand.shape[0]]])
            if cand.shape[0] == k:
                return cand
            res = map_reduce(
                candidate_weights_kernel,
                data,
                broadcast=(shift, cand),
                combine=combine_candidate_weights,
                cache=cache,
            )
        weights = to_numpy(res["weights"])
        if not np.any(weights > 0):
            weights = np.ones_like(weights)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            host = _HostKMeans(n_clusters=k, init="k-means++", n_init=1, random_state=rs).fit(
                cand, sample_weight=weights
            )
        return host.cluster_centers_.astype(data.dtype)
