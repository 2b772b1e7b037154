"""Chunk kernels of the metrics and their combines.

Each kernel has the engine's signature ``kernel(a, b, w, *, xp) -> dict`` with ``a`` the
chunk of ``y_true``, ``b`` the chunk of ``y_pred`` / ``y_score`` / ``y_proba`` and ``w``
the chunk of ``sample_weight`` (``None`` when absent). They use only the array
namespace ``xp``, so they run on NumPy, CuPy and ``array_api_strict`` chunks.

Two kinds of partials:

- *compressed pairs* (:func:`pair_counts_kernel`): the distinct ``(a, b)`` value pairs
  of the chunk with their summed weights. Every confusion-matrix metric, and the ROC
  AUC, are functions of these weighted pairs, so scikit-learn's own metric evaluated on
  the merged pairs (``sample_weight`` = the sums) gives exactly its result on the data.
- *sums* (:func:`regression_kernel`, :func:`log_loss_kernel`): float64 sums, merged by
  addition (and Chan's update for the variance of ``y_true``).
"""

from __future__ import annotations

import numpy as np

from dml._engine.kernels import row_blocks
from dml._engine.namespace import as_float64, is_numpy_namespace, to_numpy


def _check_rows(a, b, w):
    n = [int(v.shape[0]) for v in (a, b, w) if v is not None]
    if len(set(n)) > 1:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: {n} "
            "(in one chunk: the inputs' chunks are not aligned)"
        )


def group_sum(inverse, values, n_groups, xp):
    """Sum ``values`` (n,) or (n, k) by group index ``inverse`` (n,) -> (n_groups, ...)."""
    if is_numpy_namespace(xp):
        inv = np.asarray(inverse)
        v = np.asarray(values)
        if v.ndim == 1:
            if v.dtype.kind in "iub":
                out = np.zeros(n_groups, dtype=np.int64)
                np.add.at(out, inv, v)
                return out
            return np.bincount(inv, weights=v, minlength=n_groups)
        return np.stack(
            [np.bincount(inv, weights=v[:, j], minlength=n_groups) for j in range(v.shape[1])],
            axis=1,
        ).reshape(n_groups, v.shape[1])
    # Generic array-API path: one masked sum per group (groups are few where used
    # on many rows), or sort + cumulative sums for many groups.
    if n_groups <= 64 or values.ndim > 1:
        rows = []
        for g in range(n_groups):
            mask = inverse == g
            if values.ndim == 1:
                rows.append(xp.sum(xp.where(mask, values, xp.zeros_like(values))))
            else:
                rows.append(xp.sum(xp.where(mask[:, None], values, xp.zeros_like(values)), axis=0))
        return xp.stack(rows, axis=0)
    order = xp.argsort(inverse, stable=True)
    _, counts = xp.unique_counts(inverse)
    csum = xp.cumulative_sum(xp.take(values, order))
    ends = xp.cumulative_sum(counts) - 1
    totals = xp.take(csum, ends)
    return xp.concat([totals[:1], totals[1:] - totals[:-1]])


