"""Classification metrics: scikit-learn's results, one pass over Dask input.

Every metric here except :func:`log_loss` is a function of the weighted confusion
matrix. On Dask input one pass reduces ``(y_true, y_pred)`` to its distinct label pairs
and their summed weights (at most ``n_classes**2`` of them), and scikit-learn's own
function is evaluated on those pairs with the sums as ``sample_weight``: the result,
warnings and error messages are scikit-learn's.
"""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from sklearn import metrics as skm

from dml._compat.sklearn import Interval, StrOptions, validate_parameter_constraints
from dml.metrics._common import align, any_lazy, check_1d, one_pass
from dml.metrics._metrics_kernels import (
    combine_multilabel_accuracy,
    log_loss_kernel,
    merge_log_loss,
    merge_pairs,
    multilabel_accuracy_kernel,
    pair_counts_kernel,
)

_AVERAGE = [StrOptions({"micro", "macro", "samples", "weighted", "binary"}), None]
_ZERO_DIVISION = [StrOptions({"warn"}), "nan", Interval(Real, 0.0, 1.0, closed="both")]


def _validate(name, constraints, **params):
    validate_parameter_constraints(constraints, params, caller_name=name)


def compressed_pairs(y_true, y_pred, sample_weight, func):
    """One pass: the distinct ``(y_true, y_pred)`` pairs and their weights (NumPy)."""
    a, b, w = align(y_true, y_pred, sample_weight)
    a = check_1d(a, "y_true", func)
    b = check_1d(b, "y_pred", func)
    if w is not None and w.ndim != 1:
        raise ValueError(f"Sample weights must be 1D array or scalar, got {w.ndim}D array.")
    res = one_pass(pair_counts_kernel, a, b, w, combine=merge_pairs)
    return res["a"], res["b"], res["w"]


def accuracy_score(y_true, y_pred, *, normalize=True, sample_weight=None):
    """Accuracy classification score (scikit-learn's, one pass on Dask input).

    Parameters
    ----------
    y_true : array-like or Dask array of shape (n_samples,) or (n_samples, n_labels)
        Ground truth labels, or a label indicator matrix (multilabel: the score is the
        subset accuracy, the fraction of rows whose labels all match).
    y_pred : array-like or Dask array of the shape of ``y_true``
        Predicted labels, e.g. ``estimator.predict(X)`` (lazy for Dask ``X``).
    normalize : bool, default=True
        Return the fraction (True) or the (weighted) number of correct predictions.
    sample_weight : array-like or Dask array of shape (n_samples,), default=None

    Returns
    -------
    score : float

    Notes
    -----
    Computation: in-memory input calls :func:`sklearn.metrics.accuracy_score`. Dask
    input: one pass (one ``compute``) reducing each chunk to its distinct label pairs
    and their weights; memory per task is one chunk of each input. Indicator matrices:
    one pass whose chunks return the weighted number of fully matching rows, the weight
    sum and up to three distinct values (scikit-learn's multiclass-multioutput error).

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import accuracy_score
    >>> accuracy_score(da.from_array([0, 1, 1, 0], chunks=2), da.from_array([0, 1, 0, 0], chunks=2))
    0.75
    >>> Y_true = da.from_array([[0, 1], [1, 1], [1, 0]], chunks=2)
    >>> Y_pred = da.from_array([[0, 1], [1, 0], [1, 0]], chunks=2)
    >>> round(accuracy_score(Y_true, Y_pred), 4)
    0.6667
    """
    if not any_lazy(y_true, y_pred, sample_weight):
        return skm.accuracy_score(y_true, y_pred, normalize=normalize, sample_weight=sample_weight)
    _validate("accuracy_score", {"normalize": ["boolean"]}, normalize=normalize)
    a, b, w = align(y_true, y_pred, sample_weight)
    if any(v.ndim == 2 and v.shape[1] != 1 for v in (a, b)):
        return _subset_accuracy(a, b, w, normalize)
    t, p, w = compressed_pairs(a, b, w, "accuracy_score")
    return skm.accuracy_score(t, p, normalize=normalize, sample_weight=w)


