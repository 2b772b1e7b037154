"""Scorers built on dml's metrics: scikit-learn scorer objects whose metric is lazy.

A dml scorer is an ordinary scikit-learn scorer (made by
:func:`sklearn.metrics.make_scorer`) around a dml metric. It calls the estimator's
``predict`` / ``predict_proba`` / ``decision_function`` on ``X`` (lazy Dask output for
dml estimators and Dask ``X``) and hands the result to the dml metric, which runs one
pass on Dask input and calls scikit-learn's metric on in-memory input. scikit-learn's
searches, ``cross_validate`` and metadata routing accept them unchanged.
"""

from __future__ import annotations

import copy

from sklearn import metrics as skm

from dml.metrics._classification import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
)
from dml.metrics._ranking import roc_auc_score
from dml.metrics._regression import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_log_error,
    r2_score,
    root_mean_squared_error,
    root_mean_squared_log_error,
)


def make_scorer(score_func, *, response_method="predict", greater_is_better=True, **kwargs):
    """Make a scorer from a metric, with scikit-learn's signature and semantics.

    Parameters
    ----------
    score_func : callable
        ``score_func(y_true, y_pred, **kwargs)``; use a :mod:`dml.metrics` function to
        score Dask data lazily.
    response_method : {"predict_proba", "decision_function", "predict"} or list/tuple \
            of those, default="predict"
        Method of the estimator whose output is scored (the first available in a list).
    greater_is_better : bool, default=True
        False for losses: the scorer then returns the negated metric.
    **kwargs
        Passed to ``score_func``.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_true, **kwargs)``, a scikit-learn scorer object.

    Examples
    --------
    >>> from dml.metrics import fbeta_score, make_scorer
    >>> ftwo = make_scorer(fbeta_score, beta=2)
    """
    return skm.make_scorer(
        score_func, response_method=response_method, greater_is_better=greater_is_better, **kwargs
    )


def _build_scorers():
    scorers = {
        "accuracy": make_scorer(accuracy_score),
        "balanced_accuracy": make_scorer(balanced_accuracy_score),
        "roc_auc": make_scorer(roc_auc_score, response_method=("decision_function", "predict_proba")),
        "neg_log_loss": make_scorer(log_loss, response_method="predict_proba", greater_is_better=False),
        "r2": make_scorer(r2_score),
        "neg_mean_squared_error": make_scorer(mean_squared_error, greater_is_better=False),
        "neg_root_mean_squared_error": make_scorer(root_mean_squared_error, greater_is_better=False),
        "neg_mean_absolute_error": make_scorer(mean_absolute_error, greater_is_better=False),
        "neg_mean_squared_log_error": make_scorer(mean_squared_log_error, greater_is_better=False),
        "neg_root_mean_squared_log_error": make_scorer(root_mean_squared_log_error, greater_is_better=False),
        "neg_mean_absolute_percentage_error": make_scorer(
            mean_absolute_percentage_error, greater_is_better=False
        ),
    }
    for name, metric in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score)):
        scorers[name] = make_scorer(metric, average="binary")
        for average in ("macro", "micro", "weighted"):
            scorers[f"{name}_{average}"] = make_scorer(metric, pos_label=None, average=average)
    return scorers


_SCORERS = _build_scorers()


def get_scorer_names():
    """Names accepted by :func:`get_scorer` (scorers whose metric is lazy on Dask input).

    Returns
    -------
    list of str
        Sorted names.

    Examples
    --------
    >>> from dml.metrics import get_scorer_names
    >>> "roc_auc" in get_scorer_names()
    True
    """
    return sorted(_SCORERS)


def get_scorer(scoring):
    """A scorer from its name (scikit-learn's names); callables and None pass through.

    Parameters
    ----------
    scoring : str, callable or None
        One of :func:`get_scorer_names`, or a scorer / ``scorer(estimator, X, y)``
        callable, returned as is.

    Returns
    -------
    scorer : callable
        A fresh copy: a scikit-learn scorer object around a :mod:`dml.metrics`
        function, so Dask input is scored in one pass and in-memory input exactly as
        scikit-learn does.

    Examples
    --------
    >>> from dml.metrics import get_scorer
    >>> scorer = get_scorer("accuracy")
    """
    if isinstance(scoring, str):
        try:
            return copy.deepcopy(_SCORERS[scoring])
        except KeyError:
            hint = ""
            if scoring in skm.get_scorer_names():
                hint = (
                    f" scikit-learn's {scoring!r} has no lazy dml version; use "
                    "sklearn.metrics.get_scorer for in-memory data."
                )
            raise ValueError(
                f"{scoring!r} is not a valid scoring value. Use "
                f"dml.metrics.get_scorer_names() to get valid options.{hint}"
            ) from None
    return scoring


def check_scoring(estimator=None, scoring=None, *, allow_none=False, raise_exc=True):
    """scikit-learn's :func:`~sklearn.metrics.check_scoring` with dml's scorer names.

    Parameters
    ----------
    estimator : estimator object, default=None
    scoring : str, callable, list, tuple, set, dict or None, default=None
        Names are looked up with :func:`get_scorer`; None uses the estimator's ``score``.
    allow_none : bool, default=False
    raise_exc : bool, default=True
        For multi-metric scoring: raise the first failing scorer's exception.

    Returns
    -------
    scorer : callable

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from dml.metrics import check_scoring
    >>> check_scoring(LogisticRegression(), "accuracy")
    make_scorer(accuracy_score, response_method='predict')
    >>> check_scoring(LogisticRegression())  # the estimator's own score method
    LogisticRegression.score
    """
    if isinstance(scoring, str):
        scoring = get_scorer(scoring)
    elif isinstance(scoring, (list, tuple, set)):
        scoring = {name: get_scorer(name) for name in scoring}
    elif isinstance(scoring, dict):
        scoring = {k: get_scorer(v) for k, v in scoring.items()}
    return skm.check_scoring(estimator, scoring=scoring, allow_none=allow_none, raise_exc=raise_exc)
