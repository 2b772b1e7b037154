"""PCA on row-chunked data: exact TSQR, one-pass covariance, randomized power passes."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn.utils import check_random_state

from dml._base import check_params
from dml._compat.sklearn import Interval, RealNotInt, StrOptions, infer_pca_dimension
from dml._engine.inputs import raise_if_not_finite, validate_fit_data
from dml._engine.kernels import combine_centered, gram_kernel, moments_kernel
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import is_dask_collection, is_sparse, to_numpy
from dml.decomposition._base import _BasePCA, normalize_power, power_normalizer, svd_flip_v
from dml.decomposition._pca_kernels import combine_tsqr, power_kernel, sparse_scatter_kernel, tsqr_kernel


def exact_svd(data):
    """Mean, singular values and right singular vectors of the centred data (TSQR,
    one pass)."""
    stats = map_reduce(tsqr_kernel, data, combine=combine_tsqr)
    raise_if_not_finite(data, stats["mean"], stats["R"])
    R = to_numpy(stats["R"])
    _, S, Vt = linalg.svd(R, full_matrices=False)
    r = min(data.n_samples, data.n_features)  # merged R may carry extra (zero) rows
    return to_numpy(stats["mean"]), S[:r], Vt[:r], stats


def arpack_gram(data, k, tol, random_state, mean=None):
    """The top ``k`` singular values and right singular vectors of the (implicitly
    centred, ``mean`` not None) data by ARPACK's Lanczos on ``Xc^T Xc``: each operator
    product is one pass of :func:`power_kernel` (two sparse products per CSR chunk),
    so nothing of size n_features^2 is formed (sparse input, any width)."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    p = data.n_features
    shift = None if mean is None else np.asarray(mean, dtype=data.dtype)

    def matvec(v):
        V = np.asarray(v, dtype=data.dtype).reshape(p, 1)
        return to_numpy(map_reduce(power_kernel, data, broadcast=(V, shift))["Z"])[:, 0]

    op = LinearOperator((p, p), matvec=matvec, dtype=np.float64)
    v0 = random_state.uniform(-1, 1, p)
    vals, vecs = eigsh(op, k=k, tol=tol, v0=v0, which="LM")
    order = np.argsort(vals)[::-1]
    return np.sqrt(np.maximum(vals[order], 0.0)), np.ascontiguousarray(vecs[:, order].T)


def randomized_power(data, mean, rank, n_iter, normalizer, random_state):
    """Randomized SVD by power passes over the data: each pass computes
    ``Z = Xc^T Xc V`` for a (n_features, rank) block V.

    Returns the singular values and right singular vectors (rows) of the centred data
    (``mean=None``: uncentred), from the SVD of the last Z.
    """
    p = data.n_features
    V = random_state.normal(size=(p, rank))
    normalizer = power_normalizer(normalizer, n_iter)
    shift = None if mean is None else np.asarray(mean, dtype=data.dtype)
    for _ in range(n_iter):
        Z = to_numpy(map_reduce(power_kernel, data, broadcast=(V.astype(data.dtype), shift))["Z"])
        V = normalize_power(Z, normalizer)
    V = linalg.qr(V, mode="economic")[0]
    Z = to_numpy(map_reduce(power_kernel, data, broadcast=(V.astype(data.dtype), shift))["Z"])
    U, s2, _ = linalg.svd(Z, full_matrices=False)
    return np.sqrt(np.maximum(s2, 0.0)), U.T


