"""Scalers that fit in one pass over row-chunked data."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_data": ["MinMaxScaler", "StandardScaler"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.preprocessing._data import MinMaxScaler, StandardScaler  # noqa: F401
