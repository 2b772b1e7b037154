"""Ensembles of in-memory models trained blockwise: one clone of a scikit-learn
estimator per row chunk, combined by voting (classifier) or averaging (regressor)."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_blockwise": ["BlockwiseVotingClassifier", "BlockwiseVotingRegressor"],
        "_hist_gradient_boosting": ["HistGradientBoostingClassifier", "HistGradientBoostingRegressor"],
        "_forest": [
            "ExtraTreesClassifier",
            "ExtraTreesRegressor",
            "RandomForestClassifier",
            "RandomForestRegressor",
        ],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.ensemble._blockwise import (  # noqa: F401
        BlockwiseVotingClassifier,
        BlockwiseVotingRegressor,
    )
    from dml.ensemble._forest import (  # noqa: F401
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from dml.ensemble._hist_gradient_boosting import (  # noqa: F401
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )
