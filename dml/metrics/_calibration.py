"""Calibration metrics of binary probabilities: brier_score_loss, calibration_curve and
normalized_entropy (one pass over Dask input)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn import metrics as skm

from dml._compat.sklearn import Interval, StrOptions, validate_parameter_constraints
from dml.metrics._common import align, any_lazy, check_1d, one_pass
from dml.metrics._metrics_kernels import binary_bins_kernel, merge_binary_bins


def _binary_proba(y_true, y_proba, sample_weight, func):
    """Aligned Dask arrays of a binary problem: 1-D labels and probabilities."""
    a, b, w = align(y_true, y_proba, sample_weight)
    a = check_1d(a, "y_true", func)
    if b.ndim == 2 and b.shape[1] == 1:
        b = b[:, 0]
    if b.ndim != 1:
        raise ValueError(
            f"{func} on Dask input supports binary problems (1-D probabilities of the "
            f"positive class); got y_proba of shape {b.shape}. Compute multiclass "
            "probabilities into memory first."
        )
    if b.dtype.kind != "f":
        b = b.astype(np.float64)
    return a, b, w


def _check_finite(res):
    if np.isnan(res["p_max"]) or np.isnan(res["p_min"]):
        raise ValueError("Input contains NaN.")
    if np.isinf(res["p_max"]) or np.isinf(res["p_min"]):
        if res["sums"][..., 0].sum():
            raise ValueError("Input contains infinity or a value too large for dtype('float64').")


def _strict_pos_label(pos_label, classes):
    """scikit-learn's ``_check_pos_label_consistency``: 1 for {0, 1} / {-1, 1} labels."""
    if pos_label is not None:
        return pos_label
    ok = classes.dtype.kind not in "OUS" and classes.shape[0] <= 2
    ok = ok and any(
        classes.shape == np.shape(s) and np.all(classes == np.asarray(s))
        for s in ([0, 1], [-1, 1], [0], [-1], [1])
    )
    if not ok:
        classes_repr = ", ".join(repr(c) for c in classes.tolist())
        raise ValueError(
            f"y_true takes value in {{{classes_repr}}} and pos_label is not "
            "specified: either make y_true take value in {0, 1} or "
            "{-1, 1} or pass pos_label explicitly."
        )
    return 1


def _loose_pos_label(pos_label, classes):
    """The positive label of the probabilistic metrics: as :func:`_strict_pos_label`,
    but the greater label for other numeric labels (scikit-learn's Brier score)."""
    try:
        return _strict_pos_label(pos_label, classes)
    except ValueError:
        if classes.dtype.kind in "OUS":
            raise
        return classes[-1]


def _check_binary(classes):
    if classes.shape[0] > 2:
        raise ValueError(
            "The type of the target inferred from y_true is multiclass but should be "
            "binary according to the shape of y_prob."
        )


def _check_range(res):
    if res["p_max"] > 1:
        raise ValueError(f"y_prob contains values greater than 1: {res['p_max']}")
    if res["p_min"] < 0:
        raise ValueError(f"y_prob contains values less than 0: {res['p_min']}")


def _is_pos(classes, pos_label):
    return np.asarray([c == pos_label for c in classes.tolist()], dtype=bool)


