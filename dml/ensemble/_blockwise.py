"""BlockwiseVotingClassifier / BlockwiseVotingRegressor: one in-memory model per row
chunk, fitted as one task per chunk, combined by voting or averaging."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, RegressorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from dml._base import RegressorScoreMixin, check_params
from dml._compat.sklearn import HasMethods, StrOptions
from dml._engine.blockwise import apply_blockwise
from dml._engine.inputs import validate_fit_data, validate_predict_data
from dml._engine.mapreduce import map_reduce
from dml.ensemble._blockwise_kernels import (
    combine_fitted,
    fit_block_kernel,
    hard_vote_block,
    mean_predict_block,
    mean_proba_block,
    soft_vote_block,
)
from dml.metrics import accuracy_score

_COMPUTATION = """Computation: ``fit`` is one pass: one task per row chunk fits a
    clone of ``estimator`` on that chunk (its rows, targets and weights only), and the
    fitted models travel back to this process (they should be small). Dask input is
    read chunk by chunk from its source and never persisted or scattered, so a chunk
    whose worker is lost is read and fitted again by the scheduler. Memory per task:
    one chunk plus the model's own working memory. ``predict`` is blockwise (lazy for
    Dask input; every model predicts each chunk in the task that reads it)."""


class _BlockwiseBase(MetaEstimatorMixin, BaseEstimator):
    """Shared fit of the blockwise ensembles."""

    _parameter_constraints = {"estimator": [HasMethods(["fit", "predict"])]}

    def __init__(self, estimator):
        self.estimator = estimator

    def _fit_blocks(self, X, y, sample_weight, fit_params, *, y_numeric, multi_output):
        check_params(self)
        template = clone(self.estimator)
        with validate_fit_data(
            self,
            X,
            y,
            sample_weight,
            y_numeric=y_numeric,
            multi_output=multi_output,
            iterative=False,
        ) as data:
            res = map_reduce(
                fit_block_kernel,
                data,
                broadcast=(template,),
                combine=combine_fitted,
                pass_row_offset=True,
                fit_params=dict(fit_params),
            )
            # the models' output columns (None: 1-D), from y's metadata
            self._n_targets = (
                int((y.shape if hasattr(y, "shape") else np.shape(y))[1]) if data.y_ndim == 2 else None
            )
        order = np.argsort(np.asarray(res["offsets"]), kind="stable")
        self.estimators_ = [res["estimators"][i] for i in order]
        return self

    def _predict_with(self, func, X, n_outputs, dtype, **kwargs):
        X = validate_predict_data(self, X)
        return apply_blockwise(
            func, X, n_outputs=n_outputs, dtype=dtype, estimators=self.estimators_, **kwargs
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        if self.estimator is not None:
            inner = get_tags(self.estimator)
            tags.target_tags.multi_output = inner.target_tags.multi_output
            tags.input_tags.allow_nan = inner.input_tags.allow_nan  # NaN reaches the models as is
        return tags


def _soft_voting(self):
    if self.voting == "hard":
        raise AttributeError(f"predict_proba is not available when voting={self.voting!r}")
    return True


class BlockwiseVotingClassifier(ClassifierMixin, _BlockwiseBase):
    """Blockwise training and ensemble voting classifier.

    A clone of ``estimator`` is fitted independently on each row chunk (block) of ``X``,
    and the ensemble of these models predicts by majority vote ('hard') or by the
    largest mean probability ('soft'). Useful when the model only trains on in-memory
    data: each model sees one chunk.

    .. warning::

       Shuffle the rows before training: if the chunks are not distributed alike, the
       models differ and the vote is poor.

    Parameters
    ----------
    estimator : estimator object
        An unfitted classifier with ``fit`` and ``predict`` (and ``predict_proba`` for
        ``voting='soft'``); its fitted clones must have ``classes_``.
    voting : {'hard', 'soft'}, default='hard'
        'hard': the class predicted by most models (ties go to the first class in
        ``classes_``). 'soft': the argmax of the mean of the models' ``predict_proba``.
    classes : array-like, default=None
        The labels ``y`` can take. ``None``: the union of the labels the models saw. A
        label of ``y`` outside ``classes`` raises. ``classes`` given as a fit parameter
        is used likewise (and passed on to every model's ``fit``).

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted clones of ``estimator``, one per non-empty row chunk, in row order.
    classes_ : ndarray of shape (n_classes,)
        The sorted class labels: ``classes``, or the union of the models' ``classes_``.
        A model that never saw a class gives it no vote and probability 0.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has column names.

    See Also
    --------
    BlockwiseVotingRegressor : The regressor counterpart.

    Notes
    -----
    {computation} The models see the chunks as validated arrays (float NumPy, or the
    chunks' own array type), not as DataFrames. NumPy input is split into chunks of
    about ``dml.get_config()["chunk_bytes"]`` (a small array is one chunk: one model).

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.linear_model import LogisticRegression
    >>> from dml.datasets import make_classification
    >>> from dml.ensemble import BlockwiseVotingClassifier
    >>> X, y = make_classification(n_samples=4000, n_features=5, chunks=1000, random_state=0)
    >>> clf = BlockwiseVotingClassifier(LogisticRegression(), voting="soft").fit(X, y)
    >>> len(clf.estimators_), clf.classes_.tolist()
    (4, [0, 1])
    >>> clf.predict_proba(X).shape  # lazy for Dask input
    (4000, 2)
    >>> bool(clf.score(X, y) > 0.7)
    True
    """

    _parameter_constraints = {
        **_BlockwiseBase._parameter_constraints,
        "voting": [StrOptions({"hard", "soft"})],
        "classes": ["array-like", None],
    }

    def __init__(self, estimator, voting="hard", classes=None):
        self.voting = voting
        self.classes = classes
        super().__init__(estimator)

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit one clone of ``estimator`` per row chunk of ``X``.

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like or Dask array of shape (n_samples,), default=None
            Chunked like ``X``: each model gets its chunk's weights.
        **fit_params : dict
            Passed unchanged to every model's ``fit``.

        Returns
        -------
        self : object
        """
        self._fit_blocks(X, y, sample_weight, fit_params, y_numeric=False, multi_output=False)
        for est in self.estimators_:
            if not hasattr(est, "classes_"):
                raise TypeError(
                    f"{type(self).__name__} needs a classifier: the fitted "
                    f"{type(est).__name__} has no classes_."
                )
        seen = np.unique(np.concatenate([np.asarray(est.classes_) for est in self.estimators_]))
        given = self.classes if self.classes is not None else fit_params.get("classes")
        if given is None:
            self.classes_ = seen
        else:
            self.classes_ = np.unique(np.asarray(given))
            unknown = np.setdiff1d(seen, self.classes_)
            if unknown.size:
                raise ValueError(f"y contains labels {unknown.tolist()} that are not in classes.")
        return self

    def predict(self, X):
        """Predict class labels: the ensemble's vote on every row.

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray or Dask array of shape (n_samples,)
            A lazy Dask array for Dask input.
        """
        check_is_fitted(self)
        func = soft_vote_block if self.voting == "soft" else hard_vote_block
        return self._predict_with(func, X, None, self.classes_.dtype, classes=self.classes_)

    @available_if(_soft_voting)
    def predict_proba(self, X):
        """Mean class probabilities of the models (``voting='soft'`` only).

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray or Dask array of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; lazy for Dask input.
        """
        check_is_fitted(self)
        return self._predict_with(mean_proba_block, X, len(self.classes_), np.float64, classes=self.classes_)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of ``predict(X)`` (one lazy pass for Dask input).

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))


