"""Scalers, normalizers and encoders that fit in one pass over row-chunked data."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_data": ["MinMaxScaler", "StandardScaler"],
        "_function_transformer": ["FunctionTransformer"],
        "_label": ["LabelEncoder"],
        "_scale": ["MaxAbsScaler", "Normalizer"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.preprocessing._data import MinMaxScaler, StandardScaler  # noqa: F401
    from dml.preprocessing._function_transformer import FunctionTransformer  # noqa: F401
    from dml.preprocessing._label import LabelEncoder  # noqa: F401
    from dml.preprocessing._scale import MaxAbsScaler, Normalizer  # noqa: F401
