"""TruncatedSVD on row-chunked data: randomized power passes, or an exact TSQR."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from dml._base import CpuMixin, TransformerMixin, check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.allocation import kept_allocations
from dml._engine.blockwise import apply_blockwise, guard_finite
from dml._engine.inputs import (
    is_dask_collection,
    raise_if_not_finite,
    validate_fit_data,
    validate_predict_data,
)
from dml._engine.kernels import combine_centered, moments_kernel
from dml._engine.mapreduce import chunk_cache, chunk_groups, map_reduce, record_pass, run_kernel, settle
from dml._engine.memory import scheduler_workers
from dml._engine.namespace import to_numpy
from dml.decomposition._base import power_normalizer, svd_flip_v
from dml.decomposition._pca import arpack_gram, exact_svd
from dml.decomposition._pca_kernels import (
    combine_svd_power,
    projection_kernel,
    qr_r,
    reconstruction_kernel,
    slab_product,
    slab_r,
    slab_sum,
    stacked_r,
    svd_power_kernel,
    svd_slab_kernel,
)

#: the sparse formats scikit-learn's TruncatedSVD takes (others are converted to CSR)
_SPARSE = ["csr", "csc"]


def _orthonormal_map(R, dt):
    """``M`` such that ``Z M`` has orthonormal columns spanning the range of ``Z``, given
    the R factor of ``Z`` (``Z = Q R``, ``R = Ur Sr Vr^T``: ``Z Vr Sr^-1 = Q Ur``).
    Directions with ``Sr`` below ``eps * Sr[0]`` (a rank-deficient Z) are divided by
    that floor instead; Z = 0 gives M = 0."""
    _, Sr, Vrt = linalg.svd(R, full_matrices=False, check_finite=False)
    if not Sr.size or not Sr[0] > 0:  # Z = 0 (data of zeros): V = 0
        return np.zeros((R.shape[1], Sr.size), dtype=dt)
    return (Vrt.T / np.maximum(Sr, Sr[0] * np.finfo(Sr.dtype).eps)).astype(dt, copy=False)


def _rayleigh_ritz_map(R, k, rank, dt):
    """``C`` with ``Z C = B^T``, scikit-learn's ``B = Q^T X`` (``Q R = X V``, ``Z = X^T X
    V``), from the R factor of ``X V``: ``B^T = Z R^-1 Q``-rotation, through the SVD of
    R (a rank-deficient X V loses nothing but its null directions)."""
    _, Sr, Vrt = linalg.svd(R, full_matrices=False)
    # the iterations' precision (R itself is float64): float32 data round at float32's eps
    keep = int(np.sum(Sr > Sr[0] * rank * np.finfo(dt).eps)) if Sr.size else 0
    return (Vrt[:keep].T / Sr[:keep]).astype(dt, copy=False)  # (rank, keep)


def _complete(S, Vt, k):
    """``(S, Vt)`` completed to ``k`` rows when X V has numerical rank below ``k`` (data
    of rank < k): singular values 0 and unit vectors orthogonal to Vt's rows, from the
    coordinate axes Vt touches least (any orthonormal completion is a valid SVD)."""
    m = k - Vt.shape[0]
    if m <= 0:
        return S, Vt
    p = Vt.shape[1]
    E = np.zeros((m, p), dtype=Vt.dtype)
    E[np.arange(m), np.argsort(np.sum(Vt * Vt, axis=0), kind="stable")[:m]] = 1
    for _ in range(2):  # projected out twice (orthogonal to rounding)
        E -= (E @ Vt.T) @ Vt
    E = linalg.qr(E.T, mode="economic")[0].T.astype(Vt.dtype, copy=False)
    return np.concatenate([S, np.zeros(m, dtype=S.dtype)]), np.concatenate([Vt, E], axis=0)


def _left_map(Rb, C, k, dt):
    """Singular values of ``B^T = Z C`` and ``M`` with ``Z M`` its first ``k`` left
    singular vectors, from the R factor of ``Z C`` (``Rb = U2 S W^T``: ``Z C W S^-1``)."""
    _, S, Wt = linalg.svd(Rb, full_matrices=False, check_finite=False)
    kk = min(k, S.size)
    M = (C @ Wt[:kk].T) / np.maximum(S[:kk], S[0] * np.finfo(S.dtype).eps)
    return S, M.astype(dt, copy=False)


def randomized_svd_passes(data, k, rank, n_iter, normalizer, random_state):
    """scikit-learn's randomized SVD (``_randomized_svd`` without transposing) of the
    data, in ``n_iter + 1`` passes of :func:`svd_power_kernel` (or
    :func:`svd_slab_kernel`, on a cluster).

    The random block is scikit-learn's (``normal(size=(n_features, rank))``, float32 for
    float32 data). Each power iteration is one pass ``Z = X^T (X V)`` followed by the
    normaliser on Z: 'LU' and 'QR' both take ``V = Z R^-1`` up to a rotation (R from a
    QR of Z, :func:`_orthonormal_map`), orthonormal columns spanning the column space
    of scikit-learn's LU or QR factor (scikit-learn also normalises ``X V``, which only
    rescales the same column space: the subspace, hence the result, is the same in
    exact arithmetic; 'none' orthonormalises V once before the last pass, for the same
    reason). The first pass also returns the feature moments (means, variances, the
    finiteness check). The last pass returns ``Z = X^T (X V)`` and the R factor of
    ``X V`` (TSQR), which give scikit-learn's ``B = Q^T X`` with ``Q R = X V`` as
    ``B^T = Z C`` (:func:`_rayleigh_ritz_map`); the R factor of ``Z C`` then gives the
    singular values and, as ``Z M`` (:func:`_left_map`), the right singular vectors.

    Persisted CSR chunks on a cluster keep V and Z on the workers, as one row slab per
    worker (:func:`_slab_passes`): only ``(rank, rank)`` factors and the output
    ``(n_features, k)`` block travel to the caller.

    Returns
    -------
    S : (max(k, keep),) singular values (``keep``: the numerical rank of X V); Vt :
    (k, n_features) right singular vectors (completed by :func:`_complete` when
    ``keep < k``); mom : the moments (``mean``, ``m2``).
    """
    dt = np.float32 if data.dtype == np.float32 else np.float64
    normalizer = power_normalizer(normalizer, n_iter)
    with chunk_cache(data) as token:
        if data.mode == "distributed" and not data.lazy and data.sparse:
            return _slab_passes(data, token, random_state, k, rank, n_iter, normalizer, dt)
        V = random_state.normal(size=(data.n_features, rank)).astype(dt, copy=False)
        cache = None if data.lazy else token  # lazy data streams: no transposes kept
        mom = None
        for i in range(n_iter + 1):
            last = i == n_iter
            if last and normalizer == "none" and n_iter > 0:
                V = V @ _orthonormal_map(slab_r(V), dt)
            part = map_reduce(
                svd_power_kernel,
                data,
                broadcast=(V,),
                combine=combine_svd_power,
                accumulate=True,
                cache=cache,
                moments=i == 0,
                r_factor=last,
            )
            if i == 0:
                mom = part["mom"]
                raise_if_not_finite(data, mom["mean"], mom["m2"])
            Z = to_numpy(part.pop("Z"))
            if not last:
                del part
                V = Z if normalizer == "none" else Z @ _orthonormal_map(slab_r(Z), dt)
                del Z
    C = _rayleigh_ritz_map(to_numpy(part["R"]), k, rank, dt)
    if not C.shape[1]:
        return (*_complete(np.zeros(0, dtype=dt), np.zeros((0, data.n_features), dtype=dt), k), mom)
    S, M = _left_map(slab_r(Z, C), C, k, dt)
    return (*_complete(S, np.ascontiguousarray((Z @ M).T), k), mom)


def _slab_group(Xs, kws, V, M, bounds, moments, r_factor):
    """One task of a slab pass: :func:`svd_slab_kernel` folded over a worker thread's
    chunks (V's slabs settled once, not per chunk), under
    :func:`~dml._engine.allocation.kept_allocations`."""
    V = tuple(settle(v) for v in V)
    acc = None
    # the products' temporaries reused, not page-faulted afresh; at most 128 MiB of freed
    # heap kept (a worker's peak memory stays that of its slabs)
    with kept_allocations(trim_threshold=128 << 20):
        for X, kw in zip(Xs, kws):
            kw = dict(kw, bounds=bounds, M=M, moments=moments, r_factor=r_factor, out=acc)
            acc = run_kernel(svd_slab_kernel, X, None, None, V, kw)
    return acc


def _pick(part, key, index=None):
    """``part[key]`` (``part[key][index]``): a group partial's piece, taken where it lies."""
    return part[key] if index is None else part[key][index]


def _slab_passes(data, token, random_state, k, rank, n_iter, normalizer, dt):
    """:func:`randomized_svd_passes` with V and Z kept on the workers as row slabs.

    Feature slab ``s`` (``bounds[s]:bounds[s+1]``) lives on worker ``owners[s]``. A pass
    runs one :func:`_slab_group` task per worker thread (its chunks, all of V's slabs:
    the remote ones travel between workers), which returns one ``Z`` partial per slab;
    each slab's partials are summed on its owner. The normaliser needs only the slabs'
    R factors (``(rank, rank)``, gathered and merged here: TSQR); its small map M goes
    with Z's slabs to the next pass, which applies it to ``X Z`` (``X (Z M) = (X Z)
    M``): the normalised block is never formed. The final Rayleigh-Ritz step likewise gathers
    R factors only, and the ``(n_features, k)`` right singular vectors at the end.
    """
    client = data.client
    groups = chunk_groups(data)
    owners = sorted({w for w, _ in groups if w is not None}) or sorted(scheduler_workers(client))
    p = data.n_features
    owners = owners[: max(1, min(len(owners), p // max(1, rank)))]
    n_s = len(owners)
    bounds = [int(b) for b in np.linspace(0, p, n_s + 1)]

    def on(s, func, *args):
        return client.submit(func, *args, workers=[owners[s]], allow_other_workers=True, pure=False)

    def normaliser(Zs):  # the block is Z M, applied by the next pass to X Z
        return _orthonormal_map(stacked_r(client.gather([on(s, slab_r, Z) for s, Z in enumerate(Zs)])), dt)

    # scikit-learn's block drawn slab by slab (the same stream: rows are drawn in order)
    Vs = [
        client.scatter(
            random_state.normal(size=(b - a, rank)).astype(dt, copy=False), workers=[w], hash=False
        )
        for a, b, w in zip(bounds[:-1], bounds[1:], owners)
    ]
    mom = Rx = M = None
    for i in range(n_iter + 1):
        last = i == n_iter
        if last and normalizer == "none" and n_iter > 0:
            M = normaliser(Vs)
        record_pass(svd_slab_kernel)
        if data._progress is not None:
            data._progress.update(1)
        parts = [
            client.submit(
                _slab_group,
                [data.X[j] for j in idx],
                [{"_cache": (token, j)} for j in idx],
                Vs,
                M,
                bounds,
                i == 0,
                last,
                pure=False,
                **({} if worker is None else {"workers": [worker], "allow_other_workers": True}),
            )
            for worker, idx in groups
        ]
        Vs = None  # the pass's tasks hold the block's slabs: freed as soon as they ran
        # each slab's partials, the owner's own first (summed into, where it lies)
        mine = [sorted(range(len(parts)), key=lambda g: groups[g][0] != owners[s]) for s in range(n_s)]
        Zs = [
            on(s, slab_sum, *[client.submit(_pick, parts[g], "Z", s, pure=False) for g in mine[s]])
            for s in range(n_s)
        ]
        if i == 0:
            mom = combine_centered(client.gather([client.submit(_pick, g, "mom", pure=False) for g in parts]))
            raise_if_not_finite(data, mom["mean"], mom["m2"])
        if last:
            Rx = stacked_r(client.gather([client.submit(_pick, g, "R", pure=False) for g in parts]))
        del parts
        if not last:
            Vs, M = Zs, (None if normalizer == "none" else normaliser(Zs))
            del Zs
    C = _rayleigh_ritz_map(Rx, k, rank, dt)
    if not C.shape[1]:
        return (*_complete(np.zeros(0, dtype=dt), np.zeros((0, p), dtype=dt), k), mom)
    S, M = _left_map(stacked_r(client.gather([on(s, slab_r, Z, C) for s, Z in enumerate(Zs)])), C, k, dt)
    Vt = np.concatenate(client.gather([on(s, slab_product, Z, M, True) for s, Z in enumerate(Zs)]), axis=1)
    return (*_complete(S, Vt, k), mom)


class TruncatedSVD(CpuMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Dimensionality reduction by truncated SVD (no centring), on row-chunked data.

    A drop-in for :class:`sklearn.decomposition.TruncatedSVD`, dense or sparse input
    (``scipy.sparse`` matrices or arrays, Dask arrays of CSR chunks: its main use, as
    latent semantic analysis of hashed or tf-idf features).

    Parameters
    ----------
    n_components : int, default=2
        Desired dimensionality of the output.
    algorithm : {'randomized', 'arpack'}, default='randomized'
        'randomized': randomized SVD, one pass per power iteration. 'arpack': computed
        exactly (TSQR of the data, one pass) and truncated; exact, hence within any
        ``tol``.
    n_iter : int, default=5
        Power iterations of the randomized algorithm.
    n_oversamples : int, default=10
        Extra random vectors of the randomized algorithm.
    power_iteration_normalizer : {'auto', 'QR', 'LU', 'none'}, default='auto'
        Normalisation between power iterations ('auto': 'none' for ``n_iter <= 2``,
        else 'LU', as scikit-learn). 'LU' and 'QR' both orthonormalise by a TSQR
        (the same subspace as scikit-learn's factors, see Notes).
    random_state : int, RandomState instance or None, default=None
        Seeds the random vectors (the same draws as scikit-learn's).
    tol : float, default=0.0
        ARPACK tolerance; the exact 'arpack' path satisfies any tol.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
    explained_variance_ : ndarray of shape (n_components,)
        Variance of each projected column, ``||X v||^2 / n - (mean(X) . v)^2`` (with
        ``||X v||`` the singular value).
    explained_variance_ratio_ : ndarray of shape (n_components,)
    singular_values_ : ndarray of shape (n_components,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: 'randomized' is scikit-learn's randomized SVD (same random block, same
    ``n_iter`` and ``n_oversamples``) in ``n_iter + 1`` passes: each pass computes
    ``Z = X^T (X V)`` for the ``(n_features, r)`` block V (``r = n_components +
    n_oversamples``), the first also the per-feature means and variances (and the
    finiteness check), the last also the R factor of ``X V`` (TSQR), from which
    ``B^T = Z R^-1`` (up to a rotation) is scikit-learn's ``(Q^T X)^T``; the R factor of
    ``B^T`` and its small SVD give the singular values and components (equal to
    scikit-learn's to rounding when ``n_samples >= n_features``; with fewer samples
    scikit-learn draws its block on the sample side, so the two agree to the power
    iterations' convergence). Normaliser: 'LU' (the 'auto' choice for ``n_iter > 2``)
    and 'QR' both orthonormalise Z between passes by its R factor (TSQR): the column
    space of scikit-learn's LU or QR factor, so the fit still equals scikit-learn's to
    rounding (the tests check 1e-12 on the singular values, 1e-10 on the components),
    but an LU factor is never formed, as it cannot be assembled from row slabs;
    'none' orthonormalises once before the last pass (scikit-learn also normalises
    ``X V``, which rescales the same column space). Data of numerical rank below
    ``n_components`` get zero singular values and orthonormal completing components.
    float32 data iterate in float32, as scikit-learn. Persisted CSR chunks on a
    cluster keep V and Z on the workers, one row slab of ``n_features / n_workers``
    rows per worker: a pass runs one task per worker thread over its chunks (all of
    V's slabs as input, one Z partial per slab out), each slab's partials are summed
    on its worker, and only ``(r, r)`` R factors reach the caller, plus the
    ``(n_components, n_features)`` components at the end (the normaliser's
    ``(r, r)`` map goes with Z's slabs to the next pass, which applies it to the small
    ``X Z``); memory per task is its chunks plus two ``(n_features, r)`` blocks (V's
    slabs in, one Z partial per slab out), and per worker about that at the peak (a
    partial received from another worker is summed into the worker's own).
    Elsewhere (in memory, local Dask, dense or lazy chunks) a task folds its chunks
    into one Z buffer (its chunks plus V and Z) and the caller normalises Z. A CSR
    chunk keeps its transpose on its worker for the fit's passes (twice the chunk's
    nonzeros; not for lazy data, which streams). 'arpack' on dense data is one TSQR
    pass (exact). ``transform`` is blockwise: Dask in, lazy Dask out.

    Sparse X is never densified: 'randomized' computes ``X V`` and ``X^T (X V)`` per
    CSR chunk by sparse products (O(nnz * (n_components + n_oversamples)) work), so
    ``n_features = 2**20`` fits; 'arpack' runs ARPACK's Lanczos
    (``scipy.sparse.linalg.eigsh``) on ``X^T X``, one pass per operator product (tens
    of passes: prefer 'randomized' for Dask input). ``transform`` of sparse X is one
    sparse product per chunk (dense output).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.decomposition import TruncatedSVD
    >>> X = np.random.default_rng(0).normal(size=(100, 6))
    >>> TruncatedSVD(n_components=2, random_state=0).fit_transform(X).shape
    (100, 2)
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "algorithm": [StrOptions({"arpack", "randomized"})],
        "n_iter": [Interval(Integral, 0, None, closed="left")],
        "n_oversamples": [Interval(Integral, 1, None, closed="left")],
        "power_iteration_normalizer": [StrOptions({"auto", "QR", "LU", "none"})],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        algorithm="randomized",
        n_iter=5,
        n_oversamples=10,
        power_iteration_normalizer="auto",
        random_state=None,
        tol=0.0,
    ):
        self.algorithm = algorithm
        self.n_components = n_components
        self.n_iter = n_iter
        self.n_oversamples = n_oversamples
        self.power_iteration_normalizer = power_iteration_normalizer
        self.random_state = random_state
        self.tol = tol

    def fit(self, X, y=None):
        """Fit the model on X.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import TruncatedSVD
        >>> X = np.random.default_rng(0).normal(size=(100, 6))
        >>> TruncatedSVD(n_components=2, random_state=0).fit(X).singular_values_.shape
        (2,)
        """
        check_params(self)
        with validate_fit_data(self, X, accept_sparse=_SPARSE) as data:
            n, p = data.n_samples, data.n_features
            if p < 2:
                raise ValueError(
                    f"Found array with {p} feature(s) (shape=({n}, {p})) while a minimum "
                    f"of 2 is required by {type(self).__name__}."
                )
            k = self.n_components
            random_state = check_random_state(self.random_state)
            if self.algorithm == "arpack":
                if not 0 < k < min(n, p):
                    raise ValueError(f"`k` must be an integer satisfying `0 < k < min(A.shape)`, got k={k}.")
            if self.algorithm == "arpack" and data.sparse:
                mom = map_reduce(moments_kernel, data, combine=combine_centered)
                raise_if_not_finite(data, mom["mean"], mom["m2"])
                mean, var = to_numpy(mom["mean"]), to_numpy(mom["m2"]) / n
                S, Vt = arpack_gram(data, k, self.tol, random_state)
            elif self.algorithm == "arpack":
                mean_c, _, _, stats = exact_svd(data)
                n_f = float(n)
                R = to_numpy(stats["R"])
                R = qr_r(np.vstack([R, np.sqrt(n_f) * mean_c[None, :]]), np)
                _, S, Vt = linalg.svd(R, full_matrices=False)
                mean = mean_c
                var = np.sum(R**2, axis=0) / n - mean**2
            else:
                if k > p:
                    raise ValueError(f"n_components({k}) must be <= n_features({p}).")
                rank = min(k + self.n_oversamples, p)
                S, Vt, mom = randomized_svd_passes(
                    data, k, rank, self.n_iter, self.power_iteration_normalizer, random_state
                )
                mean = to_numpy(mom["mean"])
                var = to_numpy(mom["m2"]) / n
        S, Vt = S[:k], svd_flip_v(Vt[:k])
        exp_var = S**2 / n - (Vt @ mean) ** 2
        dt = data.dtype
        self.components_ = np.ascontiguousarray(Vt, dtype=dt)
        self.explained_variance_ = np.asarray(np.maximum(exp_var, 0.0), dtype=dt)
        self.explained_variance_ratio_ = np.asarray(exp_var / np.sum(var), dtype=dt)
        self.singular_values_ = np.asarray(S, dtype=dt)
        return self

    def fit_transform(self, X, y=None):
        """Fit on X and return its projection (lazy for Dask input).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        X_new : ndarray or Dask array of shape (n_samples, n_components)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import TruncatedSVD
        >>> X = np.random.default_rng(0).normal(size=(100, 6))
        >>> TruncatedSVD(n_components=2, random_state=0).fit_transform(X).shape
        (100, 2)
        """
        return self.fit(X).transform(X)

    def transform(self, X):
        """Project X on the components.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray or Dask array of shape (n_samples, n_components)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import TruncatedSVD
        >>> X = np.random.default_rng(0).normal(size=(100, 6))
        >>> svd = TruncatedSVD(n_components=2, random_state=0).fit(X)
        >>> svd.transform(X[:5]).shape
        (5, 2)
        """
        check_is_fitted(self)
        X = validate_predict_data(self, X, accept_sparse=_SPARSE)
        components = self.components_

        def func(chunk, *, xp):
            return guard_finite(projection_kernel(chunk, xp=xp, mean=None, components=components), chunk)

        return apply_blockwise(func, X, n_outputs=components.shape[0], dtype=X.dtype)

    def inverse_transform(self, X):
        """Transform X back to its original space.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_components)

        Returns
        -------
        X_original : ndarray or Dask array of shape (n_samples, n_features)

        Examples
        --------
        >>> import numpy as np
        >>> from dml.decomposition import TruncatedSVD
        >>> X = np.random.default_rng(0).normal(size=(100, 6))
        >>> svd = TruncatedSVD(n_components=2, random_state=0).fit(X)
        >>> svd.inverse_transform(svd.transform(X)).shape
        (100, 6)
        """
        check_is_fitted(self)
        components = self.components_
        if is_dask_collection(X):
            if len(X.chunks[1]) > 1:
                X = X.rechunk({1: -1})
        else:
            X = np.asarray(X)

        def func(chunk, *, xp):
            return reconstruction_kernel(chunk, xp=xp, mean=None, components=components)

        return apply_blockwise(func, X, n_outputs=components.shape[1], dtype=components.dtype)

    @property
    def _n_features_out(self):
        return self.components_.shape[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        return tags