class BlockwiseVotingRegressor(RegressorScoreMixin, RegressorMixin, _BlockwiseBase):
    """Blockwise training and ensemble averaging regressor.

    A clone of ``estimator`` is fitted independently on each row chunk (block) of ``X``;
    the prediction is the mean of the models' predictions.

    .. warning::

       Shuffle the rows before training: if the chunks are not distributed alike, the
       models differ and their mean is poor.

    Parameters
    ----------
    estimator : estimator object
        An unfitted regressor with ``fit`` and ``predict``.

    Attributes
    ----------
    estimators_ : list of estimators
        The fitted clones of ``estimator``, one per non-empty row chunk, in row order.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` has column names.

    See Also
    --------
    BlockwiseVotingClassifier : The classifier counterpart.

    Notes
    -----
    {computation} The models see the chunks as validated float arrays, not as
    DataFrames; a 2-D ``y`` goes to the models as it is when ``estimator`` is multi-output
    (its ``multi_output`` tag).

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from dml.datasets import make_regression
    >>> from dml.ensemble import BlockwiseVotingRegressor
    >>> X, y = make_regression(n_samples=4000, n_features=5, chunks=1000, random_state=0)
    >>> reg = BlockwiseVotingRegressor(LinearRegression()).fit(X, y)
    >>> len(reg.estimators_)
    4
    >>> bool(reg.score(X, y) > 0.99)
    True
    """

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit one clone of ``estimator`` per row chunk of ``X``.

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like or Dask array of shape (n_samples,), default=None
            Chunked like ``X``: each model gets its chunk's weights.
        **fit_params : dict
            Passed unchanged to every model's ``fit``.

        Returns
        -------
        self : object
        """
        multi_output = get_tags(self).target_tags.multi_output
        return self._fit_blocks(X, y, sample_weight, fit_params, y_numeric=True, multi_output=multi_output)

    def predict(self, X):
        """Mean of the models' predictions on every row.

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray or Dask array of shape (n_samples,) or (n_samples, n_targets)
            A lazy Dask array for Dask input.
        """
        check_is_fitted(self)
        return self._predict_with(mean_predict_block, X, self._n_targets, np.float64)


for _cls in (BlockwiseVotingClassifier, BlockwiseVotingRegressor):
    _cls.__doc__ = _cls.__doc__.replace("{computation}", _COMPUTATION)
del _cls
