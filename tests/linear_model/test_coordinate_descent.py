"""Lasso, ElasticNet, LassoCV, ElasticNetCV against scikit-learn; one pass; invariance;
exact zeros; CV folds; wide-data solver; kernels on array_api_strict; bad input."""

import warnings

import dask.array as da
import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, ShuffleSplit

import dml.linear_model as dl
import dml.linear_model._base as lm_base
from dml._engine.mapreduce import count_passes


def _data(n=400, p=8, seed=0, targets=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    X[:, 1] += 3.0
    coef = rng.normal(size=(p,) if targets is None else (p, targets))
    coef[::3] = 0.0
    y = X @ coef + rng.normal(scale=0.5, size=(n,) if targets is None else (n, targets))
    w = rng.uniform(0.2, 2.0, size=n)
    return X, y, w


def _dask(X, y, w=None, rows=(60, 141, 9)):
    rows = tuple(rows) + (X.shape[0] - sum(rows),)
    out = [da.from_array(X, chunks=(rows, -1)), da.from_array(y, chunks=(rows,) + y.shape[1:])]
    out.append(None if w is None else da.from_array(w, chunks=(rows,)))
    return out


CASES = [
    ("Lasso", dict(alpha=0.1)),
    ("Lasso", dict(alpha=0.05, fit_intercept=False)),
    ("Lasso", dict(alpha=0.05, positive=True)),
    ("ElasticNet", dict(alpha=0.2, l1_ratio=0.3)),
    ("ElasticNet", dict(alpha=0.5, l1_ratio=0.0)),
    ("ElasticNet", dict(alpha=0.05, l1_ratio=0.9, fit_intercept=False)),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name,params", CASES, ids=str)
def test_matches_sklearn(name, params, weighted):
    X, y, w = _data()
    sw = w if weighted else None
    ref = getattr(sk, name)(tol=1e-8, **params).fit(X, y, sample_weight=sw)
    est = getattr(dl, name)(tol=1e-8, **params).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-4, atol=1e-8)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-4, abs=1e-8)
    assert abs(est.n_iter_ - ref.n_iter_) <= 2
    assert est.dual_gap_ == pytest.approx(ref.dual_gap_, rel=1e-2, abs=1e-12)
    np.testing.assert_allclose(est.predict(X), ref.predict(X), rtol=1e-6, atol=1e-8)


def test_multi_target_matches_sklearn():
    X, Y, w = _data(targets=3)
    ref = sk.ElasticNet(alpha=0.1, l1_ratio=0.7, tol=1e-8).fit(X, Y, sample_weight=w)
    est = dl.ElasticNet(alpha=0.1, l1_ratio=0.7, tol=1e-8).fit(X, Y, sample_weight=w)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-4, atol=1e-8)
    assert len(est.n_iter_) == 3 and len(est.objective_history_) == 3
    assert est.dual_gap_.shape == (3,)


def test_float32_keeps_dtype():
    X, y, _ = _data()
    est = dl.Lasso(alpha=0.1).fit(X.astype(np.float32), y.astype(np.float32))
    ref = sk.Lasso(alpha=0.1).fit(X, y)
    assert est.coef_.dtype == np.float32
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-3, atol=1e-5)


def test_exact_zeros_and_sparse_coef():
    X, y, _ = _data(p=12)
    est = dl.Lasso(alpha=0.3).fit(X, y)
    ref = sk.Lasso(alpha=0.3).fit(X, y)
    zeros = est.coef_ == 0.0
    assert zeros.any() and not zeros.all()
    np.testing.assert_array_equal(zeros, ref.coef_ == 0.0)
    assert est.sparse_coef_.nnz == int((~zeros).sum())


def test_objective_history_and_n_iter():
    X, y, _ = _data()
    est = dl.ElasticNet(alpha=0.05, l1_ratio=0.5, tol=1e-10).fit(X, y)
    hist = np.asarray(est.objective_history_)
    assert len(hist) == est.n_iter_ >= 2
    assert np.all(np.diff(hist) <= 1e-12 * abs(hist[0]))  # CD decreases the objective
    r = y - est.predict(X)
    obj = (r @ r) / (2 * len(y)) + 0.05 * (0.5 * np.abs(est.coef_).sum() + 0.25 * est.coef_ @ est.coef_)
    assert hist[-1] == pytest.approx(obj, rel=1e-8)


