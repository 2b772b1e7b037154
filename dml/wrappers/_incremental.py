"""Incremental: train any ``partial_fit`` estimator block by block over a Dask array."""

from __future__ import annotations

from numbers import Integral

import dask
import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from dml._base import check_params
from dml._compat.sklearn import HasMethods, Interval
from dml._engine.inputs import is_dask_collection, is_dask_frame
from dml.metrics import get_scorer
from dml.wrappers._parallel_post_fit import ParallelPostFit, _estimator_has, check_scoring_param


def _partial_fit(model, X, y, kwargs):
    """One step of the chain: ``model.partial_fit`` on one block (runs where the block is)."""
    if y is None:
        model.partial_fit(X, **kwargs)
    else:
        model.partial_fit(X, y, **kwargs)
    return model


class Incremental(ParallelPostFit):
    """Train an estimator that has ``partial_fit`` on a Dask array, one block at a time.

    ``fit`` calls ``estimator.partial_fit`` on each row block of ``X`` (and the matching
    block of ``y``) in turn, for ``n_epochs`` passes over the blocks, optionally in a new
    random block order each pass. Prediction, transformation and scoring are
    :class:`ParallelPostFit`'s: blockwise and lazy on Dask input.

    Parameters
    ----------
    estimator : estimator object
        Any scikit-learn-compatible estimator with ``partial_fit`` (``SGDClassifier``,
        ``SGDRegressor``, ``MultinomialNB``, ``MLPClassifier``, ``MiniBatchKMeans``,
        ``IncrementalPCA``, ...).
    scoring : str, callable or None, default=None
        Used by :meth:`score`, as in :class:`ParallelPostFit`. A metric function
        (``accuracy_score`` itself, not a scorer) is rejected by :meth:`fit` with
        scikit-learn's error ("looks like it is a metric function rather than a
        scorer"): wrap it with ``make_scorer``.
    shuffle_blocks : bool, default=True
        Visit the blocks in a random order in each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the block order.
    n_epochs : int, default=1
        Passes over the blocks in ``fit``.

    Attributes
    ----------
    estimator_ : estimator object
        The trained clone of ``estimator``. Its fitted attributes (``coef_``,
        ``intercept_``, ``n_iter_``, ...) are readable on the wrapper after ``fit``, as
        in :class:`ParallelPostFit`.
    classes_ : ndarray
        Class labels (classifiers).
    n_features_in_ : int
        Number of features seen during fit (when the estimator records it).

    Notes
    -----
    Computation: one ``compute`` for the whole ``fit``: a chain of ``n_blocks *
    n_epochs`` tasks, each calling ``partial_fit`` on one block where that block is
    (the model travels between workers, the data does not). Memory per task: one
    block and the model. For a classifier, ``classes`` is passed to every
    ``partial_fit`` call; when not given in ``fit_params`` it is found first by one
    pass over ``y`` (``da.unique``). Arrays in ``fit_params`` with one entry per sample
    (``sample_weight``) are split into the same blocks. In-memory input is one block.
    The model depends on the chunking of the data (as any incremental learner does on
    its batches), not on the scheduler.

    Examples
    --------
    >>> import dask.array as da
    >>> from sklearn.linear_model import SGDClassifier
    >>> from dml.wrappers import Incremental
    >>> X = da.random.random((10_000, 4), chunks=1_000)
    >>> y = (X[:, 0] > 0.5).astype(int)
    >>> clf = Incremental(SGDClassifier(random_state=0), n_epochs=3, random_state=0).fit(X, y)
    >>> clf.predict(X)  # doctest: +ELLIPSIS
    dask.array<...>
    >>> clf.coef_.shape  # the trained estimator's coef_
    (1, 4)
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["partial_fit"]), None],
        "scoring": [str, callable, None],
        "shuffle_blocks": ["boolean"],
        "random_state": ["random_state"],
        "n_epochs": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, estimator=None, *, scoring=None, shuffle_blocks=True, random_state=None, n_epochs=1):
        self.estimator = estimator
        self.scoring = scoring
        self.shuffle_blocks = shuffle_blocks
        self.random_state = random_state
        self.n_epochs = n_epochs

    def fit(self, X, y=None, **fit_params):
        """Train a clone of ``estimator`` with ``n_epochs`` passes of ``partial_fit``.

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)
        y : array-like, Dask array or Dask Series of shape (n_samples,), optional
        **fit_params : dict
            Passed to every ``partial_fit`` call (per-sample arrays split by block).

        Returns
        -------
        self : object
        """
        self._check()
        model = clone(self.estimator)
        return self._train(model, X, y, fit_params, self.n_epochs, first=True)

    def partial_fit(self, X, y=None, **fit_params):
        """One more pass of ``partial_fit`` over the blocks of ``X``.

        The first call trains a clone of ``estimator``; later calls continue training it.

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)
        y : array-like, Dask array or Dask Series of shape (n_samples,), optional
        **fit_params : dict
            Passed to every ``partial_fit`` call.

        Returns
        -------
        self : object
        """
        first = not hasattr(self, "estimator_")
        if first:
            self._check()
            model = clone(self.estimator)
        else:
            model = self.estimator_
        return self._train(model, X, y, fit_params, 1, first=first)

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """Score the trained estimator; lazy (one pass) on Dask input.

        ``scoring=None`` uses :class:`ParallelPostFit`'s default (accuracy / R^2, one
        pass on Dask input). A scoring name is looked up with
        :func:`dml.metrics.get_scorer`, so Dask input is scored in one pass too.

        Parameters
        ----------
        X : array-like or Dask collection of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
        sample_weight : array-like or Dask array of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        if self.scoring is None:
            return super().score(X, y, sample_weight=sample_weight)
        check_is_fitted(self)

        scorer = get_scorer(self.scoring)
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return scorer(self, X, y, **kwargs)

    def _check(self):
        check_params(self)
        if self.estimator is None:
            raise ValueError("Incremental needs an estimator with partial_fit; got estimator=None.")
        check_scoring_param(self.estimator, self.scoring)

    def _train(self, model, X, y, fit_params, n_epochs, first):
        if y is None and get_tags(self.estimator).target_tags.required:
            raise ValueError(
                f"{type(self.estimator).__name__} requires y to be passed, but the target y is None."
            )
        X_blocks, y_blocks, rows = _blocks(X, y)
        fit_params = dict(fit_params)
        if is_classifier(self.estimator) and y is not None and "classes" not in fit_params and first:
            fit_params["classes"] = _classes(y)
        elif "classes" not in fit_params and hasattr(self, "classes_") and not first:
            fit_params["classes"] = self.classes_
        per_block = _split_params(fit_params, rows)
        rng = check_random_state(self.random_state)
        n = len(X_blocks)
        if not any(is_dask_collection(v) for v in (X, y)):
            for _ in range(n_epochs):
                for i in rng.permutation(n) if self.shuffle_blocks else range(n):
                    _partial_fit(model, X_blocks[i], None if y_blocks is None else y_blocks[i], per_block[i])
        else:
            step = dask.delayed(_partial_fit, pure=False)
            for _ in range(n_epochs):
                for i in rng.permutation(n) if self.shuffle_blocks else range(n):
                    model = step(model, X_blocks[i], None if y_blocks is None else y_blocks[i], per_block[i])
            model = model.compute() if hasattr(model, "compute") else model
        self.estimator_ = model
        if hasattr(model, "n_features_in_"):
            self.n_features_in_ = model.n_features_in_
        if hasattr(model, "feature_names_in_"):
            self.feature_names_in_ = model.feature_names_in_
        return self


def _classes(y):
    if is_dask_collection(y):
        import dask.array as da  # on Dask input only: in-memory use does not load dask.array

        if is_dask_frame(y):
            y = y.to_dask_array()
        return da.unique(y).compute()
    return np.unique(np.asarray(y))


def _blocks(X, y):
    """Row blocks of X and y (aligned), as delayed objects for Dask input."""
    if not any(is_dask_collection(v) for v in (X, y)):
        return [X], None if y is None else [y], (None,)
    import dask.array as da  # on Dask input only: in-memory use does not load dask.array

    if is_dask_frame(X):
        xb = list(X.to_delayed())
        rows = (np.nan,) * len(xb)
        if y is None:
            return xb, None, rows
        if not is_dask_frame(y) or y.npartitions != X.npartitions:
            raise ValueError(
                "With a Dask DataFrame X, y must be a Dask Series / DataFrame with the "
                f"same partitions ({X.npartitions}); got {type(y).__name__}."
            )
        return xb, list(y.to_delayed()), rows
    if not is_dask_collection(X):
        X = da.from_array(
            np.asarray(X), chunks=(y.chunks[0] if hasattr(y, "chunks") else -1,) + (-1,) * (np.ndim(X) - 1)
        )
    if X.ndim == 2 and len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    rows = tuple(X.chunks[0])
    xb = list(X.to_delayed().reshape(len(rows), -1)[:, 0])
    if y is None:
        return xb, None, rows
    if is_dask_frame(y):
        y = y.to_dask_array(lengths=True)
    if not is_dask_collection(y):
        y = np.asarray(y)
    if int(y.shape[0]) != int(sum(rows)):
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: {[int(sum(rows)), int(y.shape[0])]}"
        )
    if not is_dask_collection(y):
        y = da.from_array(y, chunks=(rows,) + (-1,) * (y.ndim - 1))
    if tuple(y.chunks[0]) != rows:
        y = y.rechunk({0: rows})
    yb = list(y.to_delayed().reshape(len(rows), -1)[:, 0])
    return xb, yb, rows


def _split_params(fit_params, rows):
    """Per-block copies of ``fit_params``; per-sample arrays are cut into the blocks."""
    if len(rows) == 1:
        return [dict(fit_params)]
    n = sum(rows)
    out = [dict() for _ in rows]
    for key, value in fit_params.items():
        per_sample = (
            key != "classes"
            and hasattr(value, "shape")
            and len(getattr(value, "shape", ())) >= 1
            and not np.isnan(n)
            and value.shape[0] == n
        )
        start = 0
        for i, r in enumerate(rows):
            out[i][key] = value[start : start + r] if per_sample else value
            start += r if per_sample else 0
    return out
