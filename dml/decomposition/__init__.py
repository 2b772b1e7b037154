"""Matrix decompositions on row-chunked data: PCA (exact TSQR, one-pass covariance,
randomized), TruncatedSVD and IncrementalPCA."""

from dml.decomposition._incremental_pca import IncrementalPCA
from dml.decomposition._pca import PCA
from dml.decomposition._truncated_svd import TruncatedSVD

__all__ = ["IncrementalPCA", "PCA", "TruncatedSVD"]