def brier_score_loss(
    y_true, y_proba, *, sample_weight=None, pos_label=None, labels=None, scale_by_half="auto"
):
    """Brier score of predicted probabilities (one pass on Dask input).

    Parameters
    ----------
    y_true : array-like or Dask array of shape (n_samples,)
        True labels.
    y_proba : array-like or Dask array of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities; 1-D: of the positive class. Dask input: binary (1-D)
        only.
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    pos_label : int, float, bool or str, default=None
        The positive class: 1 for labels in {0, 1} or {-1, 1}, else the greater label
        (string labels need it), as scikit-learn's.
    labels : array-like, default=None
        The classes of multiclass ``y_proba`` (in memory), as scikit-learn's.
    scale_by_half : bool or 'auto', default='auto'
        Halve the score (so it lies in [0, 1]); 'auto': for binary problems.

    Returns
    -------
    score : float

    Notes
    -----
    Computation: in-memory input calls :func:`sklearn.metrics.brier_score_loss`. Dask
    input: one pass; each chunk returns, per distinct label, its row count, weight,
    weighted sums of ``p`` and ``p^2`` and the extremes of ``p`` (a few floats).

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import brier_score_loss
    >>> y_true = da.from_array([0, 1, 1, 0], chunks=2)
    >>> y_proba = da.from_array([0.1, 0.9, 0.8, 0.3], chunks=2)
    >>> round(brier_score_loss(y_true, y_proba), 4)
    0.0375
    """
    if not any_lazy(y_true, y_proba, sample_weight):
        return skm.brier_score_loss(
            y_true,
            y_proba,
            sample_weight=sample_weight,
            pos_label=pos_label,
            labels=labels,
            scale_by_half=scale_by_half,
        )
    validate_parameter_constraints(
        {
            "pos_label": [Real, str, "boolean", None],
            "labels": ["array-like", None],
            "scale_by_half": ["boolean", StrOptions({"auto"})],
        },
        {"pos_label": pos_label, "labels": labels, "scale_by_half": scale_by_half},
        caller_name="brier_score_loss",
    )
    a, b, w = _binary_proba(y_true, y_proba, sample_weight, "brier_score_loss")
    res = one_pass(binary_bins_kernel, a, b, w, combine=merge_binary_bins)
    _check_finite(res)
    classes = res["labels"]
    _check_binary(classes)
    _check_range(res)
    pos = _is_pos(classes, _loose_pos_label(pos_label, classes))
    S = res["sums"][:, 0, :]  # per label: count, weight, wp, wp^2
    total = float(np.sum(np.where(pos, S[:, 1] - 2 * S[:, 2] + S[:, 3], S[:, 3])))
    score = total / float(np.sum(S[:, 1]))
    return float(score if scale_by_half in ("auto", True) else 2 * score)


def calibration_curve(y_true, y_prob, *, pos_label=None, n_bins=5, strategy="uniform"):
    """True and predicted probabilities per bin of ``y_prob`` (one pass on Dask input).

    Parameters
    ----------
    y_true : array-like or Dask array of shape (n_samples,)
        Binary labels.
    y_prob : array-like or Dask array of shape (n_samples,)
        Probabilities of the positive class.
    pos_label : int, float, bool or str, default=None
        The positive class (1 for labels in {0, 1} or {-1, 1}).
    n_bins : int, default=5
        Number of bins of [0, 1].
    strategy : {'uniform', 'quantile'}, default='uniform'
        Equal-width bins, or bins holding equal numbers of samples.

    Returns
    -------
    prob_true : ndarray of shape (n_nonempty_bins,)
        Fraction of positives per non-empty bin.
    prob_pred : ndarray of shape (n_nonempty_bins,)
        Mean predicted probability per non-empty bin.

    Notes
    -----
    Computation: in-memory input calls :func:`sklearn.calibration.calibration_curve`.
    Dask input: one pass (per chunk, per label and bin, the row count and the sum of
    ``y_prob``: ``2 x n_bins`` pairs). ``strategy='quantile'`` needs the exact
    percentiles of ``y_prob`` first: ``y_prob`` is gathered to this process (one pass,
    ``n_samples`` floats in memory here) before the binning pass.

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import calibration_curve
    >>> y_true = da.from_array([0, 0, 0, 0, 1, 1, 1, 1, 1], chunks=3)
    >>> y_prob = da.from_array([0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0], chunks=3)
    >>> prob_true, prob_pred = calibration_curve(y_true, y_prob, n_bins=3)
    >>> prob_true.tolist()
    [0.0, 0.5, 1.0]
    """
    if not any_lazy(y_true, y_prob):
        from sklearn.calibration import calibration_curve as sk_calibration_curve

        return sk_calibration_curve(y_true, y_prob, pos_label=pos_label, n_bins=n_bins, strategy=strategy)
    validate_parameter_constraints(
        {
            "pos_label": [Real, str, "boolean", None],
            "n_bins": [Interval(Integral, 1, None, closed="left")],
            "strategy": [StrOptions({"uniform", "quantile"})],
        },
        {"pos_label": pos_label, "n_bins": n_bins, "strategy": strategy},
        caller_name="calibration_curve",
    )
    a, b, _ = _binary_proba(y_true, y_prob, None, "calibration_curve")
    if strategy == "quantile":
        bins = np.percentile(np.asarray(b.compute(), dtype=np.float64), np.linspace(0, 1, n_bins + 1) * 100)
    else:
        bins = np.linspace(0.0, 1.0, n_bins + 1)
    res = one_pass(binary_bins_kernel, a, b, None, combine=merge_binary_bins, edges=bins[1:-1])
    _check_finite(res)
    classes = res["labels"]
    pos_label = _strict_pos_label(pos_label, classes)
    if res["p_min"] < 0 or res["p_max"] > 1:
        raise ValueError("y_prob has values outside [0, 1].")
    if classes.shape[0] > 2:
        raise ValueError(f"Only binary classification is supported. Provided labels {classes}.")
    pos = _is_pos(classes, pos_label)
    counts = res["sums"][:, :, 0]
    bin_total = counts.sum(axis=0)
    bin_true = counts[pos].sum(axis=0)
    bin_sums = res["sums"][:, :, 2].sum(axis=0)
    nonzero = bin_total != 0
    return bin_true[nonzero] / bin_total[nonzero], bin_sums[nonzero] / bin_total[nonzero]


