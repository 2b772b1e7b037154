"""Neighbour graphs as scipy.sparse CSR matrices (scikit-learn's layout), and the
module-level ``kneighbors_graph`` / ``radius_neighbors_graph``."""

from __future__ import annotations

from dml.neighbors._unsupervised import NearestNeighbors


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
    nn = NearestNeighbors(radius=radius, metric=metric, p=p, metric_params=metric_params, n_jobs=n_jobs)
    nn.fit(X)
    return nn.radius_neighbors_graph(X=X if include_self else None, mode=mode)
