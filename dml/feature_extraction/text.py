"""Text vectorizers (scikit-learn's ``sklearn.feature_extraction.text``) over partitions of
documents: HashingVectorizer, CountVectorizer, TfidfTransformer, TfidfVectorizer."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    "dml.feature_extraction",
    {"_text": ["CountVectorizer", "HashingVectorizer", "TfidfTransformer", "TfidfVectorizer"]},
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.feature_extraction._text import (  # noqa: F401
        CountVectorizer,
        HashingVectorizer,
        TfidfTransformer,
        TfidfVectorizer,
    )
