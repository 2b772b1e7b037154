"""PolynomialFeatures and PowerTransformer against scikit-learn: same columns and names,
same lambdas; passes; chunking invariance; lazy transforms; bad input."""

from __future__ import annotations

import itertools

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.preprocessing as skp
from scipy import stats

from dml._engine.mapreduce import count_passes
from dml.preprocessing import PolynomialFeatures, PowerTransformer
from dml.preprocessing._polynomial_kernels import polynomial_block
from dml.preprocessing._power_kernels import combine_power_grid, power_grid_kernel


def _spy(Xd):
    calls = []

    def spy(block):
        if block.size:
            calls.append(1)
        return block

    return Xd.map_blocks(spy, dtype=Xd.dtype), calls


# ------------------------------------------------------------------ PolynomialFeatures


@pytest.mark.parametrize(
    "degree, interaction_only, include_bias",
    list(itertools.product([0, 1, 2, 3, (0, 2), (2, 3), (3, 3), (1, 1)], [False, True], [False, True])),
)
def test_polynomial_same_as_sklearn(degree, interaction_only, include_bias):
    X = np.random.default_rng(0).normal(size=(60, 4))
    kw = dict(degree=degree, interaction_only=interaction_only, include_bias=include_bias)
    try:
        ref = skp.PolynomialFeatures(**kw).fit(X)
    except ValueError as e:
        with pytest.raises(ValueError, match=str(e)[:40]):
            PolynomialFeatures(**kw).fit(X)
        return
    est = PolynomialFeatures(**kw).fit(X)
    assert est.n_output_features_ == ref.n_output_features_
    np.testing.assert_array_equal(est.powers_, ref.powers_)
    np.testing.assert_array_equal(est.get_feature_names_out(), ref.get_feature_names_out())
    np.testing.assert_array_equal(est.transform(X), ref.transform(X))
    out = est.transform(da.from_array(X, chunks=(7, -1)))
    assert isinstance(out, da.Array) and out.shape == (60, ref.n_output_features_)
    np.testing.assert_array_equal(out.compute(), ref.transform(X))


@pytest.mark.parametrize("order", ["C", "F"])
def test_polynomial_order_and_dtype(order):
    X = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    out = PolynomialFeatures(3, order=order).fit_transform(X)
    ref = skp.PolynomialFeatures(3, order=order).fit_transform(X)
    assert out.dtype == np.float32 and out.flags[f"{order}_CONTIGUOUS"]
    np.testing.assert_array_equal(out, ref)


def test_polynomial_fit_reads_no_data_and_transform_is_lazy():
    X = np.random.default_rng(2).normal(size=(100, 3))
    Xd, calls = _spy(da.from_array(X, chunks=(30, -1)))
    with count_passes() as c:
        est = PolynomialFeatures(2).fit(Xd)
        out = est.transform(Xd)
    assert c.passes == 0 and not calls
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), skp.PolynomialFeatures(2).fit_transform(X), rtol=1e-15)


def test_polynomial_feature_names_from_a_frame():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.5, 1.0, 2.0]})
    ddf = dd.from_pandas(df, npartitions=2)
    ref = skp.PolynomialFeatures(2, interaction_only=True).fit(df)
    for Xin in (df, ddf):
        est = PolynomialFeatures(2, interaction_only=True).fit(Xin)
        np.testing.assert_array_equal(est.feature_names_in_, ["a", "b"])
        np.testing.assert_array_equal(est.get_feature_names_out(), ref.get_feature_names_out())
    est, ref = PolynomialFeatures(3).fit(df.values), skp.PolynomialFeatures(3).fit(df.values)
    np.testing.assert_array_equal(
        est.get_feature_names_out(["u", "v"]), ref.get_feature_names_out(["u", "v"])
    )


def test_polynomial_generic_kernel_matches_numpy():
    xps = pytest.importorskip("array_api_strict")
    X = np.random.default_rng(3).normal(size=(15, 3))
    for degree, io, ib in [(3, False, True), ((2, 3), True, False), ((2, 2), False, True)]:
        est = PolynomialFeatures(degree, interaction_only=io, include_bias=ib).fit(X)
        kw = dict(
            n_out_full=est._n_out_full,
            n_output=est.n_output_features_,
            max_degree=est._max_degree,
            min_degree=est._min_degree,
            interaction_only=io,
            include_bias=ib,
            order="C",
        )
        got = polynomial_block(xps.asarray(X), xp=xps, **kw)
        np.testing.assert_allclose(np.asarray(got), est.transform(X), rtol=1e-15)


