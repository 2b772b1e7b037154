"""Ridge and RidgeCV against scikit-learn; passes; invariance; CG solver; kernels on
array_api_strict; bad input."""

import dask.array as da
import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.base import clone
from sklearn.model_selection import KFold

import dml.linear_model as dl
import dml.linear_model._base as lm_base
from dml._engine.mapreduce import count_passes


def _data(n=300, p=6, targets=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, 0] += 5.0
    shape = (p,) if targets is None else (p, targets)
    y = X @ rng.normal(size=shape) + rng.normal(size=(n,) if targets is None else (n, targets))
    w = rng.uniform(0.2, 2.0, size=n)
    return X, y, w


def _dask(X, y, w=None, rows=(50, 101, 7)):
    rows = tuple(rows) + (X.shape[0] - sum(rows),)
    out = [da.from_array(X, chunks=(rows, -1)), da.from_array(y, chunks=(rows,) + y.shape[1:])]
    out.append(None if w is None else da.from_array(w, chunks=(rows,)))
    return out


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "params,targets",
    [
        (dict(alpha=1.0), None),
        (dict(alpha=10.0, fit_intercept=False), None),
        (dict(alpha=[0.5, 3.0, 30.0]), 3),
        (dict(alpha=2.0, solver="svd"), 2),
        (dict(alpha=2.0, solver="cholesky"), None),
        (dict(alpha=2.0, solver="sparse_cg", tol=1e-10), 2),
        (dict(alpha=2.0, solver="lsqr", tol=1e-10), None),
    ],
    ids=str,
)
def test_matches_sklearn(params, targets, weighted):
    X, y, w = _data(targets=targets)
    sw = w if weighted else None
    ref = sk.Ridge(**params).fit(X, y, sample_weight=sw)
    est = dl.Ridge(**params).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-6, atol=1e-10)
    assert np.ndim(est.intercept_) == np.ndim(ref.intercept_)


def test_positive_matches_sklearn():
    X, y, w = _data()
    y = y - 3 * X[:, 2]
    ref = sk.Ridge(alpha=1.0, positive=True, tol=1e-10).fit(X, y, sample_weight=w)
    est = dl.Ridge(alpha=1.0, positive=True, tol=1e-10).fit(X, y, sample_weight=w)
    assert est.coef_[2] == 0.0 and est.solver_ == "lbfgs"
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-4, atol=1e-4)


def test_one_pass_and_scheduler_invariance(scheduler):
    X, Y, w = _data(targets=2)
    ref = dl.Ridge(alpha=[1.0, 4.0]).fit(X, Y, sample_weight=w)
    Xd, Yd, wd = _dask(X, Y, w)
    with count_passes() as c:
        est = dl.Ridge(alpha=[1.0, 4.0]).fit(Xd, Yd, sample_weight=wd)
    assert c.passes == 1
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-10)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-10)
    out = est.predict(Xd)
    assert isinstance(out, da.Array) and out.shape == Y.shape
    np.testing.assert_allclose(out.compute(), ref.predict(X), rtol=1e-10)


def test_sparse_cg_is_distributed_and_wide_switch(monkeypatch):
    X, y, w = _data()
    Xd, yd, wd = _dask(X, y, w)
    with count_passes() as c:
        est = dl.Ridge(alpha=1.0, solver="sparse_cg", tol=1e-12).fit(Xd, yd, sample_weight=wd)
    assert c.passes == 1 + int(est.n_iter_[0]) and set(c.kernels) == {
        "wide_moments_kernel",
        "wide_matvec_kernel",
    }
    ref = sk.Ridge(alpha=1.0).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-8)
    monkeypatch.setattr(lm_base, "GRAM_MAX_FEATURES", 3)
    auto = dl.Ridge(alpha=1.0, tol=1e-12).fit(Xd, yd, sample_weight=wd)
    assert auto.solver_ == "sparse_cg"
    np.testing.assert_allclose(auto.coef_, ref.coef_, rtol=1e-8)


