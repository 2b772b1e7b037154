"""PoissonRegressor, GammaRegressor, TweedieRegressor against scikit-learn; chunking and
scheduler invariance, D^2, pass counts, bad targets, array-API kernels."""

import dask.array as da
import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.base import clone

import dml.linear_model as dl
from dml._engine.mapreduce import count_passes


def _targets(seed=0, n=500, p=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * 0.5
    mu = np.exp(0.3 + X @ np.array([0.5, -0.2, 0.1, 0.0][:p]))
    y_pois = rng.poisson(mu).astype(float)
    y_gamma = rng.gamma(2.0, mu / 2)
    y_tw = y_gamma * (rng.random(n) < 0.7)
    w = rng.uniform(0.5, 2.0, size=n)
    return X, {"poisson": y_pois, "gamma": y_gamma, "tweedie": y_tw}, w


CASES = [
    ("PoissonRegressor", "poisson", {}),
    ("PoissonRegressor", "poisson", dict(alpha=0.0, fit_intercept=False)),
    ("GammaRegressor", "gamma", dict(alpha=0.1)),
    ("TweedieRegressor", "tweedie", dict(power=1.5, alpha=0.5)),
    ("TweedieRegressor", "poisson", dict(power=0.0)),
    ("TweedieRegressor", "gamma", dict(power=3.0)),
    ("TweedieRegressor", "gamma", dict(power=1.5, link="identity")),
    ("TweedieRegressor", "poisson", dict(power=0.0, link="log")),
]


def _dask(X, y, w=None, chunks=(70, 151, 29)):
    rows = list(chunks) + [X.shape[0] - sum(chunks)]
    out = [da.from_array(X, chunks=(tuple(rows), -1)), da.from_array(y, chunks=(tuple(rows),))]
    if w is not None:
        out.append(da.from_array(w, chunks=(tuple(rows),)))
    return out


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
@pytest.mark.parametrize("name,target,params", CASES, ids=lambda v: str(v))
def test_matches_sklearn(name, target, params, solver):
    X, ys, w = _targets()
    y = ys[target]
    est = getattr(dl, name)(solver=solver, tol=1e-10, max_iter=1000, **params).fit(X, y, sample_weight=w)
    ref = getattr(sk, name)(solver=solver, tol=1e-10, max_iter=1000, **params).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-4, atol=1e-10)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-4, abs=1e-10)
    np.testing.assert_allclose(est.predict(X), ref.predict(X), rtol=1e-6)
    assert est.score(X, y, sample_weight=w) == pytest.approx(ref.score(X, y, sample_weight=w), rel=1e-8)
    assert isinstance(est.n_iter_, int) and len(est.objective_history_) == est.n_iter_


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
@pytest.mark.parametrize("name,target", [("PoissonRegressor", "poisson"), ("GammaRegressor", "gamma")])
def test_chunking_and_scheduler_invariance(scheduler, name, target, solver):
    X, ys, w = _targets()
    y = ys[target]
    ref = getattr(dl, name)(solver=solver, tol=1e-8).fit(X, y, sample_weight=w)
    est = getattr(dl, name)(solver=solver, tol=1e-8).fit(*_dask(X, y, w))
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-10)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-6)
    Xd, yd, wd = _dask(X, y, w)
    pred = est.predict(Xd)
    assert isinstance(pred, da.Array)
    np.testing.assert_allclose(pred.compute(), ref.predict(X), rtol=1e-6)
    assert est.score(Xd, yd, sample_weight=wd) == pytest.approx(ref.score(X, y, sample_weight=w), rel=1e-8)


def test_newton_one_pass_per_iteration():
    X, ys, _ = _targets(n=800)
    with count_passes() as c:
        est = dl.PoissonRegressor(solver="newton-cholesky", tol=1e-8).fit(*_dask(X, ys["poisson"]))
    assert c.kernels[0] == "y_stats_kernel"
    assert c.kernels[1:] == ["glm_kernel"] * (1 + est.n_iter_)
    assert est.n_iter_ <= 6


def test_lbfgs_passes_bounded():
    X, ys, _ = _targets(n=800)
    with count_passes() as c:
        est = dl.GammaRegressor().fit(*_dask(X, ys["gamma"]))
    assert c.passes <= 2 + 3 * est.n_iter_


