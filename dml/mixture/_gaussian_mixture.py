"""Gaussian mixture fitted by EM on row-chunked data: one fused pass per iteration.

Each EM iteration is one :func:`~dml._engine.mapreduce.map_reduce` pass: every chunk
returns the responsibility-weighted sufficient statistics of the current model and its
log-likelihood (``_gaussian_mixture_kernels.em_stats_kernel``), the partials add up in
the engine's tree, and the M-step (weights, means, covariances and the Cholesky factors
of the precisions) runs in the caller on the small merged arrays, with scikit-learn's
formulas.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real
from time import time

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from dml._base import check_params
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import raise_if_not_finite, validate_fit_data, validate_predict_data
from dml._engine.mapreduce import map_reduce, with_row_index
from dml._engine.namespace import is_dask_collection, to_numpy
from dml.mixture._gaussian_mixture_kernels import (
    combine_em_stats,
    em_stats_kernel,
    mixture_predict_kernel,
    row_sum_kernel,
)
from dml.mixture._gaussian_mixture_params import (
    _check_means,
    _check_precisions,
    _check_weights,
    _cholesky_from_precisions,
    _covariances_of,
    _log_det_cholesky,
    _m_step,
    _precision_cholesky,
    _precisions_of,
)

# ---------------------------------------------------------------------- estimator


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture model fitted by EM on row-chunked data (NumPy, pandas, Dask, CuPy).

    A drop-in for :class:`sklearn.mixture.GaussianMixture`: the same parameters,
    attributes and EM iterations, each iteration one fused pass over the data.

    Parameters
    ----------
    n_components : int, default=1
        The number of mixture components.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        'full': each component has its own covariance matrix; 'tied': all share one;
        'diag': each has its own diagonal covariance; 'spherical': each has its own
        single variance.
    tol : float, default=1e-3
        The EM iterations stop when the gain in the lower bound (the mean
        log-likelihood) is below this threshold.
    reg_covar : float, default=1e-6
        Non-negative regularisation added to the diagonal of the covariances.
    max_iter : int, default=100
        The number of EM iterations to perform.
    n_init : int, default=1
        The number of initialisations; the best result is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, default='kmeans'
        How the responsibilities that give the initial parameters are drawn.
        'kmeans': the labels of :class:`dml.cluster.KMeans` (one cluster: every row).
        'k-means++': one-hot on dml's greedy k-means++ seeds (scikit-learn's
        algorithm, one pass per component). 'random': uniform responsibilities,
        hashed from the global row index (so the model does not depend on the
        chunking; not scikit-learn's draws). 'random_from_data': one-hot on
        ``n_components`` rows drawn as scikit-learn draws them (the same rows for the
        same ``random_state``).
    weights_init : array-like of shape (n_components,), default=None
        The initial weights; from ``init_params`` when None.
    means_init : array-like of shape (n_components, n_features), default=None
        The initial means; from ``init_params`` when None.
    precisions_init : array-like, default=None
        The initial precisions (inverse covariances), shaped as ``precisions_``; from
        ``init_params`` when None. With all three given no initialisation pass runs.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation.
    warm_start : bool, default=False
        Each ``fit`` starts from the previous solution (``n_init`` is then ignored).
    verbose : int, default=0
        1: the initialisation and iteration numbers; 2 and more: also the time and
        the change of the lower bound, as scikit-learn prints them.
    verbose_interval : int, default=10
        Iterations between two printed lines.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        'full' (n_components, n_features, n_features), 'tied' (n_features,
        n_features), 'diag' (n_components, n_features), 'spherical' (n_components,).
    precisions_ : ndarray
        The inverses of the covariances, shaped alike.
    precisions_cholesky_ : ndarray
        Cholesky factors of the precisions (upper triangular), shaped alike.
    converged_ : bool
    n_iter_ : int
        EM iterations of the best initialisation.
    lower_bound_ : float
        Mean log-likelihood of the best initialisation's last iteration.
    lower_bounds_ : list of float
        The lower bound of every iteration of the best initialisation.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

    Notes
    -----
    Computation: one pass over the data per EM iteration (one round trip; only the
    ``(n_components, n_features[, n_features])`` statistics travel, summed on the
    workers), plus the initialisation: 'kmeans' runs :class:`dml.cluster.KMeans` and one
    pass for the statistics of its labels (with one component, a pass for the mean and
    one for the statistics); 'random' and 'random_from_data' one pass for the mean and
    one for the statistics; 'k-means++' its seeding passes (one per component) and one
    for the 'tied' moments. The M-step and the Cholesky factors are computed in the
    caller. Memory per task: one chunk plus O(block rows x n_components) (the
    responsibilities of one cache-sized row block). ``predict``, ``predict_proba`` and
    ``score_samples`` are blockwise: lazy for Dask input. Fitted attributes are NumPy
    arrays in X's dtype (float32 stays float32).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.mixture import GaussianMixture
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]], dtype=float)
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> sorted(gm.means_[:, 0].round(6).tolist())
    [1.0, 10.0]
    >>> gm.predict(np.array([[0.0, 0.0], [12.0, 3.0]])).tolist() == [gm.predict(X)[0], gm.predict(X)[3]]
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions({"kmeans", "random", "random_from_data", "k-means++"})],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions({"full", "tied", "diag", "spherical"})],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
    }

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    # -------------------------------------------------------------------- fit

    def fit(self, X, y=None):
        """Estimate the model parameters with the EM algorithm.

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
        >>> from dml.mixture import GaussianMixture
        >>> X = np.array([[0.0, 0.0], [0.5, 0.1], [5.0, 5.0], [5.2, 4.9]])
        >>> GaussianMixture(n_components=2, random_state=0).fit(X).converged_
        True
        """
        check_params(self)
        with validate_fit_data(self, X, None, None) as data:
            # per-fit scratch: whether the ride-along value check ran, the data mean
            self._checked_values, self._mean = False, None
            try:
                self._fit(data, X)
            finally:
                del self._checked_values, self._mean
        return self

    def fit_predict(self, X, y=None):
        """Fit the model and return the most probable component of each row.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        labels : ndarray or Dask array of shape (n_samples,)
            ``predict(X)`` for the fitted model (lazy for Dask input).

        Examples
        --------
        >>> import numpy as np
        >>> from dml.mixture import GaussianMixture
        >>> X = np.array([[0.0, 0.0], [0.5, 0.1], [5.0, 5.0], [5.2, 4.9]])
        >>> labels = GaussianMixture(n_components=2, random_state=0).fit_predict(X)
        >>> bool(labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2])
        True
        """
        return self.fit(X).predict(X)

    def _checked_inits(self, n_features):
        k, ct = self.n_components, self.covariance_type
        w = None if self.weights_init is None else _check_weights(self.weights_init, k)
        m = None if self.means_init is None else _check_means(self.means_init, k, n_features)
        p = (
            None
            if self.precisions_init is None
            else _check_precisions(self.precisions_init, ct, k, n_features)
        )
        return w, m, p

    def _pass(self, data, mode, centres, *, params=None, shift=None, rows=None, seed=0):
        """One fused pass of :func:`em_stats_kernel`; the statistics come back with the
        centres and shift they were taken around (as the kernel saw them: X's dtype)."""
        dt = data.dtype
        centres = np.asarray(centres, dtype=dt)
        k, p = centres.shape
        ct = self.covariance_type
        if params is not None:
            weights, _, _, prec_chol = params
            with np.errstate(divide="ignore"):
                log_w = np.log(np.asarray(weights, dtype=np.float64))
            log_det = _log_det_cholesky(prec_chol, ct, p, k)
        else:
            prec_chol, log_w, log_det = np.zeros(0, dtype=dt), np.zeros(k), np.zeros(k)
        shift = np.asarray(centres.mean(axis=0) if shift is None else shift, dtype=dt)
        rows = np.zeros(0, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        stats = map_reduce(
            em_stats_kernel,
            data,
            broadcast=(centres, np.asarray(prec_chol, dtype=dt), log_w, log_det, shift, rows),
            combine=combine_em_stats,
            pass_row_offset=True,
            covariance_type=ct,
            mode=mode,
            seed=seed,
        )
        if not self._checked_values:
            raise_if_not_finite(data, stats["nk"], stats["b"], stats["s2"], stats["ll"])
            self._checked_values = True
        return dict(stats, centres=centres.astype(np.float64), shift=shift.astype(np.float64))

    def _params_from_stats(self, stats, dtype, weights=None):
        nk, means, cov = _m_step(stats, self.reg_covar, self.covariance_type, dtype)
        w = nk / np.sum(nk) if weights is None else weights
        prec_chol = _precision_cholesky(cov, self.covariance_type, dtype)
        return (w.astype(dtype), means.astype(dtype), cov.astype(dtype), prec_chol)

    def _data_mean(self, data):
        """The mean row (one pass, once per fit)."""
        if self._mean is None:
            total = map_reduce(row_sum_kernel, data)["sum"]
            if not self._checked_values:
                raise_if_not_finite(data, total)
                self._checked_values = True
            self._mean = np.asarray(to_numpy(total), dtype=np.float64) / data.n_samples
        return self._mean

    def _initial_params(self, data, X, rs, inits):
        """The initial ``(weights, means, covariances, precisions_cholesky)``."""
        weights_init, means_init, precisions_init = inits
        n, dt = data.n_samples, data.dtype
        ct = self.covariance_type
        params = None
        if weights_init is None or means_init is None or precisions_init is None:
            params = self._params_from_resp(data, X, rs)
            if weights_init is None:
                params = ((params[4] / n).astype(dt), *params[1:4])
            else:
                params = params[:4]
        w = params[0] if weights_init is None else np.asarray(weights_init, dtype=dt)
        means = params[1] if means_init is None else np.asarray(means_init, dtype=dt)
        if precisions_init is None:
            cov, prec_chol = params[2], params[3]
        else:
            prec = np.asarray(precisions_init, dtype=np.float64)
            prec_chol = _cholesky_from_precisions(prec, ct).astype(dt)
            cov = _covariances_of(prec, ct).astype(dt)
        return (np.asarray(w, dtype=dt), np.asarray(means, dtype=dt), cov, prec_chol)

    def _params_from_resp(self, data, X, rs):
        """Parameters from the responsibilities of ``init_params`` (scikit-learn's
        ``_initialize_parameters``); the last entry is the unnormalised ``nk``."""
        k, n, p, dt = self.n_components, data.n_samples, data.n_features, data.dtype
        init = self.init_params
        if init == "kmeans":
            if k == 1:  # one cluster holds every row: no k-means to run
                centres = self._data_mean(data)[None, :]
            else:
                # dml's own KMeans (scikit-learn's init runs KMeans too); a function-level
                # import keeps dml.mixture's import light
                from dml.cluster import KMeans

                km = KMeans(n_clusters=k, n_init=1, random_state=rs).fit(X)
                centres = np.asarray(km.cluster_centers_, dtype=np.float64)
            stats = self._pass(data, "hard", centres)
        elif init == "random":
            centres = np.tile(self._data_mean(data), (k, 1))
            seed = int(rs.randint(np.iinfo(np.int32).max))
            stats = self._pass(data, "random", centres, seed=seed)
        elif init == "random_from_data":
            rows = rs.choice(n, size=k, replace=False)
            centres = np.tile(self._data_mean(data), (k, 1))
            stats = self._pass(data, "rows", centres, rows=rows)
        else:  # k-means++: one-hot on the seeds
            centres = self._kmeanspp_seeds(data, rs).astype(dt)
            stats = {"nk": np.ones(k), "b": np.zeros((k, p)), "centres": centres.astype(np.float64)}
            stats["s2"] = np.zeros((k, p, p) if self.covariance_type == "full" else (k, p))
            if self.covariance_type == "tied":
                # the moments of all rows; the seeds are rows with a component
                tied = self._pass(data, "rows", centres)
                seeds_off = np.sum(centres.astype(np.float64) - tied["shift"], axis=0)
                q_u = np.asarray(to_numpy(tied["q_u"]), dtype=np.float64) - seeds_off
                q_n = float(to_numpy(tied["q_n"])) - k
                stats.update(s2=tied["s2"], q_u=q_u, q_n=q_n, shift=tied["shift"])
        w, means, cov, prec_chol = self._params_from_stats(stats, dt, weights=np.ones(k))
        nk = np.asarray(to_numpy(stats["nk"]), dtype=np.float64) + 10 * np.finfo(dt).eps
        return (w, means, cov, prec_chol, nk)

    def _kmeanspp_seeds(self, data, rs):
        """dml's greedy k-means++ seeding (scikit-learn's algorithm) on the data."""
        # the seeding of dml.cluster.KMeans, reused rather than written twice; imported
        # here to keep dml.mixture's import light
        from dml.cluster._kmeans import KMeans
        from dml.cluster._seeding_kernels import combine_first_pass, first_pass_kernel

        seed = int(rs.randint(np.iinfo(np.int32).max))
        idata = with_row_index(data)
        first = map_reduce(first_pass_kernel, idata, combine=combine_first_pass, seed=seed, n_races=1)
        raise_if_not_finite(data, first["mean"], first["m2"])
        self._checked_values = True
        shift = to_numpy(first["mean"]).astype(data.dtype)
        seeds = KMeans(n_clusters=self.n_components)._init_kmeanspp(idata, seed, 0, shift, first)
        return np.asarray(seeds, dtype=np.float64)

    def _fit(self, data, X):
        n, p, dt = data.n_samples, data.n_features, data.dtype
        k = self.n_components
        if n < 2:
            raise ValueError(
                f"Found array with {n} sample(s) (shape=({n}, {p})) while a minimum of 2 is "
                "required by GaussianMixture."
            )
        if n < k:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = {k}, n_samples = {n}"
            )
        inits = self._checked_inits(p)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        max_lower_bound = -np.inf
        best = None
        best_lbs = []
        self.converged_ = False
        rs = check_random_state(self.random_state)
        for init in range(n_init):
            self._print_init_beg(init)
            if do_init:
                params = self._initial_params(data, X, rs, inits)
            else:
                params = (self.weights_, self.means_, self.covariances_, self.precisions_cholesky_)
            lower_bound = -np.inf if do_init else self.lower_bound_
            lbs = []
            if self.max_iter == 0:
                best, best_n_iter = params, 0
                continue
            converged = False
            for n_iter in range(1, self.max_iter + 1):
                prev = lower_bound
                means = np.asarray(params[1], dtype=np.float64)
                stats = self._pass(data, "em", means, params=params)
                lower_bound = float(to_numpy(stats["ll"])) / n
                params = self._params_from_stats(stats, dt)
                lbs.append(lower_bound)
                change = lower_bound - prev
                self._print_iter_end(n_iter, change)
                if abs(change) < self.tol:
                    converged = True
                    break
            self._print_init_end(lower_bound, converged)
            if lower_bound > max_lower_bound or max_lower_bound == -np.inf:
                max_lower_bound = lower_bound
                best, best_n_iter, best_lbs = params, n_iter, lbs
                self.converged_ = converged
        if not self.converged_ and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init parameters, "
                "or increase max_iter, tol, or check for degenerate data.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = best
        self.precisions_ = _precisions_of(np.asarray(best[3]), self.covariance_type).astype(dt)
        self.n_iter_ = best_n_iter
        self.lower_bound_ = max_lower_bound
        self.lower_bounds_ = best_lbs

    # --------------------------------------------------------------- verbose

    def _print_init_beg(self, n_init):
        if self.verbose >= 1:
            print("Initialization %d" % n_init)
        if self.verbose >= 2:
            self._init_prev_time = time()
            self._iter_prev_time = self._init_prev_time

    def _print_iter_end(self, n_iter, diff_ll):
        if n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                print("  Iteration %d" % n_iter)
            elif self.verbose >= 2:
                cur = time()
                print(
                    "  Iteration %d\t time lapse %.5fs\t ll change %.5f"
                    % (n_iter, cur - self._iter_prev_time, diff_ll)
                )
                self._iter_prev_time = cur

    def _print_init_end(self, lb, converged):
        msg = "converged" if converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {msg}.")
        elif self.verbose >= 2:
            t = time() - self._init_prev_time
            print(f"Initialization {msg}. time lapse {t:.5f}s\t lower bound {lb:.5f}.")

    # --------------------------------------------------------------- predict

    def _blockwise(self, X, output):
        check_is_fitted(self)
        X = validate_predict_data(self, X)
        k, p = self.means_.shape
        kwargs = dict(
            means=self.means_,
            prec_chol=self.precisions_cholesky_,
            log_weights=np.log(np.asarray(self.weights_, dtype=np.float64)),
            log_det=_log_det_cholesky(self.precisions_cholesky_, self.covariance_type, p, k),
            covariance_type=self.covariance_type,
            output=output,
        )
        if output == "labels":
            return apply_blockwise(mixture_predict_kernel, X, n_outputs=None, dtype=np.int64, **kwargs)
        n_out = k if output == "proba" else None
        return apply_blockwise(mixture_predict_kernel, X, n_outputs=n_out, dtype=X.dtype, **kwargs)

    def predict(self, X):
        """The most probable component of each row.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray or Dask array of shape (n_samples,), dtype int64
            Lazy for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.mixture import GaussianMixture
        >>> X = np.array([[0.0, 0.0], [0.5, 0.1], [5.0, 5.0], [5.2, 4.9]])
        >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        >>> bool(gm.predict(X)[0] != gm.predict(X)[2])
        True
        """
        return self._blockwise(X, "labels")

    def predict_proba(self, X):
        """Posterior probability of each component for each row.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        resp : ndarray or Dask array of shape (n_samples, n_components)
            Lazy for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.mixture import GaussianMixture
        >>> X = np.array([[0.0, 0.0], [0.5, 0.1], [5.0, 5.0], [5.2, 4.9]])
        >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
        >>> gm.predict_proba(X).sum(axis=1).round(6).tolist()
        [1.0, 1.0, 1.0, 1.0]
        """
        return self._blockwise(X, "proba")

    def score_samples(self, X):
        """Log-density of the model at each row.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        log_prob : ndarray or Dask array of shape (n_samples,)
            Lazy for Dask input.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.mixture import GaussianMixture
        >>> X = np.array([[0.0, 0.0], [0.5, 0.1], [5.0, 5.0], [5.2, 4.9]])
        >>> gm = GaussianMixture(random_state=0).fit(X)
        >>> gm.score_samples(X).shape
        (4,)
        """
        return self._blockwise(X, "score")

    def score(self, X, y=None):
        """Mean log-likelihood of the rows of X.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        log_likelihood : float

        Examples
        --------
        >>> import numpy as np
        >>> from dml.mixture import GaussianMixture
        >>> X = np.array([[0.0, 0.0], [0.5, 0.1], [5.0, 5.0], [5.2, 4.9]])
        >>> gm = GaussianMixture(random_state=0).fit(X)
        >>> bool(np.isclose(gm.score(X), gm.score_samples(X).mean()))
        True

        Notes
        -----
        Computation: one blockwise pass (computed at once for Dask input).
        """
        total, n = self._loglik_sum_count(X)
        return total / n

    def _loglik_sum_count(self, X):
        """The summed log-likelihood of the rows of X and their number (one pass)."""
        s = self.score_samples(X)
        if not is_dask_collection(s):
            return float(np.sum(s, dtype=np.float64)), int(s.shape[0])
        # Dask is needed only for Dask input: imported here to keep the module light
        import dask
        import dask.array as da

        total, n = dask.compute(s.sum(dtype=np.float64), da.ones_like(s, dtype=np.int64).sum())
        return float(total), int(n)

    def _n_parameters(self):
        k, p = self.means_.shape
        ct = self.covariance_type
        cov = {"full": k * p * (p + 1) / 2.0, "diag": k * p, "tied": p * (p + 1) / 2.0, "spherical": k}[ct]
        return int(cov + p * k + k - 1)

    def bic(self, X):
        """Bayesian information criterion of the model on X (lower is better).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        bic : float

        Examples
        --------
        >>> import numpy as np
        >>> from dml.mixture import GaussianMixture
        >>> X = np.array([[0.0, 0.0], [0.5, 0.1], [5.0, 5.0], [5.2, 4.9]])
        >>> gm = GaussianMixture(random_state=0).fit(X)
        >>> bool(np.isclose(gm.bic(X), -2 * gm.score(X) * 4 + 5 * np.log(4)))  # 5 free parameters
        True
        """
        total, n = self._loglik_sum_count(X)
        return -2 * total + self._n_parameters() * math.log(n)

    def aic(self, X):
        """Akaike information criterion of the model on X (lower is better).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        aic : float

        Examples
        --------
        >>> import numpy as np
        >>> from dml.mixture import GaussianMixture
        >>> X = np.array([[0.0, 0.0], [0.5, 0.1], [5.0, 5.0], [5.2, 4.9]])
        >>> round(GaussianMixture(random_state=0).fit(X).aic(X), 3) == round(
        ...     -2 * GaussianMixture(random_state=0).fit(X).score(X) * 4 + 2 * 5, 3)
        True
        """
        total, _ = self._loglik_sum_count(X)
        return -2 * total + 2 * self._n_parameters()

    def sample(self, n_samples=1):
        """Draw random samples from the fitted model (scikit-learn's draws).

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            The component of each sample.

        Examples
        --------
        >>> import numpy as np
        >>> from dml.mixture import GaussianMixture
        >>> X = np.array([[0.0, 0.0], [0.5, 0.1], [5.0, 5.0], [5.2, 4.9]])
        >>> Xs, ys = GaussianMixture(n_components=2, random_state=0).fit(X).sample(5)
        >>> Xs.shape, ys.shape
        ((5, 2), (5,))
        """
        check_is_fitted(self)
        if n_samples < 1:
            raise ValueError(
                "Invalid value for 'n_samples': %d . The sampling requires at least one sample."
                % (self.n_components)
            )
        _, p = self.means_.shape
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        if self.covariance_type == "full":
            parts = [
                rng.multivariate_normal(m, c, int(s))
                for m, c, s in zip(self.means_, self.covariances_, counts)
            ]
        elif self.covariance_type == "tied":
            parts = [
                rng.multivariate_normal(m, self.covariances_, int(s)) for m, s in zip(self.means_, counts)
            ]
        else:
            parts = [
                m + rng.standard_normal(size=(s, p)) * np.sqrt(c)
                for m, c, s in zip(self.means_, self.covariances_, counts)
            ]
        y = np.concatenate([np.full(int(s), i, dtype=np.int64) for i, s in enumerate(counts)])
        return np.vstack(parts).astype(np.float64), y