def _subset_accuracy(a, b, w, normalize):
    """Subset accuracy of label indicator matrices: one pass (inputs already aligned)."""
    for v in (a, b):
        if v.ndim != 2 or v.shape[1] == 1:
            raise ValueError(
                "Classification metrics can't handle a mix of multilabel-indicator and "
                "binary or multiclass targets"
            )
    if a.shape[1] != b.shape[1]:
        raise ValueError("Multi-label binary indicator input with different numbers of labels")
    if w is not None and w.ndim != 1:
        raise ValueError(f"Sample weights must be 1D array or scalar, got {w.ndim}D array.")
    res = one_pass(multilabel_accuracy_kernel, a, b, w, combine=combine_multilabel_accuracy)
    kinds = [_indicator_kind(res[k]) for k in ("values_true", "values_pred")]
    if kinds != ["multilabel-indicator"] * 2:
        if kinds[0] == kinds[1]:
            raise ValueError(f"{kinds[0]} is not supported")
        raise ValueError(f"Classification metrics can't handle a mix of {kinds[0]} and {kinds[1]} targets")
    correct, weight = float(res["correct"]), float(res["weight"])
    if not normalize:
        return correct
    if weight == 0:
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    return correct / weight


def _indicator_kind(values):
    """scikit-learn's ``type_of_target`` of a 2-D array from its distinct values."""
    values = np.asarray(values)
    integral = values.dtype.kind in "biu" or bool(np.all(values == np.round(values)))
    if not integral:
        return "continuous-multioutput"
    return "multilabel-indicator" if len(values) < 3 else "multiclass-multioutput"


def confusion_matrix(y_true, y_pred, *, labels=None, sample_weight=None, normalize=None):
    """Confusion matrix (scikit-learn's, one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,)
    labels : array-like of shape (n_classes,), default=None
        Labels indexing the matrix; default: sorted labels present in either input.
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    normalize : {'true', 'pred', 'all'}, default=None

    Returns
    -------
    C : ndarray of shape (n_classes, n_classes)
        int64 without weights (or with integer weights), float64 otherwise.

    Notes
    -----
    Computation: as :func:`accuracy_score`; the pass returns at most ``n_classes**2``
    pairs.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import confusion_matrix
    >>> y_true = da.from_array([0, 1, 1, 0, 1, 1], chunks=3)
    >>> y_pred = da.from_array([0, 1, 0, 0, 1, 1], chunks=3)
    >>> confusion_matrix(y_true, y_pred)  # one pass over the chunks
    array([[2, 0],
           [1, 3]])
    """
    if not any_lazy(y_true, y_pred, sample_weight):
        return skm.confusion_matrix(
            y_true, y_pred, labels=labels, sample_weight=sample_weight, normalize=normalize
        )
    _validate(
        "confusion_matrix",
        {"normalize": [StrOptions({"true", "pred", "all"}), None]},
        normalize=normalize,
    )
    t, p, w = compressed_pairs(y_true, y_pred, sample_weight, "confusion_matrix")
    return skm.confusion_matrix(t, p, labels=labels, sample_weight=w, normalize=normalize)


def _prf_constraints():
    return {
        "labels": ["array-like", None],
        "pos_label": [Real, str, "boolean", None],
        "average": _AVERAGE,
        "zero_division": _ZERO_DIVISION,
    }


def precision_recall_fscore_support(
    y_true,
    y_pred,
    *,
    beta=1.0,
    labels=None,
    pos_label=1,
    average=None,
    warn_for=("precision", "recall", "f-score"),
    sample_weight=None,
    zero_division="warn",
):
    """Precision, recall, F-beta and support (scikit-learn's, one pass on Dask input).

    Parameters are those of :func:`sklearn.metrics.precision_recall_fscore_support`;
    ``y_true``, ``y_pred`` and ``sample_weight`` may be Dask arrays (1-D targets).

    Returns
    -------
    precision, recall, fbeta_score : float or ndarray
    support : None or ndarray of int

    Notes
    -----
    Computation: as :func:`accuracy_score`.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import precision_recall_fscore_support
    >>> y_true = da.from_array([0, 1, 1, 0, 1, 1], chunks=3)
    >>> y_pred = da.from_array([0, 1, 0, 0, 1, 1], chunks=3)
    >>> precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred)
    >>> recall
    array([1.  , 0.75])
    >>> support
    array([2, 4])
    """
    kwargs = dict(
        beta=beta,
        labels=labels,
        pos_label=pos_label,
        average=average,
        warn_for=warn_for,
        zero_division=zero_division,
    )
    if not any_lazy(y_true, y_pred, sample_weight):
        return skm.precision_recall_fscore_support(y_true, y_pred, sample_weight=sample_weight, **kwargs)
    _validate(
        "precision_recall_fscore_support",
        {**_prf_constraints(), "beta": [Interval(Real, 0.0, None, closed="both")]},
        beta=beta,
        labels=labels,
        pos_label=pos_label,
        average=average,
        zero_division=zero_division,
    )
    t, p, w = compressed_pairs(y_true, y_pred, sample_weight, "precision_recall_fscore_support")
    out = skm.precision_recall_fscore_support(t, p, sample_weight=w, **kwargs)
    if sample_weight is None and out[3] is not None:
        out = out[:3] + (np.rint(out[3]).astype(np.int64),)
    return out


def _prf_metric(sk_func, name, y_true, y_pred, sample_weight, **kwargs):
    if not any_lazy(y_true, y_pred, sample_weight):
        return sk_func(y_true, y_pred, sample_weight=sample_weight, **kwargs)
    constraints = _prf_constraints()
    if "beta" in kwargs:
        constraints["beta"] = [Interval(Real, 0.0, None, closed="both")]
    _validate(name, constraints, **kwargs)
    t, p, w = compressed_pairs(y_true, y_pred, sample_weight, name)
    return sk_func(t, p, sample_weight=w, **kwargs)


def precision_score(
    y_true,
    y_pred,
    *,
    labels=None,
    pos_label=1,
    average="binary",
    sample_weight=None,
    zero_division="warn",
):
    """Precision ``tp / (tp + fp)`` (scikit-learn's, one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,)
    labels : array-like, default=None
    pos_label : int, float, bool or str, default=1
    average : {'micro', 'macro', 'samples', 'weighted', 'binary'} or None, default='binary'
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    zero_division : {'warn', 0.0, 1.0, np.nan}, default='warn'

    Returns
    -------
    precision : float or ndarray of shape (n_unique_labels,)

    Notes
    -----
    Computation: as :func:`accuracy_score`.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import precision_score
    >>> y_true = da.from_array([0, 1, 1, 0, 1, 1], chunks=3)
    >>> y_pred = da.from_array([0, 1, 0, 0, 1, 1], chunks=3)
    >>> float(precision_score(y_true, y_pred))
    1.0
    """
    return _prf_metric(
        skm.precision_score,
        "precision_score",
        y_true,
        y_pred,
        sample_weight,
        labels=labels,
        pos_label=pos_label,
        average=average,
        zero_division=zero_division,
    )


def recall_score(
    y_true,
    y_pred,
    *,
    labels=None,
    pos_label=1,
    average="binary",
    sample_weight=None,
    zero_division="warn",
):
    """Recall ``tp / (tp + fn)`` (scikit-learn's, one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,)
    labels : array-like, default=None
    pos_label : int, float, bool or str, default=1
    average : {'micro', 'macro', 'samples', 'weighted', 'binary'} or None, default='binary'
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    zero_division : {'warn', 0.0, 1.0, np.nan}, default='warn'

    Returns
    -------
    recall : float or ndarray of shape (n_unique_labels,)

    Notes
    -----
    Computation: as :func:`accuracy_score`.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import recall_score
    >>> y_true = da.from_array([0, 1, 1, 0, 1, 1], chunks=3)
    >>> y_pred = da.from_array([0, 1, 0, 0, 1, 1], chunks=3)
    >>> float(recall_score(y_true, y_pred))
    0.75
    """
    return _prf_metric(
        skm.recall_score,
        "recall_score",
        y_true,
        y_pred,
        sample_weight,
        labels=labels,
        pos_label=pos_label,
        average=average,
        zero_division=zero_division,
    )


def f1_score(
    y_true,
    y_pred,
    *,
    labels=None,
    pos_label=1,
    average="binary",
    sample_weight=None,
    zero_division="warn",
):
    """F1 score, the harmonic mean of precision and recall (one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,)
    labels : array-like, default=None
    pos_label : int, float, bool or str, default=1
    average : {'micro', 'macro', 'samples', 'weighted', 'binary'} or None, default='binary'
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    zero_division : {'warn', 0.0, 1.0, np.nan}, default='warn'

    Returns
    -------
    f1 : float or ndarray of shape (n_unique_labels,)

    Notes
    -----
    Computation: as :func:`accuracy_score`.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import f1_score
    >>> y_true = da.from_array([0, 1, 1, 0, 1, 1], chunks=3)
    >>> y_pred = da.from_array([0, 1, 0, 0, 1, 1], chunks=3)
    >>> round(float(f1_score(y_true, y_pred)), 4)
    0.8571
    """
    return _prf_metric(
        skm.f1_score,
        "f1_score",
        y_true,
        y_pred,
        sample_weight,
        labels=labels,
        pos_label=pos_label,
        average=average,
        zero_division=zero_division,
    )


