"""Lazy, chunked, reproducible sample generators (Dask arrays built on the workers)."""

from dml.datasets._samples_generator import make_blobs, make_classification, make_regression

__all__ = ["make_blobs", "make_classification", "make_regression"]
