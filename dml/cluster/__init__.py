"""Clustering on row-chunked data: KMeans (k-means|| seeding, one fused pass per Lloyd
iteration) and MiniBatchKMeans (minibatch updates, partial_fit for streams)."""

from dml.cluster._kmeans import KMeans
from dml.cluster._minibatch import MiniBatchKMeans

__all__ = ["KMeans", "MiniBatchKMeans"]