def fbeta_score(
    y_true,
    y_pred,
    *,
    beta,
    labels=None,
    pos_label=1,
    average="binary",
    sample_weight=None,
    zero_division="warn",
):
    """F-beta score (scikit-learn's, one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,)
    beta : float
        Weight of recall in the harmonic mean.
    labels : array-like, default=None
    pos_label : int, float, bool or str, default=1
    average : {'micro', 'macro', 'samples', 'weighted', 'binary'} or None, default='binary'
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    zero_division : {'warn', 0.0, 1.0, np.nan}, default='warn'

    Returns
    -------
    fbeta : float or ndarray of shape (n_unique_labels,)

    Notes
    -----
    Computation: as :func:`accuracy_score`.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import fbeta_score
    >>> y_true = da.from_array([0, 1, 1, 0, 1, 1], chunks=3)
    >>> y_pred = da.from_array([0, 1, 0, 0, 1, 1], chunks=3)
    >>> float(fbeta_score(y_true, y_pred, beta=0.5))
    0.9375
    """
    return _prf_metric(
        skm.fbeta_score,
        "fbeta_score",
        y_true,
        y_pred,
        sample_weight,
        beta=beta,
        labels=labels,
        pos_label=pos_label,
        average=average,
        zero_division=zero_division,
    )


def balanced_accuracy_score(y_true, y_pred, *, sample_weight=None, adjusted=False):
    """Balanced accuracy, the mean recall per class (one pass on Dask input).

    Parameters
    ----------
    y_true, y_pred : array-like or Dask array of shape (n_samples,)
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    adjusted : bool, default=False
        Adjust for chance, so that random performance scores 0.

    Returns
    -------
    balanced_accuracy : float

    Notes
    -----
    Computation: as :func:`accuracy_score`.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import balanced_accuracy_score
    >>> y_true = da.from_array([0, 1, 1, 0, 1, 1], chunks=3)
    >>> y_pred = da.from_array([0, 1, 0, 0, 1, 1], chunks=3)
    >>> float(balanced_accuracy_score(y_true, y_pred))
    0.875
    """
    if not any_lazy(y_true, y_pred, sample_weight):
        return skm.balanced_accuracy_score(y_true, y_pred, sample_weight=sample_weight, adjusted=adjusted)
    _validate("balanced_accuracy_score", {"adjusted": ["boolean"]}, adjusted=adjusted)
    t, p, w = compressed_pairs(y_true, y_pred, sample_weight, "balanced_accuracy_score")
    return skm.balanced_accuracy_score(t, p, sample_weight=w, adjusted=adjusted)


