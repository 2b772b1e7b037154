"""Metrics and scorers: scikit-learn's results, computed in one pass over Dask input.

Every function takes in-memory arrays (handed to scikit-learn's own function, so the
result is scikit-learn's) or Dask arrays / DataFrames (one ``compute`` of small
per-chunk reductions; the data never travels to the caller).
"""

from dml.metrics._classification import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    fbeta_score,
    log_loss,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
)
from dml.metrics._ranking import roc_auc_score
from dml.metrics._regression import (
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    root_mean_squared_error,
)
from dml.metrics._scorer import check_scoring, get_scorer, get_scorer_names, make_scorer

__all__ = [
    "accuracy_score",
    "balanced_accuracy_score",
    "check_scoring",
    "confusion_matrix",
    "f1_score",
    "fbeta_score",
    "get_scorer",
    "get_scorer_names",
    "log_loss",
    "make_scorer",
    "mean_absolute_error",
    "mean_squared_error",
    "precision_recall_fscore_support",
    "precision_score",
    "r2_score",
    "recall_score",
    "roc_auc_score",
    "root_mean_squared_error",
]
