"""Probability calibration: CalibratedClassifierCV (sigmoid, isotonic, temperature) as
scikit-learn's, with the folds' classifiers fitted on Dask input and only the held-out
decision values gathered to fit the calibrators."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_calibration": ["CalibratedClassifierCV"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.calibration._calibration import CalibratedClassifierCV  # noqa: F401
