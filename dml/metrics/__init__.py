"""Metrics and scorers: scikit-learn's results, computed in one pass over Dask input.

Every function takes in-memory arrays (handed to scikit-learn's own function, so the
result is scikit-learn's) or Dask arrays / DataFrames (one ``compute`` of small
per-chunk reductions; the data never travels to the caller).
"""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_calibration": ["brier_score_loss", "calibration_curve", "normalized_entropy"],
        "_classification": [
            "accuracy_score",
            "balanced_accuracy_score",
            "confusion_matrix",
            "f1_score",
            "fbeta_score",
            "log_loss",
            "precision_recall_fscore_support",
            "precision_score",
            "recall_score",
        ],
        "_pairwise": [
            "euclidean_distances",
            "pairwise_distances",
            "pairwise_distances_argmin_min",
            "pairwise_kernels",
        ],
        "_ranking": ["roc_auc_score"],
        "_ranking_at_k": ["mean_average_precision", "ndcg_at_k", "precision_at_k", "recall_at_k"],
        "_regression": [
            "mean_absolute_error",
            "mean_absolute_percentage_error",
            "mean_squared_error",
            "mean_squared_log_error",
            "r2_score",
            "root_mean_squared_error",
            "root_mean_squared_log_error",
        ],
        "_scorer": ["check_scoring", "get_scorer", "get_scorer_names", "make_scorer"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.metrics._calibration import brier_score_loss, calibration_curve, normalized_entropy  # noqa: F401
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
    )  # noqa: F401
    from dml.metrics._pairwise import (
        euclidean_distances,
        pairwise_distances,
        pairwise_distances_argmin_min,
        pairwise_kernels,
    )  # noqa: F401
    from dml.metrics._ranking import roc_auc_score  # noqa: F401
    from dml.metrics._ranking_at_k import (  # noqa: F401
        mean_average_precision,
        ndcg_at_k,
        precision_at_k,
        recall_at_k,
    )
    from dml.metrics._regression import (
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_error,
        mean_squared_log_error,
        r2_score,
        root_mean_squared_error,
        root_mean_squared_log_error,
    )  # noqa: F401
    from dml.metrics._scorer import check_scoring, get_scorer, get_scorer_names, make_scorer  # noqa: F401
