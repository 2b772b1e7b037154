"""ParallelPostFit: fit any scikit-learn estimator in memory, predict blockwise over Dask."""

from __future__ import annotations

import dask
import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.metrics import check_scoring as _sklearn_check_scoring
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from dml._engine.inputs import is_dask_collection, is_dask_frame
from dml.metrics import accuracy_score, get_scorer, r2_score


def _estimator_has(attr):
    def check(self):
        est = getattr(self, "estimator_", self.estimator)
        return hasattr(est, attr)

    return check


_METRIC_MODULES = ("sklearn.metrics.", "dml.metrics.")
_SCORER_MODULES = ("sklearn.metrics._scorer", "dml.metrics._scorer")


def check_scoring_param(estimator, scoring):
    """Check ``scoring`` when ``fit`` starts, not first in ``score``.

    A metric function (``accuracy_score`` itself, not a scorer made by ``make_scorer``)
    is rejected with scikit-learn's own error, for scikit-learn's metrics and dml's; a
    name must be one :func:`dml.metrics.get_scorer` knows.
    """
    if scoring is None:
        return
    if isinstance(scoring, str):
        get_scorer(scoring)
        return
    module = getattr(scoring, "__module__", None) or ""
    if module.startswith(_METRIC_MODULES) and not module.startswith(_SCORER_MODULES):
        # scikit-learn's heuristic: its message, for dml's metric functions too.
        raise ValueError(
            f"scoring value {scoring!r} looks like it is a metric function rather than a "
            "scorer. A scorer should require an estimator as its first parameter. Please "
            "use `make_scorer` to convert a metric to a scorer."
        )
    _sklearn_check_scoring(estimator, scoring)


def _frame_probe_row(X):
    """One fabricated row with ``X``'s columns and dtypes: 0 in numeric and boolean
    columns, missing elsewhere (filling a string column with 0 is deprecated in pandas)."""
    import pandas as pd

    sample = X._meta.iloc[:0]
    row = sample.reindex([0])
    fill = {c: 0 for c, t in sample.dtypes.items() if pd.api.types.is_numeric_dtype(t)}
    return row.fillna(fill).astype(sample.dtypes.to_dict())


def _probe(func, fabricated, first_rows):
    """``func`` on a fabricated row, to learn the output's dtype and width without
    reading data. A value-dependent model can refuse that row (``OneHotEncoder`` and an
    unknown category); then ``func`` runs on the data's first row (one read of the first
    chunk), and an error there is the model's own."""
    try:
        return func(fabricated)
    except Exception as err:  # noqa: BLE001 - any refusal of the fabricated row
        rows = first_rows()
        if len(rows) == 0:
            raise err
        return func(rows)


def _to_memory(v):
    if v is not None and is_dask_collection(v):
        return v.compute()
    return v