def test_polynomial_bad_input_as_sklearn():
    X = np.ones((4, 2))
    Xn = X.copy()
    Xn[1, 1] = np.nan
    for cls in (skp.PolynomialFeatures, PolynomialFeatures):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            cls().fit(Xn)
        with pytest.raises(ValueError, match="degree=\\(min_degree, max_degree\\) must be non-negative"):
            cls(degree=(3, 2)).fit(X)
        with pytest.raises(ValueError, match="Setting degree to zero and include_bias to False"):
            cls(degree=0, include_bias=False).fit(X)
        with pytest.raises(ValueError, match="X has 3 features, but PolynomialFeatures is expecting 2"):
            cls().fit(X).transform(np.ones((2, 3)))
    out = PolynomialFeatures().fit(X).transform(da.from_array(Xn, chunks=(2, -1)))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        out.compute()


# -------------------------------------------------------------------- PowerTransformer


def _skewed(n=600, seed=0, nan=False):
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            rng.lognormal(size=n),
            rng.exponential(size=n) + 0.1,
            rng.normal(size=n) * 3,
            rng.gamma(0.5, size=n),
            -rng.lognormal(size=n),
        ]
    )
    if nan:
        X[rng.random(X.shape) < 0.05] = np.nan
    return X


def _llf(method, lmbda, x):
    x = x[~np.isnan(x)]
    return (stats.yeojohnson_llf if method == "yeo-johnson" else stats.boxcox_llf)(lmbda, x)


@pytest.mark.parametrize("method", ["yeo-johnson", "box-cox"])
@pytest.mark.parametrize("nan", [False, True])
@pytest.mark.parametrize("standardize", [True, False])
def test_power_same_lambdas_as_sklearn_in_four_passes(method, nan, standardize):
    X = _skewed(nan=nan)
    if method == "box-cox":
        X = np.abs(X) + 0.01
    ref = skp.PowerTransformer(method=method, standardize=standardize).fit(X)
    Xt_ref = ref.transform(X)
    for Xin in (X, da.from_array(X, chunks=(97, -1))):
        with count_passes() as c:
            est = PowerTransformer(method=method, standardize=standardize).fit(Xin)
        assert c.passes == 4 and set(c.kernels) == {"power_grid_kernel"}
        np.testing.assert_allclose(est.lambdas_, ref.lambdas_, rtol=0, atol=1e-6)
        for j in range(X.shape[1]):  # the likelihood at ours is at least scikit-learn's
            assert _llf(method, est.lambdas_[j], X[:, j]) >= _llf(method, ref.lambdas_[j], X[:, j]) - 1e-9
        Xt = np.asarray(est.transform(Xin))
        np.testing.assert_array_equal(np.isnan(Xt), np.isnan(X))
        np.testing.assert_allclose(Xt, Xt_ref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(est.inverse_transform(Xt)), X, rtol=1e-9, atol=1e-9)