def log_loss(y_true, y_proba=None, *, normalize=True, sample_weight=None, labels=None, y_pred="deprecated"):
    """Log loss (cross-entropy) of predicted probabilities (one pass on Dask input).

    Parameters
    ----------
    y_true : array-like or Dask array of shape (n_samples,)
        True labels.
    y_proba : array-like or Dask array of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities (``predict_proba``); 1-D: of the positive class. Columns
        follow the sorted labels. Values are clipped to ``[eps, 1 - eps]``, ``eps`` the
        machine precision of ``y_proba``'s dtype.
    normalize : bool, default=True
        Mean loss per sample (True) or the sum.
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    labels : array-like, default=None
        All the labels; inferred from ``y_true`` when None.
    y_pred : array-like, deprecated
        scikit-learn 1.9's deprecated name of ``y_proba``.

    Returns
    -------
    loss : float

    Notes
    -----
    Computation: in-memory input calls :func:`sklearn.metrics.log_loss`. Dask input:
    one pass; each chunk returns, for each of its distinct labels, the weighted sums of
    ``-log p`` for every column (``n_labels x n_classes`` floats), with the extremes of
    ``y_proba`` (scikit-learn's range checks) and the number of rows whose
    probabilities do not sum to one (its warning).

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import log_loss
    >>> y_true = da.from_array([0, 1, 1, 0], chunks=2)
    >>> y_proba = da.from_array([0.1, 0.9, 0.8, 0.3], chunks=2)  # P(class 1)
    >>> round(float(log_loss(y_true, y_proba)), 4)
    0.1976
    """
    if not any_lazy(y_true, y_proba, sample_weight, None if isinstance(y_pred, str) else y_pred):
        return skm.log_loss(
            y_true,
            y_proba,
            normalize=normalize,
            sample_weight=sample_weight,
            labels=labels,
            y_pred=y_pred,
        )
    _validate(
        "log_loss",
        {"normalize": ["boolean"], "labels": ["array-like", None]},
        normalize=normalize,
        labels=labels,
    )
    if not (isinstance(y_pred, str) and y_pred == "deprecated"):
        if y_proba is not None:
            raise ValueError(
                "Cannot use both `y_pred` and `y_proba`. `y_pred` is deprecated, use `y_proba` instead."
            )
        warnings.warn(
            "`y_pred` was renamed to `y_proba` in version 1.9 and will be removed "
            "in 1.11. Use `y_proba` instead.",
            FutureWarning,
            stacklevel=2,
        )
        y_proba = y_pred
    a, b, w = align(y_true, y_proba, sample_weight)
    a = check_1d(a, "y_true", "log_loss")
    if b.dtype.kind != "f":
        b = b.astype(np.float64)
    if b.ndim > 2:
        raise ValueError(f"Found array with dim {b.ndim}. None expected <= 2.")
    res = one_pass(log_loss_kernel, a, b, w, combine=merge_log_loss)
    return _finish_log_loss(res, b, labels, normalize)


def _finish_log_loss(res, b, labels, normalize):
    from sklearn.preprocessing import LabelBinarizer  # only on this rarely used path

    p_max, p_min = res["p_max"], res["p_min"]
    if np.isnan(p_max) or np.isnan(p_min):
        raise ValueError("Input contains NaN.")
    if np.isinf(p_max) and res["n_rows"] or np.isinf(p_min) and res["n_rows"]:
        raise ValueError(
            f"Input contains infinity or a value too large for dtype({np.dtype(b.dtype).name!r})."
        )
    if p_max > 1:
        raise ValueError(f"y_prob contains values greater than 1: {p_max}")
    if p_min < 0:
        raise ValueError(f"y_prob contains values lower than 0: {p_min}")
    present = res["labels"]
    if labels is not None:
        lb = LabelBinarizer().fit(labels)
        if not np.all(lb.classes_ == np.asarray(labels)):
            warnings.warn(
                f"Labels passed were {labels}. But this function "
                "assumes labels are ordered lexicographically. "
                f"Pass the ordered labels={lb.classes_.tolist()} and ensure that "
                "the columns of y_prob correspond to this ordering.",
                UserWarning,
                stacklevel=3,
            )
        undeclared = set(present.tolist()) - set(np.asarray(labels).tolist())
        if undeclared:
            raise ValueError(
                f"y_true contains values {undeclared} not belonging to the passed labels {labels}."
            )
    else:
        lb = LabelBinarizer().fit(present)
    classes = lb.classes_
    if classes.shape[0] == 1:
        if labels is None:
            raise ValueError(
                f"y_true contains only one label ({classes[0]}). Please provide the list of "
                "all expected class labels explicitly through the labels argument."
            )
        raise ValueError(f"The labels array needs to contain at least two labels, got {classes}.")
    n_cols = 2 if b.ndim == 1 or b.shape[1] == 1 else int(b.shape[1])
    if res["n_bad_sum"]:
        warnings.warn(
            "The y_prob values do not sum to one. Make sure to pass probabilities.",
            UserWarning,
            stacklevel=3,
        )
    if classes.shape[0] != n_cols:
        if labels is None:
            raise ValueError(
                "y_true and y_prob contain different number of classes: "
                f"{classes.shape[0]} vs {n_cols}. Please provide the true labels explicitly "
                f"through the labels argument. Classes found in y_true: {classes}"
            )
        raise ValueError(
            "The number of classes in labels is different from that in y_prob. "
            f"Classes found in labels: {classes}"
        )
    cols = np.searchsorted(classes, present)
    total = float(np.sum(res["loss"][np.arange(len(present)), cols]))
    if normalize:
        return total / res["weight"]
    return total
