"""Model selection on the cluster: hyperparameter searches whose fits are Dask tasks."""

from dml.model_selection._hyperband import HyperbandSearchCV
from dml.model_selection._search import GridSearchCV, RandomizedSearchCV
from dml.model_selection._split import KFold, ShuffleSplit, StratifiedKFold, train_test_split
from dml.model_selection._successive_halving import (
    AsyncSuccessiveHalvingSearchCV,
    SuccessiveHalvingSearchCV,
)

__all__ = [
    "AsyncSuccessiveHalvingSearchCV",
    "GridSearchCV",
    "HyperbandSearchCV",
    "KFold",
    "RandomizedSearchCV",
    "ShuffleSplit",
    "StratifiedKFold",
    "SuccessiveHalvingSearchCV",
    "train_test_split",
]
