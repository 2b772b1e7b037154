"""Chunk kernels of OneHotEncoder and OrdinalEncoder (and the category counts that
TargetEncoder shares).

A chunk is a pandas DataFrame partition or a 2-D NumPy array (duck-typed: pandas is
never imported). Each column is read as scikit-learn's ``check_array`` reads a
DataFrame column (nullable numbers as float with NaN, categories as their values,
strings as objects); categories are handled on the host (NumPy), as scikit-learn's
encoders handle them. Missing values are ``None`` and NaN (``pd.NA`` of a string
column reads as NaN), kept apart as scikit-learn keeps them: sorted values, then
``None``, then NaN. The category-count partials merge associatively in a tree.
"""

from __future__ import annotations

import warnings
from collections import Counter
from itertools import repeat

import numpy as np

# ------------------------------------------------------------------------ columns


def _is_frame(chunk):
    return hasattr(chunk, "iloc") and hasattr(chunk, "columns")


def _unwrap(chunk):
    """A pandas partition out of the engine's holder (``dml._engine.frames.FrameChunk``)."""
    return getattr(chunk, "frame", chunk)


class Categorical:
    """A ``category`` column as its codes and category values: counted and encoded
    through its few categories instead of its rows. ``base`` holds the category values
    in the dtype scikit-learn's ``check_array`` gives the column (objects for strings;
    float when numbers and missing values mix), ``codes`` is -1 where missing."""

    __slots__ = ("base", "codes")

    def __init__(self, base, codes):
        self.base, self.codes = base, codes

    @property
    def shape(self):
        return self.codes.shape

    @property
    def dtype(self):
        return self.base.dtype

    def extended(self):
        """``base`` with the missing value (NaN) appended, so ``codes`` of -1 index it."""
        nan = np.array([np.nan], dtype=self.base.dtype if self.base.dtype.kind in "fO" else np.float64)
        return _concat([self.base, nan])

    def values(self):
        ext = self.extended()
        return ext[np.where(self.codes < 0, ext.shape[0] - 1, self.codes)]


def _categorical(s):
    codes = np.asarray(s.cat.codes, dtype=np.int64)
    base = np.asarray(s.dtype.categories.to_numpy())
    if base.dtype.kind not in "biuf":
        base = base.astype(object)
    elif (codes < 0).any():
        base = base.astype(np.float64)
    return Categorical(base, codes)


def column_values(s):
    """One pandas column as the NumPy array scikit-learn's ``check_array`` makes of it
    (a ``category`` column as a :class:`Categorical`)."""
    d = s.dtype
    if isinstance(d, np.dtype):
        return s.to_numpy()
    name = type(d).__name__
    if name == "CategoricalDtype":
        return _categorical(s)
    if getattr(d, "kind", "O") in "biuf":
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    out = s.to_numpy(dtype=object)
    if name in ("StringDtype", "ArrowDtype"):
        # the string dtype's missing marker (pd.NA) as NaN, the missing value of pandas'
        # default ``str`` dtype
        missing = np.asarray(s.isna(), dtype=bool)
        if missing.any():
            out = out.copy()
            out[missing] = np.nan
    return out


def chunk_columns(chunk):
    """The columns of a chunk as 1-D NumPy arrays (views where possible, never written)."""
    chunk = _unwrap(chunk)
    if _is_frame(chunk):
        return [column_values(chunk.iloc[:, i]) for i in range(chunk.shape[1])]
    chunk = np.asarray(chunk)
    return [chunk[:, i] for i in range(chunk.shape[1])]


def n_rows(chunk):
    return int(chunk.shape[0])


# ------------------------------------------------------------------- missing values


def _is_nan(v):
    return isinstance(v, float) and v != v


def _missing_masks(values):
    """``(none, nan)`` masks of an object array."""
    none = np.fromiter((v is None for v in values), dtype=bool, count=values.shape[0])
    nan = np.fromiter((_is_nan(v) for v in values), dtype=bool, count=values.shape[0])
    return none, nan


def _type_error(values):
    types = sorted(t.__qualname__ for t in set(type(v) for v in values))
    return TypeError(
        f"Encoders require their input argument must be uniformly strings or numbers. Got {types}"
    )


# ------------------------------------------------------------------ unique + counts


