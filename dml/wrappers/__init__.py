"""Meta-estimators that bring in-memory scikit-learn models to Dask data."""

from dml.wrappers._incremental import Incremental
from dml.wrappers._parallel_post_fit import ParallelPostFit

__all__ = ["Incremental", "ParallelPostFit"]
