"""Imputation of missing values on row-chunked data: SimpleImputer (mean, median,
most_frequent, constant), fitted in one pass (median: exact, in a bounded number of
passes)."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_base": ["SimpleImputer"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.impute._base import SimpleImputer  # noqa: F401
