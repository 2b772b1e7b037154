"""Learning at heavy class imbalance: NegativeDownsampler keeps every positive and a
fraction of the negatives, fits on that sample and corrects the probabilities."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_downsample": ["NegativeDownsampler"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.imbalance._downsample import NegativeDownsampler  # noqa: F401
