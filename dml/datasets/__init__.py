"""Lazy, chunked, reproducible sample generators (Dask arrays and DataFrames built on the
workers)."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_samples_generator": ["make_blobs", "make_classification", "make_counts", "make_regression"],
        "_frames": ["make_classification_df", "random_date"],
        "_click_log": ["make_click_log"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.datasets._click_log import make_click_log  # noqa: F401
    from dml.datasets._frames import make_classification_df, random_date  # noqa: F401
    from dml.datasets._samples_generator import (  # noqa: F401
        make_blobs,
        make_classification,
        make_counts,
        make_regression,
    )
