"""dml.metrics, the dask-ml names: log / percentage errors, subset accuracy, pairwise.

Each equals scikit-learn on NumPy input (scikit-learn's own function) and on Dask input with
uneven chunks; Dask in gives one pass (scalars) or a lazy Dask array (pairwise).
"""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.metrics import pairwise as skp

import dml.metrics as M
from dml._engine.mapreduce import count_passes

N = 300
CHUNKS = (50, 143, 7, 100)


def D(a, chunks=CHUNKS):
    a = np.asarray(a)
    return da.from_array(a, chunks=(chunks,) + a.shape[1:])


@pytest.fixture(scope="module")
def reg():
    rng = np.random.default_rng(0)
    Y = rng.random((N, 2)) * [3, 50]
    P = np.abs(Y + rng.normal(size=(N, 2)))
    P[::17, 0] = 0.0
    return dict(Y=Y, P=P, y=Y[:, 1], p=P[:, 1], w=rng.random(N) * 2)


REGRESSION = ["mean_squared_log_error", "root_mean_squared_log_error", "mean_absolute_percentage_error"]


@pytest.mark.parametrize("name", REGRESSION)
@pytest.mark.parametrize("multioutput", ["uniform_average", "raw_values", [0.2, 0.8]])
@pytest.mark.parametrize("weighted", [False, True])
def test_regression_matches_sklearn(reg, name, multioutput, weighted):
    w = reg["w"] if weighted else None
    expected = getattr(skm, name)(reg["Y"], reg["P"], sample_weight=w, multioutput=multioutput)
    assert np.allclose(
        getattr(M, name)(reg["Y"], reg["P"], sample_weight=w, multioutput=multioutput), expected
    )
    with count_passes() as counter:
        got = getattr(M, name)(
            D(reg["Y"]),
            D(reg["P"], (100, 100, 100)),
            sample_weight=None if w is None else D(w),
            multioutput=multioutput,
        )
    assert counter.passes == 1
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_1d_and_mixed_inputs(reg, name):
    expected = getattr(skm, name)(reg["y"], reg["p"])
    np.testing.assert_allclose(getattr(M, name)(D(reg["y"]), reg["p"]), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "name, title",
    [
        ("mean_squared_log_error", "Mean Squared Logarithmic Error"),
        ("root_mean_squared_log_error", "Root Mean Squared Logarithmic Error"),
    ],
)
@pytest.mark.parametrize("which", [0, 1])
def test_log_error_rejects_values_le_minus_one(reg, name, title, which):
    args = [reg["y"].copy(), reg["p"].copy()]
    args[which][5] = -1.0
    msg = f"{title} cannot be used when targets contain values less than or equal to -1."
    with pytest.raises(ValueError, match=msg):
        getattr(skm, name)(*args)
    with pytest.raises(ValueError, match=msg):
        getattr(M, name)(D(args[0]), D(args[1]))


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_bad_input(reg, name):
    y = reg["y"].copy()
    y[3] = np.nan
    with pytest.raises(ValueError, match="Input contains NaN."):
        getattr(M, name)(D(y), reg["p"])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        getattr(M, name)(D(reg["y"]), reg["p"][:-1])
    with pytest.raises(ValueError, match="different number of output"):
        getattr(M, name)(D(reg["Y"]), reg["P"][:, :1])
    with pytest.raises(ValueError, match="multioutput"):
        getattr(M, name)(D(reg["Y"]), reg["P"], multioutput="variance_weighted")


# ---------------------------------------------------------------- subset accuracy


@pytest.fixture(scope="module")
def labels():
    rng = np.random.default_rng(1)
    Y = rng.integers(0, 2, (N, 4))
    P = np.where(rng.random((N, 4)) < 0.9, Y, 1 - Y)
    return Y, P, rng.random(N)


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_subset_accuracy_matches_sklearn(labels, normalize, weighted):
    Y, P, w = labels
    w = w if weighted else None
    expected = skm.accuracy_score(Y, P, normalize=normalize, sample_weight=w)
    with count_passes() as counter:
        got = M.accuracy_score(
            D(Y), D(P, (100, 200)), normalize=normalize, sample_weight=None if w is None else D(w)
        )
    assert counter.passes == 1
    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=1e-12)
    # two distinct integers make an indicator matrix too (scikit-learn's type_of_target)
    assert M.accuracy_score(D(2 * Y), 2 * P) == pytest.approx(skm.accuracy_score(2 * Y, 2 * P))