def test_warm_start_and_random_selection():
    X, y, _ = _data()
    est = dl.Lasso(alpha=0.1, warm_start=True, tol=1e-8).fit(X, y)
    first = est.n_iter_
    est.fit(X, y)
    assert est.n_iter_ <= 1 < first
    ref = sk.Lasso(alpha=0.1, tol=1e-10).fit(X, y)
    rnd = dl.Lasso(alpha=0.1, selection="random", random_state=0, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(rnd.coef_, ref.coef_, rtol=1e-4, atol=1e-8)


def test_convergence_warning():
    X, y, _ = _data()
    with pytest.warns(ConvergenceWarning, match="Objective did not converge"):
        dl.Lasso(alpha=1e-4, max_iter=1, tol=1e-12).fit(X, y)


@pytest.mark.parametrize("name,params", [CASES[0], CASES[3]], ids=str)
def test_one_pass_and_scheduler_invariance(name, params, scheduler):
    X, y, w = _data()
    ref = getattr(dl, name)(**params).fit(X, y, sample_weight=w)
    Xd, yd, wd = _dask(X, y, w)
    with count_passes() as c:
        est = getattr(dl, name)(**params).fit(Xd, yd, sample_weight=wd)
    assert c.passes == 1
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-8)
    out = est.predict(Xd)
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), ref.predict(X), rtol=1e-8)


# ----------------------------------------------------------------------------- CV


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "name,params",
    [
        ("LassoCV", dict(cv=5)),
        ("LassoCV", dict(cv=3, fit_intercept=False, alphas=30)),
        ("LassoCV", dict(cv=4, positive=True, alphas=20)),
        ("ElasticNetCV", dict(cv=4, l1_ratio=[0.2, 0.6, 1.0], alphas=25)),
        ("ElasticNetCV", dict(cv=KFold(3), alphas=np.logspace(-3, 0, 12))),
    ],
    ids=str,
)
def test_cv_matches_sklearn(name, params, weighted):
    X, y, w = _data(n=300)
    sw = w if weighted else None
    ref = getattr(sk, name)(tol=1e-8, **params).fit(X, y, sample_weight=sw)
    est = getattr(dl, name)(tol=1e-8, **params).fit(X, y, sample_weight=sw)
    assert est.alpha_ == pytest.approx(ref.alpha_, rel=1e-10)
    if hasattr(ref, "l1_ratio_"):
        assert est.l1_ratio_ == ref.l1_ratio_
    np.testing.assert_allclose(est.alphas_, ref.alphas_, rtol=1e-10)
    np.testing.assert_allclose(est.mse_path_, ref.mse_path_, rtol=1e-5)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-4, atol=1e-8)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-4, abs=1e-8)
    assert len(est.objective_history_) == est.n_iter_


def test_cv_with_shuffled_folds_and_split_list():
    X, y, w = _data(n=300)
    for cv in (KFold(4, shuffle=True, random_state=0), list(KFold(4, shuffle=True, random_state=1).split(X))):
        ref = sk.LassoCV(cv=cv, alphas=20, tol=1e-8).fit(X, y, sample_weight=w)
        est = dl.LassoCV(cv=cv, alphas=20, tol=1e-8).fit(X, y, sample_weight=w)
        assert est.alpha_ == pytest.approx(ref.alpha_)
        np.testing.assert_allclose(est.mse_path_, ref.mse_path_, rtol=1e-5)
    Xd, yd, _ = _dask(X, y)
    cv = KFold(4, shuffle=True, random_state=0)
    est = dl.LassoCV(cv=cv, alphas=20, tol=1e-8).fit(Xd, yd)
    ref = sk.LassoCV(cv=cv, alphas=20, tol=1e-8).fit(X, y)
    np.testing.assert_allclose(est.mse_path_, ref.mse_path_, rtol=1e-5)


