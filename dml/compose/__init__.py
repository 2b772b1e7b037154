"""Column-wise composition: a transformer per column subset, outputs side by side."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_column_transformer": ["ColumnTransformer", "make_column_transformer"],
        "_selector": ["make_column_selector"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.compose._column_transformer import ColumnTransformer, make_column_transformer  # noqa: F401
    from dml.compose._selector import make_column_selector  # noqa: F401