def test_subset_accuracy_bad_input(labels):
    Y, P, _ = labels
    cases = [
        (Y[:, :3], P, "Multi-label binary indicator input with different numbers of labels"),
        (Y + (P == 0), P, "can't handle a mix of multiclass-multioutput and multilabel-indicator"),
        (Y + 0.5, P, "can't handle a mix of continuous-multioutput and multilabel-indicator"),
    ]
    for t, p, msg in cases:
        with pytest.raises(ValueError, match=msg):
            skm.accuracy_score(t, p)
        with pytest.raises(ValueError, match=msg):
            M.accuracy_score(D(t), p)
    with pytest.raises(ValueError, match="mix of multilabel-indicator and binary or multiclass"):
        M.accuracy_score(D(Y), P[:, 0])
    with pytest.raises(ValueError, match="multiclass-multioutput is not supported"):
        M.accuracy_score(D(Y * [0, 1, 2, 3]), Y * [0, 1, 2, 3])


# ---------------------------------------------------------------- pairwise


@pytest.fixture(scope="module")
def XY():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(N, 5)) * [1, 2, 3, 4, 100] + [0, 0, 0, 0, 50]
    Y = rng.normal(size=(11, 5)) * [1, 2, 3, 4, 100]
    X[7] = 0.0  # a zero row (cosine)
    return X, Y


DISTANCES = ["euclidean", "l2", "sqeuclidean", "manhattan", "cityblock", "l1", "cosine"]


def _check_lazy(got, expected, n_rows_chunks=CHUNKS, rtol=1e-10, atol=1e-9):
    assert isinstance(got, da.Array)
    assert tuple(got.chunks[0]) == n_rows_chunks
    assert got.dtype == expected.dtype
    value = got.compute()
    assert value.shape == expected.shape
    np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("metric", DISTANCES)
@pytest.mark.parametrize("with_y", [True, False])
def test_pairwise_distances_matches_sklearn(XY, metric, with_y):
    X, Y = XY
    Yarg = Y if with_y else None
    expected = skm.pairwise_distances(X, Yarg, metric=metric)
    np.testing.assert_array_equal(M.pairwise_distances(X, Yarg, metric=metric), expected)
    with count_passes() as counter:
        got = M.pairwise_distances(D(X), Yarg, metric=metric)
    assert counter.passes == 0
    _check_lazy(got, expected)
    if not with_y and metric != "sqeuclidean":
        assert np.all(np.diag(got.compute()) == 0.0)


