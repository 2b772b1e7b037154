"""Feature extraction from text and from hashed features: FeatureHasher and the
:mod:`dml.feature_extraction.text` vectorizers, as blockwise task graphs over partitions
of documents (output: Dask arrays of CSR chunks)."""

import importlib
from typing import TYPE_CHECKING

from dml._lazy import attach

_getattr, __dir__, _names = attach(__name__, {"_hash": ["FeatureHasher"]})
__all__ = sorted([*_names, "text"])


def __getattr__(name):
    if name == "text":  # the submodule, imported when first asked for (as scikit-learn's)
        return importlib.import_module(f"{__name__}.text")
    return _getattr(name)


if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.feature_extraction import text  # noqa: F401
    from dml.feature_extraction._hash import FeatureHasher  # noqa: F401
