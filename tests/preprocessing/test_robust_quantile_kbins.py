"""RobustScaler, QuantileTransformer and KBinsDiscretizer against scikit-learn's on the
same data: exact where the statistics are exact (RobustScaler, QuantileTransformer
within its subsample, KBinsDiscretizer 'uniform' / 'quantile'), the stated tolerance
otherwise (the summary's rank error, the Bernoulli subsample, k-means); bounded passes,
lazy in -> lazy out."""

import warnings

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn import preprocessing as sk

from dml._engine.mapreduce import count_passes
from dml.preprocessing import KBinsDiscretizer, QuantileTransformer, RobustScaler


def _X(rng, n=3000, dtype=np.float64):
    X = np.column_stack([rng.normal(size=n), np.round(rng.normal(size=n) * 2), rng.lognormal(size=n)])
    X[rng.random(n) < 0.2, 2] = np.nan
    return X.astype(dtype)


def _lazy_check(est, X, method="transform"):
    calls = []

    def spy(block):
        if block.size:
            calls.append(1)
        return block

    Xd = da.from_array(X, chunks=(250, -1)).map_blocks(spy, dtype=X.dtype)
    out = getattr(est, method)(Xd)
    assert isinstance(out, da.Array) and not calls
    return out.compute()


# ------------------------------------------------------------------ RobustScaler