# -------------------------------------------------------------------------- RidgeCV


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "params,targets",
    [
        (dict(), None),
        (dict(alphas=np.logspace(-3, 3, 13)), 2),
        (dict(alphas=np.logspace(-3, 3, 13), alpha_per_target=True), 3),
        (dict(alphas=np.logspace(-2, 2, 5), fit_intercept=False), None),
        (dict(alphas=[0.1, 1.0, 10.0], store_cv_results=True), 2),
        (dict(alphas=[0.1, 1.0, 10.0], store_cv_results=True), None),
        (dict(alphas=np.logspace(-3, 3, 7), cv=5), None),
        (dict(alphas=np.logspace(-3, 3, 7), cv=KFold(3)), 2),
    ],
    ids=str,
)
def test_ridgecv_matches_sklearn(params, targets, weighted):
    X, y, w = _data(targets=targets)
    sw = w if weighted else None
    ref = sk.RidgeCV(**params).fit(X, y, sample_weight=sw)
    est = dl.RidgeCV(**params).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(est.alpha_, ref.alpha_)
    np.testing.assert_allclose(est.best_score_, ref.best_score_, rtol=1e-8)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-6, atol=1e-10)
    if params.get("store_cv_results"):
        assert est.cv_results_.shape == ref.cv_results_.shape
        np.testing.assert_allclose(est.cv_results_, ref.cv_results_, rtol=1e-8)


@pytest.mark.parametrize("cv,passes", [(None, 2), (4, 1)])
def test_ridgecv_passes_and_chunking(cv, passes, scheduler):
    X, y, w = _data()
    ref = dl.RidgeCV(alphas=np.logspace(-2, 2, 9), cv=cv, store_cv_results=cv is None).fit(
        X, y, sample_weight=w
    )
    Xd, yd, wd = _dask(X, y, w, rows=(33, 100, 41))
    with count_passes() as c:
        est = dl.RidgeCV(alphas=np.logspace(-2, 2, 9), cv=cv, store_cv_results=cv is None).fit(
            Xd, yd, sample_weight=wd
        )
    assert c.passes == passes
    assert est.alpha_ == ref.alpha_
    assert est.best_score_ == pytest.approx(ref.best_score_, rel=1e-10)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-10)
    if cv is None:
        np.testing.assert_allclose(est.cv_results_, ref.cv_results_, rtol=1e-8)


def test_ridge_loo_kernel_on_array_api_strict():
    xps = pytest.importorskip("array_api_strict")
    from dml.linear_model._ridge_kernels import ridge_loo_kernel

    X, Y, w = _data(n=80, targets=2)
    xm, ym = X.mean(0), Y.mean(0)
    lam, V = np.linalg.eigh((X - xm).T @ (X - xm))
    VtXy = V.T @ ((X - xm).T @ (Y - ym))
    args = (xm, ym, V, lam, VtXy, np.array([0.1, 1.0, 10.0]))
    kw = dict(sw_sum=float(w.sum()), fit_intercept=True, per_sample=True)
    a = ridge_loo_kernel(xps.asarray(X), xps.asarray(Y), xps.asarray(w), *args, xp=xps, **kw)
    b = ridge_loo_kernel(X, Y, w, *args, xp=np, **kw)
    for k in b:
        np.testing.assert_allclose(np.asarray(a[k]), b[k], rtol=1e-10)


def test_bad_input():
    X, y, w = _data()
    Y = np.c_[y, y]
    with pytest.raises(
        ValueError, match="Number of targets and number of penalties do not correspond: 3 != 2"
    ):
        dl.Ridge(alpha=[1.0, 2.0, 3.0]).fit(X, Y)
    with pytest.raises(ValueError, match="'lbfgs' solver can be used only when positive=True"):
        dl.Ridge(solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="does not support positive fitting"):
        dl.Ridge(solver="svd", positive=True).fit(X, y)
    with pytest.raises(ValueError, match="stochastic solver"):
        dl.Ridge(solver="sag").fit(X, y)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        dl.Ridge().fit(X, y, sample_weight=-w)
    Xn = X.copy()
    Xn[0, 0] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        dl.Ridge().fit(*_dask(Xn, y)[:2])
    with pytest.raises(ValueError, match="cv!=None and store_cv_results=True are incompatible"):
        dl.RidgeCV(cv=3, store_cv_results=True).fit(X, y)
    with pytest.raises(ValueError, match="cv!=None and alpha_per_target=True are incompatible"):
        dl.RidgeCV(cv=3, alpha_per_target=True).fit(X, y)
    with pytest.raises(ValueError, match=r"alphas\[0\] == 0.0, must be > 0.0"):
        dl.RidgeCV(alphas=[0.0, 1.0]).fit(X, y)
    with pytest.raises(ValueError, match="scoring=None only"):
        dl.RidgeCV(scoring="r2").fit(X, y)