def test_warm_start():
    X, ys, _ = _targets()
    est = dl.PoissonRegressor(solver="newton-cholesky", warm_start=True, tol=1e-8).fit(X, ys["poisson"])
    first = est.n_iter_
    est.fit(X, ys["poisson"])
    assert est.n_iter_ < first


@pytest.mark.parametrize(
    "est,y,loss",
    [
        (dl.PoissonRegressor(), -1.0, "HalfPoissonLoss"),
        (dl.GammaRegressor(), 0.0, "HalfGammaLoss"),
        (dl.GammaRegressor(), -2.0, "HalfGammaLoss"),
        (dl.TweedieRegressor(power=1.5), -1.0, "HalfTweedieLoss"),
        (dl.TweedieRegressor(power=3, link="identity"), 0.0, "HalfTweedieLossIdentity"),
    ],
)
def test_bad_targets_get_sklearns_error(est, y, loss):
    X, ys, _ = _targets(n=60)
    yb = ys["gamma"].copy()
    yb[7] = y
    msg = f"Some value(s) of y are out of the valid range of the loss '{loss}'."
    import re

    for Xi, yi in ((X, yb), tuple(_dask(X, yb, chunks=(20, 20)))):
        with pytest.raises(ValueError, match=re.escape(msg)):
            clone(est).fit(Xi, yi)
    ref = getattr(sk, type(est).__name__)(**est.get_params())
    with pytest.raises(ValueError, match=re.escape(msg)):
        ref.fit(X, yb)


def test_bad_parameters():
    X, ys, _ = _targets(n=60)
    for est, match in (
        (dl.PoissonRegressor(solver="saga"), "The 'solver' parameter of PoissonRegressor must be"),
        (dl.GammaRegressor(alpha=-1), "The 'alpha' parameter of GammaRegressor must be"),
        (dl.TweedieRegressor(link="logit"), "The 'link' parameter of TweedieRegressor must be"),
        (dl.PoissonRegressor(tol=0), "The 'tol' parameter of PoissonRegressor must be"),
    ):
        with pytest.raises(ValueError, match=match):
            est.fit(X, ys["gamma"])


def test_nan_in_X_rides_along():
    X, ys, _ = _targets(n=60)
    X = X.copy()
    X[5, 0] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        dl.PoissonRegressor(solver="newton-cholesky").fit(*_dask(X, ys["poisson"], chunks=(20, 20)))


def test_positive_only_tags():
    from sklearn.utils import get_tags

    assert get_tags(dl.PoissonRegressor()).target_tags.positive_only
    assert get_tags(dl.GammaRegressor()).target_tags.positive_only
    assert not get_tags(dl.TweedieRegressor(power=0)).target_tags.positive_only


@pytest.mark.parametrize("name", ["PoissonRegressor", "GammaRegressor"])
def test_dask_common_checks_with_positive_targets(name):
    """The dask checks of tests/test_common.py, on targets valid for the loss."""
    X, ys, _ = _targets(n=600, p=4)
    y = ys["poisson" if name == "PoissonRegressor" else "gamma"]
    est = getattr(dl, name)()
    one = clone(est).fit(da.from_array(X, chunks=-1), da.from_array(y, chunks=-1))
    many = clone(est).fit(
        da.from_array(X, chunks=((50, 250, 7, 293), (2, 2))), da.from_array(y, chunks=((100, 500),))
    )
    np.testing.assert_allclose(one.coef_, many.coef_, rtol=1e-6, atol=1e-9)
    Xd = da.from_array(X, chunks=(128, -1))
    out = one.predict(Xd)
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), one.predict(X), rtol=1e-6)


# ------------------------------------------------------------------ array-API kernels

FAMILIES = [
    ("tweedie_log", 1.0),
    ("tweedie_log", 2.0),
    ("tweedie_log", 1.5),
    ("tweedie_log", 0.0),
    ("tweedie_identity", 0.0),
    ("tweedie_identity", 1.0),
    ("tweedie_identity", 2.0),
    ("tweedie_identity", 1.5),
    ("binomial", 0.0),
]


