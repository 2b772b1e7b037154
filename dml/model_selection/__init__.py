"""Model selection on the cluster: hyperparameter searches whose fits are Dask tasks."""

from dml.model_selection._split import KFold, ShuffleSplit, StratifiedKFold, train_test_split

__all__ = ["KFold", "ShuffleSplit", "StratifiedKFold", "train_test_split"]