@pytest.mark.gpu
def test_cupy_chunks_match_numpy():
    cp = pytest.importorskip("cupy")
    X, Y, w = _data(n=600, targets=2)
    Xd = da.from_array(X, chunks=(150, -1)).map_blocks(cp.asarray)
    Yd = da.from_array(Y, chunks=(150, -1)).map_blocks(cp.asarray)
    for est in (
        dl.Ridge(alpha=[1.0, 2.0]),
        dl.Ridge(solver="sparse_cg", tol=1e-12),
        dl.RidgeCV(store_cv_results=True),
        dl.RidgeCV(cv=4),
    ):
        a = est.fit(Xd, Yd)
        coef_gpu = np.asarray(a.coef_)
        b = clone(est).fit(X, Y)
        np.testing.assert_allclose(coef_gpu, b.coef_, rtol=1e-8, atol=1e-12)
        pred = a.predict(Xd)
        assert isinstance(pred._meta, cp.ndarray)
        np.testing.assert_allclose(pred.compute().get(), b.predict(X), rtol=1e-8)


@pytest.mark.parametrize(
    "params", [dict(), dict(solver="sparse_cg", tol=1e-12), dict(positive=True)], ids=str
)
def test_objective_history(params):
    X, y, w = _data()
    est = dl.Ridge(alpha=3.0, **params).fit(X, y, sample_weight=w)
    hist = np.asarray(est.objective_history_)
    assert len(hist) == int(est.n_iter_[0]) >= 1
    r = y - est.predict(X)
    obj = (w * r * r).sum() + 3.0 * est.coef_ @ est.coef_
    assert hist[-1] == pytest.approx(obj, rel=1e-6)
    assert np.all(np.diff(hist) <= 1e-9 * abs(hist[0]))
    Y = np.c_[y, 2 * y]
    est = dl.Ridge(alpha=[1.0, 2.0], **params).fit(X, Y)
    assert len(est.objective_history_) == 2


# ------------------------------------------------------- bad input, every estimator

_rng = np.random.default_rng(1)
_X = _rng.normal(size=(60, 3))
_y = _X @ np.array([1.0, 2.0, 3.0]) + _rng.normal(size=60)


def _with(value, at=(5, 1)):
    Z = _X.copy()
    Z[at] = value
    return Z


_BAD = [
    ("nan", _with(np.nan), _y, None, "Input X contains NaN"),
    (
        "inf",
        _with(np.inf),
        _y,
        None,
        r"Input X contains infinity or a value too large for dtype\('float64'\)",
    ),
    ("y-nan", _X, np.r_[np.nan, _y[1:]], None, "Input y contains NaN"),
    ("length", _X, _y[:59], None, r"Found input variables with inconsistent numbers of samples: \[60, 59\]"),
    ("1d-X", _X[:, 0], _y, None, "Expected 2D array, got 1D array instead"),
    ("zero-rows", _X[:0], _y[:0], None, r"Found array with 0 sample\(s\)"),
    ("weights-shape", _X, _y, np.ones(59), r"sample_weight.shape == \(59,\), expected \(60,\)!"),
    ("weights-nan", _X, _y, np.r_[np.nan, np.ones(59)], "Input sample_weight contains NaN"),
    (
        "negative-weights",
        _X,
        _y,
        np.r_[-1.0, np.ones(59)],
        "Negative values in data passed to `sample_weight`",
    ),
]
_NAMES = ["Ridge", "RidgeCV", "Lasso", "ElasticNet", "LassoCV", "ElasticNetCV"]


def _lazy(a):
    if a is None:
        return None
    return da.from_array(a, chunks=(20,) + a.shape[1:] if a.shape[0] else -1)