def test_power_chunking_invariance_and_lazy_transform():
    X = _skewed(n=800, seed=3)
    fits = [
        PowerTransformer().fit(Xin)
        for Xin in (X, da.from_array(X, chunks=(800, -1)), da.from_array(X, chunks=((10, 390, 1, 399), -1)))
    ]
    for f in fits[1:]:
        np.testing.assert_allclose(f.lambdas_, fits[0].lambdas_, rtol=0, atol=1e-7)
    Xd, calls = _spy(da.from_array(X, chunks=(100, -1)))
    out = fits[0].transform(Xd)
    back = fits[0].inverse_transform(out)
    assert isinstance(out, da.Array) and isinstance(back, da.Array) and not calls
    np.testing.assert_allclose(out.compute(), fits[0].transform(X), rtol=1e-12)
    np.testing.assert_allclose(back.compute(), X, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("sign", [1, -1])
def test_power_lambda_outside_the_first_grid(sign):
    # lambda ~ 7.4 (and 2 - 7.4 for the mirrored data): the first grid (-4 .. 6) widens
    rng = np.random.default_rng(5)
    X = np.column_stack([sign * (1 + rng.beta(8, 1, 500) * 5), rng.normal(size=500)])
    ref = skp.PowerTransformer().fit(X)
    assert not -4 < ref.lambdas_[0] < 6
    with count_passes() as c:
        est = PowerTransformer().fit(X)
    assert 4 < c.passes <= 7
    np.testing.assert_allclose(est.lambdas_, ref.lambdas_, atol=1e-6)


def test_power_constant_feature_float32_and_copy():
    rng = np.random.default_rng(7)
    X = np.column_stack([np.full(50, 3.0), rng.normal(size=50)]).astype(np.float32)
    ref = skp.PowerTransformer().fit(X)
    est = PowerTransformer().fit(X)
    assert est.lambdas_.dtype == np.float32 and est.lambdas_[0] == 1.0 == ref.lambdas_[0]
    np.testing.assert_allclose(est.lambdas_, ref.lambdas_, atol=1e-4)
    X2 = X.copy()
    out = PowerTransformer(copy=False).fit(X2).transform(X2)
    assert out is X2
    np.testing.assert_allclose(X2, ref.transform(X), rtol=1e-3, atol=1e-4)


def test_power_grid_kernel_is_namespace_generic():
    xps = pytest.importorskip("array_api_strict")
    X = _skewed(n=50, nan=True)
    grid = np.linspace(-2, 3, 5)[:, None].repeat(X.shape[1], axis=1)
    for method, Xm in (("yeo-johnson", X), ("box-cox", np.abs(X) + 0.1)):
        a = power_grid_kernel(Xm, None, None, grid, xp=np, method=method, first=True)
        b = power_grid_kernel(xps.asarray(Xm), None, None, grid, xp=xps, method=method, first=True)
        whole = combine_power_grid(
            [
                power_grid_kernel(Xm[s], None, None, grid, xp=np, method=method, first=True)
                for s in np.split(np.arange(50), [7, 30])
            ]
        )
        for k in a:
            np.testing.assert_allclose(np.asarray(b[k]), a[k], rtol=1e-12, err_msg=k)
            np.testing.assert_allclose(whole[k], a[k], rtol=1e-10, err_msg=k)


def test_power_bad_input_as_sklearn():
    X = _skewed(n=40)
    for cls in (skp.PowerTransformer, PowerTransformer):
        with pytest.raises(
            ValueError, match="The Box-Cox transformation can only be applied to strictly positive"
        ):
            cls(method="box-cox").fit(X)
        Xi = X.copy()
        Xi[2, 1] = np.inf
        with pytest.raises(ValueError, match="Input X contains infinity"):
            cls().fit(Xi)
        with pytest.raises(ValueError, match="X has 2 features, but PowerTransformer is expecting 5"):
            cls().fit(X).transform(X[:, :2])
    pos = np.abs(X) + 1
    est = PowerTransformer(method="box-cox").fit(pos)
    with pytest.raises(ValueError, match="strictly positive"):
        est.transform(X)
    out = est.transform(da.from_array(X, chunks=(10, -1)))  # lazy: raised when computed
    with pytest.raises(ValueError, match="strictly positive"):
        out.compute()
    Xn = pos.copy()
    Xn[:, 2] = np.nan
    with pytest.raises(ValueError, match="Column must not be all nan"):
        PowerTransformer(method="box-cox").fit(Xn)
    with pytest.raises(ValueError, match="Column must not be all nan"):
        skp.PowerTransformer(method="box-cox").fit(Xn)
    Xc = pos.copy()
    Xc[:, 1] = 3.0
    for cls in (skp.PowerTransformer, PowerTransformer):
        with pytest.raises(ValueError, match="Data must not be constant"):
            cls(method="box-cox").fit(Xc)


def test_power_same_model_under_every_scheduler_and_frames(scheduler):
    X = _skewed(n=400, seed=12, nan=True)
    ref = PowerTransformer().fit(X)
    df = pd.DataFrame(X, columns=list("abcde"))
    est = PowerTransformer().fit(dd.from_pandas(df, npartitions=3))
    np.testing.assert_array_equal(est.feature_names_in_, list("abcde"))
    np.testing.assert_allclose(est.lambdas_, ref.lambdas_, atol=1e-7)
    np.testing.assert_array_equal(est.get_feature_names_out(), list("abcde"))
    out = est.transform(dd.from_pandas(df, npartitions=3))
    np.testing.assert_allclose(np.asarray(out.compute()), ref.transform(X), rtol=1e-6, atol=1e-7)
