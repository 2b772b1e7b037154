"""KNeighborsClassifier and RadiusNeighborsClassifier: votes of the neighbours found by
dml's chunked searches (:mod:`dml.neighbors._base`)."""

from __future__ import annotations

import numbers
import warnings

import dask.array as da
import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from dml._compat.sklearn import Interval, StrOptions
from dml._engine.namespace import is_dask_collection
from dml.metrics import accuracy_score
from dml.neighbors import _neighbors_kernels as K
from dml.neighbors._base import KNeighborsMixin, NeighborsBase, RadiusNeighborsMixin, _chunk_rows, shared
from dml.neighbors._unsupervised import _COMMON_DOC

_WEIGHTS_DOC = """
    weights : {'uniform', 'distance'}, callable or None, default='uniform'
        Weight of each neighbour's vote: equal, the inverse of its distance (queries
        at distance zero from some points weight only those), or a callable mapping an
        array of distances to an array of weights of the same shape."""


def encode_targets(y):
    """(classes per output, int codes (n, n_outputs), outputs_2d) of host labels ``y``."""
    check_classification_targets(y)
    y = np.asarray(y)
    outputs_2d = not (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1))
    y2 = y.reshape(-1, 1) if y.ndim == 1 else y
    classes, codes = [], np.empty(y2.shape, dtype=np.int64)
    for j in range(y2.shape[1]):
        c, codes[:, j] = np.unique(y2[:, j], return_inverse=True)
        classes.append(c)
    return classes, codes, outputs_2d


def _probas(dist, ind, *, codes, n_classes, weights):
    out = []
    for j, c in enumerate(n_classes):
        votes = K.vote_block(ind, dist, codes[:, j], n_classes=c, weights=weights)
        norm = votes.sum(axis=1)[:, None]
        norm[norm == 0.0] = 1.0
        out.append(votes / norm)
    return out


def _proba_block(dist, ind, *, codes, n_classes, weights, which):
    return _probas(dist, ind, codes=codes[:, [which]], n_classes=[n_classes[which]], weights=weights)[0]


def _predict_block(dist, ind, *, codes, classes, weights, squeeze):
    probas = _probas(dist, ind, codes=codes, n_classes=[len(c) for c in classes], weights=weights)
    pred = np.empty((ind.shape[0], len(classes)), dtype=classes[0].dtype)
    for j, (c, pr) in enumerate(zip(classes, probas)):
        pred[:, j] = c.take(np.argmax(pr, axis=1))
    return pred[:, 0] if squeeze else pred


