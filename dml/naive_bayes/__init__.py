"""Naive Bayes on row-chunked data: GaussianNB, MultinomialNB, ComplementNB, BernoulliNB
and CategoricalNB, each fitted by one pass of per-class statistics (partial_fit for
streams)."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_naive_bayes": ["BernoulliNB", "CategoricalNB", "ComplementNB", "GaussianNB", "MultinomialNB"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.naive_bayes._naive_bayes import (  # noqa: F401
        BernoulliNB,
        CategoricalNB,
        ComplementNB,
        GaussianNB,
        MultinomialNB,
    )