class PCA(_BasePCA):
    """Principal component analysis on row-chunked data (NumPy, pandas, Dask, CuPy).

    A drop-in for :class:`sklearn.decomposition.PCA`. Sparse input (``scipy.sparse``,
    Dask arrays of CSR chunks) is taken where scikit-learn takes it: 'arpack' (the
    'auto' choice for sparse X) and 'covariance_eigh', centred implicitly (never
    densified); the other solvers raise scikit-learn's TypeError. Components follow
    scikit-learn's sign convention (``svd_flip`` on the components), so they match.

    Parameters
    ----------
    n_components : int, float, 'mle' or None, default=None
        Number of components to keep: all (``min(n_samples, n_features)``) if None; an
        int; a float in (0, 1) selects the number of components explaining that
        fraction of the variance; 'mle' uses Minka's MLE (exact solvers).
    copy : bool, default=True
        X is never modified (centring happens block by block), so both values behave
        the same; kept for scikit-learn compatibility.
    whiten : bool, default=False
        Scale the projected data to unit variance.
    svd_solver : {'auto', 'full', 'covariance_eigh', 'arpack', 'randomized'}, default='auto'
        'full': exact SVD by TSQR over the row chunks (one pass). 'covariance_eigh':
        eigendecomposition of the covariance matrix accumulated in one pass (fastest;
        relative accuracy about ``cond(X)^2 * eps`` for the small components).
        'randomized': randomized SVD, one pass per power iteration. 'arpack' is computed
        exactly (as 'full') and then truncated, with ARPACK's restrictions on
        ``n_components``; the result is exact, hence within any ``tol``. 'auto' picks as
        scikit-learn: 'covariance_eigh' when ``n_features <= 1000`` and ``n_samples >=
        10 * n_features``, else 'full' for small data or 'mle', else 'randomized' for
        ``n_components < 0.8 * min(n_samples, n_features)``, else 'full'.
    tol : float, default=0.0
        ARPACK tolerance; the 'arpack' solver here is exact, which satisfies any tol.
    iterated_power : int or 'auto', default='auto'
        Power iterations of the randomized solver ('auto': 7 if ``n_components < 0.1 *
        min(X.shape)`` else 4).
    n_oversamples : int, default=10
        Extra random vectors of the randomized solver.
    power_iteration_normalizer : {'auto', 'QR', 'LU', 'none'}, default='auto'
        Normalisation between power iterations ('auto': 'none' if ``iterated_power <=
        2`` else 'LU').
    random_state : int, RandomState instance or None, default=None
        Seeds the random vectors of the randomized solver (the same draws as
        scikit-learn's).

    Attributes
    ----------
    components_ : ndarray of shape (n_components_, n_features)
    explained_variance_ : ndarray of shape (n_components_,)
    explained_variance_ratio_ : ndarray of shape (n_components_,)
    singular_values_ : ndarray of shape (n_components_,)
    mean_ : ndarray of shape (n_features,)
    n_components_ : int
    n_samples_ : int
    noise_variance_ : float
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: 'full' and 'arpack' make one pass: every chunk returns its mean, the R
    factor of its centred rows (QR of cache-sized row blocks merged exactly) and its
    row count; partials merge exactly in a tree by stacking ``[R_a; R_b; sqrt(n_a n_b /
    n) (mean_a - mean_b)]`` and factoring again, and the SVD of the final
    ``(n_features, n_features)`` R gives the singular values and components.
    'covariance_eigh' makes one pass accumulating the centred scatter matrix (float64,
    Chan's merge). 'randomized' makes one pass for the mean and total variance, then
    ``iterated_power + 1`` passes, each computing ``Xc^T (Xc V)`` for an
    ``(n_features, n_components + n_oversamples)`` block V (the Krylov subspace of
    scikit-learn's randomized SVD; the values come from the SVD of the last product).
    Memory per task: one chunk plus O(n_features^2). ``transform`` / ``inverse_transform``
    / ``score_samples`` are blockwise: Dask in, lazy Dask out.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.decomposition import PCA
    >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]], dtype=float)
    >>> PCA(n_components=2).fit(X).explained_variance_ratio_.round(4)
    array([0.9924, 0.0076])
    """

    _sparse_transform = True

    _parameter_constraints = {
        "n_components": [
            Interval(Integral, 0, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
            StrOptions({"mle"}),
            None,
        ],
        "copy": ["boolean"],
        "whiten": ["boolean"],
        "svd_solver": [StrOptions({"auto", "full", "covariance_eigh", "arpack", "randomized"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "iterated_power": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
        "n_oversamples": [Interval(Integral, 1, None, closed="left")],
        "power_iteration_normalizer": [StrOptions({"auto", "QR", "LU", "none"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        copy=True,
        whiten=False,
        svd_solver="auto",
        tol=0.0,
        iterated_power="auto",
        n_oversamples=10,
        power_iteration_normalizer="auto",
        random_state=None,
    ):
        self.n_components = n_components
        self.copy = copy
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.tol = tol
        self.iterated_power = iterated_power
        self.n_oversamples = n_oversamples
        self.power_iteration_normalizer = power_iteration_normalizer
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit the model with X.

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
        >>> from dml.decomposition import PCA
        >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]], dtype=float)
        >>> pca = PCA(n_components=1).fit(X)
        >>> pca.n_components_, pca.components_.shape
        (1, (1, 2))
        """
        check_params(self)
        meta = getattr(X, "_meta", None) if is_dask_collection(X) else X
        if is_sparse(meta) and self.svd_solver not in ("auto", "arpack", "covariance_eigh"):
            raise TypeError(
                'PCA only support sparse inputs with the "arpack" and'
                f' "covariance_eigh" solvers, while "{self.svd_solver}" was passed. See'
                " TruncatedSVD for a possible alternative."
            )
        # One pass for the covariance / TSQR solvers; the randomized ones iterate.
        with validate_fit_data(self, X, iterative=False, accept_sparse=("csr", "csc")) as data:
            n, p = data.n_samples, data.n_features
            solver = self.svd_solver
            if solver == "auto" and data.sparse:
                solver = "arpack"  # scikit-learn's choice for sparse input
            if self.n_components is None:
                n_components = min(n, p) - 1 if solver == "arpack" else min(n, p)
            else:
                n_components = self.n_components
            if solver == "auto":
                if p <= 1_000 and n >= 10 * p:
                    solver = "covariance_eigh"
                elif max(n, p) <= 500 or n_components == "mle":
                    solver = "full"
                elif 1 <= n_components < 0.8 * min(n, p):
                    solver = "randomized"
                else:
                    solver = "full"
            self._fit_svd_solver = solver
            if solver in ("full", "covariance_eigh"):
                self._fit_full(data, n_components, solver)
            else:
                self._fit_truncated(data.for_iterations(), n_components, solver)
        return self

    def _fit_full(self, data, n_components, solver):
        n, p = data.n_samples, data.n_features
        if n_components == "mle":
            if n < p:
                raise ValueError("n_components='mle' is only supported if n_samples >= n_features")
        elif not 0 <= n_components <= min(n, p):
            raise ValueError(
                f"n_components={n_components} must be between 0 and "
                f"min(n_samples, n_features)={min(n, p)} with svd_solver={solver!r}"
            )
        if solver == "full":
            mean, S, Vt, _ = exact_svd(data)
            explained = S**2 / (n - 1) if n > 1 else S**2 * np.inf
        else:
            kernel = sparse_scatter_kernel if data.sparse else gram_kernel
            stats = map_reduce(kernel, data, combine=combine_centered)
            raise_if_not_finite(data, stats["mean"], stats["scatter"])
            mean = to_numpy(stats["mean"])
            C = to_numpy(stats["scatter"]) / (n - 1) if n > 1 else to_numpy(stats["scatter"]) * np.inf
            evals, evecs = linalg.eigh(C)
            evals, evecs = evals[::-1], evecs[:, ::-1]
            evals = np.where(evals < 0.0, 0.0, evals)
            explained = evals
            S = np.sqrt(evals * (n - 1))
            Vt = evecs.T
        Vt = svd_flip_v(Vt)
        total_var = np.sum(explained)
        ratio = explained / total_var
        if n_components == "mle":
            n_components = int(infer_pca_dimension(explained, n))
        elif 0 < n_components < 1.0:
            n_components = int(np.searchsorted(np.cumsum(ratio), n_components, side="right") + 1)
        if n_components < min(p, n):
            self.noise_variance_ = float(np.mean(explained[n_components:]))
        else:
            self.noise_variance_ = 0.0
        self._set(data, mean, Vt, explained, ratio, S, n_components)

    def _set(self, data, mean, Vt, explained, ratio, S, n_components):
        dt = data.dtype
        self.n_samples_ = data.n_samples
        self.n_components_ = int(n_components)
        self.mean_ = np.asarray(mean, dtype=dt)
        self.components_ = np.ascontiguousarray(Vt[:n_components], dtype=dt)
        self.explained_variance_ = np.asarray(explained[:n_components], dtype=dt)
        self.explained_variance_ratio_ = np.asarray(ratio[:n_components], dtype=dt)
        self.singular_values_ = np.asarray(S[:n_components], dtype=dt)

    def _fit_truncated(self, data, n_components, solver):
        n, p = data.n_samples, data.n_features
        if isinstance(n_components, str):
            raise ValueError(f"n_components={n_components!r} cannot be a string with svd_solver='{solver}'")
        if not 1 <= n_components <= min(n, p):
            raise ValueError(
                f"n_components={n_components!r} must be between 1 and "
                f"min(n_samples, n_features)={min(n, p)!r} with svd_solver='{solver}'"
            )
        if solver == "arpack" and n_components == min(n, p):
            raise ValueError(
                f"n_components={n_components!r} must be strictly less than "
                f"min(n_samples, n_features)={min(n, p)!r} with svd_solver='{solver}'"
            )
        random_state = check_random_state(self.random_state)
        if solver == "arpack" and data.sparse:
            # implicit centring, as scikit-learn's _implicit_column_offset
            mom = map_reduce(moments_kernel, data, combine=combine_centered)
            raise_if_not_finite(data, mom["mean"], mom["m2"])
            mean = to_numpy(mom["mean"])
            total_var = float(np.sum(to_numpy(mom["m2"]))) / (n - 1)
            S, Vt = arpack_gram(data, n_components, self.tol, random_state, mean=mean)
        elif solver == "arpack":
            mean, S, Vt, stats = exact_svd(data)
            total_var = float(np.sum(S**2)) / (n - 1)
        else:
            mom = map_reduce(moments_kernel, data, combine=combine_centered)
            raise_if_not_finite(data, mom["mean"], mom["m2"])
            mean = to_numpy(mom["mean"])
            total_var = float(np.sum(to_numpy(mom["m2"]))) / (n - 1)
            n_iter = self.iterated_power
            if n_iter == "auto":
                n_iter = 7 if n_components < 0.1 * min(n, p) else 4
            rank = min(n_components + self.n_oversamples, p)
            S, Vt = randomized_power(data, mean, rank, n_iter, self.power_iteration_normalizer, random_state)
        S, Vt = S[:n_components], svd_flip_v(Vt[:n_components])
        explained = S**2 / (n - 1)
        ratio = explained / total_var
        if n_components < min(p, n):
            self.noise_variance_ = float((total_var - np.sum(explained)) / (min(p, n) - n_components))
        else:
            self.noise_variance_ = 0.0
        self._set(data, mean, Vt, explained, ratio, S, n_components)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = self.svd_solver in ("auto", "arpack", "covariance_eigh")
        return tags