def unique_counts(values, counts=None):
    """Sorted distinct values of a 1-D array with their counts (``counts``: weights per
    entry, default 1): scikit-learn's order (numbers ascending, NaN last; objects
    sorted, then ``None``, then NaN)."""
    if isinstance(values, Categorical):
        # count the codes, then sort the few categories seen
        tally = np.bincount(values.codes + 1, minlength=values.base.shape[0] + 1)
        seen = np.flatnonzero(tally[1:])
        base, cnt = values.base[seen], tally[1:][seen]
        if tally[0]:
            base = values.extended()[np.r_[seen, values.base.shape[0]]]
            cnt = np.r_[cnt, tally[0]]
        return unique_counts(base, cnt.astype(np.int64))
    if values.dtype != object:
        if values.shape[0] == 0:
            return values, np.zeros(0, dtype=np.int64)
        if counts is None:
            uniq, cnt = np.unique(values, return_counts=True)
        else:
            uniq, inv = np.unique(values, return_inverse=True)
            cnt = np.bincount(inv.ravel(), weights=counts, minlength=uniq.shape[0])
        cnt = cnt.astype(np.int64)
        if uniq.dtype.kind in "fc" and uniq.shape[0] and np.isnan(uniq[-1]):
            k = int(np.searchsorted(uniq, np.nan))
            cnt = np.concatenate([cnt[:k], [cnt[k:].sum()]])
            uniq = uniq[: k + 1]
        return uniq, cnt
    # objects: a hash tally (C speed), then sort the distinct keys only
    if counts is None:
        tally = Counter(values)
    else:
        tally = {}
        for v, c in zip(values, counts.tolist()):
            tally[v] = tally.get(v, 0) + c
    n_none = tally.pop(None, 0)
    n_nan = 0
    for key in [k for k in tally if _is_nan(k)]:
        n_nan += tally.pop(key)
    try:
        keys = sorted(tally)
    except TypeError:
        raise _type_error(values) from None
    extra_v = ([None] if n_none else []) + ([np.nan] if n_nan else [])
    uniq = np.empty(len(keys) + len(extra_v), dtype=object)
    uniq[: len(keys)] = keys
    uniq[len(keys) :] = extra_v
    cnt = np.asarray([tally[k] for k in keys] + ([n_none] if n_none else []) + ([n_nan] if n_nan else []))
    return uniq, cnt.astype(np.int64)


def category_counts_kernel(X, y, w, *, xp):
    """Per column: the chunk's sorted distinct values and their counts; and its rows."""
    cols = chunk_columns(X)
    values, counts = [], []
    for c in cols:
        u, k = unique_counts(c)
        values.append(u)
        counts.append(k)
    return {"values": values, "counts": counts, "n_samples": n_rows(X)}


def _concat(arrays):
    if any(a.dtype == object for a in arrays):
        out = np.empty(sum(a.shape[0] for a in arrays), dtype=object)
        i = 0
        for a in arrays:
            out[i : i + a.shape[0]] = a
            i += a.shape[0]
        return out
    return np.concatenate(arrays)


def combine_category_counts(parts):
    """Merge per-chunk ``(values, counts)`` per column (associative, commutative)."""
    parts = [p for p in parts if p]
    if not parts:
        return {}
    n_cols = len(parts[0]["values"])
    values, counts = [], []
    for j in range(n_cols):
        u, k = unique_counts(
            _concat([p["values"][j] for p in parts]), np.concatenate([p["counts"][j] for p in parts])
        )
        values.append(u)
        counts.append(k)
    return {"values": values, "counts": counts, "n_samples": sum(p["n_samples"] for p in parts)}


# --------------------------------------------------------------------------- encode


def _hashable(v):
    try:
        hash(v)
    except TypeError:
        return False
    return True


def _diff_values(values, valid):
    """scikit-learn's list of unknown values (``_check_unknown``'s ``diff``)."""
    if isinstance(values, Categorical):
        values = values.values()
    bad = values[~valid]
    if values.dtype == object:
        none, nan = _missing_masks(bad)
        rest = bad[~(none | nan)]
        diff = list(set(rest))
        if none.any():
            diff.append(None)
        if nan.any():
            diff.append(np.nan)
        return diff
    return list(np.unique(bad))


def encode_column(values, cats):
    """``(codes, valid)``: each value's index in ``cats`` (0 where unknown) and the mask
    of known values. ``cats`` are an encoder's ``categories_[i]``."""
    n = values.shape[0]
    if isinstance(values, Categorical):
        # encode the categories once, then look the rows' codes up
        codes, valid = encode_column(values.extended(), cats)
        idx = np.where(values.codes < 0, values.base.shape[0], values.codes)
        return codes[idx], valid[idx]
    if values.dtype != object and cats.dtype != object and values.dtype.kind not in "OUS":
        if cats.shape[0] == 0:
            return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        idx = np.searchsorted(cats, values)
        idx = np.minimum(idx, cats.shape[0] - 1)
        found = cats[idx]
        valid = found == values
        if cats.dtype.kind == "f" and np.isnan(cats[-1]) and values.dtype.kind == "f":
            isnan = np.isnan(values)
            valid |= isnan
            idx = np.where(isnan, cats.shape[0] - 1, idx)
        return np.where(valid, idx, 0).astype(np.int64), valid
    table = {}
    none_idx = nan_idx = -1
    for i, c in enumerate(cats.tolist() if cats.dtype != object else cats):
        if c is None:
            none_idx = i
        elif _is_nan(c):
            nan_idx = i
        else:
            table[c] = i
    if none_idx >= 0:
        table[None] = none_idx
    items = values.tolist() if values.dtype != object else values
    try:  # a hash lookup per row at C speed
        codes = np.fromiter(map(table.get, items, repeat(-1)), dtype=np.int64, count=n)
    except TypeError:  # unhashable values: unknown
        codes = np.asarray([table.get(v, -1) if _hashable(v) else -1 for v in items], dtype=np.int64)
    if nan_idx >= 0:
        miss = np.flatnonzero(codes < 0)
        if miss.shape[0]:
            is_nan = np.fromiter((_is_nan(items[i]) for i in miss), dtype=bool, count=miss.shape[0])
            codes[miss[is_nan]] = nan_idx
    valid = codes >= 0
    return np.where(valid, codes, 0), valid


