"""Meta-estimators that bring in-memory scikit-learn models to Dask data."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_incremental": ["Incremental"],
        "_parallel_post_fit": ["ParallelPostFit"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.wrappers._incremental import Incremental  # noqa: F401
    from dml.wrappers._parallel_post_fit import ParallelPostFit  # noqa: F401
