"""NegativeDownsampler: train a binary classifier on every positive and a fraction of
the negatives, then correct its probabilities for the sampling (He et al., 2014)."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from dml._base import check_params
from dml._compat.sklearn import HasMethods, Interval, StrOptions
from dml._config import get_config
from dml._engine.inputs import pass_data
from dml._engine.mapreduce import combine_value_counts, map_reduce, record_pass
from dml._engine.memory import should_persist
from dml._engine.namespace import is_dask_collection
from dml._engine.runtime import get_client
from dml.imbalance._downsample_kernels import (
    corrected_block,
    draw_plan,
    keep_block,
    keep_mask,
    kept_rows,
    label_counts_kernel,
    labels_block,
    planned_kept_rows,
    same_block,
)


def _inner_has(attr):
    def check(self):
        est = getattr(self, "estimator_", self.estimator)
        return hasattr(est, attr)

    return check


def _is_logistic(est):
    """A fitted binary logistic model: ``coef_``, ``intercept_``, ``decision_function``
    and the log loss (scikit-learn's and dml's ``LogisticRegression``, ``SGDClassifier(
    loss='log_loss')``), whose probabilities are the sigmoid of the decision values."""
    if not (hasattr(est, "coef_") and hasattr(est, "intercept_") and hasattr(est, "decision_function")):
        return False
    if np.size(est.intercept_) != 1:
        return False
    return getattr(est, "loss", "log_loss") == "log_loss"


def _as_dask_rows(X, y, sample_weight):
    """X, y and the weights as Dask arrays with the same known row chunks (one column
    block for X). Unknown chunk lengths (from DataFrames) cost one pass over ``y``."""
    import dask.array as da

    from dml.metrics._common import align

    X, y, w = align(X, y, sample_weight)
    if X.ndim != 2:
        raise ValueError(f"Expected 2D array, got {X.ndim}D array instead.")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} instead.")
    if any(math.isnan(c) for c in y.chunks[0]):
        y = y.compute_chunk_sizes()
        X = X.map_blocks(same_block, chunks=(y.chunks[0], X.chunks[1]), dtype=X.dtype, meta=X._meta)
        if w is not None:
            w = w.map_blocks(same_block, chunks=(y.chunks[0],), dtype=w.dtype, meta=w._meta)
    if X.dtype.kind not in "fiub":
        raise ValueError(f"dtype={X.dtype} is not supported for Dask input: numeric X expected.")
    return X, y, w, da


def _kept_length(part):
    return int(part[1].shape[0])


def _pick(part, j):
    return part[j]


def _concatenate_kept(parts, weighted):
    """One sample from the per-chunk ``(X, y, w)`` parts (CSR parts stacked as CSR)."""
    Xs = [p[0] for p in parts]
    if hasattr(Xs[0], "tocsr"):
        import scipy.sparse as sp

        Xs = sp.vstack(Xs, format="csr")
    else:
        Xs = np.concatenate(Xs, axis=0)
    ys = np.concatenate([p[1] for p in parts])
    return Xs, ys, (np.concatenate([p[2] for p in parts]) if weighted else None)


def _gather_kept(X, y, w, draw):
    """The sample in this process: one :func:`kept_rows` task per row chunk, concatenated."""
    import dask

    offsets = np.concatenate([[0], np.cumsum(y.chunks[0])[:-1]])
    xs, ys = X.to_delayed()[:, 0], y.to_delayed()
    ws = [None] * len(ys) if w is None else w.to_delayed()
    task = dask.delayed(kept_rows, pure=True)
    parts = dask.compute(
        *[task(xb, yb, wb, row_offset=int(o), **draw) for xb, yb, wb, o in zip(xs, ys, ws, offsets)]
    )
    return _concatenate_kept(parts, w is not None)


class NegativeDownsampler(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Fit a binary classifier on all positives and a fraction of the negatives, and
    correct its probabilities for the sampling.

    The recipe of click prediction at heavy imbalance (He et al., 2014): keep every row
    of the positive class (``classes_[1]``) and each negative row with probability
    ``w`` (``negative_rate_``), fit ``estimator`` on that much smaller sample, then map
    its probability ``p`` of the positive class to ``q = p / (p + (1 - p) / w)``, that
    is ``logit(q) = logit(p) + ln w``: the probability under the full data's class
    balance. For a logistic model the correction is an exact shift of the intercept.

    Parameters
    ----------
    estimator : estimator object
        A binary classifier with ``fit`` and ``predict_proba`` (dml's or scikit-learn's).
    negative_rate : 'balanced' or float in (0, 1], default='balanced'
        The fraction ``w`` of negatives kept. ``'balanced'``: ``n_positive /
        n_negative`` (at most 1), so the sample has as many negatives as positives.
    recalibrate : bool, default=True
        Correct ``predict_proba`` / ``decision_function`` / ``predict`` for the
        sampling. False gives the model's own output (the probabilities of the sample's
        class balance).
    random_state : int, RandomState instance or None, default=None
        Seeds the draws. A row's draw is a hash of the seed and its global row index,
        so the same rows are kept whatever the chunking or the scheduling.

    Attributes
    ----------
    estimator_ : estimator object
        The clone of ``estimator`` fitted on the sample.
    classes_ : ndarray of shape (2,)
        The class labels; ``classes_[1]`` is the positive class (every row kept).
    negative_rate_ : float
        The fraction of negatives kept.
    correction_ : {'intercept', 'q-map'} or None
        How probabilities are corrected: ``'intercept'`` (the decision values of a
        logistic model shifted by ``ln w``), ``'q-map'`` (the probabilities mapped),
        None when ``recalibrate=False`` or nothing was dropped (``w = 1``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names (in memory).

    See Also
    --------
    dml.calibration.CalibratedClassifierCV : calibrate a classifier on held-out folds.

    Notes
    -----
    Computation: in memory, the sample is drawn with NumPy and the clone fitted on it.
    On Dask input (Dask DataFrame input first reads its partition lengths, one pass over
    ``y``), when the sample may be held in memory by dml's persist policy (it is at most
    the whole input), ``fit`` submits one graph: a task per chunk counts its labels, one
    task merges the counts and fixes the rate (``'balanced'`` needs the counts), and a
    task per chunk then keeps that chunk's rows by the hashed draws (a compiled loop over
    the labels for NumPy chunks), reading only the kept rows of ``X`` and the weights:
    one round trip, ``X`` read once. A sample no larger than dml's fast-path size
    (``fast_path_bytes``, by default ``chunk_bytes``, 64 MiB), any sample without a
    cluster, and the sample for a scikit-learn estimator (not one of dml's) are gathered
    into this process and the inner fit runs on them in memory, with no graph and no
    round trips; a larger one stays on the workers where it was drawn, as a persisted
    Dask array that every pass of the inner fit reads. Otherwise (the policy refuses
    to hold the input's size) the class counts are one pass over ``y`` and the sample
    stays lazy: each pass of the inner fit filters the source again. Prediction is
    blockwise: Dask in gives lazy Dask out, one task per chunk holding the chunk and the
    fitted model; nothing is computed.

    References
    ----------
    X. He et al., "Practical Lessons from Predicting Clicks on Ads at Facebook",
    ADKDD 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from dml.imbalance import NegativeDownsampler
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(20000, 2))
    >>> y = (rng.random(20000) < 1 / (1 + np.exp(5 - X[:, 0]))).astype(int)
    >>> clf = NegativeDownsampler(LogisticRegression(), random_state=0).fit(X, y)
    >>> clf.correction_
    'intercept'
    >>> bool(abs(clf.predict_proba(X)[:, 1].mean() / y.mean() - 1) < 0.1)
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "negative_rate": [StrOptions({"balanced"}), Interval(Real, 0, 1, closed="right")],
        "recalibrate": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, negative_rate="balanced", recalibrate=True, random_state=None):
        self.estimator = estimator
        self.negative_rate = negative_rate
        self.recalibrate = recalibrate
        self.random_state = random_state

    # ------------------------------------------------------------------------- fit

    def fit(self, X, y, sample_weight=None):
        """Draw the sample and fit a clone of ``estimator`` on it.

        Parameters
        ----------
        X : array-like, sparse matrix, Dask array or DataFrame of shape (n_samples, n_features)
        y : array-like or Dask collection of shape (n_samples,)
            Binary targets.
        sample_weight : array-like or Dask array of shape (n_samples,), default=None
            Passed to the inner fit for the kept rows.

        Returns
        -------
        self : NegativeDownsampler
        """
        check_params(self)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        if any(v is not None and is_dask_collection(v) for v in (X, y, sample_weight)):
            Xs, ys, ws = self._sample_dask(X, y, sample_weight, seed)
        else:
            Xs, ys, ws = self._sample_memory(X, y, sample_weight, seed)
        kw = {} if ws is None else {"sample_weight": ws}
        self.estimator_ = clone(self.estimator).fit(Xs, ys, **kw)
        recal = self.recalibrate and self.negative_rate_ < 1
        self.correction_ = ("intercept" if _is_logistic(self.estimator_) else "q-map") if recal else None
        return self

    def _rate(self, classes, counts):
        if classes.shape[0] > 2:
            raise ValueError(
                "Only binary classification is supported. The type of the target is "
                f"multiclass ({classes.shape[0]} classes: {classes.tolist()}); "
                "NegativeDownsampler keeps the positive class and samples the negatives."
            )
        if classes.shape[0] < 2:
            raise ValueError(
                "NegativeDownsampler needs samples of 2 classes, but the data contains "
                f"only one class: {classes.tolist()[0]!r}."
            )
        self.classes_ = classes
        n_neg, n_pos = int(counts[0]), int(counts[1])
        if self.negative_rate == "balanced":
            self.negative_rate_ = min(1.0, n_pos / n_neg)
        else:
            self.negative_rate_ = float(self.negative_rate)
        return n_pos, n_neg

    def _sample_memory(self, X, y, sample_weight, seed):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc", "coo"], dtype=None, ensure_all_finite=False
        )
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type not in ("binary", "multiclass"):
            raise ValueError(f"Only binary classification is supported. The type of the target is {y_type}.")
        classes, counts = np.unique(y, return_counts=True)
        self._rate(classes, counts)
        keep = keep_mask(y, xp=np, row_offset=0, seed=seed, rate=self.negative_rate_, pos_label=classes[1])
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)
            if sample_weight.shape != (y.shape[0],):
                raise ValueError(f"sample_weight.shape == {sample_weight.shape}, expected {(y.shape[0],)}!")
            sample_weight = sample_weight[keep]
        if hasattr(X, "tocsr"):
            X = X.tocsr()
        return X[keep], y[keep], sample_weight

    def _sample_dask(self, X, y, sample_weight, seed):
        import dask

        if hasattr(X, "columns"):
            names = np.asarray([str(c) for c in X.columns], dtype=object)
            if all(isinstance(c, str) for c in X.columns):
                self.feature_names_in_ = names
        X, y, w, _ = _as_dask_rows(X, y, sample_weight)
        self.n_features_in_ = int(X.shape[1])
        client = get_client()
        bound = X.nbytes + y.nbytes + (0 if w is None else w.nbytes)  # the sample is at most all rows
        if should_persist(bound, client, iterative=True):
            return self._sample_one_graph(X, y, w, seed, client)
        counts = map_reduce(label_counts_kernel, pass_data(y), combine=combine_value_counts)
        classes, (n_pos, n_neg) = self._check_counts(counts)
        draw = {"seed": seed, "rate": self.negative_rate_, "pos_label": classes[1]}
        n_kept = n_pos + self.negative_rate_ * n_neg
        nbytes = n_kept * (X.shape[1] * X.dtype.itemsize + 16)
        small = get_config()["fast_path_bytes"]
        gather = not type(self.estimator).__module__.startswith("dml.")
        if gather or nbytes <= (get_config()["chunk_bytes"] if small is None else small):
            # a foreign estimator, or a sample below dml's fast-path size: gathered here
            # by one task per chunk that reads y and the kept rows; a dml fit then runs
            # in this process with no graph
            return _gather_kept(X, y, w, draw)
        mask = y.map_blocks(keep_block, dtype=bool, **draw)
        Xs, ys = X[mask], y[mask]
        ws = None if w is None else w[mask]
        kept = [v for v in (Xs, ys, ws) if v is not None]
        if should_persist(nbytes, get_client(), iterative=True):
            kept = [v.compute_chunk_sizes() for v in dask.persist(*kept)]
        return tuple(kept) + ((None,) if ws is None else ())

    def _check_counts(self, counts):
        classes = np.asarray(counts["labels"])
        if classes.dtype.kind not in "iuUSOb" and not np.all(np.isfinite(classes)):
            raise ValueError("Input y contains NaN.")
        check_classification_targets(classes)
        return classes, self._rate(classes, np.asarray(counts["label_counts"]))

    def _sample_one_graph(self, X, y, w, seed, client):
        """The label counts and the sample in one graph (one round trip): the rate is a
        task after the counts, and each chunk's task keeps its rows at that rate. Used
        when the sample, at most the whole input, may be held in memory: it is then
        gathered here when small, else left on the workers as a persisted Dask array."""
        import dask
        import dask.array as da

        record_pass(label_counts_kernel)
        offsets = np.concatenate([[0], np.cumsum(y.chunks[0])[:-1]])
        xs, ys = X.to_delayed()[:, 0], y.to_delayed()
        ws = [None] * len(ys) if w is None else w.to_delayed()
        count = dask.delayed(label_counts_kernel, pure=True)
        counts = dask.delayed(combine_value_counts, pure=True)([count(yb, None, None, xp=np) for yb in ys])
        plan = dask.delayed(draw_plan, pure=True)(counts, self.negative_rate)
        keep = dask.delayed(planned_kept_rows, pure=True)
        parts = [
            keep(xb, yb, wb, plan, row_offset=int(o), seed=seed) for xb, yb, wb, o in zip(xs, ys, ws, offsets)
        ]
        if client is None:
            plan, *parts = dask.compute(plan, *parts)
        else:
            futures = client.compute([plan, *parts], optimize_graph=False)
            plan, parts = futures[0].result(), futures[1:]
        classes, (n_pos, n_neg) = self._check_counts(plan)
        n_kept = n_pos + self.negative_rate_ * n_neg
        nbytes = n_kept * (X.shape[1] * X.dtype.itemsize + 16)
        small = get_config()["fast_path_bytes"]
        foreign = not type(self.estimator).__module__.startswith("dml.")
        if client is None or foreign or nbytes <= (get_config()["chunk_bytes"] if small is None else small):
            return _concatenate_kept(parts if client is None else client.gather(parts), w is not None)
        # a larger sample stays where it was drawn, persisted: one Dask array per column
        rows = client.gather(client.map(_kept_length, parts, pure=False))
        pick = dask.delayed(_pick, pure=True)
        cols = [
            da.concatenate(
                [
                    da.from_delayed(pick(f, j), shape=(r,) + a.shape[1:], dtype=a.dtype, meta=a._meta)
                    for f, r in zip(parts, rows)
                ]
            )
            for j, a in enumerate((X, y) if w is None else (X, y, w))
        ]
        cols = [c.persist() for c in cols]
        return tuple(cols) + ((None,) if w is None else ())

    # --------------------------------------------------------------------- predict

    def _output(self, X, kind):
        check_is_fitted(self)
        log_rate = math.log(self.negative_rate_)
        kw = {
            "estimator": self.estimator_,
            "kind": kind,
            "log_rate": log_rate,
            "correction": self.correction_,
        }
        if not is_dask_collection(X):
            # the inner model was fitted on the validated arrays: names are checked here
            X = validate_data(
                self, X, reset=False, accept_sparse=["csr", "csc", "coo"], dtype=None, ensure_all_finite=False
            )
            return corrected_block(X, **kw)
        if hasattr(X, "to_dask_array"):
            X = X.to_dask_array()
        if X.ndim != 2:
            raise ValueError(f"Expected 2D array, got {X.ndim}D array instead.")
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})
        if kind == "decision":
            return X.map_blocks(corrected_block, drop_axis=1, dtype=np.float64, meta=np.empty((0,)), **kw)
        return X.map_blocks(
            corrected_block, chunks=(X.chunks[0], (2,)), dtype=np.float64, meta=np.empty((0, 2)), **kw
        )

    def predict_proba(self, X):
        """Class probabilities, corrected for the sampling; lazy on Dask input.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray or Dask array of shape (n_samples, 2)
            Columns follow ``classes_``.
        """
        return self._output(X, "proba")

    def predict(self, X):
        """The class of highest corrected probability; lazy on Dask input.

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
        return P.map_blocks(
            labels_block,
            classes=self.classes_,
            drop_axis=1,
            dtype=self.classes_.dtype,
            meta=self.classes_[:0],
        )

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X):
        """Decision values of the inner model; for a logistic model the log-odds under
        the full data's class balance (shifted by ``ln w``). Lazy on Dask input.

        Parameters
        ----------
        X : array-like, Dask array or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray or Dask array of shape (n_samples,)
        """
        return self._output(X, "decision")

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
        tags.classifier_tags.multi_class = False
        if self.estimator is not None:
            inner = get_tags(self.estimator)
            tags.input_tags.sparse = inner.input_tags.sparse
            tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags
