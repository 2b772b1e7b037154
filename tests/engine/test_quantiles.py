"""dml._engine.quantiles: exact order statistics (NumPy's percentiles bit for bit, in a
bounded number of passes) and the rank-bounded summary (its stated rank error holds)."""

import math

import dask.array as da
import numpy as np
import pytest

from dml._engine import quantiles as Q
from dml._engine.inputs import validate_fit_data
from dml._engine.mapreduce import count_passes

METHODS = [
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "linear",
    "median_unbiased",
    "normal_unbiased",
]


def _data(X, chunks, w=None):
    Xd = da.from_array(X, chunks=(chunks, -1))
    wd = None if w is None else da.from_array(w, chunks=chunks)
    return validate_fit_data(None, Xd, None, wd, iterative=True)


def _columns(rng, n, dtype=np.float64):
    X = np.column_stack(
        [
            rng.standard_normal(n),
            np.round(rng.standard_normal(n) * 2),  # heavy ties
            rng.lognormal(size=n) * 1e6,  # heavy tail
        ]
    ).astype(dtype)
    X[rng.random(n) < 0.15, 0] = np.nan
    return X


@pytest.mark.parametrize("n,chunks,size", [(1, 1, 64), (7, 3, 64), (600, 100, 4096), (20000, 1500, 64)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_nanpercentile_and_nanmedian_equal_numpy(rng, n, chunks, size, dtype):
    X = _columns(rng, n, dtype)
    q = [0, 1, 25, 33.3, 50, 75, 99.9, 100]
    with _data(X, chunks) as data:
        got = Q.nanpercentile(data, q, size=size)
        med, n_valid = Q.nanmedian(data, size=size)
    with (
        np.errstate(all="ignore"),
        pytest.warns(RuntimeWarning) if np.isnan(X).all(axis=0).any() else _nothing(),
    ):
        ref = np.nanpercentile(X, q, axis=0)
        ref_med = np.nanmedian(X, axis=0)
    assert got.dtype == ref.dtype and med.dtype == ref_med.dtype
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(med, ref_med)
    np.testing.assert_array_equal(n_valid, (~np.isnan(X)).sum(axis=0))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("method", METHODS)
def test_every_percentile_method_equals_numpy(rng, method):
    X = _columns(rng, 5000)[:, 1:]  # no NaN: np.percentile
    q = np.linspace(0, 100, 8)
    with _data(X, 700) as data:
        got = Q.nanpercentile(data, q, method=method, size=128)
    np.testing.assert_array_equal(got, np.percentile(X, q, axis=0, method=method))


def test_result_does_not_depend_on_the_chunking(rng):
    X = _columns(rng, 30000)
    results = []
    for chunks in (30000, 4096, 999):
        with _data(X, chunks) as data:
            results.append(Q.nanpercentile(data, [10, 50, 90], size=128))
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])


def test_pass_bound(rng):
    """At most ``size`` distinct values: one pass; each further pass divides the
    candidates by about size / (2 d + 3), d the depth of the merge tree."""
    X = _columns(rng, 600)
    with _data(X, 100) as data, count_passes() as c:
        Q.nanmedian(data)
    assert c.passes == 1
    X = _columns(rng, 200_000)
    with _data(X, 20_000) as data, count_passes() as c:
        got = Q.nanpercentile(data, [25, 50, 75])
    assert c.passes == 2, c.kernels
    np.testing.assert_array_equal(got, np.nanpercentile(X, [25, 50, 75], axis=0))
    # a small summary forces more passes; the bound: 1 + ceil(log(n / size) / log(size / (2 d + 3)))
    size, n, chunks = 64, 200_000, 20_000
    depth = 1 + math.ceil(math.log(n / chunks, 8))
    bound = 1 + math.ceil(math.log(n / size) / math.log(size / (2 * depth + 3)))
    with _data(X, chunks) as data, count_passes() as c:
        got = Q.nanpercentile(data, [25, 50, 75], size=size)
    assert 2 < c.passes <= bound, (c.passes, bound)
    np.testing.assert_array_equal(got, np.nanpercentile(X, [25, 50, 75], axis=0))


def test_missing_values_number_is_left_out(rng):
    X = np.round(rng.standard_normal((3000, 2)) * 3)
    with _data(X, 400) as data:
        med, n_valid = Q.nanmedian(data, missing_values=0.0, size=32)
    ref = np.nanmedian(np.where(X == 0, np.nan, X), axis=0)
    np.testing.assert_array_equal(med, ref)
    np.testing.assert_array_equal(n_valid, (X != 0).sum(axis=0))


def test_infinity_is_refused(rng):
    X = rng.standard_normal((100, 2))
    X[5, 1] = np.inf
    with _data(X, 30) as data, pytest.raises(ValueError, match="Input X contains infinity"):
        Q.nanmedian(data)


@pytest.mark.parametrize("size", [32, 256])
def test_summary_rank_bounds_hold_and_rank_error_is_stated(rng, size):
    n = 50_000
    X = _columns(rng, n)
    with _data(X, 2500) as data:
        summaries = Q.summarize(data, size=size)
    q = np.linspace(0, 1, 101)
    for j, s in enumerate(summaries):
        values, ulo, uhi, m, exact = s
        col = np.sort(X[~np.isnan(X[:, j]), j])
        assert m == col.size and len(values) <= size
        U = np.searchsorted(col, values, side="right")
        assert np.all(ulo <= U) and np.all(U <= uhi)  # the bounds are proven, not estimated
        err = Q.summary_rank_error(s)
        # stated bound: about (2 d + 3) m / size with d = 3 levels here
        assert err <= (2 * 3 + 3) * m / size
        assert (err == 0) == exact == (len(np.unique(col)) <= size)
        est = Q.summary_quantiles(s, q)
        target = q * (m - 1)
        lo = np.searchsorted(col, est, side="left")
        hi = np.searchsorted(col, est, side="right") - 1
        miss = np.maximum(lo - target, target - hi).clip(0)
        assert miss.max() <= err, (miss.max(), err)


def test_small_summaries_are_exact(rng):
    X = _columns(rng, 3000)
    with _data(X, 500) as data:
        summaries = Q.summarize(data, size=4096)
    q = np.linspace(0, 1, 11)
    for j, s in enumerate(summaries):
        assert s[4] and Q.summary_rank_error(s) == 0
        np.testing.assert_array_equal(Q.summary_quantiles(s, q), np.nanquantile(X[:, j], q))


def test_sample_does_not_depend_on_the_chunking(rng):
    X = rng.standard_normal((20000, 1))
    out = []
    for chunks in (20000, 3000, 777):
        with _data(X, chunks) as data:
            n_valid, values = Q.exact_order_statistics(
                data, lambda n: [np.array([0, n[0] // 2])], sample=(7, 0.1)
            )
        out.append((n_valid, values[0]))
    for n_valid, v in out[1:]:
        np.testing.assert_array_equal(n_valid, out[0][0])
        np.testing.assert_array_equal(v, out[0][1])
    assert 1700 < out[0][0][0] < 2300  # about 10 % of the rows


def test_weighted_order_statistics(rng):
    X = np.round(rng.standard_normal((5000, 1)) * 4)
    w = rng.integers(0, 4, size=5000).astype(float)
    with _data(X, 600, w) as data:
        total, values, cum = Q.weighted_order_statistics(
            data, lambda t: [np.array([1.0, t[0] / 2, t[0]])], size=16
        )
    order = np.argsort(X[:, 0], kind="stable")
    cdf = np.cumsum(w[order])
    assert total[0] == w.sum()
    for target, v, c in zip([1.0, w.sum() / 2, w.sum()], values[0], cum[0]):
        i = np.searchsorted(cdf, target)
        assert v == X[order[i], 0]
        assert c == w[X[:, 0] <= v].sum()