@pytest.mark.parametrize(
    "kw",
    [
        {},
        dict(quantile_range=(10.0, 90.0), unit_variance=True),
        dict(with_centering=False),
        dict(with_scaling=False),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_robust_scaler_equals_sklearn(rng, kw, dtype):
    X = _X(rng, dtype=dtype)
    ref = sk.RobustScaler(**kw).fit(X)
    for Xin in (X, da.from_array(X, chunks=(400, -1))):
        est = RobustScaler(**kw).fit(Xin)
        for attr in ("center_", "scale_"):
            a, b = getattr(est, attr), getattr(ref, attr)
            if b is None:
                assert a is None
            else:
                assert a.dtype == b.dtype
                np.testing.assert_array_equal(a, b)
        out = est.transform(Xin)
        np.testing.assert_array_equal(out.compute() if hasattr(out, "compute") else out, ref.transform(X))
    np.testing.assert_array_equal(_lazy_check(est, X), ref.transform(X))
    Z = ref.transform(X)
    np.testing.assert_array_equal(est.inverse_transform(Z), ref.inverse_transform(Z))


def test_robust_scaler_passes_and_dataframes(rng):
    X = _X(rng, n=200_000)
    with count_passes() as c:
        est = RobustScaler().fit(da.from_array(X, chunks=(25_000, -1)))
    assert c.passes == 2, c.kernels  # median and quartiles together: summary, then brackets
    ref = sk.RobustScaler().fit(X)
    np.testing.assert_array_equal(est.center_, ref.center_)
    np.testing.assert_array_equal(est.scale_, ref.scale_)
    df = pd.DataFrame(X[:1000], columns=["a", "b", "c"])
    before = df.copy()
    est = RobustScaler().fit(dd.from_pandas(df, npartitions=4))
    np.testing.assert_array_equal(est.feature_names_in_, ["a", "b", "c"])
    np.testing.assert_array_equal(est.center_, sk.RobustScaler().fit(df).center_)
    pd.testing.assert_frame_equal(df, before)


def test_robust_scaler_errors(rng):
    X = rng.normal(size=(50, 2))
    with pytest.raises(ValueError, match="Invalid quantile range"):
        RobustScaler(quantile_range=(80.0, 20.0)).fit(X)
    X[3, 1] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        RobustScaler().fit(da.from_array(X, chunks=10))


# ----------------------------------------------------------- QuantileTransformer


@pytest.mark.parametrize("output_distribution", ["uniform", "normal"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_quantile_transformer_equals_sklearn_within_subsample(rng, output_distribution, dtype):
    """At most ``subsample`` rows: scikit-learn uses them all and dml's summary is
    exact, so quantiles_ and the transforms are equal bit for bit."""
    X = _X(rng, n=5000, dtype=dtype)
    kw = dict(output_distribution=output_distribution, n_quantiles=500)
    ref = sk.QuantileTransformer(**kw).fit(X)
    for Xin in (X, da.from_array(X, chunks=(700, -1))):
        est = QuantileTransformer(**kw).fit(Xin)
        assert est.quantiles_.dtype == ref.quantiles_.dtype
        np.testing.assert_array_equal(est.quantiles_, ref.quantiles_)
        np.testing.assert_array_equal(est.references_, ref.references_)
        assert est.n_quantiles_ == ref.n_quantiles_
    Z = ref.transform(X)
    np.testing.assert_array_equal(_lazy_check(est, X), Z)
    np.testing.assert_array_equal(_lazy_check(est, Z, "inverse_transform"), ref.inverse_transform(Z))


def test_quantile_transformer_sketch_rank_error(rng):
    """subsample=None on more rows than the summary keeps: every quantile's true rank is
    within the summary's stated rank error (about (2 d + 3) n / size)."""
    n = 200_000
    X = rng.standard_normal((n, 2))
    with count_passes() as c:
        est = QuantileTransformer(subsample=None).fit(da.from_array(X, chunks=(20_000, -1)))
    assert c.passes == 1
    s = np.sort(X, axis=0)
    target = est.references_ * (n - 1)
    for j in range(2):
        lo = np.searchsorted(s[:, j], est.quantiles_[:, j], side="left")
        hi = np.searchsorted(s[:, j], est.quantiles_[:, j], side="right") - 1
        miss = np.maximum(lo - target, target - hi).clip(0)
        assert 0 < est._rank_error[j] <= 9 * n / 4096
        assert miss.max() <= est._rank_error[j]


def test_quantile_transformer_subsample(rng):
    """More rows than ``subsample``: a Bernoulli sample of about ``subsample`` rows,
    the same however the data is chunked, with the rank error of a sample that size."""
    n = 100_000
    X = rng.standard_normal((n, 1))
    fits = [
        QuantileTransformer(subsample=5000, random_state=0).fit(da.from_array(X, chunks=(c, -1)))
        for c in (100_000, 7_000)
    ]
    np.testing.assert_array_equal(fits[0].quantiles_, fits[1].quantiles_)
    ranks = np.searchsorted(np.sort(X[:, 0]), fits[0].quantiles_[:, 0]) / n
    assert np.max(np.abs(ranks - fits[0].references_)) < 4 / np.sqrt(5000)
    other = QuantileTransformer(subsample=5000, random_state=1).fit(X)
    assert not np.array_equal(other.quantiles_, fits[0].quantiles_)


def test_quantile_transformer_errors_and_warnings(rng):
    X = rng.normal(size=(20, 2))
    with pytest.warns(
        UserWarning, match=r"n_quantiles \(1000\) is greater than the total number of samples \(20\)"
    ):
        assert QuantileTransformer().fit(X).n_quantiles_ == 20
    with pytest.raises(ValueError, match="The number of quantiles cannot be greater than"):
        QuantileTransformer(n_quantiles=100, subsample=10).fit(X)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        QuantileTransformer(n_quantiles=10).fit(da.from_array(X, chunks=5))


# -------------------------------------------------------------- KBinsDiscretizer


def _dense(out):
    out = out.compute() if hasattr(out, "compute") else out
    return out.toarray() if sp.issparse(out) else np.asarray(out)


@pytest.mark.parametrize("encode", ["ordinal", "onehot-dense", "onehot"])
@pytest.mark.parametrize(
    "strategy,quantile_method",
    [("uniform", "averaged_inverted_cdf")]
    + [
        ("quantile", m)
        for m in ("averaged_inverted_cdf", "linear", "inverted_cdf", "hazen", "closest_observation")
    ],
)
def test_kbins_equals_sklearn(rng, strategy, encode, quantile_method):
    X = _X(rng)[:, :2]
    X = np.column_stack([X, np.ones(len(X))])  # a constant feature
    kw = dict(strategy=strategy, encode=encode, quantile_method=quantile_method, n_bins=[4, 6, 3])
    with warnings.catch_warnings(record=True) as ref_warn:
        warnings.simplefilter("always")
        ref = sk.KBinsDiscretizer(**kw).fit(X)
    for Xin in (X, da.from_array(X, chunks=(450, -1))):
        with warnings.catch_warnings(record=True) as got_warn:
            warnings.simplefilter("always")
            est = KBinsDiscretizer(**kw).fit(Xin)
        assert [str(w.message) for w in got_warn] == [str(w.message) for w in ref_warn]
        for a, b in zip(est.bin_edges_, ref.bin_edges_):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(est.n_bins_, ref.n_bins_)
        out = est.transform(Xin)
        ref_out = ref.transform(X)
        assert type(out.compute() if hasattr(out, "compute") else out) is type(ref_out)
        np.testing.assert_array_equal(_dense(out), _dense(ref_out))
    np.testing.assert_array_equal(est.get_feature_names_out(), ref.get_feature_names_out())
    np.testing.assert_array_equal(_dense(_lazy_check(est, X)), _dense(ref.transform(X)))
    with np.errstate(invalid="ignore"):  # the constant feature's center is NaN
        np.testing.assert_array_equal(
            est.inverse_transform(_dense(ref.transform(X))), ref.inverse_transform(ref.transform(X))
        )


@pytest.mark.parametrize("quantile_method", ["averaged_inverted_cdf", "inverted_cdf"])
@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_kbins_sample_weight_equals_sklearn(rng, quantile_method, strategy):
    X = _X(rng)[:, :2]
    w = rng.integers(0, 4, size=len(X)).astype(float)  # integer weights: exact sums
    kw = dict(strategy=strategy, encode="ordinal", quantile_method=quantile_method, n_bins=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # bins removed in the feature of ties
        ref = sk.KBinsDiscretizer(**kw).fit(X, sample_weight=w)
        est = KBinsDiscretizer(**kw).fit(
            da.from_array(X, chunks=(500, -1)), sample_weight=da.from_array(w, chunks=500)
        )
    for a, b in zip(est.bin_edges_, ref.bin_edges_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("weighted", [False, True])
def test_kbins_kmeans_close_to_sklearn(rng, weighted):
    """1-D k-means on each feature's distinct values weighted by their counts: the
    centers of scikit-learn's k-means on the column, within floating-point rounding."""
    X = _X(rng)[:, :2]
    w = rng.integers(1, 4, size=len(X)).astype(float) if weighted else None
    ref = sk.KBinsDiscretizer(n_bins=4, strategy="kmeans", encode="ordinal").fit(X, sample_weight=w)
    est = KBinsDiscretizer(n_bins=4, strategy="kmeans", encode="ordinal").fit(
        da.from_array(X, chunks=(500, -1)), sample_weight=None if w is None else da.from_array(w, chunks=500)
    )
    for a, b in zip(est.bin_edges_, ref.bin_edges_):
        np.testing.assert_allclose(a, b, rtol=1e-9)
    np.testing.assert_array_equal(est.transform(X), ref.transform(X))


def test_kbins_passes_and_subsample(rng):
    X = rng.normal(size=(300_000, 2))
    Xd = da.from_array(X, chunks=(30_000, -1))
    with count_passes() as c:
        est = KBinsDiscretizer(n_bins=10, encode="ordinal", subsample=None).fit(Xd)
    assert c.passes <= 3, c.kernels  # range, then 1-2 passes of order statistics
    ref = sk.KBinsDiscretizer(n_bins=10, encode="ordinal", subsample=None).fit(X)
    for a, b in zip(est.bin_edges_, ref.bin_edges_):
        np.testing.assert_array_equal(a, b)
    # with the default subsample (200,000 rows < 300,000): a chunking-independent sample
    a = KBinsDiscretizer(n_bins=10, random_state=0).fit(Xd)
    b = KBinsDiscretizer(n_bins=10, random_state=0).fit(Xd.rechunk((77_000, -1)))
    for ea, eb, er in zip(a.bin_edges_, b.bin_edges_, ref.bin_edges_):
        np.testing.assert_array_equal(ea, eb)
        np.testing.assert_allclose(ea[1:-1], er[1:-1], atol=0.02)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kbins_output_dtype(rng, dtype):
    X = rng.normal(size=(200, 2))
    for encode in ("ordinal", "onehot-dense", "onehot"):
        kw = dict(n_bins=3, encode=encode, dtype=dtype)
        out = KBinsDiscretizer(**kw).fit(X).transform(da.from_array(X, chunks=50))
        ref = sk.KBinsDiscretizer(**kw).fit(X).transform(X)
        assert out.dtype == ref.dtype == dtype
        np.testing.assert_array_equal(_dense(out), _dense(ref))


def test_kbins_errors(rng):
    X = rng.normal(size=(30, 2))
    with pytest.raises(ValueError, match="n_bins must be a scalar or array of shape"):
        KBinsDiscretizer(n_bins=[2, 3, 4]).fit(X)
    with pytest.raises(ValueError, match="quantile_method should either be set to"):
        KBinsDiscretizer(quantile_method="linear").fit(X, sample_weight=np.ones(30))
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        KBinsDiscretizer().fit(da.from_array(X, chunks=10))
    est = KBinsDiscretizer(encode="ordinal").fit(X[1:])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.transform(da.from_array(X, chunks=10)).compute()