class _ClassifierMixin(ClassifierMixin):
    def _fit_classes(self, y_host):
        self._classes_list, self._y, self.outputs_2d_ = encode_targets(y_host)
        self.classes_ = self._classes_list if self.outputs_2d_ else self._classes_list[0]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of ``self.predict(X)`` against ``y``.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
        y : array-like or Dask array of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            Accuracy (subset accuracy for several outputs), as scikit-learn's.

        Notes
        -----
        Computation: ``predict`` plus one pass over ``y`` and the predictions.
        """
        if getattr(self, "outputs_2d_", False):
            return ClassifierMixin.score(self, _computed(X), _computed(y), sample_weight)
        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        return tags


def _computed(a):
    return a.compute() if is_dask_collection(a) else a


class KNeighborsClassifier(KNeighborsMixin, _ClassifierMixin, NeighborsBase):
    __doc__ = (
        """Classifier implementing the k-nearest neighbours vote, on row-chunked data.

    scikit-learn's ``KNeighborsClassifier`` with the exact brute-force search of
    :class:`NearestNeighbors` (or its approximate IVF index): the same neighbours,
    probabilities and predictions; Dask queries give lazy Dask predictions.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of neighbours voting."""
        + _WEIGHTS_DOC
        + _COMMON_DOC
        + """

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of such arrays
        Class labels (one array per output for several outputs).
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
    outputs_2d_ : bool
        Whether ``y`` had several outputs.

    Notes
    -----
    Computation: ``fit`` reads the index once (values check) and ``y`` once (gathered:
    the labels live on the host); the index is kept as given (NumPy, or the Dask
    array), prepared for the euclidean metrics as in :class:`NearestNeighbors` (one
    slab per worker thread on a cluster). ``predict`` / ``predict_proba`` on Dask
    queries are lazy: the search of
    :meth:`kneighbors`, then a blockwise vote per query chunk (the labels travel once,
    as one task). Ties between classes go to the first class, as scikit-learn's.

    Examples
    --------
    >>> import numpy as np
    >>> from dml.neighbors import KNeighborsClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> clf = KNeighborsClassifier(n_neighbors=3).fit(X, [0, 0, 1, 1])
    >>> clf.predict([[1.1]])
    array([0])
    >>> clf.predict_proba([[0.9]]).round(3)
    array([[0.667, 0.333]])
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
        """Index the training points and keep their labels.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            Training points.
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_outputs)
            Class labels.

        Returns
        -------
        self : KNeighborsClassifier
            The fitted classifier.
        """
        self._fit_classes(self._fit_index(X, y))
        return self

    def _neighbors_of(self, X):
        check_is_fitted(self, "_fit_X")
        return self.kneighbors(X)

    def predict_proba(self, X):
        """Probability estimates: the (weighted) share of each class among the neighbours.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_queries, n_features)

        Returns
        -------
        p : ndarray or Dask array of shape (n_queries, n_classes), or a list of such
            arrays (one per output)
            Classes in the order of ``classes_``.

        Notes
        -----
        Computation: lazy for Dask queries (the search, then a blockwise vote).
        """
        dist, ind = self._neighbors_of(X)
        n_classes = [len(c) for c in self._classes_list]
        if not is_dask_collection(ind):
            out = _probas(dist, ind, codes=self._y, n_classes=n_classes, weights=self.weights)
        else:
            codes = shared(self._y)
            out = [
                da.map_blocks(
                    _proba_block,
                    dist,
                    ind,
                    codes=codes,
                    n_classes=n_classes,
                    weights=self.weights,
                    which=j,
                    chunks=(ind.chunks[0], (c,)),
                    dtype=np.float64,
                    meta=np.empty((0, 0)),
                )
                for j, c in enumerate(n_classes)
            ]
        return out if self.outputs_2d_ else out[0]

    def predict(self, X):
        """Predict the class labels: the class of largest (weighted) vote.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_queries, n_features)

        Returns
        -------
        y : ndarray or Dask array of shape (n_queries,) or (n_queries, n_outputs)

        Notes
        -----
        Computation: lazy for Dask queries (the search, then a blockwise vote).
        """
        dist, ind = self._neighbors_of(X)
        kw = dict(classes=self._classes_list, weights=self.weights, squeeze=not self.outputs_2d_)
        if not is_dask_collection(ind):
            return _predict_block(dist, ind, codes=self._y, **kw)
        dtype = self._classes_list[0].dtype
        chunks = (ind.chunks[0],) if not self.outputs_2d_ else (ind.chunks[0], (len(self._classes_list),))
        return da.map_blocks(
            _predict_block,
            dist,
            ind,
            codes=shared(self._y),
            **kw,
            chunks=chunks,
            drop_axis=[1] if not self.outputs_2d_ else [],
            dtype=dtype,
            meta=np.empty((0,) * len(chunks), dtype=dtype),
        )


def _radius_finish_proba(stats, *, n_classes, weights, outlier_code):
    """Class probabilities from summed radius statistics; outliers (no neighbour) get
    the outlier label's class, or raise when there is none."""
    parts, _, n_zero, n_pairs = K.split_stats(stats, len(n_classes), n_classes)
    outliers = n_pairs == 0
    if outliers.any() and outlier_code is None:
        raise ValueError(
            "No neighbors found for test samples %r, you can try using larger radius, giving a label for "
            "outliers, or considering removing them from your dataset." % np.flatnonzero(outliers)
        )
    out = []
    for j, (acc, z) in enumerate(parts):
        votes = acc.copy()
        if weights == "distance":
            has_zero = n_zero > 0
            votes[has_zero] = z[has_zero]
        norm = votes.sum(axis=1)[:, None]
        norm[norm == 0.0] = 1.0
        proba = votes / norm
        if outliers.any():
            proba[outliers] = 0.0
            code = outlier_code[j]
            if code is not None:
                proba[outliers, code] = 1.0
        out.append(proba)
    return out


