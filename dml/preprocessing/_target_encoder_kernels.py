"""Chunk kernels of TargetEncoder: target labels, per-fold category statistics, encoding.

The statistics of a chunk, per column and per category seen, are the row count, the
sum of the (encoded) target and the sum of its squares, split by the fold of each row;
partials merge associatively (categories united, sorted as scikit-learn sorts them).
Everything runs on the host (NumPy): categories may be strings.
"""

from __future__ import annotations

import numpy as np

from dml.preprocessing._encoders_kernels import (
    _concat,
    chunk_columns,
    encode_column,
    n_rows,
    unique_counts,
)

# ---------------------------------------------------------------------------- folds

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix64(x):
    """SplitMix64's finaliser: a well-mixed 64-bit hash of each uint64 (vectorised)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def fold_of(rows, *, n_samples, n_splits, shuffle, seed):
    """The cross-fitting fold of each global row index in ``rows``.

    ``shuffle=False``: scikit-learn's ``KFold(n_splits)`` without shuffling (contiguous
    blocks, the first ``n_samples % n_splits`` one row longer). ``shuffle=True``: a hash
    of the row index and ``seed`` modulo ``n_splits`` (deterministic, independent of the
    chunking; folds of about ``n_samples / n_splits`` rows)."""
    rows = np.asarray(rows, dtype=np.int64)
    if not shuffle:
        sizes = np.full(n_splits, n_samples // n_splits, dtype=np.int64)
        sizes[: n_samples % n_splits] += 1
        bounds = np.cumsum(sizes)
        return np.searchsorted(bounds, rows, side="right").astype(np.int64)
    key = rows.astype(np.uint64) ^ _splitmix64(np.asarray([seed], dtype=np.uint64))[0]
    return (_splitmix64(key) % np.uint64(n_splits)).astype(np.int64)


# --------------------------------------------------------------------------- target


def target_values(y):
    """A target chunk (NumPy, or a pandas Series partition) as a 1-D NumPy array."""
    if hasattr(y, "iloc"):
        d = y.dtype
        if isinstance(d, np.dtype):
            return y.to_numpy()
        if getattr(d, "kind", "O") in "biuf" and type(d).__name__ != "CategoricalDtype":
            return y.to_numpy(dtype=np.float64, na_value=np.nan)
        return y.to_numpy(dtype=object)
    return np.asarray(y).reshape(-1)


def target_labels_kernel(X, y, w, *, xp):
    """The chunk's rows, whether its target has non-integer floats (continuous) or NaN,
    and its distinct labels (unless continuous)."""
    v = target_values(y)
    rows = np.asarray([n_rows(X)], dtype=np.int64)
    if v.shape[0] != rows[0]:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: [{rows[0]}, {v.shape[0]}]"
        )
    continuous = nan = False
    if v.dtype.kind == "f":
        nan = bool(np.isnan(v).any())
        finite = v[np.isfinite(v)]
        continuous = bool(np.any(finite != np.round(finite)))
    labels = None if continuous else unique_counts(v)[0]
    return {"rows": rows, "continuous": continuous, "nan": nan, "labels": labels}


def combine_target_labels(parts):
    """Merge label partials in chunk order (rows concatenated: the combine is ordered)."""
    parts = [p for p in parts if p]
    continuous = any(p["continuous"] for p in parts)
    labels = None
    if not continuous:
        labels = unique_counts(_concat([p["labels"] for p in parts]))[0]
    return {
        "rows": np.concatenate([p["rows"] for p in parts]),
        "continuous": continuous,
        "nan": any(p["nan"] for p in parts),
        "labels": labels,
    }


def encode_target(v, target_type, classes):
    """The target as a 2-D float array: continuous as is, binary as 0 / 1 (the label's
    index), multiclass one-hot over ``classes``."""
    if target_type == "continuous":
        return v.astype(np.float64, copy=False).reshape(-1, 1)
    codes, valid = encode_column(v, classes)
    if not valid.all():
        raise ValueError(f"y contains previously unseen labels: {list(unique_counts(v[~valid])[0])}")
    if target_type == "binary":
        return codes.astype(np.float64).reshape(-1, 1)
    out = np.zeros((v.shape[0], classes.shape[0]), dtype=np.float64)
    out[np.arange(v.shape[0]), codes] = 1.0
    return out


# ----------------------------------------------------------------------- statistics


def _fold_ids(n, row_offset, folds):
    if folds is None:
        return np.zeros(n, dtype=np.int64), 1
    rows = np.arange(row_offset, row_offset + n, dtype=np.int64)
    return fold_of(rows, **folds), folds["n_splits"]


def target_stats_kernel(X, y, w, *, xp, target_type, classes, folds=None, row_offset=0):
    """Per column and fold: categories seen, their row counts, target sums and sums of
    squares; per fold: rows, target sums and sums of squares (all rows)."""
    Y = encode_target(target_values(y), target_type, classes)
    n = n_rows(X)
    if Y.shape[0] != n:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: [{n}, {Y.shape[0]}]")
    fold, k = _fold_ids(n, row_offset, folds)
    t = Y.shape[1]
    out = {
        "n": np.bincount(fold, minlength=k).astype(np.float64),
        "sum": np.zeros((k, t)),
        "sumsq": np.zeros((k, t)),
        "values": [],
        "count": [],
        "csum": [],
        "csumsq": [],
    }
    np.add.at(out["sum"], fold, Y)
    np.add.at(out["sumsq"], fold, Y * Y)
    for col in chunk_columns(X):
        uniq, _ = unique_counts(col)
        codes, _ = encode_column(col, uniq)
        m = uniq.shape[0]
        cell = fold * m + codes
        count = np.bincount(cell, minlength=k * m).reshape(k, m).astype(np.float64)
        csum = np.zeros((k * m, t))
        csumsq = np.zeros((k * m, t))
        np.add.at(csum, cell, Y)
        np.add.at(csumsq, cell, Y * Y)
        out["values"].append(uniq)
        out["count"].append(count)
        out["csum"].append(csum.reshape(k, m, t))
        out["csumsq"].append(csumsq.reshape(k, m, t))
    return out


def combine_target_stats(parts):
    """Merge statistics partials: categories united, statistics realigned and added."""
    parts = [p for p in parts if p]
    if not parts:
        return {}
    out = {key: sum(p[key] for p in parts) for key in ("n", "sum", "sumsq")}
    for key in ("values", "count", "csum", "csumsq"):
        out[key] = []
    for j in range(len(parts[0]["values"])):
        uniq = unique_counts(_concat([p["values"][j] for p in parts]))[0]
        k, t = parts[0]["sum"].shape
        count = np.zeros((k, uniq.shape[0]))
        csum = np.zeros((k, uniq.shape[0], t))
        csumsq = np.zeros((k, uniq.shape[0], t))
        for p in parts:
            idx, _ = encode_column(p["values"][j], uniq)
            count[:, idx] += p["count"][j]
            csum[:, idx] += p["csum"][j]
            csumsq[:, idx] += p["csumsq"][j]
        out["values"].append(uniq)
        out["count"].append(count)
        out["csum"].append(csum)
        out["csumsq"].append(csumsq)
    return out


# ---------------------------------------------------------------------------- encode


def encodings_from_stats(count, csum, csumsq, n, total, totalsq, smooth):
    """scikit-learn's encodings of one column from its statistics.

    ``count`` (n_categories,), ``csum`` / ``csumsq`` (n_categories, n_targets), ``n``
    rows, ``total`` / ``totalsq`` (n_targets,) over all rows. Returns
    ``(encodings (n_targets, n_categories), target_mean (n_targets,))``."""
    mean = total / n
    with np.errstate(all="ignore"):
        if smooth == "auto":
            var = np.maximum(totalsq / n - mean * mean, 0.0)
            cmean = csum / count[:, None]
            ssd = np.maximum(csumsq - csum * cmean, 0.0)
            lam = var[None, :] * count[:, None] / (var[None, :] * count[:, None] + ssd / count[:, None])
            enc = lam * cmean + (1 - lam) * mean[None, :]
            enc = np.where(np.isnan(lam), mean[None, :], enc)
        else:
            den = smooth + count[:, None]
            enc = (smooth * mean[None, :] + csum) / den
            enc = np.where(den == 0, mean[None, :], enc)
    return enc.T, mean


def target_transform_kernel(X, *, xp, categories, encodings, means, folds=None, row_offset=0):
    """One chunk target encoded.

    ``encodings[j]`` is (n_folds, n_targets, n_categories) for column ``j`` and ``means``
    (n_folds, n_targets): without ``folds`` (n_folds = 1) the fitted encoding; with them
    each row takes the encoding learned without its fold. Unknown categories get the
    mean. Output columns: per column, per target."""
    cols = chunk_columns(X)
    n = n_rows(X)
    fold, _ = _fold_ids(n, row_offset, folds)
    t = means.shape[1]
    out = np.empty((n, len(cols) * t), dtype=np.float64)
    for j, (col, cats) in enumerate(zip(cols, categories)):
        codes, valid = encode_column(col, cats)
        enc = encodings[j]
        for c in range(t):
            vals = enc[fold, c, codes]
            out[:, j * t + c] = np.where(valid, vals, means[fold, c])
    return out


def target_transform_chunk(X, *, xp, row_offsets=None, partition=None, **kwargs):
    """:func:`target_transform_kernel` for a blockwise call that knows the chunk's
    first row from ``row_offsets`` and the chunk's number."""
    offset = 0 if row_offsets is None else int(row_offsets[partition])
    return target_transform_kernel(X, xp=xp, row_offset=offset, **kwargs)