def normalized_entropy(y_true, y_proba, *, sample_weight=None, pos_label=None):
    """Normalized entropy: the log loss divided by the entropy of the base rate.

    ``NE = log_loss(y, p) / H(b)``, ``H(b) = -(b ln b + (1 - b) ln(1 - b))`` with ``b``
    the (weighted) fraction of positives: the log loss relative to that of always
    predicting the base rate. Below 1 the model is better than the base rate; it is the
    summary of He et al. (2014), "Practical Lessons from Predicting Clicks on Ads at
    Facebook", which does not move with the base rate as the raw log loss does.

    Parameters
    ----------
    y_true : array-like or Dask array of shape (n_samples,)
        Binary labels.
    y_proba : array-like or Dask array of shape (n_samples,)
        Probabilities of the positive class, clipped to ``[eps, 1 - eps]`` (``eps`` the
        machine precision of its dtype) as in :func:`sklearn.metrics.log_loss`.
    sample_weight : array-like or Dask array of shape (n_samples,), default=None
    pos_label : int, float, bool or str, default=None
        The positive class: 1 for labels in {0, 1} or {-1, 1}, else the greater label
        (string labels need it).

    Returns
    -------
    ne : float

    Notes
    -----
    Computation: in memory, :func:`sklearn.metrics.log_loss` and the base rate. Dask
    input: one pass (per chunk and label: weight, and weighted ``-ln p`` and
    ``-ln(1 - p)``).

    Examples
    --------
    >>> import dask.array as da
    >>> from dml.metrics import normalized_entropy
    >>> y_true = da.from_array([0, 0, 0, 1], chunks=2)
    >>> y_proba = da.from_array([0.25, 0.25, 0.25, 0.25], chunks=2)  # the base rate
    >>> round(normalized_entropy(y_true, y_proba), 6)
    1.0
    """
    validate_parameter_constraints(
        {"pos_label": [Real, str, "boolean", None]},
        {"pos_label": pos_label},
        caller_name="normalized_entropy",
    )
    if not any_lazy(y_true, y_proba, sample_weight):
        y = np.ravel(np.asarray(y_true))
        p = np.asarray(y_proba)
        if p.ndim == 2 and p.shape[1] == 1:
            p = p[:, 0]
        if p.ndim != 1:
            raise ValueError(
                f"normalized_entropy expects 1-D probabilities of the positive class; got {p.shape}."
            )
        classes = np.unique(y)
        _check_binary(classes)
        is_pos = y == _loose_pos_label(pos_label, classes)
        ll = skm.log_loss(is_pos, p, sample_weight=sample_weight, labels=[False, True])
        base = float(np.average(is_pos, weights=sample_weight))
        return _ne(ll, base)
    a, b, w = _binary_proba(y_true, y_proba, sample_weight, "normalized_entropy")
    eps = float(np.finfo(b.dtype).eps)
    res = one_pass(binary_bins_kernel, a, b, w, combine=merge_binary_bins, eps=eps)
    _check_finite(res)
    classes = res["labels"]
    _check_binary(classes)
    if res["p_max"] > 1:
        raise ValueError(f"y_prob contains values greater than 1: {res['p_max']}")
    if res["p_min"] < 0:
        raise ValueError(f"y_prob contains values lower than 0: {res['p_min']}")
    pos = _is_pos(classes, _loose_pos_label(pos_label, classes))
    S = res["sums"][:, 0, :]  # count, weight, wp, wp^2, -w ln p, -w ln(1 - p)
    weight = float(np.sum(S[:, 1]))
    ll = float(np.sum(np.where(pos, S[:, 4], S[:, 5]))) / weight
    return _ne(ll, float(np.sum(S[pos, 1])) / weight)


def _ne(log_loss, base):
    if not 0 < base < 1:
        raise ValueError(
            f"normalized_entropy needs both classes in y_true: the base rate is {base}, whose entropy is 0."
        )
    return float(log_loss / -(base * np.log(base) + (1 - base) * np.log1p(-base)))
