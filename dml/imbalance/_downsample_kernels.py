"""Chunk kernels of :class:`dml.imbalance.NegativeDownsampler`: pure functions of a
chunk and small state, importing only NumPy and the engine's light modules.

- :func:`label_counts_kernel`: the distinct labels of a ``y`` chunk and their counts
  (combined with :func:`dml._engine.mapreduce.combine_value_counts`);
- :func:`keep_mask` / :func:`keep_block`: which rows the sample keeps (every positive,
  each negative with probability ``rate``); :func:`kept_rows` those rows of a chunk,
  :func:`draw_plan` / :func:`planned_kept_rows` the same inside one graph after the
  label counts;
- :func:`corrected_block`: the fitted model's probabilities of one chunk, corrected for
  the sampling.

The draw of a row is a counter-based uniform number, a SplitMix64 hash of ``(seed,
global row index)``: the same rows are kept whatever the chunking, the number of
workers or the order in which chunks run.
"""

from __future__ import annotations

import numpy as np

from dml._engine.compiled import compiled
from dml._engine.namespace import get_namespace, to_numpy

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def _mix(seed):
    """A 64-bit key of ``seed``, computed on the host."""
    z = (int(seed) * 0xD1342543DE82EF95 + 0x632BE59BD9B4E019) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def hash_uniform(idx, seed, *, xp):
    """Uniform numbers in (0, 1), one per global row index in ``idx`` (SplitMix64)."""
    z = xp.astype(idx, xp.uint64) * _GOLDEN + _mix(seed)
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    z = z ^ (z >> 31)
    return (xp.astype(z >> 11, xp.float64) + 0.5) * (2.0**-53)


def label_counts_kernel(X, y, w, *, xp):
    """Distinct values of the chunk ``X`` (a 1-D ``y`` chunk) and their counts."""
    values, counts = np.unique(to_numpy(X), return_counts=True)
    return {"labels": values, "label_counts": counts.astype(np.int64)}


@compiled
def _keep_loop(y, row_offset, key, rate, pos_label, out):
    """:func:`keep_mask` on the host, one row at a time: the same SplitMix64 draws as
    :func:`hash_uniform` (wrapping uint64 arithmetic), drawn only for negative rows."""
    golden = np.uint64(0x9E3779B97F4A7C15)
    m1 = np.uint64(0xBF58476D1CE4E5B9)
    m2 = np.uint64(0x94D049BB133111EB)
    s30, s27, s31, s11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
    scale = 2.0**-53
    for i in range(y.shape[0]):
        if y[i] == pos_label:
            out[i] = True
            continue
        z = np.uint64(row_offset + i) * golden + key
        z = (z ^ (z >> s30)) * m1
        z = (z ^ (z >> s27)) * m2
        z = z ^ (z >> s31)
        out[i] = (float(z >> s11) + 0.5) * scale < rate


def keep_mask(y, *, xp, row_offset, seed, rate, pos_label):
    """Boolean mask of the kept rows of a ``y`` chunk whose first row is ``row_offset``.

    A row is kept when it is positive (``y == pos_label``) or its hashed uniform draw is
    below ``rate``. Numeric NumPy labels take a compiled loop (one pass, no temporaries);
    other labels and device arrays the array-API expression (the same draws).
    """
    n = int(y.shape[0])
    if isinstance(y, np.ndarray) and y.dtype.kind in "iufb" and np.ndim(pos_label) == 0:
        label = y.dtype.type(pos_label)
        if label == pos_label:  # a label y's dtype holds (else nothing is positive: the expression)
            out = np.empty(n, dtype=bool)
            _keep_loop(
                np.ascontiguousarray(y), np.int64(row_offset), np.uint64(_mix(seed)), float(rate), label, out
            )
            return out
    idx = xp.arange(int(row_offset), int(row_offset) + n, dtype=xp.int64)
    keep = hash_uniform(idx, seed, xp=xp) < rate
    return keep | (y == pos_label)


def kept_rows(X, y, w, *, row_offset, seed, rate, pos_label):
    """The kept rows of one row chunk: ``(X[keep], y[keep], w[keep] or None)``.

    One task per chunk reads ``y`` once (the draws of :func:`keep_mask`) and gathers
    the kept rows of ``X`` (dense or CSR) and ``w``; the rest of ``X`` is not read.
    """
    keep = keep_mask(y, xp=get_namespace(y), row_offset=row_offset, seed=seed, rate=rate, pos_label=pos_label)
    return X[keep], y[keep], (None if w is None else w[keep])


