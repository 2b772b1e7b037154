"""KNeighborsRegressor and RadiusNeighborsRegressor: (weighted) means of the neighbours'
targets, over dml's chunked searches."""

from __future__ import annotations

import numbers
import warnings

import dask.array as da
import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_is_fitted

from dml._base import RegressorScoreMixin
from dml._compat.sklearn import Interval, StrOptions
from dml._engine.namespace import is_dask_collection
from dml.neighbors import _neighbors_kernels as K
from dml.neighbors._base import KNeighborsMixin, NeighborsBase, RadiusNeighborsMixin, shared
from dml.neighbors._classification import _WEIGHTS_DOC, radius_statistics
from dml.neighbors._unsupervised import _COMMON_DOC


def _mean_block(dist, ind, *, y, weights, squeeze):
    out = K.mean_block(ind, dist, y, weights=weights)
    return out[:, 0] if squeeze else out


class _RegressorBase(RegressorScoreMixin, RegressorMixin, NeighborsBase):
    def _fit_targets(self, y_host):
        y_host = np.asarray(y_host)
        self._squeeze = y_host.ndim == 1
        self._y = y_host.reshape(-1, 1) if y_host.ndim == 1 else y_host
        self._y = self._y.astype(np.float64, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class KNeighborsRegressor(KNeighborsMixin, _RegressorBase):
    __doc__ = (
        """Regression by the mean target of the k nearest neighbours, on row-chunked data.

    scikit-learn's ``KNeighborsRegressor`` over dml's exact chunked search (or its
    approximate IVF index); Dask queries give lazy Dask predictions.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of neighbours averaged."""
        + _WEIGHTS_DOC
        + _COMMON_DOC
        + """

    Attributes
    ----------
    effective_metric_ : str
        The metric used.
    effective_metric_params_ : dict
        Its parameters.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string column names only).
    n_samples_fit_ : int
        Number of indexed rows.

    Notes
    -----
    Computation: ``fit`` reads the index once (values check, and the preparation of
    :class:`NearestNeighbors` for the euclidean metrics) and gathers ``y`` to the
    host (one pass); ``predict`` on Dask queries is lazy: the search of
    :meth:`kneighbors`, then a blockwise mean per query chunk (the targets travel
    once, as one task).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.neighbors import KNeighborsRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> reg = KNeighborsRegressor(n_neighbors=2).fit(X, [0.0, 0.0, 1.0, 1.0])
    >>> reg.predict([[1.5]])
    array([0.5])
    """
    )

    _parameter_constraints: dict = {
        **NeighborsBase._parameter_constraints,
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "weights": [StrOptions({"uniform", "distance"}), callable, None],
    }

    def __init__(
        self,
        n_neighbors=5,
        *,
        weights="uniform",
        algorithm="auto",
        metric="minkowski",
        p=2,
        metric_params=None,
        n_jobs=None,
        n_lists=None,
        n_probe=None,
    ):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.algorithm = algorithm
        self.metric = metric
        self.p = p
        self.metric_params = metric_params
        self.n_jobs = n_jobs
        self.n_lists = n_lists
        self.n_probe = n_probe

    def fit(self, X, y):
        """Index the training points and keep their targets.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            Training points.
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        Returns
        -------
        self : KNeighborsRegressor
            The fitted regressor.
        """
        self._fit_targets(self._fit_index(X, y, y_numeric=True))
        return self

    def predict(self, X):
        """Predict the targets: the (weighted) mean of the neighbours' targets.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_queries, n_features)

        Returns
        -------
        y : ndarray or Dask array of shape (n_queries,) or (n_queries, n_outputs)

        Notes
        -----
        Computation: lazy for Dask queries (the search, then a blockwise mean).
        """
        check_is_fitted(self, "_fit_X")
        dist, ind = self.kneighbors(X)
        kw = dict(weights=self.weights, squeeze=self._squeeze)
        if not is_dask_collection(ind):
            return _mean_block(dist, ind, y=self._y, **kw)
        chunks = (ind.chunks[0],) if self._squeeze else (ind.chunks[0], (self._y.shape[1],))
        return da.map_blocks(
            _mean_block,
            dist,
            ind,
            y=shared(self._y),
            **kw,
            chunks=chunks,
            drop_axis=[1] if self._squeeze else [],
            dtype=np.float64,
            meta=np.empty((0,) * len(chunks)),
        )


def _radius_mean_block(stats, *, n_outputs, weights, squeeze):
    parts, w_total, n_zero, n_pairs = K.split_stats(stats, n_outputs, [1] * n_outputs)
    out = np.empty((stats.shape[0], n_outputs))
    with np.errstate(invalid="ignore", divide="ignore"):
        for j, (acc, z) in enumerate(parts):
            out[:, j] = acc[:, 0] / w_total
            if weights == "distance":
                has_zero = n_zero > 0
                out[has_zero, j] = z[has_zero, 0] / n_zero[has_zero]
    out[n_pairs == 0] = np.nan
    return out[:, 0] if squeeze else out


class RadiusNeighborsRegressor(RadiusNeighborsMixin, _RegressorBase):
    """Regression by the mean target of the neighbours within a radius, on row-chunked data.

    scikit-learn's ``RadiusNeighborsRegressor`` over dml's exact chunked search.

    Parameters
    ----------
    radius : float, default=1.0
        Range of the neighbourhoods (inclusive).
    weights : {'uniform', 'distance'}, callable or None, default='uniform'
        Weight of each neighbour: equal, the inverse of its distance (queries at
        distance zero from some points weight only those), or an elementwise callable
        mapping distances to weights.
    algorithm : {'auto', 'brute'}, default='auto'
        Exact brute force; 'ball_tree' / 'kd_tree' are refused (same neighbours).
    metric : str, default='minkowski'
        As :class:`NearestNeighbors`.
    p : float, default=2
        Power of the Minkowski metric, ``p >= 1``.
    metric_params : dict, default=None
        Only ``{'p': value}``.
    n_jobs : int, default=None
        Not used by the radius search (Dask runs it); kept for scikit-learn's signature
        and validated.

    Attributes
    ----------
    effective_metric_ : str
        The metric used.
    effective_metric_params_ : dict
        Its parameters.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit.
    n_samples_fit_ : int
        Number of indexed rows.

    Notes
    -----
    Computation: ``fit`` as :class:`KNeighborsRegressor`; ``predict`` on Dask queries
    is lazy: one task per (query chunk, index block) returns additive weighted sums of
    the targets in range, summed over the index blocks in a tree. Queries with no
    neighbour in range predict NaN (with scikit-learn's warning for in-memory queries).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.neighbors import RadiusNeighborsRegressor
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> reg = RadiusNeighborsRegressor(radius=1.0).fit(X, [0.0, 0.0, 1.0, 1.0])
    >>> reg.predict([[1.5]])
    array([0.5])
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in NeighborsBase._parameter_constraints.items() if k not in ("n_lists", "n_probe")},
        "algorithm": [StrOptions({"auto", "brute", "ball_tree", "kd_tree"})],
        "radius": [Interval(numbers.Real, 0, None, closed="both")],
        "weights": [StrOptions({"uniform", "distance"}), callable, None],
    }
    _supports_ivf = False
    n_lists = n_probe = None

    def __init__(
        self,
        radius=1.0,
        *,
        weights="uniform",
        algorithm="auto",
        metric="minkowski",
        p=2,
        metric_params=None,
        n_jobs=None,
    ):
        self.radius = radius
        self.weights = weights
        self.algorithm = algorithm
        self.metric = metric
        self.p = p
        self.metric_params = metric_params
        self.n_jobs = n_jobs

    def fit(self, X, y):
        """Index the training points and keep their targets.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            Training points.
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_outputs)
            Targets.

        Returns
        -------
        self : RadiusNeighborsRegressor
            The fitted regressor.
        """
        self._fit_targets(self._fit_index(X, y, y_numeric=True))
        return self

    def predict(self, X):
        """Predict the targets: the (weighted) mean of the targets within the radius.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_queries, n_features)

        Returns
        -------
        y : ndarray or Dask array of shape (n_queries,) or (n_queries, n_outputs)
            NaN for queries with no neighbour in range.

        Notes
        -----
        Computation: lazy for Dask queries (see the class notes).
        """
        check_is_fitted(self, "_fit_X")
        Q, _ = self._queries(X)
        stats = radius_statistics(self, Q, self._check_radius(None), self._y, None)
        kw = dict(n_outputs=self._y.shape[1], weights=self.weights, squeeze=self._squeeze)
        if not is_dask_collection(stats):
            out = _radius_mean_block(stats, **kw)
            if np.any(stats[:, -1] == 0):
                warnings.warn(
                    "One or more samples have no neighbors within specified radius; predicting NaN."
                )
            return out
        chunks = (stats.chunks[0],) if self._squeeze else (stats.chunks[0], (self._y.shape[1],))
        return stats.map_blocks(
            _radius_mean_block,
            **kw,
            chunks=chunks,
            drop_axis=[1] if self._squeeze else [],
            dtype=np.float64,
            meta=np.empty((0,) * len(chunks)),
        )