def test_cv_rejects_non_partition():
    X, y, _ = _data(n=100)
    with pytest.raises(ValueError, match="partition the rows"):
        dl.LassoCV(cv=ShuffleSplit(3, random_state=0)).fit(X, y)


def test_cv_one_pass_chunking_and_schedulers(scheduler):
    """Chunks straddle fold boundaries; the whole CV is one pass on every scheduler."""
    X, y, w = _data(n=300)
    ref = dl.ElasticNetCV(cv=5, l1_ratio=[0.5, 0.9], alphas=15).fit(X, y, sample_weight=w)
    Xd, yd, wd = _dask(X, y, w, rows=(37, 100, 3, 88))
    with count_passes() as c:
        est = dl.ElasticNetCV(cv=5, l1_ratio=[0.5, 0.9], alphas=15).fit(Xd, yd, sample_weight=wd)
    assert c.passes == 1
    assert est.alpha_ == pytest.approx(ref.alpha_, rel=1e-12) and est.l1_ratio_ == ref.l1_ratio_
    np.testing.assert_allclose(est.mse_path_, ref.mse_path_, rtol=1e-8)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-8, atol=1e-12)


def test_cv_n_jobs_and_verbose(capsys):
    X, y, _ = _data(n=200)
    a = dl.LassoCV(cv=3, alphas=10).fit(X, y)
    b = dl.LassoCV(cv=3, alphas=10, n_jobs=2, verbose=1).fit(X, y)
    np.testing.assert_array_equal(a.mse_path_, b.mse_path_)
    assert "fold 3/3" in capsys.readouterr().err


def test_numpy_cd_equals_compiled(monkeypatch):
    import dml._solvers._coordinate_descent as cds

    X, y, _ = _data(n=300)
    a = dl.ElasticNetCV(cv=3, alphas=20, tol=1e-10).fit(X, y)
    monkeypatch.setattr(cds, "_compiled_cd", None)
    b = dl.ElasticNetCV(cv=3, alphas=20, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(a.mse_path_, b.mse_path_, rtol=1e-7)
    assert a.alpha_ == b.alpha_


# -------------------------------------------------------------------------- wide


def test_wide_fallback_fista(monkeypatch):
    monkeypatch.setattr(lm_base, "GRAM_MAX_FEATURES", 4)
    X, y, w = _data(n=300, p=10)
    ref = sk.ElasticNet(alpha=0.05, l1_ratio=0.8, tol=1e-10).fit(X, y, sample_weight=w)
    Xd, yd, wd = _dask(X, y, w)
    with count_passes() as c:
        est = dl.ElasticNet(alpha=0.05, l1_ratio=0.8, tol=1e-10, max_iter=5000).fit(Xd, yd, sample_weight=wd)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-3, atol=1e-4)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-3)
    assert c.passes <= 1 + 12 + 1 + est.n_iter_
    assert len(est.objective_history_) == est.n_iter_
    np.testing.assert_array_equal(est.coef_ == 0, ref.coef_ == 0)
    # precompute=True forces the Gram route even when wide
    with count_passes() as c:
        dl.Lasso(alpha=0.05, precompute=True).fit(Xd, yd)
    assert c.passes == 1
    with pytest.raises(ValueError, match="n_features <= 4"):
        dl.LassoCV().fit(X, y)


# ------------------------------------------------------------------ bad input


