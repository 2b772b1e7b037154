"""Chunk kernels of the blockwise ensembles: fit one model per chunk, and combine the
models' predictions on a chunk (votes, aligned probabilities, means).

The models are in-memory estimators (scikit-learn's, or any with ``fit`` / ``predict``):
their outputs are converted to NumPy. This module imports NumPy only; a worker unpickling
a model imports the model's own library.
"""

from __future__ import annotations

import copy

import numpy as np


def fit_block_kernel(X, y, w, template, *, xp, row_offset, fit_params):
    """Fit a fresh copy of the unfitted ``template`` on one chunk.

    Returns ``{"offsets": [row_offset], "estimators": [fitted]}``: the partial of one
    chunk, which :func:`combine_fitted` concatenates. ``w`` (sample weights), when
    given, goes to ``fit`` as ``sample_weight``; ``fit_params`` go to every chunk's
    ``fit`` unchanged.
    """
    del xp  # the model runs on the chunk as it is
    est = copy.deepcopy(template)  # template is an unfitted clone: a copy is a clone
    if w is None:
        est.fit(X, y, **fit_params)
    else:
        est.fit(X, y, sample_weight=w, **fit_params)
    return {"offsets": [int(row_offset)], "estimators": [est]}


def combine_fitted(parts):
    """Concatenate the per-chunk partials of :func:`fit_block_kernel` (any order; the
    caller sorts the models by their chunk's first row)."""
    return {
        "offsets": [o for p in parts for o in p["offsets"]],
        "estimators": [e for p in parts for e in p["estimators"]],
    }


def hard_vote_block(X, *, xp, estimators, classes):
    """Majority vote of the models' ``predict`` on a chunk: shape (n_rows,).

    Ties go to the first class in ``classes`` (sorted), as scikit-learn's
    ``VotingClassifier``."""
    del xp
    n = X.shape[0]
    counts = np.zeros((n, len(classes)), dtype=np.int64)
    rows = np.arange(n)
    for est in estimators:
        idx = np.searchsorted(classes, np.asarray(est.predict(X)))
        counts[rows, idx] += 1
    return classes[np.argmax(counts, axis=1)]


def mean_proba_block(X, *, xp, estimators, classes):
    """Mean of the models' ``predict_proba`` on a chunk: shape (n_rows, n_classes).

    Each model's columns are placed at its own classes' positions in ``classes`` (the
    union): a model that never saw a class gives it probability 0."""
    del xp
    out = np.zeros((X.shape[0], len(classes)), dtype=np.float64)
    for est in estimators:
        cols = np.searchsorted(classes, np.asarray(est.classes_))
        out[:, cols] += np.asarray(est.predict_proba(X), dtype=np.float64)
    return out / len(estimators)


def soft_vote_block(X, *, xp, estimators, classes):
    """The class of largest mean probability on a chunk: shape (n_rows,)."""
    proba = mean_proba_block(X, xp=xp, estimators=estimators, classes=classes)
    return classes[np.argmax(proba, axis=1)]


def mean_predict_block(X, *, xp, estimators):
    """Mean of the models' ``predict`` on a chunk: shape (n_rows,) or (n_rows, n_outputs)."""
    del xp
    total = None
    for est in estimators:
        pred = np.asarray(est.predict(X), dtype=np.float64)
        total = pred if total is None else total + pred
    return total / len(estimators)
