"""Mixture models on row-chunked data: GaussianMixture (one fused pass per EM
iteration)."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_gaussian_mixture": ["GaussianMixture"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.mixture._gaussian_mixture import GaussianMixture  # noqa: F401
