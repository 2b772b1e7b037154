"""CalibratedClassifierCV: probability calibration by cross-validation, on Dask input
with the classifiers fitted on the cluster and only the out-of-fold decision values
gathered to fit the 1-D calibrators."""

from __future__ import annotations

import math
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.calibration import CalibratedClassifierCV as _SkCalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import LeaveOneOut, check_cv
from sklearn.preprocessing import LabelEncoder
from sklearn.svm import LinearSVC
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from dml._base import check_params
from dml._engine.namespace import is_dask_collection
from dml.calibration._calibration_kernels import calibrated_proba_block, labels_block, response_block


class _Passthrough(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose response is its input: scikit-learn's calibration fitted
    over it (frozen) calibrates precomputed out-of-fold responses exactly as it would
    the classifier's."""

    def __init__(self, classes):
        self.classes = classes

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        """Not used by the calibration (scikit-learn's cross_val_predict requires it)."""
        raise NotImplementedError("a passthrough of precomputed responses does not predict labels")

    def __sklearn_is_fitted__(self):
        return True

    @property
    def classes_(self):
        return self.classes


class DecisionPassthrough(_Passthrough):
    """The passthrough of a ``decision_function`` response."""

    def decision_function(self, X):
        X = np.asarray(X)
        return X[:, 0] if X.shape[1] == 1 else X


class ProbaPassthrough(_Passthrough):
    """The passthrough of a ``predict_proba`` response (binary: the positive column)."""

    def predict_proba(self, X):
        X = np.asarray(X)
        return np.concatenate([1 - X, X], axis=1) if X.shape[1] == 1 else X


class _FoldCalibration:
    """A classifier fitted on one fold's training rows with the calibrator fitted on its
    held-out decision values (``estimator`` and ``calibrators``, as scikit-learn's
    ``_CalibratedClassifier``)."""

    def __init__(self, estimator, calibration, method):
        self.estimator = estimator
        self.calibration = calibration  # scikit-learn's CalibratedClassifierCV over a passthrough
        self.method = method

    @property
    def calibrators(self):
        return self.calibration.calibrated_classifiers_[0].calibrators

    def predict_proba(self, X):
        """Calibrated probabilities of an in-memory chunk."""
        return calibrated_proba_block(X, folds=[self])


def _response_method(estimator):
    if hasattr(estimator, "decision_function"):
        return "decision_function"
    if hasattr(estimator, "predict_proba"):
        return "predict_proba"
    raise AttributeError(
        f"{type(estimator).__name__} has none of the following attributes: decision_function, predict_proba."
    )


def _is_dml(estimator):
    return type(estimator).__module__.startswith("dml.")


def _compute(*arrays):
    import dask

    return dask.compute(*arrays)


def _dask_rows(X, y, sample_weight):
    from dml.metrics._common import align

    X, y, w = align(X, y, sample_weight)
    if any(math.isnan(c) for c in X.chunks[0]):
        X, y = X.compute_chunk_sizes(), y.compute_chunk_sizes()
        w = None if w is None else w.compute_chunk_sizes()
    if X.ndim != 2:
        raise ValueError(f"Expected 2D array, got {X.ndim}D array instead.")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    return X, y, w


def _fold_predictions(estimator, X, method, classes_):
    """The response of a fitted estimator on Dask rows, computed: ``(n, 1)`` for binary
    problems, ``(n, n_classes)`` otherwise (the ``n`` values travel to this process)."""
    k = 1 if len(classes_) == 2 else len(classes_)
    resp = X.map_blocks(
        response_block,
        estimator=estimator,
        method=method,
        chunks=(X.chunks[0], (k,)),
        dtype=np.float64,
        meta=np.empty((0, k)),
    )
    return np.asarray(_compute(resp)[0], dtype=np.float64)


def _fit_calibration(estimator, method, predictions, y, sample_weight, calib_method):
    """scikit-learn's calibration of ``predictions`` (already computed) against ``y``:
    its CalibratedClassifierCV over a frozen passthrough of the predictions, so the
    calibrators are exactly scikit-learn's."""
    cls = DecisionPassthrough if method == "decision_function" else ProbaPassthrough
    passthrough = cls(estimator.classes_)
    n = predictions.shape[0]
    all_rows = np.arange(n)
    cal = _SkCalibratedClassifierCV(
        FrozenEstimator(passthrough), method=calib_method, cv=[(all_rows, all_rows)]
    )
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Since FrozenEstimator does not appear to accept sample_weight"
        )
        cal.fit(predictions, y, sample_weight=sample_weight)
    return _FoldCalibration(estimator, cal, method)