def draw_plan(counts, negative_rate):
    """The sampling rate from the combined label counts (a task of the fit's graph).

    Returns ``{"labels", "label_counts", "rate"}``; ``rate`` is None unless there are
    exactly two finite labels (the driver then raises the error the counts call for).
    ``'balanced'`` gives ``min(1, n_pos / n_neg)``, ``classes_[1]`` being positive.
    """
    labels = np.asarray(counts["labels"])
    n = np.asarray(counts["label_counts"])
    rate = None
    if labels.shape[0] == 2 and (labels.dtype.kind in "iuUSOb" or bool(np.all(np.isfinite(labels)))):
        rate = min(1.0, int(n[1]) / int(n[0])) if negative_rate == "balanced" else float(negative_rate)
    return {"labels": labels, "label_counts": n, "rate": rate}


def planned_kept_rows(X, y, w, plan, *, row_offset, seed):
    """:func:`kept_rows` at the rate of :func:`draw_plan` (no rows when it has none)."""
    if plan["rate"] is None:
        return X[:0], y[:0], (None if w is None else w[:0])
    return kept_rows(
        X, y, w, row_offset=row_offset, seed=seed, rate=plan["rate"], pos_label=plan["labels"][1]
    )


def keep_block(y, *, seed, rate, pos_label, block_info=None):
    """:func:`keep_mask` of one block of a Dask array (``map_blocks`` gives its offset)."""
    row_offset = block_info[0]["array-location"][0][0]
    return keep_mask(y, xp=get_namespace(y), row_offset=row_offset, seed=seed, rate=rate, pos_label=pos_label)


def _log_odds_shift(P, log_rate, xp):
    """``q = p / (p + (1 - p) / w)`` for the positive column of ``P`` (2 columns), written
    as ``logit(q) = logit(p) + ln w`` and evaluated stably."""
    p = P[:, 1]
    with np.errstate(divide="ignore"):
        logit = xp.log(p) - xp.log1p(-p)
    return _sigmoid_columns(logit + log_rate, xp)


def _sigmoid_columns(z, xp):
    """``[1 - sigmoid(z), sigmoid(z)]`` as two columns, without overflow."""
    e = xp.exp(-xp.abs(z))
    big = 1.0 / (1.0 + e)
    small = e / (1.0 + e)
    pos = xp.where(z >= 0, big, small)
    neg = xp.where(z >= 0, small, big)
    return xp.stack([neg, pos], axis=1)


def corrected_block(X, *, estimator, kind, log_rate, correction):
    """The output of the fitted inner ``estimator`` on one chunk, corrected.

    Parameters
    ----------
    X : array of shape (n_rows, n_features)
    estimator : fitted classifier
    kind : {"proba", "decision"}
    log_rate : float
        ``ln w``, the log of the negative sampling rate.
    correction : {"intercept", "q-map", None}
        ``"intercept"``: the decision values of a logistic model plus ``ln w`` (and their
        sigmoid as probabilities); ``"q-map"``: the probabilities mapped by
        ``q = p / (p + (1 - p) / w)``; ``None``: the model's own output.
    """
    if kind == "decision":
        d = estimator.decision_function(X)
        return d + log_rate if correction == "intercept" else d
    if correction == "intercept":
        d = estimator.decision_function(X)
        xp = get_namespace(d)
        return _sigmoid_columns(xp.astype(d, xp.float64) + log_rate, xp)
    P = estimator.predict_proba(X)
    if correction is None:
        return P
    xp = get_namespace(P)
    return _log_odds_shift(xp.astype(P, xp.float64), log_rate, xp)


def labels_block(P, *, classes):
    """The label of each row's most probable class (``classes[argmax]``), on the host."""
    P = to_numpy(P)
    return np.asarray(classes)[np.argmax(P, axis=1)]


def same_block(b):
    """The block itself (``map_blocks`` with new chunk metadata: known lengths)."""
    return b


__all__ = [
    "corrected_block",
    "draw_plan",
    "hash_uniform",
    "keep_block",
    "keep_mask",
    "kept_rows",
    "label_counts_kernel",
    "labels_block",
    "planned_kept_rows",
    "same_block",
]