@pytest.mark.parametrize("lazy", [False, True], ids=["numpy", "dask"])
@pytest.mark.parametrize("case", _BAD, ids=[c[0] for c in _BAD])
@pytest.mark.parametrize("name", _NAMES)
def test_bad_input_table(name, case, lazy):
    _, Xb, yb, sw, msg = case
    if lazy:
        Xb, yb, sw = _lazy(Xb), _lazy(yb), _lazy(sw)
    kwargs = {} if sw is None else {"sample_weight": sw}
    est = getattr(dl, name)(**({"cv": 3} if name.endswith("CV") and name != "RidgeCV" else {}))
    with pytest.raises(ValueError, match=msg):
        est.fit(Xb, yb, **kwargs)


@pytest.mark.parametrize("name", _NAMES)
def test_wrong_number_of_features_at_predict(name):
    est = getattr(dl, name)().fit(_X, _y)
    with pytest.raises(ValueError, match=f"X has 2 features, but {name} is expecting 3 features as input"):
        est.predict(_lazy(_X[:, :2]))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.predict(_lazy(_with(np.nan))).compute()


@pytest.mark.parametrize(
    "case", ["plain", "weighted", "float32-2d", "offset", "zero-weights", "negative-weights"]
)
def test_gram_kernel_equals_direct_statistics(case):
    """The engine's one-pass kernel returns the weighted mean and centred cross-product
    of [X, y] computed directly, on NumPy and on array_api_strict."""
    xps = pytest.importorskip("array_api_strict")
    from dml._engine.kernels import gram_kernel

    rng = np.random.default_rng(0)
    X = rng.normal(size=(9000, 7))
    y = rng.normal(size=9000)
    w = rng.uniform(0, 2, size=9000)
    if case == "plain":
        w = None
    elif case == "float32-2d":
        X, y = X.astype(np.float32), np.c_[y, 2 * y].astype(np.float32)
    elif case == "offset":
        X = X + 1e6
    elif case == "zero-weights":
        w[:5000] = 0.0
    elif case == "negative-weights":
        w[3] = -1.0
    A = np.column_stack([X, y]).astype(np.float64)
    ww = np.ones(len(A)) if w is None else w
    mean = (ww[:, None] * A).sum(axis=0) / ww.sum()
    D = A - mean
    ref = {"n": ww.sum(), "mean": mean, "scatter": (ww[:, None] * D).T @ D}
    for xp, conv in ((np, lambda a: a), (xps, xps.asarray)):
        out = gram_kernel(conv(X), conv(y), None if w is None else conv(w), xp=xp)
        for k in ref:
            np.testing.assert_allclose(
                np.asarray(out[k]), ref[k], rtol=1e-9, atol=1e-9 * np.abs(ref[k]).max(), err_msg=k
            )
        assert int(out["w_neg"]) == (0 if w is None else int((w < 0).sum()))


@pytest.mark.parametrize("name", ["Ridge", "RidgeCV", "Lasso", "ElasticNet", "LinearRegression"])
def test_column_y_shapes_match_sklearn(name):
    X, y, _ = _data()
    Y = y[:, None]
    a, b = getattr(sk, name)().fit(X, Y), getattr(dl, name)().fit(X, Y)
    assert np.shape(a.coef_) == np.shape(b.coef_)
    assert np.shape(a.intercept_) == np.shape(b.intercept_)
    assert np.shape(a.predict(X)) == np.shape(b.predict(X))
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-6)


def test_regressors_score_with_dml_r2_in_one_lazy_pass():
    import dask
    import sklearn.metrics

    import dml._base
    from dml.linear_model import ElasticNet, LinearRegression, Ridge, RidgeCV

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(size=300)
    w = rng.uniform(0.5, 2.0, size=300)
    Xd, yd, wd = da.from_array(X, chunks=100), da.from_array(y, chunks=100), da.from_array(w, chunks=100)
    for est in (LinearRegression(), Ridge(1.0), RidgeCV(), ElasticNet(alpha=0.01)):
        est.fit(X, y)
        assert type(est).score is dml._base.RegressorScoreMixin.score
        want = sklearn.metrics.r2_score(y, est.predict(X), sample_weight=w)
        assert est.score(X, y, sample_weight=w) == pytest.approx(want, rel=1e-12)
        calls = []
        with dask.config.set(scheduler=lambda dsk, keys, **kw: calls.append(1) or dask.get(dsk, keys)):
            got = est.score(Xd, yd, sample_weight=wd)
        assert got == pytest.approx(want, rel=1e-12)
        assert len(calls) == 1  # one computation for the whole score