class CalibratedClassifierCV(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Probability calibration with isotonic regression, Platt's sigmoid or temperature
    scaling, by cross-validation (scikit-learn's, and on Dask input).

    In-memory input is scikit-learn's :class:`sklearn.calibration.CalibratedClassifierCV`
    (its result exactly). On Dask input the folds' classifiers are fitted on the Dask
    rows of their training folds (dml estimators on the cluster), their decision values
    on the held-out rows are computed lazily per fold and only those values (``n_samples``
    floats, ``n_samples x n_classes`` for multiclass) are gathered here to fit the 1-D
    calibrators with scikit-learn's own code: on the same folds the calibrators are
    scikit-learn's for the same fitted classifiers.

    Parameters
    ----------
    estimator : estimator instance, default=None
        The classifier to calibrate; None: ``LinearSVC(random_state=0)``.
    method : {'sigmoid', 'isotonic', 'temperature'}, default='sigmoid'
        Platt's sigmoid, isotonic regression, or temperature scaling.
    cv : int, cross-validation generator, iterable or None, default=None
        The folds, as scikit-learn's (None: 5-fold; stratified for classifiers). On
        Dask input ``y`` is gathered to this process to make the folds.
    n_jobs : int, default=None
        Folds fitted at once (threads sharing the cluster on Dask input).
    ensemble : bool or 'auto', default='auto'
        True: one (classifier, calibrator) pair per fold, probabilities averaged; False:
        one calibrator on the out-of-fold predictions of all folds and the classifier
        refitted on all the data. 'auto': True unless ``estimator`` is a
        :class:`sklearn.frozen.FrozenEstimator`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    calibrated_classifiers_ : list
        The (classifier, calibrator) pairs; each has ``estimator`` and ``calibrators``.
    n_features_in_ : int
        Number of features seen during fit (when the classifier records it).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (when the classifier records them).

    See Also
    --------
    dml.imbalance.NegativeDownsampler : the downsampling correction for imbalance.

    Notes
    -----
    Computation: in memory, scikit-learn's fit. Dask input: ``y`` (and the weights) are
    gathered once to make the folds (``n_samples`` values here); per fold, the
    classifier's fit on the training rows (its own passes; a scikit-learn classifier
    receives its training rows in memory) and one pass computing the held-out decision
    values, which are gathered (O(n_samples) floats in this process in all). With
    ``ensemble=False`` the classifier is also refitted on all rows. ``predict_proba``
    is blockwise: Dask in gives lazy Dask out, each task holding one chunk and the
    fitted pairs.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.calibration import CalibratedClassifierCV
    >>> from dml.linear_model import LogisticRegression
    >>> X = da.random.default_rng(0).normal(size=(600, 3), chunks=200)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = CalibratedClassifierCV(LogisticRegression(), cv=3).fit(X, y)
    >>> len(clf.calibrated_classifiers_)
    3
    >>> clf.predict_proba(X)  # doctest: +ELLIPSIS
    dask.array<...>
    """

    _parameter_constraints = dict(_SkCalibratedClassifierCV._parameter_constraints)

    def __init__(self, estimator=None, *, method="sigmoid", cv=None, n_jobs=None, ensemble="auto"):
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.n_jobs = n_jobs
        self.ensemble = ensemble

    def _get_estimator(self):
        return LinearSVC(random_state=0) if self.estimator is None else self.estimator

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the classifiers and their calibrators.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like or Dask array of shape (n_samples,), default=None
            Used by the classifier's fit (when it accepts them) and the calibrators.
        **fit_params : dict
            Passed to the classifier's fit (in memory; on Dask input only parameters
            that are not per-row arrays).

        Returns
        -------
        self : CalibratedClassifierCV
        """
        check_params(self)
        if not any(v is not None and is_dask_collection(v) for v in (X, y, sample_weight)):
            sk = _SkCalibratedClassifierCV(**self.get_params(deep=False))
            sk.fit(X, y, sample_weight=sample_weight, **fit_params)
            self.classes_ = sk.classes_
            self.calibrated_classifiers_ = sk.calibrated_classifiers_
            for name in ("n_features_in_", "feature_names_in_"):
                if hasattr(sk, name):
                    setattr(self, name, getattr(sk, name))
            self._memory = sk
            return self
        self._memory = None
        return self._fit_dask(X, y, sample_weight, fit_params)

    def _fit_dask(self, X, y, sample_weight, fit_params):
        X, y_d, w_d = _dask_rows(X, y, sample_weight)
        y_host, w_host = _compute(y_d, w_d if w_d is not None else np.empty(0))
        y_host = np.asarray(y_host)
        w_host = None if w_d is None else np.asarray(w_host, dtype=np.float64)
        check_classification_targets(y_host)
        estimator = self._get_estimator()
        ensemble = self.ensemble
        if ensemble == "auto":
            ensemble = not isinstance(estimator, FrozenEstimator)
        self.classes_ = LabelEncoder().fit(y_host).classes_
        y_cal = y_host
        if self.method == "temperature" and y_host.dtype.kind in "OUS":
            y_cal = LabelEncoder().fit(y_host).transform(y_host)
        if isinstance(self.cv, int):
            n_folds = self.cv
        elif hasattr(self.cv, "n_splits"):
            n_folds = self.cv.n_splits
        else:
            n_folds = None
        if n_folds and np.any(np.unique(y_host, return_counts=True)[1] < n_folds):
            raise ValueError(
                f"Requesting {n_folds}-fold "
                "cross-validation but provided less than "
                f"{n_folds} examples for at least one class."
            )
        if isinstance(self.cv, LeaveOneOut):
            raise ValueError(
                "LeaveOneOut cross-validation does not allow"
                "all classes to be present in test splits. "
                "Please use a cross-validation generator that allows "
                "all classes to appear in every test and train split."
            )
        cv = check_cv(self.cv, y_host, classifier=True)
        splits = list(cv.split(np.zeros((y_host.shape[0], 1)), y_host))
        import inspect

        supports_sw = "sample_weight" in inspect.signature(estimator.fit).parameters
        if w_d is not None and not supports_sw:
            warnings.warn(
                f"Since {type(estimator).__name__} does not appear to accept"
                " sample_weight, sample weights will only be used for the"
                " calibration itself. Be warned that the result of the calibration is"
                " likely to be incorrect.",
                UserWarning,
                stacklevel=2,
            )
        use_w = w_d is not None and supports_sw

        def fit_rows(idx):
            est = clone(estimator)
            Xi, yi = (X, y_d) if idx is None else (X[idx], y_d[idx])
            kw = dict(fit_params)
            if use_w:
                kw["sample_weight"] = w_d if idx is None else w_d[idx]
            if not _is_dml(est):
                Xi, yi = _compute(Xi, yi)
                if use_w:
                    kw["sample_weight"] = np.asarray(_compute(kw["sample_weight"])[0])
            return est.fit(Xi, yi, **kw)

        def fold(train, test):
            est = fit_rows(np.sort(train))
            method = _response_method(est)
            test = np.sort(test)
            pred = _fold_predictions(est, X[test], method, self.classes_)
            return est, method, pred, test

        results = Parallel(n_jobs=self.n_jobs, prefer="threads")(delayed(fold)(tr, te) for tr, te in splits)
        if ensemble:
            self.calibrated_classifiers_ = [
                _fit_calibration(
                    est, method, pred, y_cal[test], None if w_host is None else w_host[test], self.method
                )
                for est, method, pred, test in results
            ]
        else:
            width = results[0][2].shape[1]
            pred_all = np.zeros((y_host.shape[0], width))
            covered = np.zeros(y_host.shape[0], dtype=bool)
            for _, _, pred, test in results:
                pred_all[test] = pred
                covered[test] = True
            if not covered.all():
                raise ValueError("cross_val_predict only works for partitions")
            est = fit_rows(None)
            self.calibrated_classifiers_ = [
                _fit_calibration(est, _response_method(est), pred_all, y_cal, w_host, self.method)
            ]
        first = self.calibrated_classifiers_[0].estimator
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(first, name):
                setattr(self, name, getattr(first, name))
        return self

    def predict_proba(self, X):
        """Calibrated class probabilities (the mean over the pairs); lazy on Dask input.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray or Dask array of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        if not is_dask_collection(X):
            if self._memory is not None:
                return self._memory.predict_proba(X)
            return calibrated_proba_block(X, folds=self.calibrated_classifiers_)
        if hasattr(X, "to_dask_array"):
            X = X.to_dask_array()
        if X.ndim != 2:
            raise ValueError(f"Expected 2D array, got {X.ndim}D array instead.")
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        k = len(self.classes_)
        return X.map_blocks(
            calibrated_proba_block,
            folds=self.calibrated_classifiers_,
            chunks=(X.chunks[0], (k,)),
            dtype=np.float64,
            meta=np.empty((0, k)),
        )

    def predict(self, X):
        """The class of highest calibrated probability; lazy on Dask input.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray or Dask array of shape (n_samples,)
        """
        P = self.predict_proba(X)
        if not is_dask_collection(P):
            return labels_block(P, classes=self.classes_)
        classes = self.classes_
        return P.map_blocks(labels_block, classes=classes, drop_axis=1, dtype=classes.dtype, meta=classes[:0])

    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict` (one lazy pass on Dask input).

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like or Dask array of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        from dml.metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._get_estimator())
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags
