"""Recommenders on row-chunked ratings: ALS (Spark MLlib's alternating least squares for
explicit and implicit feedback), blocked by users and items."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {"_als": ["ALS"]})

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.recommendation._als import ALS  # noqa: F401
