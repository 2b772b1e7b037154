"""Scalers that fit in one pass over row-chunked data."""

from dml.preprocessing._data import MinMaxScaler, StandardScaler

__all__ = ["MinMaxScaler", "StandardScaler"]
