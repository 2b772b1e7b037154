"""Clustering on row-chunked data: KMeans (k-means|| seeding, one fused pass per Lloyd
iteration) and MiniBatchKMeans (minibatch updates, partial_fit for streams)."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_bisect_k_means": ["BisectingKMeans"],
        "_kmeans": ["KMeans"],
        "_minibatch": ["MiniBatchKMeans"],
        "_spectral": ["SpectralClustering"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.cluster._bisect_k_means import BisectingKMeans  # noqa: F401
    from dml.cluster._kmeans import KMeans  # noqa: F401
    from dml.cluster._minibatch import MiniBatchKMeans  # noqa: F401
    from dml.cluster._spectral import SpectralClustering  # noqa: F401
