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
from dml._engine.blockwise import apply_blockwise, guard_finite
from dml._engine.inputs import (
    is_dask_collection,
    raise_if_not_finite,
    validate_fit_data,
    validate_predict_data,
)
from dml._engine.kernels import combine_centered, moments_kernel
from dml._engine.mapreduce import chunk_cache, map_reduce
from dml._engine.namespace import to_numpy
from dml.decomposition._base import normalize_power, power_normalizer, svd_flip_v
from dml.decomposition._pca import arpack_gram, exact_svd
from dml.decomposition._pca_kernels import (
    combine_svd_power,
    projection_kernel,
    qr_r,
    reconstruction_kernel,
    svd_power_kernel,
)

#: the sparse formats scikit-learn's TruncatedSVD takes (others are converted to CSR)
_SPARSE = ["csr", "csc"]


def randomized_svd_passes(data, k, rank, n_iter, normalizer, random_state):
    """scikit-learn's randomized SVD (``_randomized_svd`` without transposing) of the
    data, in ``n_iter + 1`` passes of :func:`svd_power_kernel`.

    The random block is scikit-learn's (``normal(size=(n_features, rank))``, float32 for
    float32 data). Each power iteration is one pass ``Z = X^T (X V)`` followed by the
    normaliser on Z (scikit-learn also normalises ``X V``, which only rescales the same
    column space: the subspace, hence the result, is the same in exact arithmetic; 'none'
    orthonormalises V once before the last pass, for the same reason). The first pass
    also returns the feature moments (means, variances, the finiteness check). The last
    pass returns ``Z = X^T (X V)`` and the R factor of ``X V`` (TSQR), which give
    scikit-learn's ``B = Q^T X`` with ``Q R = X V`` as ``R^-T Z^T``, whose SVD gives the
    singular values and components.

    Returns
    -------
    S : (rank,) singular values; Vt : (rank, n_features) right singular vectors; mom :
    the moments (``mean``, ``m2``).
    """
    dt = np.float32 if data.dtype == np.float32 else np.float64
    V = random_state.normal(size=(data.n_features, rank)).astype(dt, copy=False)
    normalizer = power_normalizer(normalizer, n_iter)
    mom = None
    with chunk_cache(data) as token:
        cache = None if data.lazy else token  # lazy data streams: no transposes kept
        for i in range(n_iter + 1):
            last = i == n_iter
            if last and normalizer == "none" and n_iter > 0:
                V = linalg.qr(V, mode="economic", check_finite=False)[0]
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
                V = normalize_power(Z, normalizer)
                del Z
    # B = Q^T X = R^-T Z^T, through the SVD of R (a rank-deficient X V loses nothing
    # but its null directions): R = Ur Sr Vr^T, B ~ Sr^-1 Vr^T Z^T up to the rotation Ur
    Ur, Sr, Vrt = linalg.svd(to_numpy(part["R"]), full_matrices=False)
    keep = max(k, int(np.sum(Sr > Sr[0] * rank * np.finfo(Sr.dtype).eps))) if Sr.size else 0
    keep = min(keep, Sr.size)
    C = (Vrt[:keep].T / Sr[:keep]).astype(dt, copy=False)  # (rank, keep)
    Bt = Z @ C  # (n_features, keep) = B^T
    del Z
    Vs, S, _ = linalg.svd(Bt, full_matrices=False, check_finite=False)
    return S, np.ascontiguousarray(Vs.T), mom


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
        Normalisation between power iterations.
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
    ``n_iter``, ``n_oversamples`` and normaliser) in ``n_iter + 1`` passes: each pass
    computes ``Z = X^T (X V)`` for the ``(n_features, n_components + n_oversamples)``
    block V, the first also the per-feature means and variances (and the finiteness
    check), the last also the R factor of ``X V`` (TSQR), from which ``R^-T Z^T`` is
    scikit-learn's ``Q^T X`` and its SVD the singular values and components (equal to
    scikit-learn's to rounding when ``n_samples >= n_features``; with fewer samples
    scikit-learn draws its block on the sample side, so the two agree to the power
    iterations' convergence). The normaliser ('LU', 'QR') is applied to Z in the
    caller between passes (scikit-learn also normalises ``X V``, which rescales the
    same column space). float32 data iterate in float32, as scikit-learn. A task on a
    cluster runs a worker thread's chunks and folds them into one Z buffer, so memory
    per task is its chunks plus two ``(n_features, n_components + n_oversamples)``
    blocks (V and Z) whatever the number of chunks; a CSR chunk also keeps its
    transpose on its worker for the fit's passes (twice the chunk's nonzeros; not
    for lazy data, which streams). 'arpack' on dense data is one TSQR pass (exact).
    ``transform`` is blockwise: Dask in, lazy Dask out.

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
