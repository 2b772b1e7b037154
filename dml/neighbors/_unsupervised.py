"""NearestNeighbors: the unsupervised index with k-nearest and radius searches."""

from __future__ import annotations

import numbers

from dml._compat.sklearn import Interval
from dml.neighbors._base import KNeighborsMixin, NeighborsBase, RadiusNeighborsMixin

_COMMON_DOC = """
    algorithm : {'auto', 'brute', 'ivf'}, default='auto'
        ``'auto'`` and ``'brute'``: exact search, the neighbours of scikit-learn's
        brute force. ``'ivf'``: approximate search in an inverted-file index whose
        lists come from dml's KMeans (see ``n_lists``, ``n_probe``). scikit-learn's
        ``'ball_tree'`` and ``'kd_tree'`` are refused with a ValueError (exact brute
        force gives their neighbours); ``leaf_size`` has no meaning here and is not a
        parameter.
    metric : str, default='minkowski'
        'euclidean', 'sqeuclidean', 'cosine', 'manhattan' (also 'cityblock', 'l1'),
        'chebyshev', 'l2' or 'minkowski' (with ``p``). Callables and 'precomputed' are
        not supported.
    p : float, default=2
        Power of the Minkowski metric, ``p >= 1`` (``np.inf``: chebyshev).
    metric_params : dict, default=None
        Only ``{'p': value}`` (for 'minkowski'), as scikit-learn's.
    n_jobs : int, default=None
        Threads searching in-memory queries against an in-memory index (``-1``: all
        CPUs); Dask input runs on the Dask scheduler's workers.
    n_lists : int, default=None
        ``algorithm='ivf'`` only: number of lists (default: about the square root of the
        number of indexed rows).
    n_probe : int, default=None
        ``algorithm='ivf'`` only: lists probed per query (default: a sixteenth of
        the lists, rounded up)."""


class NearestNeighbors(KNeighborsMixin, RadiusNeighborsMixin, NeighborsBase):
    __doc__ = (
        """Unsupervised learner for neighbour searches, on row-chunked data.

    scikit-learn's ``NearestNeighbors`` (brute force) with an index that may be a Dask
    array: ``kneighbors`` and ``kneighbors_graph`` on Dask queries are lazy, exact, and
    equal to scikit-learn's brute-force results.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of neighbours of :meth:`kneighbors` queries.
    radius : float, default=1.0
        Range of :meth:`radius_neighbors` queries."""
        + _COMMON_DOC
        + """

    Attributes
    ----------
    effective_metric_ : str
        The metric used ('euclidean' for minkowski with p=2, ...).
    effective_metric_params_ : dict
        Its parameters.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (string column names only).
    n_samples_fit_ : int
        Number of indexed rows.

    See Also
    --------
    KNeighborsClassifier, KNeighborsRegressor, kneighbors_graph

    Notes
    -----
    Computation: ``fit`` reads the index once (its NaN / infinity check) and keeps it:
    the validated NumPy array, or the Dask array (not gathered). For the euclidean
    metrics it also prepares the rows once (centred, their norms, a float32 copy): in
    memory for a NumPy index; on a ``distributed`` cluster, for a Dask index the
    persist policy lets it keep (1.6 times the index's bytes), as one contiguous slab
    per worker thread, built where the blocks live, so that searches send query chunks
    to the slabs and never move the index. A pickled model holds the index as NumPy (a
    Dask index is computed into the pickle), so it loads without a cluster. See
    :meth:`kneighbors` for the search.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.neighbors import NearestNeighbors
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    >>> nn = NearestNeighbors(n_neighbors=2).fit(X)
    >>> dist, ind = nn.kneighbors([[0.9, 0.0]])
    >>> ind
    array([[1, 0]])
    """
    )

    _parameter_constraints: dict = {
        **NeighborsBase._parameter_constraints,
        "n_neighbors": [Interval(numbers.Integral, 1, None, closed="left")],
        "radius": [Interval(numbers.Real, 0, None, closed="both")],
    }

    def __init__(
        self,
        n_neighbors=5,
        *,
        radius=1.0,
        algorithm="auto",
        metric="minkowski",
        p=2,
        metric_params=None,
        n_jobs=None,
        n_lists=None,
        n_probe=None,
    ):
        self.n_neighbors = n_neighbors
        self.radius = radius
        self.algorithm = algorithm
        self.metric = metric
        self.p = p
        self.metric_params = metric_params
        self.n_jobs = n_jobs
        self.n_lists = n_lists
        self.n_probe = n_probe

    def fit(self, X, y=None):
        """Index the points.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            The points to index.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : NearestNeighbors
            The fitted estimator.
        """
        self._fit_index(X)
        return self