def pair_counts_kernel(a, b, w, *, xp):
    """Distinct ``(a, b)`` pairs of the chunk and their summed weights.

    Parameters
    ----------
    a, b : arrays of shape (n_rows,)
        Labels / scores.
    w : array of shape (n_rows,) or None

    Returns
    -------
    dict with ``a`` and ``b`` (the pairs' values, shape (n_pairs,)) and ``w``
    (int64 counts when ``w`` is None or integral, else float64 weight sums).
    """
    _check_rows(a, b, w)
    if is_numpy_namespace(xp):
        fast = _small_int_pairs(np.asarray(a), np.asarray(b), None if w is None else np.asarray(w))
        if fast is not None:
            return fast
    ua, ia = xp.unique_inverse(a)
    ub, ib = xp.unique_inverse(b)
    nb = ub.shape[0]
    code = xp.astype(ia, xp.int64) * nb + xp.astype(ib, xp.int64)
    uc, ic = xp.unique_inverse(code)
    if w is None:
        sums = group_sum(ic, xp.ones(code.shape, dtype=xp.int64), uc.shape[0], xp)
    elif xp.isdtype(w.dtype, ("integral", "bool")):
        sums = group_sum(ic, xp.astype(w, xp.int64), uc.shape[0], xp)
    else:
        sums = group_sum(ic, as_float64(w, xp), uc.shape[0], xp)
    return {"a": xp.take(ua, uc // nb), "b": xp.take(ub, uc % nb), "w": sums}


def _small_int_pairs(a, b, w, max_cells=1 << 20):
    """NumPy fast path of :func:`pair_counts_kernel` for integer labels of small range.

    One ``bincount`` over ``(a - min a) * range(b) + (b - min b)``: linear time, where
    the general path sorts. Returns None when it does not apply.
    """
    if a.dtype.kind not in "iub" or b.dtype.kind not in "iub" or a.size == 0:
        return None
    a64, b64 = a.astype(np.int64, copy=False), b.astype(np.int64, copy=False)
    amin, amax, bmin, bmax = int(a64.min()), int(a64.max()), int(b64.min()), int(b64.max())
    ka, kb = amax - amin + 1, bmax - bmin + 1
    if ka * kb > max_cells:
        return None
    code = (a64 - amin) * kb + (b64 - bmin)
    seen = np.bincount(code, minlength=ka * kb)
    nz = np.flatnonzero(seen)
    if w is None:
        sums = seen[nz]
    elif w.dtype.kind in "iub":
        sums = np.rint(np.bincount(code, weights=w, minlength=ka * kb)[nz]).astype(np.int64)
    else:
        sums = np.bincount(code, weights=w.astype(np.float64, copy=False), minlength=ka * kb)[nz]
    return {
        "a": (nz // kb + amin).astype(a.dtype),
        "b": (nz % kb + bmin).astype(b.dtype),
        "w": sums,
    }


def merge_pairs(parts):
    """Combine of :func:`pair_counts_kernel` partials (host NumPy, associative)."""
    parts = [p for p in parts if p]
    a = np.concatenate([np.asarray(to_numpy(p["a"])) for p in parts])
    b = np.concatenate([np.asarray(to_numpy(p["b"])) for p in parts])
    w = np.concatenate([np.asarray(to_numpy(p["w"])) for p in parts])
    ua, ia = np.unique(a, return_inverse=True)
    ub, ib = np.unique(b, return_inverse=True)
    code = ia.astype(np.int64) * len(ub) + ib
    uc, ic = np.unique(code, return_inverse=True)
    return {"a": ua[uc // len(ub)], "b": ub[uc % len(ub)], "w": group_sum(ic, w, len(uc), np)}


def column_pair_counts_kernel(a, b, w, *, xp):
    """:func:`pair_counts_kernel` of ``a`` with every column of ``b`` (multiclass scores).

    Also counts the rows whose scores do not sum to one (``np.allclose(1, row_sum)``
    fails), for scikit-learn's multiclass ROC AUC check.
    """
    _check_rows(a, b, w)
    out = {}
    for j in range(b.shape[1]):
        p = pair_counts_kernel(a, b[:, j], w, xp=xp)
        out[f"a{j}"], out[f"b{j}"], out[f"w{j}"] = p["a"], p["b"], p["w"]
    s = as_float64(xp.sum(b, axis=1), xp)
    out["n_not_prob"] = xp.sum(xp.astype(xp.abs(1.0 - s) > 1e-8 + 1e-5 * xp.abs(s), xp.int64))
    return out


def merge_column_pairs(parts):
    """Combine of :func:`column_pair_counts_kernel` partials (host NumPy, associative)."""
    parts = [p for p in parts if p]
    k = sum(1 for key in parts[0] if key.startswith("a"))
    out = {"n_not_prob": sum(int(to_numpy(p["n_not_prob"])) for p in parts)}
    for j in range(k):
        m = merge_pairs([{"a": p[f"a{j}"], "b": p[f"b{j}"], "w": p[f"w{j}"]} for p in parts])
        out[f"a{j}"], out[f"b{j}"], out[f"w{j}"] = m["a"], m["b"], m["w"]
    return out


def regression_kernel(a, b, w, *, xp, stats=("sse", "sae", "moments")):
    """Sums for MSE / MAE / R^2 of one chunk, per output, in one read of the chunk.

    Parameters
    ----------
    a, b : arrays of shape (n_rows, n_outputs)
        ``y_true`` and ``y_pred`` (already 2-D).
    w : array of shape (n_rows,) or None
    stats : tuple of {"sse", "sae", "moments"}
        The sums to compute (the others are returned as zeros).

    Returns
    -------
    dict with ``n`` (weight sum), ``mean`` and ``m2`` (weighted mean and centred sum of
    squares of ``y_true``, per output), ``sse`` and ``sae`` (weighted sums of squared
    and absolute errors, per output) and ``n_rows``.

    Notes
    -----
    The chunk is walked in cache-sized row blocks; the moments are accumulated around
    the first block's mean (a shift), which keeps them accurate for large offsets.
    """
    _check_rows(a, b, w)
    n_rows, k = a.shape
    zeros = xp.zeros((k,), dtype=xp.float64)
    sw = xp.asarray(0.0, dtype=xp.float64)
    sse, sae, s1, s2 = zeros, zeros, zeros, zeros
    shift = zeros
    first = True
    for lo, hi in row_blocks(n_rows, 2 * k, 8):
        yt = as_float64(a[lo:hi, :], xp)
        wb = None if w is None else as_float64(w[lo:hi], xp)[:, None]
        sw = sw + (float(hi - lo) if wb is None else xp.sum(wb))
        if "sse" in stats or "sae" in stats:
            d = yt - as_float64(b[lo:hi, :], xp)
            if "sse" in stats:
                sse = sse + xp.sum(d * d if wb is None else wb * d * d, axis=0)
            if "sae" in stats:
                sae = sae + xp.sum(xp.abs(d) if wb is None else wb * xp.abs(d), axis=0)
        if "moments" in stats:
            if first:
                shift = xp.mean(yt, axis=0)
                first = False
            c = yt - shift
            wc = c if wb is None else wb * c
            s1 = s1 + xp.sum(wc, axis=0)
            s2 = s2 + xp.sum(wc * c, axis=0)
    safe = xp.where(sw != 0, sw, xp.asarray(1.0, dtype=xp.float64))
    dm = s1 / safe
    return {
        "n": sw,
        "mean": shift + dm,
        "m2": xp.maximum(s2 - sw * dm * dm, xp.asarray(0.0, dtype=xp.float64)),
        "sse": sse,
        "sae": sae,
        "n_rows": xp.asarray(n_rows, dtype=xp.int64),
    }


def log_percentage_kernel(a, b, w, *, xp, stats=("sle", "ape")):
    """Sums for the squared log error and the absolute percentage error of one chunk.

    Parameters
    ----------
    a, b : arrays of shape (n_rows, n_outputs)
        ``y_true`` and ``y_pred`` (already 2-D).
    w : array of shape (n_rows,) or None
    stats : tuple of {"sle", "ape"}
        The sums to compute (the others are returned as zeros).

    Returns
    -------
    dict with ``n`` (weight sum), ``sle`` (weighted sum of
    ``(log1p(y_true) - log1p(y_pred))**2`` per output), ``ape`` (weighted sum of
    ``|y_true - y_pred| / max(|y_true|, eps)`` per output) and ``n_le_minus1`` (the
    number of values of either input that are <= -1, where the log is undefined).
    """
    _check_rows(a, b, w)
    n_rows, k = a.shape
    zeros = xp.zeros((k,), dtype=xp.float64)
    sw = xp.asarray(0.0, dtype=xp.float64)
    sle, ape = zeros, zeros
    n_bad = xp.asarray(0, dtype=xp.int64)
    eps = float(np.finfo(np.float64).eps)
    for lo, hi in row_blocks(n_rows, 2 * k, 8):
        yt = as_float64(a[lo:hi, :], xp)
        yp = as_float64(b[lo:hi, :], xp)
        wb = None if w is None else as_float64(w[lo:hi], xp)[:, None]
        sw = sw + (float(hi - lo) if wb is None else xp.sum(wb))
        if "sle" in stats:
            low = (yt <= -1.0) | (yp <= -1.0)
            n_bad = n_bad + xp.sum(xp.astype(low, xp.int64))
            zero = xp.zeros_like(yt)
            # Rows with a value <= -1 add 0 here (their count decides the error), so the
            # sums stay finite unless an input holds NaN or infinity.
            d = xp.where(low, zero, xp.log1p(xp.where(low, zero, yt)) - xp.log1p(xp.where(low, zero, yp)))
            sle = sle + xp.sum(d * d if wb is None else wb * d * d, axis=0)
        if "ape" in stats:
            r = xp.abs(yp - yt) / xp.maximum(xp.abs(yt), xp.asarray(eps, dtype=xp.float64))
            ape = ape + xp.sum(r if wb is None else wb * r, axis=0)
    return {"n": sw, "sle": sle, "ape": ape, "n_le_minus1": n_bad}


def multilabel_accuracy_kernel(a, b, w, *, xp):
    """Subset accuracy sums of one chunk of label indicator matrices.

    Parameters
    ----------
    a, b : arrays of shape (n_rows, n_labels)
        ``y_true`` and ``y_pred``.
    w : array of shape (n_rows,) or None

    Returns
    -------
    dict with ``correct`` (weighted number of rows whose labels all match),
    ``weight`` (weight sum) and ``values_true`` / ``values_pred`` (at most three
    distinct values of each input: an indicator matrix has at most two, integral).
    """
    _check_rows(a, b, w)
    n_rows = a.shape[0]
    hit = xp.all(a == b, axis=1) if a.shape[1] else xp.ones((n_rows,), dtype=xp.bool)
    if w is None:
        correct = as_float64(xp.sum(xp.astype(hit, xp.int64)), xp)
        weight = xp.asarray(float(n_rows), dtype=xp.float64)
    else:
        wf = as_float64(w, xp)
        correct = xp.sum(xp.where(hit, wf, xp.zeros_like(wf)))
        weight = xp.sum(wf)

    def few(v):  # up to 3 distinct values: enough to tell an indicator matrix
        u = xp.unique_values(xp.reshape(v, (-1,)))
        return u[:3]

    return {"correct": correct, "weight": weight, "values_true": few(a), "values_pred": few(b)}


def combine_multilabel_accuracy(parts):
    """Combine of :func:`multilabel_accuracy_kernel` partials (host NumPy, associative)."""
    parts = [p for p in parts if p]
    out = {k: sum(float(to_numpy(p[k])) for p in parts) for k in ("correct", "weight")}
    for k in ("values_true", "values_pred"):
        out[k] = np.unique(np.concatenate([np.asarray(to_numpy(p[k])) for p in parts]))[:3]
    return out


def _encode(a, xp, max_range=1 << 16):
    """Sorted distinct values of ``a`` and the index of each element among them.

    Integer NumPy labels of small range take a linear-time path (no sort).
    """
    if is_numpy_namespace(xp):
        a_np = np.asarray(a)
        if a_np.dtype.kind in "iu" and a_np.size:
            lo, hi = int(a_np.min()), int(a_np.max())
            if hi - lo < max_range:
                seen = np.bincount(a_np - lo, minlength=hi - lo + 1) > 0
                present = np.flatnonzero(seen)
                index = np.cumsum(seen) - 1
                return (present + lo).astype(a_np.dtype), index[a_np - lo]
    return xp.unique_inverse(a)


def log_loss_kernel(a, b, w, *, xp):
    """Per-label sums of ``-log(clip(p))`` for every column of ``y_proba``.

    The column of the true class is only known once every chunk's labels are merged, so
    the kernel returns, for each distinct label ``l`` of the chunk, the weighted sum over
    its rows of ``-log(p_j)`` for every column ``j``; the caller picks column
    ``index(l)``.

    Parameters
    ----------
    a : array of shape (n_rows,)
        ``y_true``.
    b : array of shape (n_rows,) or (n_rows, n_columns)
        ``y_proba`` (1-D: probability of the positive class).
    w : array of shape (n_rows,) or None

    Returns
    -------
    dict with ``labels`` (n_labels,), ``loss`` (n_labels, n_columns), ``weight`` (weight
    sum), ``p_max`` / ``p_min`` (extremes of ``y_proba``, NaN-propagating), ``n_bad_sum``
    (rows whose probabilities do not sum to one) and ``n_rows``.
    """
    _check_rows(a, b, w)
    n_rows = a.shape[0]
    eps = float(xp.finfo(b.dtype).eps)
    if n_rows:
        p_max = xp.max(b)
        p_min = xp.min(b)
    else:
        p_max = xp.asarray(-float("inf"), dtype=b.dtype)
        p_min = xp.asarray(float("inf"), dtype=b.dtype)
    P = b
    if P.ndim == 1:
        P = P[:, None]
    if P.shape[1] == 1:
        P = xp.concat([1 - P, P], axis=1)
    rowsum = as_float64(xp.sum(P, axis=1), xp)
    tol = eps**0.5 + 1e-8  # isclose(rowsum, 1, rtol=sqrt(eps)) as scikit-learn
    n_bad = xp.sum(xp.astype(xp.abs(rowsum - 1.0) > tol, xp.int64))
    L = -xp.log(as_float64(xp.clip(P, eps, 1 - eps), xp))
    if w is None:
        weight = xp.asarray(float(n_rows), dtype=xp.float64)
    else:
        wf = as_float64(w, xp)
        weight = xp.sum(wf)
        L = L * wf[:, None]
    labels, inv = _encode(a, xp)
    loss = group_sum(inv, L, labels.shape[0], xp)
    return {
        "labels": labels,
        "loss": loss,
        "weight": weight,
        "p_max": as_float64(p_max, xp),
        "p_min": as_float64(p_min, xp),
        "n_bad_sum": n_bad,
        "n_rows": xp.asarray(n_rows, dtype=xp.int64),
    }


def merge_log_loss(parts):
    """Combine of :func:`log_loss_kernel` partials (host NumPy, associative)."""
    parts = [p for p in parts if p]
    labels = np.concatenate([np.asarray(to_numpy(p["labels"])) for p in parts])
    loss = np.concatenate([np.asarray(to_numpy(p["loss"])) for p in parts], axis=0)
    ul, inv = np.unique(labels, return_inverse=True)
    return {
        "labels": ul,
        "loss": group_sum(inv, loss, len(ul), np),
        "weight": sum(float(to_numpy(p["weight"])) for p in parts),
        "p_max": max((float(to_numpy(p["p_max"])) for p in parts), key=_nan_first),
        "p_min": min((float(to_numpy(p["p_min"])) for p in parts), key=_nan_last),
        "n_bad_sum": sum(int(to_numpy(p["n_bad_sum"])) for p in parts),
        "n_rows": sum(int(to_numpy(p["n_rows"])) for p in parts),
    }


def _nan_first(v):
    return (np.isnan(v), v if not np.isnan(v) else 0.0)


def _nan_last(v):
    return (not np.isnan(v), v if not np.isnan(v) else 0.0)


def finite_flags_kernel(a, b, w, *, xp):
    """NaN / infinity flags of each input (the error path of the regression metrics)."""
    out = {}
    for name, v in (("y_true", a), ("y_pred", b), ("sample_weight", w)):
        if v is None:
            continue
        out[name + "_nan"] = xp.astype(xp.any(xp.isnan(v)), xp.int64)
        out[name + "_inf"] = xp.astype(xp.any(xp.isinf(v)), xp.int64)
    return out


__all__ = [
    "column_pair_counts_kernel",
    "combine_multilabel_accuracy",
    "finite_flags_kernel",
    "merge_column_pairs",
    "group_sum",
    "log_loss_kernel",
    "log_percentage_kernel",
    "multilabel_accuracy_kernel",
    "merge_log_loss",
    "merge_pairs",
    "pair_counts_kernel",
    "regression_kernel",
]


def binary_bins_kernel(a, b, w, *, xp, edges=None, eps=None):
    """Per distinct label of ``y_true`` and bin of ``y_proba`` (``edges``: the inner bin
    edges, a row in bin ``searchsorted(edges, p)``; None: one bin), the sums the binary
    calibration metrics need: row count, weight, weighted ``p`` and ``p^2`` and (``eps``
    given) the weighted ``-log`` of ``clip(p)`` and of ``clip(1 - p)``; with the
    extremes of ``p``. The positive label is chosen once the labels are merged.

    Returns
    -------
    dict with ``labels`` (n_labels,), ``sums`` (n_labels, n_bins, n_stats), ``p_max``,
    ``p_min``.
    """
    _check_rows(a, b, w)
    p = as_float64(b, xp)
    n = int(p.shape[0])
    wf = xp.ones_like(p) if w is None else as_float64(w, xp)
    if edges is None:
        k = 1
        bins = xp.zeros((n,), dtype=xp.int64)
    else:
        e = xp.asarray(np.asarray(edges, dtype=np.float64))
        k = int(e.shape[0]) + 1
        bins = xp.astype(xp.searchsorted(e, p, side="left"), xp.int64)
    cols = [xp.ones_like(p), wf, wf * p, wf * p * p]
    if eps is not None:
        cols.append(wf * -xp.log(xp.clip(p, eps, 1 - eps)))
        cols.append(wf * -xp.log(xp.clip(1 - p, eps, 1 - eps)))
    labels, inv = _encode(a, xp)
    n_labels = int(labels.shape[0])
    group = xp.astype(inv, xp.int64) * k + bins
    sums = group_sum(group, xp.stack(cols, axis=1), n_labels * k, xp)
    return {
        "labels": labels,
        "sums": xp.reshape(as_float64(sums, xp), (n_labels, k, len(cols))),
        "p_max": as_float64(xp.max(p), xp) if n else xp.asarray(-float("inf")),
        "p_min": as_float64(xp.min(p), xp) if n else xp.asarray(float("inf")),
    }


def merge_binary_bins(parts):
    """Combine of :func:`binary_bins_kernel` partials (host NumPy, associative)."""
    parts = [p for p in parts if p]
    labels = np.concatenate([np.asarray(to_numpy(p["labels"])) for p in parts])
    sums = np.concatenate([np.asarray(to_numpy(p["sums"])) for p in parts], axis=0)
    ul, inv = np.unique(labels, return_inverse=True)
    shape = sums.shape[1:]
    merged = group_sum(inv.ravel(), sums.reshape(sums.shape[0], -1), len(ul), np)
    return {
        "labels": ul,
        "sums": merged.reshape((len(ul),) + shape),
        "p_max": max((float(to_numpy(p["p_max"])) for p in parts), key=_nan_first),
        "p_min": min((float(to_numpy(p["p_min"])) for p in parts), key=_nan_last),
    }


__all__ += ["binary_bins_kernel", "merge_binary_bins"]