def test_bad_input():
    X, y, w = _data(n=100)
    with pytest.raises(ValueError, match="For multi-task outputs, use MultiTaskLassoCV"):
        dl.LassoCV().fit(X, np.c_[y, y])
    with pytest.raises(ValueError, match="precomputed Gram"):
        dl.Lasso(precompute=np.eye(8)).fit(X, y)
    with pytest.raises(ValueError, match="positive=True is not allowed for multi-output"):
        dl.Lasso(positive=True).fit(X, np.c_[y, y])
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        dl.Lasso().fit(X, y, sample_weight=-w)
    Xn = X.copy()
    Xn[3, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN."):
        dl.ElasticNet().fit(Xn, y)
    with pytest.raises(ValueError, match="Input X contains NaN."):
        dl.LassoCV(cv=3).fit(*_dask(Xn, y)[:2])
    with pytest.raises(ValueError, match="l1_ratio=0"):
        dl.ElasticNetCV(l1_ratio=0.0).fit(X, y)
    with pytest.raises(ValueError, match="alpha"):
        dl.Lasso(alpha=-1.0).fit(X, y)
    with pytest.warns(UserWarning, match="With alpha=0"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            dl.Lasso(alpha=0.0, max_iter=5).fit(X, y)


# ------------------------------------------------------------------ array API


def test_kernels_on_array_api_strict():
    xps = pytest.importorskip("array_api_strict")
    from dml.linear_model._cv_stats import fold_gram_kernel
    from dml.linear_model._wide_kernels import wide_matvec_kernel, wide_moments_kernel

    X, y, w = _data(n=120)
    Xs, ys, ws = xps.asarray(X), xps.asarray(y), xps.asarray(w)
    for kwargs, bc in ((dict(bounds=(0, 30, 61, 120)), ()), ({}, (np.repeat([2, 0, 1], 40),))):
        a = fold_gram_kernel(Xs, ys, ws, *bc, xp=xps, n_splits=3, row_offset=0, **kwargs)
        b = fold_gram_kernel(X, y, w, *bc, xp=np, n_splits=3, row_offset=0, **kwargs)
        for k in b:
            np.testing.assert_allclose(np.asarray(a[k]), b[k], rtol=1e-12, atol=1e-9)
    a, b = wide_moments_kernel(Xs, ys, ws, xp=xps), wide_moments_kernel(X, y, w, xp=np)
    for k in b:
        np.testing.assert_allclose(np.asarray(a[k]), b[k], rtol=1e-12)
    B = np.ones((8, 1))
    args = (B, X.mean(0), y.mean(keepdims=True))
    a = wide_matvec_kernel(Xs, ys, ws, *args, xp=xps, residual=True)
    b = wide_matvec_kernel(X, y, w, *args, xp=np, residual=True)
    for k in b:
        np.testing.assert_allclose(np.asarray(a[k]), b[k], rtol=1e-12)


@pytest.mark.gpu
def test_cupy_chunks_match_numpy():
    cp = pytest.importorskip("cupy")
    X, y, w = _data(n=600)
    Xd = da.from_array(X, chunks=(150, -1)).map_blocks(cp.asarray)
    yd = da.from_array(y, chunks=150).map_blocks(cp.asarray)
    for est in (dl.Lasso(alpha=0.1), dl.ElasticNet(alpha=0.1), dl.LassoCV(cv=3, alphas=20)):
        a = clone(est).fit(Xd, yd)
        b = clone(est).fit(X, y)
        np.testing.assert_allclose(np.asarray(a.coef_), b.coef_, rtol=1e-8, atol=1e-12)
        pred = a.predict(Xd)
        assert isinstance(pred._meta, cp.ndarray)
        np.testing.assert_allclose(pred.compute().get(), b.predict(X), rtol=1e-8)
    cv = KFold(3, shuffle=True, random_state=0)
    a = dl.LassoCV(cv=cv, alphas=10).fit(Xd, yd)
    b = dl.LassoCV(cv=cv, alphas=10).fit(X, y)
    np.testing.assert_allclose(a.mse_path_, b.mse_path_, rtol=1e-8)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(1, 199), min_size=0, max_size=6, unique=True), cv=st.integers(2, 6))
def test_fold_statistics_do_not_depend_on_chunking(cuts, cv):
    X, y, w = _data(n=200, p=4, seed=3)
    bounds = [0] + sorted(cuts) + [200]
    rows = tuple(b - a for a, b in zip(bounds[:-1], bounds[1:]))
    Xd = da.from_array(X, chunks=(rows, -1))
    yd, wd = da.from_array(y, chunks=(rows,)), da.from_array(w, chunks=(rows,))
    ref = dl.LassoCV(cv=cv, alphas=8).fit(X, y, sample_weight=w)
    est = dl.LassoCV(cv=cv, alphas=8).fit(Xd, yd, sample_weight=wd)
    np.testing.assert_allclose(est.mse_path_, ref.mse_path_, rtol=1e-9)
    assert est.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)