def test_pairwise_dask_y_and_float32(XY):
    X, Y = XY
    got = M.pairwise_distances(D(X), da.from_array(Y, chunks=4), metric="euclidean")
    _check_lazy(got, skm.pairwise_distances(X, Y))
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    for metric in ("euclidean", "cosine", "manhattan"):
        expected = skm.pairwise_distances(X32, Y32, metric=metric)
        _check_lazy(M.pairwise_distances(D(X32), Y32, metric=metric), expected, rtol=1e-5, atol=1e-3)
    _check_lazy(M.euclidean_distances(D(X32), Y32), skp.euclidean_distances(X32, Y32), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("squared", [False, True])
def test_euclidean_distances(XY, squared):
    X, Y = XY
    expected = skp.euclidean_distances(X, Y, squared=squared)
    np.testing.assert_array_equal(M.euclidean_distances(X, Y, squared=squared), expected)
    _check_lazy(M.euclidean_distances(D(X), Y, squared=squared), expected)
    norms = (Y**2).sum(axis=1)
    _check_lazy(M.euclidean_distances(D(X), Y, squared=squared, Y_norm_squared=norms), expected)
    _check_lazy(M.euclidean_distances(D(X), squared=squared), skp.euclidean_distances(X, squared=squared))


KERNELS = [
    ("linear", {}),
    ("rbf", {}),
    ("rbf", {"gamma": 0.01}),
    ("polynomial", {"degree": 2, "coef0": 0.5, "gamma": 0.1}),
    ("poly", {}),
    ("sigmoid", {"gamma": 0.001, "coef0": 0.2}),
    ("cosine", {}),
]


@pytest.mark.parametrize("metric, kwds", KERNELS)
@pytest.mark.parametrize("with_y", [True, False])
def test_pairwise_kernels_matches_sklearn(XY, metric, kwds, with_y):
    X, Y = XY
    X = X / 50  # keep the polynomial kernel's values moderate
    Yarg = Y / 50 if with_y else None
    expected = skp.pairwise_kernels(X, Yarg, metric=metric, **kwds)
    np.testing.assert_array_equal(M.pairwise_kernels(X, Yarg, metric=metric, **kwds), expected)
    _check_lazy(M.pairwise_kernels(D(X), Yarg, metric=metric, **kwds), expected)


def test_pairwise_kernels_filter_params(XY):
    X, Y = XY
    expected = skp.pairwise_kernels(X, Y, metric="linear", filter_params=True, gamma=3.0)
    _check_lazy(M.pairwise_kernels(D(X), Y, metric="linear", filter_params=True, gamma=3.0), expected)
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        M.pairwise_kernels(D(X), Y, metric="linear", gamma=3.0)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "manhattan", "cosine"])
def test_argmin_min_matches_sklearn(XY, metric):
    X, Y = XY
    ei, ed = skm.pairwise_distances_argmin_min(X, Y, metric=metric)
    gi, gd = M.pairwise_distances_argmin_min(X, Y, metric=metric)
    np.testing.assert_array_equal(gi, ei)
    np.testing.assert_array_equal(gd, ed)
    with count_passes() as counter:
        li, ld = M.pairwise_distances_argmin_min(D(X), Y, metric=metric)
    assert counter.passes == 0
    assert isinstance(li, da.Array) and isinstance(ld, da.Array)
    assert tuple(li.chunks[0]) == CHUNKS and li.dtype == np.int64
    ci, cd = da.compute(li, ld)
    np.testing.assert_array_equal(ci, ei)
    np.testing.assert_allclose(cd, ed, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_argmin_min_axis0(XY, metric):
    X, Y = XY
    X = X.copy()
    Y = Y.copy()
    X[250] = X[3]  # a tie across chunks: the first index wins
    Y[1] = X[3]
    ei, ed = skm.pairwise_distances_argmin_min(X, Y, axis=0, metric=metric)
    li, ld = M.pairwise_distances_argmin_min(D(X), Y, axis=0, metric=metric)
    assert isinstance(li, da.Array) and isinstance(ld, da.Array)
    ci, cd = da.compute(li, ld)
    assert ci.dtype == np.int64 and ci[1] == 3
    np.testing.assert_array_equal(ci, ei)
    # Y[1] == X[3]: the distance is 0; scikit-learn's dot-product euclidean can leave the
    # rounding of |x|^2 + |y|^2 - 2 x.y there (its sqrt, ~1e-7 to 1e-6 at these norms)
    np.testing.assert_allclose(cd, ed, rtol=1e-10, atol=2e-6)


def test_pairwise_kernels_are_namespace_generic(XY):
    xps = pytest.importorskip("array_api_strict")
    from dml.metrics._pairwise_kernels import argmin_min_block, distance_block, kernel_block

    X, Y = XY
    Ysq = (Y**2).sum(axis=1)
    Xs, Ys, Ysqs = xps.asarray(X), xps.asarray(Y), xps.asarray(Ysq)
    for metric in ("euclidean", "manhattan", "cosine"):
        a = distance_block(X, xp=np, Y=Y, Y_sq=Ysq, metric=metric, out_dtype=np.float64, allow_nan=False)
        b = distance_block(Xs, xp=xps, Y=Ys, Y_sq=Ysqs, metric=metric, out_dtype=xps.float64, allow_nan=False)
        np.testing.assert_allclose(np.asarray(b), a, rtol=1e-12)
        a = argmin_min_block(X, xp=np, Y=Y, Y_sq=Ysq, metric=metric)
        b = argmin_min_block(Xs, xp=xps, Y=Ys, Y_sq=Ysqs, metric=metric)
        np.testing.assert_allclose(np.asarray(b), a, rtol=1e-12)
    for metric, kwds in KERNELS:
        kw = {"gamma": kwds.get("gamma", 0.2), "degree": kwds.get("degree", 3), "coef0": kwds.get("coef0", 1)}
        a = kernel_block(X / 50, xp=np, Y=Y / 50, Y_sq=Ysq / 2500, metric=metric, out_dtype=np.float64, **kw)
        b = kernel_block(
            Xs / 50, xp=xps, Y=Ys / 50, Y_sq=Ysqs / 2500, metric=metric, out_dtype=xps.float64, **kw
        )
        np.testing.assert_allclose(np.asarray(b), a, rtol=1e-12)


def test_pairwise_bad_input(XY):
    X, Y = XY
    Xd = D(X)
    with pytest.raises(
        ValueError,
        match=r"Incompatible dimension for X and Y matrices: X.shape\[1\] == 5 while Y.shape\[1\] == 4",
    ):
        M.pairwise_distances(Xd, Y[:, :4])
    with pytest.raises(ValueError, match="Incompatible dimension"):
        M.pairwise_kernels(Xd, Y[:, :4])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array instead"):
        M.pairwise_distances(D(X[:, 0]), Y)
    with pytest.raises(ValueError, match="supports metric in"):
        M.pairwise_distances(Xd, Y, metric="chebyshev")
    with pytest.raises(ValueError, match="supports metric in"):
        M.pairwise_distances(Xd, Y, metric=lambda a, b: 0.0)
    with pytest.raises(ValueError, match="supports metric in"):
        M.pairwise_kernels(Xd, Y, metric="laplacian")
    with pytest.raises(ValueError, match="supports metric in"):
        M.pairwise_distances_argmin_min(Xd, Y, metric="chebyshev")
    with pytest.raises(ValueError, match="axis must be 0 or 1"):
        M.pairwise_distances_argmin_min(Xd, Y, axis=2)
    with pytest.raises(TypeError, match="no extra keyword arguments"):
        M.pairwise_distances(Xd, Y, metric="euclidean", p=3)
    with pytest.raises(ValueError, match="X_norm_squared is supported for in-memory X only"):
        M.euclidean_distances(Xd, Y, X_norm_squared=(X**2).sum(axis=1))
    Yn = Y.copy()
    Yn[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input Y contains NaN."):
        M.pairwise_distances(Xd, Yn)
    Xn = X.copy()
    Xn[200, 1] = np.nan
    lazy = M.pairwise_distances(D(Xn), Y)  # lazy: the check runs in the task
    with pytest.raises(ValueError, match="Input X contains NaN."):
        lazy.compute()
    with pytest.raises(ValueError, match="Input X contains NaN."):
        M.pairwise_kernels(D(Xn), Y, metric="rbf").compute()
    assert np.isnan(M.pairwise_distances(D(Xn), Y, ensure_all_finite=False).compute()[200]).all()


@pytest.mark.parametrize(
    "name",
    ["neg_mean_squared_log_error", "neg_root_mean_squared_log_error", "neg_mean_absolute_percentage_error"],
)
def test_new_regression_scorers(name):
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(3)
    X = rng.random((N, 3))
    y = X @ [1.0, 2.0, 3.0] + rng.random(N)
    est = LinearRegression().fit(X, y)
    assert name in M.get_scorer_names()
    expected = skm.get_scorer(name)(est, X, y)
    with count_passes() as counter:
        got = M.get_scorer(name)(est, D(X), D(y))
    assert counter.passes == 1
    assert got == pytest.approx(expected, rel=1e-10)


def test_pairwise_dask_dataframe_and_integer_input(XY):
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    X, Y = XY
    ddf = dd.from_pandas(pd.DataFrame(X), npartitions=3)  # unknown partition lengths
    np.testing.assert_allclose(
        M.pairwise_distances(ddf, Y).compute(), skm.pairwise_distances(X, Y), rtol=1e-10
    )
    np.testing.assert_allclose(
        M.pairwise_distances(ddf).compute(), skm.pairwise_distances(X), rtol=1e-10, atol=1e-9
    )
    for axis in (0, 1):
        i, d = M.pairwise_distances_argmin_min(ddf, Y, axis=axis)
        ei, ed = skm.pairwise_distances_argmin_min(X, Y, axis=axis)
        np.testing.assert_array_equal(i.compute(), ei)
        np.testing.assert_allclose(d.compute(), ed, rtol=1e-10)
    Xi = np.random.default_rng(4).integers(0, 5, (40, 3))
    got = M.pairwise_kernels(da.from_array(Xi, chunks=7), Xi[:4], metric="polynomial")
    _check_lazy(got, skp.pairwise_kernels(Xi, Xi[:4], metric="polynomial"), n_rows_chunks=(7,) * 5 + (5,))
    # column-chunked X is rechunked to one column block
    _check_lazy(M.pairwise_distances(da.from_array(X, chunks=(CHUNKS, 2)), Y), skm.pairwise_distances(X, Y))


def test_under_each_scheduler(reg, labels, XY, scheduler):
    X, Y = XY
    got = M.mean_squared_log_error(D(reg["Y"]), D(reg["P"]), sample_weight=D(reg["w"]))
    assert got == pytest.approx(
        skm.mean_squared_log_error(reg["Y"], reg["P"], sample_weight=reg["w"]), rel=1e-12
    )
    T, P, _ = labels
    assert M.accuracy_score(D(T), D(P)) == pytest.approx(skm.accuracy_score(T, P))
    np.testing.assert_allclose(
        M.pairwise_kernels(D(X), Y, metric="rbf", gamma=0.001).compute(),
        skp.pairwise_kernels(X, Y, metric="rbf", gamma=0.001),
        rtol=1e-10,
    )
    i, d = da.compute(*M.pairwise_distances_argmin_min(D(X), Y))
    np.testing.assert_array_equal(i, skm.pairwise_distances_argmin_min(X, Y)[0])


def test_pairwise_ensure_all_finite_on_y(XY):
    X, Y = XY
    Yn = Y.copy()
    Yn[0, 0] = np.nan
    for flag in (False, "allow-nan"):
        got = M.pairwise_distances(D(X), Yn, ensure_all_finite=flag).compute()
        assert np.isnan(got[:, 0]).all() and np.isfinite(got[:, 1:]).all()
    Yn[1, 1] = np.inf
    with pytest.raises(ValueError, match="Input Y contains infinity"):
        M.pairwise_distances(D(X), Yn, ensure_all_finite="allow-nan")
    with pytest.raises(ValueError, match="ensure_all_finite should be a bool or 'allow-nan'"):
        M.pairwise_distances(D(X), Y, ensure_all_finite="yes")


@pytest.mark.parametrize("shape", [(300, 11, 5), (1, 3, 2), (0, 3, 2), (50, 700, 40), (5, 0, 3)])
def test_difference_tiles(shape):
    import array_api_compat.numpy as xnp

    from dml.metrics._pairwise_kernels import _by_differences

    n, n_y, p = shape
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=(n, p)), rng.normal(size=(n_y, p))
    diff = X[:, None, :] - Y[None]
    for squared in (False, True):
        got = _by_differences(X, Y, xnp, squared=squared, block_bytes=4096)  # many small tiles
        expected = (diff**2 if squared else np.abs(diff)).sum(axis=2)
        assert got.shape == (n, n_y)
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13)
