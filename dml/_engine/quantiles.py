"""Per-column order statistics of row-chunked data.

Two tools share one mergeable state, the **rank-bounded summary** of a column's
values (Greenwald-Khanna's combine rule, with a fixed size):

- :func:`summarize` (one pass): a summary of every column, merged in the tree combine
  of :func:`~dml._engine.mapreduce.map_reduce`. Each kept value ``v`` carries bounds
  ``ulo <= U(v) <= uhi`` on ``U(v)``, the number of data values ``<= v``; the bounds are
  exact at the chunks and widen only when two summaries merge. A summary with at most
  ``size`` distinct values is exact. :func:`summary_quantiles` reads quantiles from it,
  and :func:`summary_rank_error` states its worst-case rank error (a bound that the
  summary itself proves, not an estimate).
- :func:`exact_order_statistics` (a bounded number of passes): the summary of pass 1
  brackets every wanted order statistic between two kept values whose rank bounds
  enclose it; each further pass counts the values at or below each bracket exactly and
  summarises the values inside it, until the summary of a bracket is exact. The values
  returned are data values, so quantiles interpolated from them (:func:`nanpercentile`,
  :func:`nanmedian`) equal NumPy's ``nanpercentile`` / ``nanmedian`` bit for bit.

Pass bound: a bracket's summary of ``m`` values and ``d`` levels of merging encloses
the target within at most about ``(2 d + 3) m / size`` values, so each pass divides the
candidate count by about ``size / (2 d + 3)`` (more than 300 with the default
``size=4096`` and a merge tree of depth 3). A column with at most ``size`` distinct
values is exact after one pass; with the default size, 2 passes suffice up to about a
million rows and 3 passes up to several hundred million (``tests/engine/test_quantiles.py``
measures the passes with :func:`~dml._engine.mapreduce.count_passes`).

Missing values (NaN, or a given number) are excluded in the kernels. The kernels run
on the host (NumPy): each chunk's column is sorted once per pass.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import to_numpy

#: Kept values per summary (per column and bracket).
DEFAULT_SIZE = 4096
#: Safety net: the passes of :func:`exact_order_statistics` (never reached in practice).
MAX_PASSES = 64

_EMPTY_I = np.zeros(0, dtype=np.int64)


# ------------------------------------------------------------------------ summaries
#
# A summary is a tuple ``(values, ulo, uhi, n, exact)``: sorted distinct values, bounds
# on the count of data values <= each of them, the count of values summarised, and
# whether every distinct value is kept (then ulo == uhi == U exactly).


def _empty(dtype):
    return (np.zeros(0, dtype=dtype), _EMPTY_I, _EMPTY_I, 0, True)


def _from_sorted(s, ws=None):
    """The exact summary of a sorted 1-D array (every distinct value, its exact U);
    with weights ``ws`` (aligned with ``s``), U is the total weight ``<= v`` (float64)
    and zero-weight values are left out."""
    if ws is not None:
        keep = ws != 0
        s, ws = s[keep], ws[keep]
    n = int(s.shape[0])
    if n == 0:
        return _empty(s.dtype) if ws is None else (s[:0], np.zeros(0), np.zeros(0), 0.0, True)
    last = np.empty(n, dtype=bool)
    last[:-1] = s[1:] != s[:-1]
    last[-1] = True
    idx = np.flatnonzero(last)
    if ws is None:
        u = (idx + 1).astype(np.int64)
        return (s[idx], u, u.copy(), n, True)
    u = np.cumsum(ws, dtype=np.float64)[idx]
    return (s[idx], u, u.copy(), float(u[-1]), True)


def _summary_of_sorted(s, size):
    """:func:`_from_sorted` then :func:`_prune`, without building the exact summary of a
    long chunk: ``size`` evenly spaced values and their exact U (binary searches)."""
    n = int(s.shape[0])
    if n <= size or int(np.count_nonzero(s[1:] != s[:-1])) < size:
        return _prune(_from_sorted(s), size)
    pos = np.unique(np.rint(np.linspace(0, n - 1, size)).astype(np.int64))
    values = np.unique(s[pos])
    u = np.searchsorted(s, values, side="right").astype(np.int64)
    return (values, u, u.copy(), n, False)


def _prune(summary, size):
    """Keep at most ``size`` values, spread evenly in rank (always the first and last)."""
    values, ulo, uhi, n, exact = summary
    m = values.shape[0]
    if m <= size:
        return summary
    mid = (ulo + uhi) / 2.0
    targets = np.linspace(mid[0], mid[-1], size)
    idx = np.searchsorted(mid, targets)
    idx = np.unique(np.clip(idx, 0, m - 1))
    return (values[idx], ulo[idx], uhi[idx], n, False)


def _tighten(ulo, uhi, n):
    """Each kept value is a data value: U strictly increases from one to the next."""
    m = ulo.shape[0]
    if m == 0 or ulo.dtype.kind == "f":  # weights: no minimum step between values
        return ulo, uhi
    k = np.arange(m, dtype=np.int64)
    ulo = np.maximum.accumulate(np.maximum(ulo, k + 1) - k) + k
    rk = k[::-1]
    uhi = (np.minimum.accumulate((np.minimum(uhi, n - rk) + rk)[::-1])[::-1]) - rk
    return ulo, uhi


def _bounds_in(other, v):
    """Bounds on ``U_other(v)`` for values ``v``, from the summary ``other``."""
    vb, lb, hb, nb, exact = other
    mb = vb.shape[0]
    i = np.searchsorted(vb, v, side="right")  # kept values <= v
    prev = np.clip(i - 1, 0, mb - 1)
    nxt = np.clip(i, 0, mb - 1)
    lo = np.where(i > 0, lb[prev], 0)
    if exact:  # every distinct value is kept: none lies between prev and v
        return lo, lo
    step = 1 if hb.dtype.kind in "iu" else 0  # a kept value weighs >= 1 without weights
    hi = np.where(i < mb, hb[nxt] - step, nb)
    eq = (i > 0) & (vb[prev] == v)
    hi = np.where(eq, hb[prev], hi)
    return lo, hi


def _merge2(a, b):
    if a[3] == 0:
        return b
    if b[3] == 0:
        return a
    va, la, ha, na, ea = a
    vb, lb, hb, nb, eb = b
    lo_a, hi_a = _bounds_in(b, va)
    lo_b, hi_b = _bounds_in(a, vb)
    values = np.concatenate([va, vb])
    ulo = np.concatenate([la + lo_a, lb + lo_b])
    uhi = np.concatenate([ha + hi_a, hb + hi_b])
    order = np.argsort(values, kind="stable")
    values, ulo, uhi = values[order], ulo[order], uhi[order]
    first = np.empty(values.shape[0], dtype=bool)
    first[0] = True
    first[1:] = values[1:] != values[:-1]
    start = np.flatnonzero(first)
    values = values[start]
    ulo = np.maximum.reduceat(ulo, start)
    uhi = np.minimum.reduceat(uhi, start)
    n = na + nb
    ulo, uhi = _tighten(ulo, uhi, n)
    return (values, ulo, uhi, n, ea and eb)


def merge_summaries(summaries, size=DEFAULT_SIZE):
    """Merge summaries of disjoint sets of values (associative), pruned to ``size``."""
    out = summaries[0]
    for s in summaries[1:]:
        out = _merge2(out, s)
    return _prune(out, size)


def summary_rank_error(summary):
    """The worst-case rank error of :func:`summary_quantiles` for this summary.

    For any rank ``r`` in ``[1, n]``, the value the summary returns has a true rank
    interval ``[U(v^-) + 1, U(v)]`` within ``summary_rank_error`` of ``r``; it is 0 for
    an exact summary. The bound comes from the summary's own rank bounds: half the
    largest ``uhi[i + 1] - ulo[i]`` between neighbours (plus the ends).
    """
    values, ulo, uhi, n, exact = summary
    if exact or values.shape[0] == 0:
        return 0
    gaps = np.concatenate([[uhi[0]], uhi[1:] - ulo[:-1]])
    return int(math.ceil(float(gaps.max())))


def summary_quantiles(summary, quantiles):
    """Approximate ``nanquantile(values, quantiles, method='linear')`` from a summary.

    Exact (equal to NumPy's) when the summary is exact. Otherwise the two order
    statistics around each virtual index are read as the kept values whose rank
    bounds are nearest (each within :func:`summary_rank_error` ranks) and interpolated
    as NumPy does.
    """
    values, ulo, uhi, n, exact = summary
    quantiles = np.asarray(quantiles, dtype=np.float64)
    if n == 0:
        return np.full(quantiles.shape, np.nan)
    prev, nxt, gamma = _linear_indexes(n, quantiles)
    return _lerp(_read(summary, prev), _read(summary, nxt), gamma)


def _read(summary, ranks0):
    """Values at 0-based ranks: exact for an exact summary, nearest in rank otherwise."""
    values, ulo, uhi, n, exact = summary
    r = np.asarray(ranks0, dtype=np.int64) + 1
    if exact:
        return values[np.clip(np.searchsorted(uhi, r, side="left"), 0, values.shape[0] - 1)]
    # the value whose rank interval [U(prev) + 1, U(v)] (bounds' midpoints) contains r
    mid = (ulo + uhi) / 2.0
    return values[np.clip(np.searchsorted(mid, r - 0.5, side="left"), 0, values.shape[0] - 1)]


# --------------------------------------------------------------------------- kernel


def _valid(x, missing_values):
    keep = ~np.isnan(x)
    if missing_values is not None and not (isinstance(missing_values, float) and math.isnan(missing_values)):
        keep &= x != missing_values
    return keep


def hash_uniform(index, seed):
    """Uniform draws in [0, 1) from global row indexes (splitmix64 of ``index`` and
    ``seed``): the same rows are drawn however the data is chunked."""
    with np.errstate(over="ignore"):
        z = np.asarray(index, dtype=np.uint64) + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def order_stats_kernel(
    X, y, w, *, xp, brackets, size, missing_values=None, sample=None, weighted=False, row_offset=0
):
    """Per column and bracket ``(lo, hi]``: the exact count of values ``<= lo`` and the
    summary of the values in the bracket (``lo=None``: no lower end).

    ``brackets`` is a list (one entry per column) of lists of ``(lo, hi)``; a column
    with no bracket is not read. Missing values (NaN, and ``missing_values`` when it
    is a number) are left out. ``sample=(seed, rate)`` keeps each row with probability
    ``rate`` (a draw of :func:`hash_uniform` of its global index ``row_offset + i``).
    ``weighted``: counts are total sample weights ``w`` (float64), zero weights left out.
    """
    X = to_numpy(X)
    w = to_numpy(w).astype(np.float64) if weighted and w is not None else None
    if sample is not None:
        seed, rate = sample
        drawn = hash_uniform(np.arange(X.shape[0], dtype=np.int64) + row_offset, seed) < rate
        X = X[drawn]
        w = None if w is None else w[drawn]
    out = []
    n_inf = 0
    for j, col in enumerate(brackets):
        if not col:
            out.append([])
            continue
        x = X[:, j]
        keep = _valid(x, missing_values)
        if w is None and all(lo is not None for lo, _ in col):
            # narrowed brackets: count and select by comparison, sort only the few inside
            xv = x[keep]
            if xv.shape[0] and np.isinf(xv).any():
                n_inf += 1
            res = []
            for lo, hi in col:
                inside = (xv > lo) & (xv <= hi)
                below = int(np.count_nonzero(xv <= lo))
                res.append((below, _summary_of_sorted(np.sort(xv[inside]), size)))
            out.append(res)
            continue
        if w is None:
            s, ws, cws = np.sort(x[keep]), None, None
        else:
            order = np.argsort(x[keep], kind="stable")
            s, ws = x[keep][order], w[keep][order]
            cws = np.concatenate([[0.0], np.cumsum(ws)])
        if s.shape[0] and (np.isinf(s[0]) or np.isinf(s[-1])):
            n_inf += 1
        res = []
        for lo, hi in col:
            a = 0 if lo is None else int(np.searchsorted(s, lo, side="right"))
            b = int(s.shape[0]) if hi is None else int(np.searchsorted(s, hi, side="right"))
            if ws is None:
                res.append((a, _summary_of_sorted(s[a:b], size)))
            else:
                res.append((float(cws[a]), _prune(_from_sorted(s[a:b], ws[a:b]), size)))
        out.append(res)
    return {"order_stats": out, "n_inf": n_inf}


def combine_order_stats(parts, size=DEFAULT_SIZE):
    """Combine of :func:`order_stats_kernel`: counts add up, summaries merge."""
    raw = [p for p in parts if p]
    parts = [p["order_stats"] for p in raw]
    out = []
    for cols in zip(*parts):
        res = []
        for entries in zip(*cols):
            res.append((sum(e[0] for e in entries), merge_summaries([e[1] for e in entries], size)))
        out.append(res)
    return {"order_stats": out, "n_inf": sum(p.get("n_inf", 0) for p in raw)}


def summarize(data, *, size=DEFAULT_SIZE, missing_values=None, sample=None, weighted=False):
    """One pass: the rank-bounded summary of every column of ``data``.

    Parameters
    ----------
    data : ChunkedData
    size : int
        Kept values per column (memory per partial: ``24 * size * n_features`` bytes).
    missing_values : float or None
        A number treated as missing besides NaN.
    sample : tuple (seed, rate) or None
        Summarise a Bernoulli sample of the rows (each kept with probability ``rate``,
        drawn from its global row index, so independent of the chunking).
    weighted : bool
        Count the rows' sample weights instead of the rows.

    Returns
    -------
    list of summaries, one per column (see :func:`summary_quantiles`,
    :func:`summary_rank_error`).
    """
    brackets = [[(None, None)] for _ in range(data.n_features)]
    res = map_reduce(
        order_stats_kernel,
        data,
        combine=functools.partial(combine_order_stats, size=size),
        brackets=brackets,
        size=size,
        missing_values=missing_values,
        sample=sample,
        weighted=weighted,
        pass_row_offset=sample is not None,
    )
    _raise_inf(res, data)
    return [col[0][1] for col in res["order_stats"]]


def _raise_inf(res, data):
    if res.get("n_inf", 0):
        raise ValueError(
            f"Input X contains infinity or a value too large for dtype({np.dtype(data.dtype).name!r})."
        )


def exact_order_statistics(data, ranks_for, *, size=DEFAULT_SIZE, missing_values=None, sample=None):
    """Exact order statistics of every column, in a bounded number of passes.

    Parameters
    ----------
    data : ChunkedData
    ranks_for : callable
        ``ranks_for(n_valid) -> list`` of 1-D int arrays (one per column) of 0-based
        ranks among that column's non-missing values, given their counts (an int
        array of shape (n_features,)), known after the first pass.
    size : int
        Kept values per summary (see the module's pass bound).
    missing_values : float or None
    sample : tuple (seed, rate) or None
        Order statistics of a Bernoulli sample of the rows (see :func:`summarize`).

    Returns
    -------
    n_valid : ndarray of shape (n_features,)
        Non-missing values per column.
    values : list of ndarray
        Per column, the values at the requested ranks (the data's dtype).
    """
    n_valid, values, _ = _solve(
        data,
        lambda n: [np.asarray(r, dtype=np.int64) + 1 for r in ranks_for(n)],
        weighted=False,
        size=size,
        missing_values=missing_values,
        sample=sample,
    )
    return n_valid.astype(np.int64), values


def weighted_order_statistics(data, thresholds_for, *, size=DEFAULT_SIZE, missing_values=None, sample=None):
    """Exact weighted order statistics: per column, the smallest value whose total
    sample weight at or below it reaches each threshold.

    Parameters
    ----------
    data : ChunkedData
        With sample weights (rows of weight 0 are left out).
    thresholds_for : callable
        ``thresholds_for(total_weight) -> list`` of 1-D float arrays (one per column).
    size, missing_values, sample
        As :func:`exact_order_statistics`.

    Returns
    -------
    total_weight : ndarray of shape (n_features,)
    values : list of ndarray
        The values found (the data's dtype); a threshold above the total gives the
        largest value.
    cum_weight : list of ndarray
        The total weight at or below each value found.

    Notes
    -----
    Weights add up in float64 in a different order than a sequential cumulative sum,
    so the thresholds compare exactly with integer weights and within float rounding
    otherwise.
    """
    return _solve(
        data, thresholds_for, weighted=True, size=size, missing_values=missing_values, sample=sample
    )


def _solve(data, thresholds_for, *, weighted, size, missing_values, sample):
    """The first value with ``U(v) >= t`` for every threshold ``t`` of every column."""
    kwargs = dict(
        combine=functools.partial(combine_order_stats, size=size),
        size=size,
        missing_values=missing_values,
        sample=sample,
        weighted=weighted,
        pass_row_offset=sample is not None,
    )

    def run(brackets):
        res = map_reduce(order_stats_kernel, data, brackets=brackets, **kwargs)
        _raise_inf(res, data)
        return res["order_stats"]

    return refine_order_statistics(run, data.n_features, thresholds_for, weighted=weighted, dtype=data.dtype)


def refine_order_statistics(run, n_columns, thresholds_for, *, weighted=False, dtype=np.float64):
    """Exact (weighted) order statistics of ``n_columns`` groups of values, by narrowing
    brackets pass by pass: the driver behind :func:`exact_order_statistics` and
    :func:`weighted_order_statistics`, for callers whose pass is their own kernel.

    Parameters
    ----------
    run : callable
        ``run(brackets)`` makes one pass: ``brackets[j]`` is a list of ``(lo, hi)``
        brackets of column ``j`` (``(None, None)``: the whole column), and the pass
        returns, per column and bracket, ``(c, summary)``: the count (total weight) of
        the column's values ``<= lo`` and the summary (:func:`order_stats_kernel`'s,
        merged with :func:`combine_order_stats`) of those inside ``(lo, hi]``.
    n_columns : int
    thresholds_for : callable
        ``thresholds_for(totals) -> list`` of 1-D arrays (one per column): the counts
        (weights) at or below the values wanted, given each column's total.
    weighted : bool
    dtype : dtype of the values found

    Returns
    -------
    totals : ndarray of shape (n_columns,)
    found : list of ndarray
        Per column, the first values whose count (weight) at or below reaches each
        threshold.
    cum : list of ndarray
        The count (weight) at or below each value found.
    """
    brackets = [[(None, None)] for _ in range(n_columns)]
    res = run(brackets)
    totals = np.array([col[0][1][3] for col in res], dtype=np.float64 if weighted else np.int64)
    wanted = list(thresholds_for(totals))
    found = [np.zeros(len(t), dtype=dtype) for t in wanted]
    cum = [np.zeros(len(t), dtype=totals.dtype) for t in wanted]
    # per column: the targets pending in each bracket of the last pass
    pending = [[list(range(len(wanted[j])))] for j in range(n_columns)]
    for _ in range(MAX_PASSES):
        nxt_brackets = [[] for _ in range(n_columns)]
        nxt_pending = [[] for _ in range(n_columns)]
        for j in range(n_columns):
            for (lo_old, _), (c, summ), targets in zip(brackets[j], res[j], pending[j]):
                values, ulo, uhi, n, exact = summ
                for t in targets:
                    r = wanted[j][t] - c  # the threshold inside the bracket
                    if exact:
                        i = min(int(np.searchsorted(uhi, r, side="left")), values.shape[0] - 1)
                        found[j][t] = values[i]
                        cum[j][t] = c + uhi[i]
                        continue
                    i_lo = int(np.searchsorted(uhi, r, side="left")) - 1  # last uhi < r
                    i_hi = int(np.searchsorted(ulo, r, side="left"))  # first ulo >= r
                    lo = lo_old if i_lo < 0 else values[i_lo]
                    hi = values[min(i_hi, values.shape[0] - 1)]
                    key = (lo, hi)
                    if key in nxt_brackets[j]:
                        nxt_pending[j][nxt_brackets[j].index(key)].append(t)
                    else:
                        nxt_brackets[j].append(key)
                        nxt_pending[j].append([t])
        if not any(nxt_brackets):
            return totals, found, cum
        brackets, pending = nxt_brackets, nxt_pending
        res = run(brackets)
    raise RuntimeError("exact order statistics did not converge")  # pragma: no cover


# ------------------------------------------------------------- NumPy's interpolation


def _linear_indexes(n, quantiles):
    """NumPy's ``method='linear'`` indexes and weights for ``n`` values (its own steps)."""
    virtual = np.asanyarray((n - 1) * quantiles)
    prev = np.floor(virtual)
    nxt = prev + 1
    above = virtual >= n - 1
    prev = np.where(above, n - 1, prev)
    nxt = np.where(above, n - 1, nxt)
    below = virtual < 0
    prev = np.where(below, 0, prev)
    nxt = np.where(below, 0, nxt)
    gamma = np.asanyarray(virtual - np.floor(virtual), dtype=virtual.dtype)
    return prev.astype(np.int64), nxt.astype(np.int64), gamma


def _lerp(a, b, t):
    """NumPy's ``_lerp`` (``a + (b - a) t``, from ``b`` when ``t >= 0.5``)."""
    diff_b_a = b - a
    out = np.asanyarray(np.add(a, diff_b_a * t))
    np.subtract(b, diff_b_a * (1 - t), out=out, where=t >= 0.5, casting="unsafe", dtype=out.dtype)
    return out


def _method_indexes(n, quantiles, method, dtype):
    """The neighbouring 0-based ranks and weights of ``np.percentile(..., method=method)``
    for ``n`` values. ``linear`` follows NumPy's steps here; the other methods call
    NumPy's own (private) steps, so the results stay NumPy's bit for bit."""
    if method == "linear":
        return _linear_indexes(n, quantiles)
    from numpy.lib import _function_base_impl as fb  # NumPy >= 2: the quantile methods table

    props = fb._QuantileMethods[method]
    virtual = np.asanyarray(props["get_virtual_index"](n, quantiles))
    if props["fix_gamma"] is None:  # discontinuous: the values at these ranks, as they are
        idx = np.where(virtual < 0, n + virtual, virtual).astype(np.int64)
        return idx, idx, None
    prev, nxt = fb._get_indexes(np.zeros(1, dtype=dtype), virtual, n)
    gamma = fb._get_gamma(virtual, prev, props)
    prev = np.where(prev < 0, n - 1, prev).astype(np.int64)
    nxt = np.where(nxt < 0, n - 1, nxt).astype(np.int64)
    return prev, np.minimum(nxt, n - 1), gamma


def _percentile_fractions(q, dtype):
    """``q / 100`` as ``nanpercentile`` / ``percentile`` divide it."""
    return np.true_divide(np.asanyarray(q), np.dtype(dtype).type(100))


def percentile_ranks(n_valid, q, dtype, method="linear"):
    """The 0-based ranks :func:`nanpercentile` needs for each column (per column array:
    the lower neighbours of every ``q``, then the upper ones)."""
    quantiles = _percentile_fractions(q, dtype)
    out = []
    for n in n_valid:
        if n == 0:
            out.append(_EMPTY_I)
            continue
        prev, nxt, _ = _method_indexes(int(n), quantiles, method, dtype)
        out.append(np.concatenate([prev, nxt]))
    return out


def nanpercentile(data, q, *, method="linear", size=DEFAULT_SIZE, missing_values=None):
    """``np.nanpercentile(X, q, axis=0, method=method)`` of chunked data, exactly.

    Returns an array of shape ``(len(q), n_features)`` (NaN for a column with no
    values), bit-for-bit NumPy's result. Passes: see the module docstring.
    """
    q = np.asarray(q, dtype=np.float64)
    dtype = data.dtype
    n_valid, values = exact_order_statistics(
        data, lambda n: percentile_ranks(n, q, dtype, method), size=size, missing_values=missing_values
    )
    return percentiles_from_order_statistics(n_valid, values, q, dtype, method)


def percentiles_from_order_statistics(n_valid, values, q, dtype, method="linear"):
    """NumPy's interpolation of the order statistics found at :func:`percentile_ranks`
    (per column: the lower values, then the upper ones); shape ``(len(q), n_features)``."""
    quantiles = _percentile_fractions(q, dtype)
    k = quantiles.shape[0]
    cols = []
    for n, v in zip(n_valid, values):
        if n == 0:
            cols.append(np.full(k, np.nan, dtype=dtype))
            continue
        _, _, gamma = _method_indexes(int(n), quantiles, method, dtype)
        cols.append(v[:k] if gamma is None else _lerp(v[:k], v[k:], gamma))
    # NumPy's nanpercentile applies the 1-D one along the axis: the first column's
    # result fixes the dtype of the whole (float64 from the interpolation weights,
    # or X's dtype when that column has no values)
    out = np.empty((k, len(cols)), dtype=cols[0].dtype)
    for j, c in enumerate(cols):
        out[:, j] = c
    return out


def median_ranks(n_valid):
    """The 0-based ranks of the two middle values of each column."""
    return [np.array([(n - 1) // 2, n // 2], dtype=np.int64) if n else _EMPTY_I for n in n_valid]


def nanmedian(data, *, size=DEFAULT_SIZE, missing_values=None):
    """``np.nanmedian(X, axis=0)`` of chunked data, exactly (NaN for an empty column).

    As NumPy (and ``np.ma.median``): the mean ``(a + b) / 2`` of the two middle values
    in the data's dtype. Returns ``(median, n_valid)``.
    """
    n_valid, values = exact_order_statistics(data, median_ranks, size=size, missing_values=missing_values)
    med = np.full(len(values), np.nan, dtype=data.dtype)
    for j, (n, v) in enumerate(zip(n_valid, values)):
        if n:
            med[j] = (v[0:1] + v[1:2])[0] / 2
    return med, n_valid
