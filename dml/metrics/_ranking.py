"""ROC AUC: scikit-learn's exact result, one pass over Dask input, no global sort."""

from __future__ import annotations

from numbers import Real

from sklearn import metrics as skm

from dml._compat.sklearn import Interval, StrOptions, validate_parameter_constraints
from dml.metrics._common import align, any_lazy, check_1d, one_pass
from dml.metrics._metrics_kernels import merge_pairs, pair_counts_kernel


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
        True labels (binary on Dask input; any type scikit-learn takes in memory).
    y_score : array-like or Dask array of shape (n_samples,)
        Scores of the positive class (the greater label): ``decision_function`` or
        ``predict_proba(X)[:, 1]``. In-memory input may be (n_samples, n_classes).
    average : {'micro', 'macro', 'samples', 'weighted'} or None, default='macro'
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    max_fpr : float in (0, 1], default=None
        Standardised partial AUC up to this false positive rate (McClish).
    multi_class : {'raise', 'ovr', 'ovo'}, default='raise'
        Multiclass strategy (in-memory input only).
    labels : array-like of shape (n_classes,), default=None
        Multiclass labels (in-memory input only).

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
            y_true, y_score, average=average, sample_weight=sample_weight, max_fpr=max_fpr,
            multi_class=multi_class, labels=labels,
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
    a, b, w = align(y_true, y_score, sample_weight, names=("y_true", "y_score", "sample_weight"))
    a = check_1d(a, "y_true", "roc_auc_score")
    if b.ndim != 1 and not (b.ndim == 2 and b.shape[1] == 1):
        raise ValueError(
            "roc_auc_score on Dask input supports binary targets with 1-D y_score; got "
            f"y_score of shape {b.shape}. For multiclass (one-vs-rest / one-vs-one) "
            "scores, compute y_true and y_score into memory first."
        )
    b = check_1d(b, "y_score", "roc_auc_score")
    res = one_pass(pair_counts_kernel, a, b, w, combine=merge_pairs)
    return skm.roc_auc_score(
        res["a"], res["b"], average=average, sample_weight=res["w"], max_fpr=max_fpr,
        multi_class=multi_class, labels=labels,
    )