class ParallelPostFit(MetaEstimatorMixin, BaseEstimator):
    """Fit an estimator in memory; run its predict / transform / score blockwise on Dask.

    For models whose training data fits in memory but whose prediction data does not:
    ``fit`` trains a clone of ``estimator`` (Dask input is computed into memory first),
    then ``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function`` and
    ``transform`` map the fitted model over the row chunks of Dask input (lazy Dask
    out), or call it directly on in-memory input.

    Parameters
    ----------
    estimator : estimator object
        Any scikit-learn-compatible estimator.
    scoring : str, callable or None, default=None
        Used by :meth:`score`. None: accuracy for classifiers and R^2 for regressors,
        computed lazily in one pass over Dask input; a string or callable scorer as in
        scikit-learn (its metric receives the predictions in memory). A metric function
        itself (``accuracy_score``, not a scorer) is rejected by :meth:`fit` with
        scikit-learn's error: wrap it with ``make_scorer``.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone. Its fitted attributes (public names ending in ``_``:
        ``coef_``, ``feature_importances_``, ...) are readable on the wrapper after
        ``fit`` (``ppf.coef_`` is ``ppf.estimator_.coef_``); before ``fit``, or for a
        name the fitted estimator lacks, the wrapper raises ``AttributeError``.
    classes_ : ndarray
        The fitted estimator's classes (classifiers only).
    n_features_in_ : int
        Number of features seen during fit (when the estimator records it).

    Notes
    -----
    Computation: ``fit`` is the wrapped estimator's own in-memory fit (Dask input is
    computed once). Prediction methods on Dask input add one task per chunk to the
    graph and compute nothing; each task holds one chunk and the fitted model. Output
    dtype and width are found by calling the method on one row of zeros (no data read).

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.linear_model import LogisticRegression
    >>> from dml.wrappers import ParallelPostFit
    >>> X = da.random.random((1000, 3), chunks=250); y = (X[:, 0] > 0.5).astype(int)
    >>> clf = ParallelPostFit(LogisticRegression()).fit(X[:200], y[:200])
    >>> clf.predict(X)  # doctest: +ELLIPSIS
    dask.array<...>
    >>> clf.coef_.shape  # the fitted estimator's attributes, passed through
    (1, 3)
    """

    def __init__(self, estimator=None, scoring=None):
        self.estimator = estimator
        self.scoring = scoring

    def fit(self, X, y=None, **fit_params):
        """Fit a clone of ``estimator`` on the (in-memory) data.

        Parameters
        ----------
        X : array-like or Dask collection of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,), optional
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : object
        """
        if self.estimator is None:
            raise ValueError("ParallelPostFit needs an estimator; got estimator=None.")
        check_scoring_param(self.estimator, self.scoring)
        est = clone(self.estimator)
        fit_params = {k: _to_memory(v) for k, v in fit_params.items()}
        est.fit(_to_memory(X), _to_memory(y), **fit_params)
        self.estimator_ = est
        if hasattr(est, "n_features_in_"):
            self.n_features_in_ = est.n_features_in_
        if hasattr(est, "feature_names_in_"):
            self.feature_names_in_ = est.feature_names_in_
        return self

    def __getattr__(self, name):
        # Called only when ordinary lookup fails: pass the fitted estimator's fitted
        # attributes (public names ending in "_": coef_, n_iter_, ...) through, as
        # dask-ml does. Methods are not passed through (ppf.fit_transform would refit the
        # inner model behind the wrapper's back), nor private or dunder names, which
        # keeps pickling, copy and clone on the ordinary path. Reads __dict__ directly:
        # never recursive, also on a half-built (unpickling) instance.
        if not name.startswith("_") and name.endswith("_"):
            est = self.__dict__.get("estimator_")
            if est is not None:
                try:
                    return getattr(est, name)
                except AttributeError:
                    pass
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def classes_(self):
        """The fitted estimator's ``classes_`` (classifiers only)."""
        check_is_fitted(self)
        return self.estimator_.classes_

    def _apply(self, method, X):
        check_is_fitted(self)
        func = getattr(self.estimator_, method)
        if not is_dask_collection(X):
            return func(X)
        import dask.array as da  # on Dask input only: in-memory use does not load dask.array

        if is_dask_frame(X):
            # Keep the column names the model was fitted with: call it on pandas partitions.
            example = _probe(func, _frame_probe_row(X), lambda: X.head(1))
            parts = [
                da.from_delayed(
                    dask.delayed(func)(p),
                    shape=(np.nan,) + np.shape(example)[1:],
                    dtype=np.asarray(example).dtype,
                    meta=np.asarray(example)[:0],
                )
                for p in X.to_delayed()
            ]
            return da.concatenate(parts, axis=0)
        if X.ndim != 2:
            raise ValueError(f"Expected 2D array, got {X.ndim}D array instead.")
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        example = np.asarray(
            _probe(func, np.zeros((1, X.shape[1]), dtype=X.dtype), lambda: X.blocks[0].compute()[:1])
        )
        if example.ndim == 1:
            return X.map_blocks(func, drop_axis=1, dtype=example.dtype, meta=example[:0])
        return X.map_blocks(
            func, chunks=(X.chunks[0], example.shape[1:]), dtype=example.dtype, meta=example[:0]
        )

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict with the fitted estimator; lazy and blockwise on Dask input.

        Parameters
        ----------
        X : array-like or Dask collection of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray or Dask array of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._apply("predict", X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities; lazy and blockwise on Dask input.

        Parameters
        ----------
        X : array-like or Dask collection of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray or Dask array of shape (n_samples, n_classes)
        """
        return self._apply("predict_proba", X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log of class probabilities; lazy and blockwise on Dask input.

        Parameters
        ----------
        X : array-like or Dask collection of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray or Dask array of shape (n_samples, n_classes)
        """
        return self._apply("predict_log_proba", X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function; lazy and blockwise on Dask input.

        Parameters
        ----------
        X : array-like or Dask collection of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray or Dask array
        """
        return self._apply("decision_function", X)

    @available_if(_estimator_has("transform"))
    def transform(self, X):
        """Transform; lazy and blockwise on Dask input.

        Parameters
        ----------
        X : array-like or Dask collection of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray or Dask array
        """
        return self._apply("transform", X)

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """Score the fitted estimator on (possibly Dask) data.

        Parameters
        ----------
        X : array-like or Dask collection of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        if self.scoring is not None:
            scorer = get_scorer(self.scoring) if isinstance(self.scoring, str) else self.scoring
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            return scorer(self, X, y, **kwargs)
        if not any(is_dask_collection(v) for v in (X, y, sample_weight)):
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            return self.estimator_.score(X, y, **kwargs)

        kind = get_tags(self.estimator_).estimator_type
        if kind == "classifier":
            return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))
        if kind == "regressor":
            return float(r2_score(y, self.predict(X), sample_weight=sample_weight))
        raise ValueError(
            "ParallelPostFit.score on Dask input needs `scoring` for estimators that are "
            f"neither classifiers nor regressors (got {type(self.estimator_).__name__})."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.estimator is not None:
            inner = get_tags(self.estimator)
            tags.estimator_type = inner.estimator_type
            tags.classifier_tags = inner.classifier_tags
            tags.regressor_tags = inner.regressor_tags
            tags.transformer_tags = inner.transformer_tags
            tags.target_tags = inner.target_tags
            tags.input_tags = inner.input_tags
        return tags
