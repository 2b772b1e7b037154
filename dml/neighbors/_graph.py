"""Neighbour graphs as scipy.sparse CSR matrices (scikit-learn's layout), and the
module-level ``kneighbors_graph`` / ``radius_neighbors_graph``."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from dml._engine.namespace import is_dask_collection


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
        import dask

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


def kneighbors_graph(
    X,
    n_neighbors,
    *,
    mode="connectivity",
    metric="minkowski",
    p=2,
    metric_params=None,
    include_self=False,
    n_jobs=None,
):
    """Compute the (weighted) graph of k-neighbours for points in X.

    Parameters
    ----------
    X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        The points.
    n_neighbors : int
        Number of neighbours of each point.
    mode : {'connectivity', 'distance'}, default='connectivity'
        Ones, or the distances, as the values.
    metric : str, default='minkowski'
        As :class:`NearestNeighbors`.
    p : float, default=2
        Power of the Minkowski metric.
    metric_params : dict, default=None
        Only ``{'p': value}``.
    include_self : bool, default=False
        Whether each point is its own first neighbour (``False``: it is left out, as
        scikit-learn's).
    n_jobs : int, default=None
        Threads for in-memory input.

    Returns
    -------
    A : scipy.sparse.csr_matrix of shape (n_samples, n_samples)

    Notes
    -----
    Computation: a :class:`NearestNeighbors` fit (one values pass) and its
    :meth:`~NearestNeighbors.kneighbors_graph`, computed.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.neighbors import kneighbors_graph
    >>> A = kneighbors_graph(np.array([[0.0], [1.0], [3.0]]), 1)
    >>> A.toarray()
    array([[0., 1., 0.],
           [1., 0., 0.],
           [0., 1., 0.]])
    """
    from dml.neighbors._unsupervised import NearestNeighbors

    nn = NearestNeighbors(
        n_neighbors=n_neighbors, metric=metric, p=p, metric_params=metric_params, n_jobs=n_jobs
    )
    nn.fit(X)
    return nn.kneighbors_graph(X=X if include_self else None, mode=mode)


def radius_neighbors_graph(
    X,
    radius,
    *,
    mode="connectivity",
    metric="minkowski",
    p=2,
    metric_params=None,
    include_self=False,
    n_jobs=None,
):
    """Compute the (weighted) graph of neighbours within a radius for points in X.

    Parameters
    ----------
    X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        The points.
    radius : float
        Radius of the neighbourhoods (inclusive).
    mode : {'connectivity', 'distance'}, default='connectivity'
        Ones, or the distances, as the values.
    metric : str, default='minkowski'
        As :class:`NearestNeighbors`.
    p : float, default=2
        Power of the Minkowski metric.
    metric_params : dict, default=None
        Only ``{'p': value}``.
    include_self : bool, default=False
        Whether each point is its own neighbour.
    n_jobs : int, default=None
        Threads for in-memory input.

    Returns
    -------
    A : scipy.sparse.csr_matrix of shape (n_samples, n_samples)

    Notes
    -----
    Computation: a :class:`NearestNeighbors` fit and its
    :meth:`~NearestNeighbors.radius_neighbors_graph`, computed.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.neighbors import radius_neighbors_graph
    >>> radius_neighbors_graph(np.array([[0.0], [1.0], [3.0]]), 1.5).toarray()
    array([[0., 1., 0.],
           [1., 0., 0.],
           [0., 0., 0.]])
    """
    from dml.neighbors._unsupervised import NearestNeighbors

    nn = NearestNeighbors(radius=radius, metric=metric, p=p, metric_params=metric_params, n_jobs=n_jobs)
    nn.fit(X)
    return nn.radius_neighbors_graph(X=X if include_self else None, mode=mode)
