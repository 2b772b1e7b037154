"""Training summaries of LinearRegression and Ridge: closed-form references, no pass."""

import dask.array as da
import numpy as np
import pytest
from scipy import stats as sps
from sklearn.exceptions import NotFittedError

import dml.linear_model as dl
from dml._engine.mapreduce import count_passes


def _data(n=200, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + 2.0
    y = X @ np.array([1.0, 0.0, -2.0, 0.5])[:p] + 3.0 + rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    return X, y, w


def _ols_reference(X, y, w, fit_intercept):
    n, p = X.shape
    A = np.c_[np.ones(n), X] if fit_intercept else X
    W = np.ones(n) if w is None else w
    G = A.T @ (W[:, None] * A)
    beta = np.linalg.solve(G, A.T @ (W * y))
    r = y - A @ beta
    dof = n - A.shape[1]
    s2 = (W * r * r).sum() / dof
    se = np.sqrt(np.diag(np.linalg.inv(G)) * s2)
    t = beta / se
    return beta, se, t, 2 * sps.t.sf(np.abs(t), dof), s2, dof


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_linear_regression_summary(fit_intercept, weighted):
    X, y, w = _data()
    sw = w if weighted else None
    est = dl.LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    with count_passes() as c:
        s = est.summary()
    assert c.passes == 0
    beta, se, t, pv, s2, dof = _ols_reference(X, y, sw, fit_intercept)
    k = 1 if fit_intercept else 0
    np.testing.assert_allclose(s.coef, beta[k:], rtol=1e-8)
    np.testing.assert_allclose(s.std_err, se[k:], rtol=1e-6)
    np.testing.assert_allclose(s.t_values, t[k:], rtol=1e-6)
    np.testing.assert_allclose(s.p_values, pv[k:], rtol=1e-5, atol=1e-300)
    if fit_intercept:
        assert s.intercept_std_err == pytest.approx(se[0], rel=1e-6)
        assert s.intercept_p_value == pytest.approx(pv[0], rel=1e-5)
    else:
        assert np.isnan(s.intercept_std_err)
    assert s.sigma2 == pytest.approx(s2, rel=1e-8)
    assert s.df_resid == pytest.approx(dof)
    assert s.r2 == pytest.approx(est.score(X, y, sample_weight=sw), rel=1e-10)
    n = len(y)
    assert s.adj_r2 == pytest.approx(1 - (1 - s.r2) * (n - k) / dof, rel=1e-12)
    W = np.ones(n) if sw is None else sw
    r = y - est.predict(X)
    assert s.rmse == pytest.approx(np.sqrt((W * r * r).sum() / W.sum()), rel=1e-8)
    frame = s.to_frame()
    assert list(frame["term"]) == ["intercept", "x0", "x1", "x2", "x3"]
    assert "R^2" in str(s)


def test_ridge_summary_sandwich():
    X, y, _ = _data()
    alpha = 5.0
    est = dl.Ridge(alpha=alpha).fit(X, y)
    s = est.summary()
    Xc = X - X.mean(0)
    S = Xc.T @ Xc
    Ainv = np.linalg.inv(S + alpha * np.eye(4))
    df = np.trace(Ainv @ S)
    r = y - est.predict(X)
    s2 = (r @ r) / (len(y) - df - 1)
    se = np.sqrt(np.diag(Ainv @ S @ Ainv) * s2)
    np.testing.assert_allclose(s.std_err, se, rtol=1e-8)
    assert s.df_model == pytest.approx(df, rel=1e-10)
    assert s.r2 == pytest.approx(est.score(X, y), rel=1e-10)


def test_multi_target_and_dask_summary():
    X, y, w = _data()
    Y = np.c_[y, 2 * y + 1]
    est = dl.Ridge(alpha=[1.0, 2.0]).fit(da.from_array(X, chunks=50), da.from_array(Y, chunks=(50, 2)))
    s = est.summary()
    assert s.coef.shape == (2, 4) and s.std_err.shape == (2, 4) and s.r2.shape == (2,)
    assert len(s.to_frame()) == 2 * 5
    ref = dl.Ridge(alpha=[1.0, 2.0]).fit(X, Y).summary()
    np.testing.assert_allclose(s.p_values, ref.p_values, rtol=1e-8)


def test_summary_unavailable():
    X, y, _ = _data()
    with pytest.raises(NotFittedError):
        dl.LinearRegression().summary()
    with pytest.raises(NotFittedError, match="one-pass statistics"):
        dl.LinearRegression(positive=True).fit(X, y).summary()
    with pytest.raises(NotFittedError, match="one-pass statistics"):
        dl.Ridge(solver="sparse_cg").fit(X, y).summary()


def test_linear_regression_wide_fallback(monkeypatch):
    from sklearn.linear_model import LinearRegression as SkLR

    import dml.linear_model._base as lm_base

    monkeypatch.setattr(lm_base, "GRAM_MAX_FEATURES", 2)
    X, y, w = _data()
    Xd, yd, wd = (
        da.from_array(a, chunks=70) if a.ndim == 1 else da.from_array(a, chunks=(70, -1)) for a in (X, y, w)
    )
    with count_passes() as c:
        est = dl.LinearRegression().fit(Xd, yd, sample_weight=wd)
    assert c.passes > 1 and not hasattr(est, "rank_")
    ref = SkLR().fit(X, y, sample_weight=w)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-7)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-7)
    with pytest.raises(ValueError, match="positive=True needs the Gram matrix"):
        dl.LinearRegression(positive=True).fit(X, y)
