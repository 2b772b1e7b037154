"""Clustering on row-chunked data: KMeans (k-means|| seeding, fused Lloyd passes)."""

from dml.cluster._kmeans import KMeans

__all__ = ["KMeans"]