class RadiusNeighborsClassifier(RadiusNeighborsMixin, _ClassifierMixin, NeighborsBase):
    """Classifier implementing a vote among neighbours within a radius, on row-chunked data.

    scikit-learn's ``RadiusNeighborsClassifier`` over dml's exact chunked search.

    Parameters
    ----------
    radius : float, default=1.0
        Range of the neighbourhoods (inclusive).
    weights : {'uniform', 'distance'}, callable or None, default='uniform'
        Weight of each neighbour's vote: equal, the inverse of its distance (queries
        at distance zero from some points weight only those), or an elementwise
        callable mapping distances to weights.
    algorithm : {'auto', 'brute'}, default='auto'
        Exact brute force; 'ball_tree' / 'kd_tree' are refused (same neighbours).
    metric : str, default='minkowski'
        As :class:`NearestNeighbors`.
    p : float, default=2
        Power of the Minkowski metric, ``p >= 1``.
    metric_params : dict, default=None
        Only ``{'p': value}``.
    outlier_label : {manual label, 'most_frequent'}, default=None
        Label of queries with no neighbour in range (``None``: they raise a ValueError);
        one per output for several outputs.
    n_jobs : int, default=None
        Not used by the radius search (Dask runs it); kept for scikit-learn's signature
        and validated.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of such arrays
        Class labels.
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
    outlier_label_ : int or array-like of shape (n_class,)
        The label given to outliers.
    outputs_2d_ : bool
        Whether ``y`` had several outputs.

    Notes
    -----
    Computation: ``fit`` as :class:`KNeighborsClassifier`. ``predict`` /
    ``predict_proba`` on Dask queries are lazy: one task per (query chunk, index block)
    returns additive per-class weight sums of the pairs in range, summed over the index
    blocks in a tree (memory per task: a query chunk, an index block and its pairs).
    A callable ``weights`` must act elementwise (it sees the distances of one block).

    Examples
    --------
    >>> import numpy as np
    >>> from dml.neighbors import RadiusNeighborsClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> clf = RadiusNeighborsClassifier(radius=1.0).fit(X, [0, 0, 1, 1])
    >>> clf.predict([[1.5]])
    array([0])
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in NeighborsBase._parameter_constraints.items() if k not in ("n_lists", "n_probe")},
        "algorithm": [StrOptions({"auto", "brute", "ball_tree", "kd_tree"})],
        "radius": [Interval(numbers.Real, 0, None, closed="both")],
        "weights": [StrOptions({"uniform", "distance"}), callable, None],
        "outlier_label": [numbers.Integral, str, "array-like", None],
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
        outlier_label=None,
        n_jobs=None,
    ):
        self.radius = radius
        self.weights = weights
        self.algorithm = algorithm
        self.metric = metric
        self.p = p
        self.metric_params = metric_params
        self.outlier_label = outlier_label
        self.n_jobs = n_jobs

    def fit(self, X, y):
        """Index the training points and keep their labels.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
            Training points.
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_outputs)
            Class labels.

        Returns
        -------
        self : RadiusNeighborsClassifier
            The fitted classifier.
        """
        self._fit_classes(self._fit_index(X, y))
        self._set_outlier_label()
        return self

    def _set_outlier_label(self):
        """scikit-learn's outlier_label_ (and the class code it maps to, per output)."""
        classes = self._classes_list
        label = self.outlier_label
        if label is None:
            self.outlier_label_, self._outlier_code = None, None
            return
        n_out = len(classes)
        if isinstance(label, str) and label == "most_frequent":
            labels = [c[np.bincount(self._y[:, j], minlength=len(c)).argmax()] for j, c in enumerate(classes)]
        else:
            if _is_arraylike_not_scalar(label):
                if len(label) != n_out:
                    raise ValueError(
                        "The length of outlier_label: {} is inconsistent with the output length: {}".format(
                            label, n_out
                        )
                    )
                labels = list(label)
            else:
                labels = [label] * n_out
            for lab, c in zip(labels, classes):
                if _is_arraylike_not_scalar(lab) or (np.asarray(lab).dtype.kind in "US") != (
                    c.dtype.kind in "USO" and isinstance(c.flat[0], str)
                ):
                    raise TypeError(
                        f"The dtype of outlier label {lab} is inconsistent with classes {c} in y."
                    )
        self.outlier_label_ = labels if self.outputs_2d_ else labels[0]
        codes = []
        for lab, c in zip(labels, classes):
            hit = np.flatnonzero(c == lab)
            codes.append(int(hit[0]) if hit.size else None)
        self._outlier_code = codes
        self._outlier_labels = labels

    def _stats(self, X):
        Q, _ = self._queries(X)
        radius = self._check_radius(None)
        n_classes = [len(c) for c in self._classes_list]
        return Q, radius_statistics(self, Q, radius, self._y, n_classes)

    def predict_proba(self, X):
        """Probability estimates: the (weighted) share of each class within the radius.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_queries, n_features)

        Returns
        -------
        p : ndarray or Dask array of shape (n_queries, n_classes), or a list of such
            arrays (one per output)

        Notes
        -----
        Computation: lazy for Dask queries (see the class notes).
        """
        check_is_fitted(self, "_fit_X")
        Q, stats = self._stats(X)
        n_classes = [len(c) for c in self._classes_list]
        kw = dict(n_classes=n_classes, weights=self.weights, outlier_code=self._outlier_code_or_none())
        if not is_dask_collection(stats):
            out = _radius_finish_proba(stats, **kw)
            self._warn_unknown_outlier(stats)
        else:
            out = [
                stats.map_blocks(
                    _radius_proba_block, which=j, **kw, chunks=(stats.chunks[0], (c,)), dtype=np.float64
                )
                for j, c in enumerate(n_classes)
            ]
        return out if self.outputs_2d_ else out[0]

    def _outlier_code_or_none(self):
        if self.outlier_label_ is None:
            return None
        return self._outlier_code

    def _warn_unknown_outlier(self, stats):
        if self.outlier_label_ is None or all(c is not None for c in self._outlier_code):
            return
        if np.any(stats[:, -1] == 0):
            warnings.warn(
                "Outlier label {} is not in training classes. All class probabilities of outliers will be "
                "assigned with 0.".format(self.outlier_label_)
            )

    def predict(self, X):
        """Predict the class labels: the class of largest (weighted) vote in range.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_queries, n_features)

        Returns
        -------
        y : ndarray or Dask array of shape (n_queries,) or (n_queries, n_outputs)
            Outliers get ``outlier_label_``.

        Notes
        -----
        Computation: lazy for Dask queries (see the class notes).
        """
        check_is_fitted(self, "_fit_X")
        Q, stats = self._stats(X)
        kw = dict(
            n_classes=[len(c) for c in self._classes_list],
            weights=self.weights,
            outlier_code=self._outlier_code_or_none(),
            classes=self._classes_list,
            outlier_labels=None if self.outlier_label_ is None else self._outlier_labels,
            squeeze=not self.outputs_2d_,
        )
        if not is_dask_collection(stats):
            return _radius_predict_block(stats, **kw)
        dtype = self._classes_list[0].dtype
        chunks = (stats.chunks[0],) if not self.outputs_2d_ else (stats.chunks[0], (len(self._classes_list),))
        return stats.map_blocks(
            _radius_predict_block,
            **kw,
            chunks=chunks,
            drop_axis=[1] if not self.outputs_2d_ else [],
            dtype=dtype,
            meta=np.empty((0,) * len(chunks), dtype=dtype),
        )


