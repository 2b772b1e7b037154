"""Chunk kernels of LabelEncoder. Labels may be strings, so they are handled on the host
(NumPy), as scikit-learn's encoders do."""

from __future__ import annotations

import numpy as np

from dml._engine.namespace import to_numpy


def _sorted_unique(values):
    """``np.unique`` of 1-D labels (NaN once, last, as scikit-learn's ``np.unique``)."""
    return np.unique(np.asarray(values))


def unique_labels_kernel(y, _y, _w, *, xp):
    """The sorted distinct labels of one chunk."""
    return {"classes": _sorted_unique(to_numpy(y))}


def combine_unique_labels(parts):
    """Merge per-chunk sorted label sets into one (associative, commutative)."""
    parts = [p["classes"] for p in parts if p]
    return {"classes": _sorted_unique(np.concatenate(parts)) if parts else np.empty(0)}


def _unseen(values, classes):
    """The labels of ``values`` that are not in ``classes`` (sorted, distinct)."""
    known = np.isin(values, classes)
    if values.dtype.kind == "f" and classes.dtype.kind == "f" and np.isnan(classes).any():
        known |= np.isnan(values)
    return _sorted_unique(values[~known])


def encode_kernel(y, *, xp, classes):
    """Each label's index in the sorted ``classes``; scikit-learn's error for labels not
    in ``classes``."""
    y = np.asarray(to_numpy(y))
    numeric = y.dtype.kind in "biuf" and classes.dtype.kind in "biuf"
    if numeric and classes.dtype.kind in "iu" and y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError("Input y contains NaN.")
    if numeric:
        diff = _unseen(y, classes)
        if diff.shape[0]:
            # scikit-learn's wording: the list of the unseen values
            raise ValueError(f"y contains previously unseen labels: {list(diff)}")
    else:
        unseen = y[~np.isin(y, classes)]
        if unseen.shape[0]:
            # scikit-learn's wording for non-numeric labels: the first unseen one, as a key
            raise ValueError(f"y contains previously unseen labels: {unseen[0]!r}")
    return np.searchsorted(classes, y).astype(np.int64, copy=False)


def decode_kernel(y, *, xp, classes):
    """The labels at the indices ``y``; scikit-learn's error for indices out of range."""
    y = np.asarray(to_numpy(y))
    diff = np.setdiff1d(y, np.arange(classes.shape[0]))
    if diff.shape[0]:
        raise ValueError(f"y contains previously unseen labels: {diff}")
    return np.take(classes, y.astype(np.intp, copy=False), axis=0)
