"""ROC AUC: scikit-learn's exact result, one pass over Dask input, no global sort."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn import metrics as skm

from dml._compat.sklearn import Interval, StrOptions, validate_parameter_constraints
from dml.metrics._common import align, any_lazy, check_1d, one_pass
from dml.metrics._metrics_kernels import (
    column_pair_counts_kernel,
    merge_column_pairs,
    merge_pairs,
    pair_counts_kernel,
)


def roc_auc_score(
    y_true,
    y_score,
    *,
    average="macro",
    sample_weight=None,
    max_fpr=None,
    multi_class="raise",
    labels=None,
):
    """Area under the ROC curve (scikit-learn's exact value, one pass on Dask input).

    Parameters
    ----------
    y_true : array-like or Dask array of shape (n_samples,)
        True labels (binary or multiclass on Dask input; any type scikit-learn takes in
        memory).
    y_score : array-like or Dask array of shape (n_samples,) or (n_samples, n_classes)
        Binary: scores of the greater label (``decision_function`` or
        ``predict_proba(X)[:, 1]``). Multiclass: probabilities (``predict_proba``).
    average : {'micro', 'macro', 'samples', 'weighted'} or None, default='macro'
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    max_fpr : float in (0, 1], default=None
        Standardised partial AUC up to this false positive rate (McClish).
    multi_class : {'raise', 'ovr', 'ovo'}, default='raise'
        Multiclass strategy; Dask input supports ``'ovr'``.
    labels : array-like of shape (n_classes,), default=None
        Multiclass labels indexing the columns of ``y_score``.

    Returns
    -------
    auc : float

    Notes
    -----
    Computation: in-memory input calls :func:`sklearn.metrics.roc_auc_score`. Dask
    input: one pass, no global sort. The ROC curve depends on the data only through the
    weighted counts of positives and negatives at each distinct score, so each chunk
    returns its distinct ``(label, score)`` pairs with their summed weights; the pairs of
    all chunks are merged and scikit-learn's exact computation runs on them. The result
    equals scikit-learn's (ties included). The merged pairs are held by the caller: 24
    bytes per distinct score, e.g. 240 MB for 10 million distinct scores; scores with
    few distinct values (rounded, or from trees) need almost nothing. Round continuous
    scores (``y_score.round(6)``) to bound that memory at the cost of exactness.
    Multiclass one-vs-rest does the same for each column of ``y_score`` in the same
    pass (and counts the rows whose scores do not sum to one, scikit-learn's check).

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import roc_auc_score
    >>> y = da.from_array([0, 0, 1, 1], chunks=2)
    >>> s = da.from_array([0.1, 0.4, 0.35, 0.8], chunks=2)
    >>> roc_auc_score(y, s)
    0.75
    """
    if not any_lazy(y_true, y_score, sample_weight):
        return skm.roc_auc_score(
            y_true,
            y_score,
            average=average,
            sample_weight=sample_weight,
            max_fpr=max_fpr,
            multi_class=multi_class,
            labels=labels,
        )
    validate_parameter_constraints(
        {
            "average": [StrOptions({"micro", "macro", "samples", "weighted"}), None],
            "max_fpr": [Interval(Real, 0.0, 1, closed="right"), None],
            "multi_class": [StrOptions({"raise", "ovr", "ovo"})],
            "labels": ["array-like", None],
        },
        dict(average=average, max_fpr=max_fpr, multi_class=multi_class, labels=labels),
        caller_name="roc_auc_score",
    )
    a, b, w = align(y_true, y_score, sample_weight)
    a = check_1d(a, "y_true", "roc_auc_score")
    if b.ndim == 2 and b.shape[1] > 2:
        return _multiclass_ovr(a, b, w, average, max_fpr, multi_class, labels)
    if b.ndim != 1 and not (b.ndim == 2 and b.shape[1] == 1):
        raise ValueError(
            "roc_auc_score on Dask input takes 1-D y_score for binary targets (the scores "
            f"of the greater label); got y_score of shape {b.shape}."
        )
    b = check_1d(b, "y_score", "roc_auc_score")
    res = one_pass(pair_counts_kernel, a, b, w, combine=merge_pairs)
    return skm.roc_auc_score(
        res["a"],
        res["b"],
        average=average,
        sample_weight=res["w"],
        max_fpr=max_fpr,
        multi_class=multi_class,
        labels=labels,
    )


def _multiclass_ovr(a, b, w, average, max_fpr, multi_class, labels):
    """One-vs-rest multiclass AUC from per-column compressed ``(label, score)`` pairs."""
    if max_fpr is not None and max_fpr != 1.0:
        raise ValueError(
            "Partial AUC computation not available in multiclass setting, 'max_fpr' must be"
            f" set to `None`, received `max_fpr={max_fpr}` instead"
        )
    if multi_class == "raise":
        raise ValueError("multi_class must be in ('ovo', 'ovr')")
    if multi_class == "ovo":
        raise ValueError(
            "roc_auc_score on Dask input supports multi_class='ovr' (one pass); for "
            "multi_class='ovo' compute y_true and y_score into memory first."
        )
    average_options = ("micro", "macro", "weighted", None)
    if average not in average_options:
        raise ValueError(f"average must be one of {average_options} for multiclass problems")
    k = int(b.shape[1])
    res = one_pass(column_pair_counts_kernel, a, b, w, combine=merge_column_pairs)
    if res["n_not_prob"]:
        raise ValueError(
            "Target scores need to be probabilities for multiclass "
            "roc_auc, i.e. they should sum up to 1.0 over classes"
        )
    present = np.unique(res["a0"])
    if labels is not None:
        labels = np.asarray(labels).ravel()
        classes = np.unique(labels)
        if len(classes) != len(labels):
            raise ValueError("Parameter 'labels' must be unique")
        if not np.array_equal(classes, labels):
            raise ValueError("Parameter 'labels' must be ordered")
        if len(classes) != k:
            raise ValueError(
                f"Number of given labels, {len(classes)}, not equal to the number "
                f"of columns in 'y_score', {k}"
            )
        if len(np.setdiff1d(present, classes)):
            raise ValueError("'y_true' contains labels not in parameter 'labels'")
    else:
        classes = present
        if len(classes) != k:
            raise ValueError("Number of classes in y_true not equal to the number of columns in 'y_score'")
    cols = [(res[f"a{j}"] == classes[j], res[f"b{j}"], res[f"w{j}"]) for j in range(k)]
    if average == "micro":
        t = np.concatenate([c[0] for c in cols]).astype(int)
        return skm.roc_auc_score(
            t, np.concatenate([c[1] for c in cols]), sample_weight=np.concatenate([c[2] for c in cols])
        )
    class_weight = np.array([float(np.sum(cw[ct])) for ct, _, cw in cols])
    if average == "weighted" and np.isclose(class_weight.sum(), 0.0):
        return 0
    scores = np.array([_binary_auc(ct.astype(int), cs, cw) for ct, cs, cw in cols])
    if average is None:
        return scores
    if average == "weighted":
        scores[class_weight == 0] = 0
        return float(np.average(scores, weights=class_weight))
    return float(np.average(scores))


def _binary_auc(t, s, w):
    if len(np.unique(t)) != 2:
        import warnings  # only when the score is undefined

        from sklearn.exceptions import UndefinedMetricWarning

        warnings.warn(
            "Only one class is present in y_true. ROC AUC score is not defined in that case.",
            UndefinedMetricWarning,
            stacklevel=4,
        )
        return np.nan
    return skm.roc_auc_score(t, s, sample_weight=w)