@pytest.mark.parametrize("family,power", FAMILIES)
def test_glm_kernels_on_array_api_strict(family, power):
    xps = pytest.importorskip("array_api_strict")
    from dml.linear_model._glm_kernels import glm_deviance_kernel, glm_kernel, y_stats_kernel

    rng = np.random.default_rng(0)
    X = rng.uniform(0.1, 1.0, size=(300, 3))
    y = rng.uniform(0.5, 3.0, size=300) if family != "binomial" else (rng.random(300) < 0.5) * 1.0
    w = rng.uniform(0.5, 2.0, size=300)
    coef = np.array([0.2, 0.1, 0.3, 0.5])
    for hess in (False, True):
        ref = glm_kernel(X, y, w, coef, xp=np, fit_intercept=True, family=family, power=power, hessian=hess)
        out = glm_kernel(
            xps.asarray(X),
            xps.asarray(y),
            xps.asarray(w),
            coef,
            xp=xps,
            fit_intercept=True,
            family=family,
            power=power,
            hessian=hess,
        )
        for k in ref:
            np.testing.assert_allclose(np.asarray(out[k]), ref[k], rtol=1e-11)
    # the Hessian is the derivative of the gradient (finite differences)
    H = glm_kernel(X, y, w, coef, xp=np, fit_intercept=True, family=family, power=power, hessian=True)["hess"]
    g = glm_kernel(X, y, w, coef, xp=np, fit_intercept=True, family=family, power=power)["grad"]
    for i in range(4 if (family, power) != ("tweedie_identity", 2.0) else 0):
        c2 = coef.copy()
        c2[i] += 1e-6
        g2 = glm_kernel(X, y, w, c2, xp=np, fit_intercept=True, family=family, power=power)["grad"]
        np.testing.assert_allclose((g2 - g) / 1e-6, H[:, i], rtol=1e-4, atol=1e-4)
    if family != "binomial":
        ref = glm_deviance_kernel(
            X, y, w, coef, xp=np, fit_intercept=True, family=family, power=power, null_raw=0.4
        )
        out = glm_deviance_kernel(
            xps.asarray(X),
            xps.asarray(y),
            xps.asarray(w),
            coef,
            xp=xps,
            fit_intercept=True,
            family=family,
            power=power,
            null_raw=0.4,
        )
        for k in ref:
            np.testing.assert_allclose(np.asarray(out[k]), ref[k], rtol=1e-11)
        ref = y_stats_kernel(X, y, w, xp=np, low=0.0, low_closed=True)
        out = y_stats_kernel(xps.asarray(X), xps.asarray(y), xps.asarray(w), xp=xps, low=0.0, low_closed=True)
        for k in ref:
            np.testing.assert_allclose(np.asarray(out[k]), ref[k], rtol=1e-12)


def test_pointwise_losses_match_sklearn():
    from sklearn._loss.loss import (
        HalfBinomialLoss,
        HalfGammaLoss,
        HalfPoissonLoss,
        HalfTweedieLoss,
        HalfTweedieLossIdentity,
    )

    from dml.linear_model._glm_kernels import constant_to_optimal_zero, pointwise

    rng = np.random.default_rng(0)
    raw = rng.uniform(0.2, 1.5, size=50)
    y = rng.uniform(0.1, 3.0, size=50)
    y[:5] = 0.0
    cases = [
        (HalfPoissonLoss(), "tweedie_log", 1.0, y),
        (HalfGammaLoss(), "tweedie_log", 2.0, y + 0.5),
        (HalfTweedieLoss(power=1.5), "tweedie_log", 1.5, y),
        (HalfTweedieLoss(power=0.0), "tweedie_log", 0.0, y),
        (HalfTweedieLoss(power=3.0), "tweedie_log", 3.0, y + 0.5),
        (HalfTweedieLossIdentity(power=0.0), "tweedie_identity", 0.0, y),
        (HalfTweedieLossIdentity(power=1.0), "tweedie_identity", 1.0, y),
        (HalfTweedieLossIdentity(power=2.0), "tweedie_identity", 2.0, y + 0.5),
        (HalfTweedieLossIdentity(power=1.5), "tweedie_identity", 1.5, y),
        (HalfBinomialLoss(), "binomial", 0.0, (y > 1) * 1.0),
    ]
    for loss, family, power, yt in cases:
        l, g, h = pointwise(raw, yt, xp=np, family=family, power=power)
        np.testing.assert_allclose(l, loss.loss(yt, raw), rtol=1e-12, atol=1e-14)
        g_ref, h_ref = loss.gradient_hessian(yt, raw)
        np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(
            constant_to_optimal_zero(yt, xp=np, family=family, power=power),
            loss.constant_to_optimal_zero(yt),
            rtol=1e-12,
            atol=1e-14,
        )
