"""Model selection on the cluster: hyperparameter searches whose fits are Dask tasks."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_halving": ["HalvingGridSearchCV", "HalvingRandomSearchCV"],
        "_hyperband": ["HyperbandSearchCV"],
        "_incremental_search": ["IncrementalSearchCV", "InverseDecaySearchCV"],
        "_search": ["GridSearchCV", "RandomizedSearchCV"],
        "_split": ["KFold", "ShuffleSplit", "StratifiedKFold", "train_test_split"],
        "_successive_halving": ["AsyncSuccessiveHalvingSearchCV", "SuccessiveHalvingSearchCV"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.model_selection._halving import HalvingGridSearchCV, HalvingRandomSearchCV  # noqa: F401
    from dml.model_selection._hyperband import HyperbandSearchCV  # noqa: F401
    from dml.model_selection._incremental_search import IncrementalSearchCV, InverseDecaySearchCV  # noqa: F401
    from dml.model_selection._search import GridSearchCV, RandomizedSearchCV  # noqa: F401
    from dml.model_selection._split import KFold, ShuffleSplit, StratifiedKFold, train_test_split  # noqa: F401
    from dml.model_selection._successive_halving import (  # noqa: F401
        AsyncSuccessiveHalvingSearchCV,
        SuccessiveHalvingSearchCV,
    )
