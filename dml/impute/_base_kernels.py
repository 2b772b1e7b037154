"""Chunk kernels of SimpleImputer: pure functions of ``(chunk, ..., *, xp)``."""

from __future__ import annotations

import math

import numpy as np

from dml._engine.namespace import to_numpy
from dml.preprocessing._encoders_kernels import Categorical, chunk_columns, n_rows


def _is_nan(value):
    return isinstance(value, float) and math.isnan(value)


def missing_mask(X, missing_values, *, xp):
    """Where ``X`` holds the missing marker (NaN, or a number)."""
    if _is_nan(missing_values):
        return xp.isnan(X)
    return X == missing_values


def impute_stats_kernel(X, y, w, *, xp, missing_values, want_sum):
    """Per-feature missing counts (and the sum of the present values), plus the value
    flags: whether the chunk holds NaN that is not the marker, and infinity.

    The sum is taken in X's dtype along the rows, as ``np.ma.mean`` does, and returned
    as float64 so the partials add up in float64.
    """
    mask = missing_mask(X, missing_values, xp=xp)
    out = {
        "n_missing": xp.sum(xp.astype(mask, xp.int64), axis=0),
        "n_rows": xp.asarray(X.shape[0], dtype=xp.int64),
        "has_inf": xp.astype(xp.any(xp.isinf(X)), xp.int64),
    }
    if not _is_nan(missing_values):
        out["has_nan"] = xp.astype(xp.any(xp.isnan(X)), xp.int64)
    if want_sum:
        zero = xp.zeros((), dtype=X.dtype)
        out["sum"] = xp.astype(xp.sum(xp.where(mask, zero, X), axis=0), xp.float64)
    return out


def value_counts_kernel(X, y, w, *, xp, missing_values):
    """Per feature, the distinct present values of the chunk and their counts."""
    X = to_numpy(X)
    mask = to_numpy(missing_mask(X, missing_values, xp=np))
    cols = []
    for j in range(X.shape[1]):
        values, counts = np.unique(X[~mask[:, j], j], return_counts=True)
        cols.append((values, counts.astype(np.int64)))
    return {"value_counts": cols}


def combine_value_counts_per_column(parts):
    """Combine of :func:`value_counts_kernel`: union of values, counts added."""
    parts = [p["value_counts"] for p in parts if p]
    out = []
    for cols in zip(*parts):
        values = np.concatenate([c[0] for c in cols])
        counts = np.concatenate([c[1] for c in cols])
        if values.size == 0:
            out.append((values, counts))
            continue
        order = np.argsort(values, kind="stable")
        values, counts = values[order], counts[order]
        first = np.empty(values.shape[0], dtype=bool)
        first[0] = True
        first[1:] = values[1:] != values[:-1]
        start = np.flatnonzero(first)
        out.append((values[start], np.add.reduceat(counts, start)))
    return {"value_counts": out}


def impute_kernel(X, *, xp, statistics, keep, missing_values, indicator_features):
    """Replace the marker by each kept feature's statistic, drop the other features and
    append the indicator columns (1.0 where the marker was, for ``indicator_features``)."""
    mask = missing_mask(X, missing_values, xp=xp)
    stats = xp.astype(xp.asarray(statistics), X.dtype)
    if keep is not None:
        idx = xp.asarray(keep)
        Xk = xp.take(X, idx, axis=1)
        mk = xp.take(mask, idx, axis=1)
    else:
        Xk, mk = X, mask
    out = xp.where(mk, stats[None, :], Xk)
    if indicator_features is not None:
        ind = xp.astype(xp.take(mask, xp.asarray(indicator_features), axis=1), X.dtype)
        out = xp.concat([out, ind], axis=1)
    return out


def inverse_impute_kernel(X, *, xp, n_features, kept, indicator_features, missing_values):
    """Put the marker back where the indicator columns say a value was missing."""
    n_kept = len(kept)
    out = xp.zeros((X.shape[0], n_features), dtype=X.dtype)
    out[:, xp.asarray(kept)] = X[:, :n_kept]
    mask = X[:, n_kept:] != 0
    cols = out[:, xp.asarray(indicator_features)]
    marker = xp.asarray(missing_values, dtype=X.dtype)
    out[:, xp.asarray(indicator_features)] = xp.where(mask, marker, cols)
    return out


# ------------------------------------------------- non-numeric columns (frames path)


def object_missing_mask(values, missing_values):
    """scikit-learn's ``_get_mask`` of a 1-D array read by the frames path: NaN as the
    marker matches float NaN (``x != x``), any other marker by equality."""
    if _is_nan(missing_values):
        if values.dtype.kind == "f":
            return np.isnan(values)
        if values.dtype.kind in "iub":
            return np.zeros(values.shape[0], dtype=bool)
        return np.asarray(values != values, dtype=bool)
    if values.dtype.kind != "O" and (missing_values is None or isinstance(missing_values, str)):
        return np.zeros(values.shape[0], dtype=bool)
    if values.dtype.kind == "O":
        return np.fromiter(
            (v is missing_values or v == missing_values for v in values), bool, values.shape[0]
        )
    return np.asarray(values == missing_values, dtype=bool)


def _object_column(c):
    # a ``category`` column (the encoders' reader gives its codes) as its values
    return c.values() if isinstance(c, Categorical) else c


def impute_object_kernel(X, *, xp, statistics, keep, missing_values):
    """Impute the columns of a DataFrame partition / object chunk (each read as
    scikit-learn's ``check_array`` reads it) into a 2-D object array: the marker is
    replaced by each kept feature's statistic, the other features are dropped."""
    cols = chunk_columns(X)
    if keep is not None:
        cols = [cols[j] for j in keep]
    out = np.empty((n_rows(X), len(cols)), dtype=object)
    for j, c in enumerate(cols):
        out[:, j] = _object_column(c)
        mask = object_missing_mask(out[:, j], missing_values)
        if mask.any():
            out[mask, j] = statistics[j]
    return out