def _is_arraylike_not_scalar(x):
    return hasattr(x, "__len__") and not isinstance(x, str)


def _radius_proba_block(stats, *, which, **kw):
    return _radius_finish_proba(stats, **kw)[which]


def _radius_predict_block(stats, *, classes, outlier_labels, squeeze, **kw):
    probas = _radius_finish_proba(stats, **kw)
    outliers = stats[:, -1] == 0
    dtype = (
        classes[0].dtype
        if outlier_labels is None
        else np.result_type(classes[0], np.asarray(outlier_labels[0]))
    )
    pred = np.empty((stats.shape[0], len(classes)), dtype=dtype)
    for j, (c, pr) in enumerate(zip(classes, probas)):
        pred[:, j] = c.take(np.argmax(pr, axis=1))
        if outliers.any():
            pred[outliers, j] = outlier_labels[j]
    return pred[:, 0] if squeeze else pred


def radius_statistics(est, Q, radius, targets, n_classes):
    """Summed :func:`~._neighbors_kernels.radius_stats` of queries ``Q`` over the index
    blocks: NumPy for in-memory queries and index, else a lazy Dask array (n_queries,
    n_stats) summed in a tree."""
    kw = dict(radius=radius, metric=est._metric, p=est._p, n_classes=n_classes, weights=est.weights)
    index = est._fit_X
    if not is_dask_collection(Q) and not is_dask_collection(index):
        return K.radius_stats(Q, index, np.zeros(1, np.int64), targets=targets, **kw)[:, 0, :]
    lazy_out = is_dask_collection(Q)
    Qd = Q if lazy_out else da.from_array(Q, chunks=(_chunk_rows(Q), -1))
    Id, offsets = est._index_blocks(index)
    width = 2 * (sum(n_classes) if n_classes is not None else targets.shape[1]) + 3
    parts = da.blockwise(
        K.radius_stats,
        "ijs",
        Qd,
        "if",
        Id,
        "jf",
        offsets,
        "j",
        targets=shared(targets),
        **kw,
        new_axes={"s": width},
        adjust_chunks={"j": 1},
        concatenate=True,
        align_arrays=False,
        dtype=np.float64,
        meta=np.empty((0, 0, 0)),
    )
    stats = parts.sum(axis=1)
    return stats if lazy_out else stats.compute()
