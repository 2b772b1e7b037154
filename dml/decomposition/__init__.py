"""Matrix decompositions on row-chunked data: PCA (exact TSQR, one-pass covariance,
randomized), TruncatedSVD and IncrementalPCA."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_incremental_pca": ["IncrementalPCA"],
        "_pca": ["PCA"],
        "_truncated_svd": ["TruncatedSVD"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.decomposition._incremental_pca import IncrementalPCA  # noqa: F401
    from dml.decomposition._pca import PCA  # noqa: F401
    from dml.decomposition._truncated_svd import TruncatedSVD  # noqa: F401