def encode_chunk(X, state, *, handle_unknown, warn_on_unknown, ignore_category_indices=None):
    """scikit-learn's ``_BaseEncoder._transform`` on one chunk: ``(X_int, X_mask)``."""
    cols = chunk_columns(X)
    n = n_rows(X)
    X_int = np.zeros((n, len(cols)), dtype=np.int64)
    X_mask = np.ones((n, len(cols)), dtype=bool)
    unknown_cols = []
    for i, (values, cats) in enumerate(zip(cols, state["categories"])):
        codes, valid = encode_column(values, cats)
        if not valid.all():
            if handle_unknown == "error":
                diff = _diff_values(values, valid)
                raise ValueError(f"Found unknown categories {diff} in column {i} during transform")
            if warn_on_unknown:
                unknown_cols.append(i)
            X_mask[:, i] = valid
        X_int[:, i] = codes
    if unknown_cols:
        if handle_unknown == "infrequent_if_exist":
            msg = (
                f"Found unknown categories in columns {unknown_cols} during transform. These "
                "unknown categories will be encoded as the infrequent category."
            )
        else:
            msg = (
                f"Found unknown categories in columns {unknown_cols} during transform. These "
                "unknown categories will be encoded as all zeros"
            )
        warnings.warn(msg, UserWarning)
    _map_infrequent(X_int, X_mask, state, handle_unknown, ignore_category_indices)
    return X_int, X_mask


def _map_infrequent(X_int, X_mask, state, handle_unknown, ignore):
    """scikit-learn's ``_map_infrequent_categories`` (in place)."""
    if not state["infrequent_enabled"]:
        return
    ignore = ignore or {}
    for j, infreq in enumerate(state["infrequent_indices"]):
        if infreq is None:
            continue
        X_int[~X_mask[:, j], j] = infreq[0]
        if handle_unknown in ("infrequent_if_exist", "warn"):
            X_mask[:, j] = True
    for j, mapping in enumerate(state["mappings"]):
        if mapping is None:
            continue
        rows = X_int[:, j] != ignore[j] if j in ignore else slice(None)
        X_int[rows, j] = np.take(mapping, X_int[rows, j])


def onehot_kernel(X, *, xp, state, handle_unknown, warn_on_unknown, out_dtype, sparse_output):
    """One chunk one-hot encoded: a CSR matrix (``sparse``) or a dense array."""
    import scipy.sparse as sp

    X_int, X_mask = encode_chunk(X, state, handle_unknown=handle_unknown, warn_on_unknown=warn_on_unknown)
    n = X_int.shape[0]
    drop = state["drop_idx_after_grouping"]
    if drop is not None:
        to_drop = drop.copy()
        keep = X_int != to_drop
        for i, cats in enumerate(state["categories"]):
            if to_drop[i] is None:
                to_drop[i] = len(cats)
        to_drop = to_drop.reshape(1, -1)
        X_int[X_int > to_drop] -= 1
        X_mask &= keep
    mask = X_mask.ravel()
    offsets = np.cumsum([0] + list(state["n_features_outs"]))
    indices = (X_int + offsets[:-1]).ravel()[mask]
    indptr = np.empty(n + 1, dtype=np.int64)
    indptr[0] = 0
    np.sum(X_mask, axis=1, out=indptr[1:], dtype=indptr.dtype)
    np.cumsum(indptr[1:], out=indptr[1:])
    data = np.ones(indptr[-1])
    out = sp.csr_matrix((data, indices, indptr), shape=(n, int(offsets[-1])), dtype=out_dtype)
    if sparse_output:
        if out.nnz < np.iinfo(np.int32).max and out.shape[1] < np.iinfo(np.int32).max:
            out.indices = out.indices.astype(np.int32, copy=False)
            out.indptr = out.indptr.astype(np.int32, copy=False)
        return out
    return out.toarray()


def ordinal_kernel(X, *, xp, state, handle_unknown, out_dtype, unknown_value, encoded_missing_value):
    """One chunk ordinal encoded (scikit-learn's ``OrdinalEncoder.transform``)."""
    missing = state["missing_indices"]
    X_int, X_mask = encode_chunk(
        X,
        state,
        handle_unknown=handle_unknown,
        warn_on_unknown=False,
        ignore_category_indices=missing,
    )
    out = X_int.astype(out_dtype, copy=False)
    for j, m in missing.items():
        out[X_int[:, j] == m, j] = encoded_missing_value
    if handle_unknown == "use_encoded_value":
        out[~X_mask] = unknown_value
    return out
