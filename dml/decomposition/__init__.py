"""Matrix decompositions on row-chunked data: PCA (exact TSQR, one-pass covariance,
randomized)."""

from dml.decomposition._pca import PCA

__all__ = ["PCA"]
