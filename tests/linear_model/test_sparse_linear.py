"""The linear models on scipy.sparse input and Dask arrays of CSR chunks, against
scikit-learn on the same sparse data: coefficients within solver tolerance, the same
result whatever the chunking, lazy predict, and a 2**20-feature fit that could not run
if a chunk were densified."""

from __future__ import annotations

import time
import warnings

import dask.array as da
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.linear_model as skl

import dml
import dml.linear_model._base as lm_base
from dml import linear_model as dl
from dml._engine.mapreduce import count_passes
from dml._engine.namespace import is_sparse

SMALL = dict(chunk_bytes=4000, fast_path_bytes=500)


def _X(n=800, p=30, density=0.15, seed=0):
    X = sp.random(n, p, density=density, format="csr", random_state=seed)
    X.data = X.data * 4 - 1
    X = X.tolil()
    X[:, 0] = 0  # a feature never stored
    X[3, :] = 0  # an empty row
    return sp.csr_matrix(X)


def _targets(X, seed=0):
    rng = np.random.default_rng(seed)
    z = X @ rng.normal(size=X.shape[1])
    return {
        "reg": z + 0.1 * rng.normal(size=X.shape[0]) + 2.0,
        "bin": (z + 0.3 * rng.normal(size=X.shape[0]) > 0).astype(int),
        "multi": np.digitize(z, np.quantile(z, [0.33, 0.66])),
        "pos": np.exp(0.3 * z) * rng.uniform(0.5, 1.5, X.shape[0]),
    }


def _unequal_chunks(X):
    """A Dask array of CSR chunks with very different row and nnz counts."""
    bounds = [0, 5, 300, 310, X.shape[0]]
    return da.from_array(X, chunks=(tuple(np.diff(bounds)), X.shape[1]), asarray=False)


def _sk_fit(est, X, y, w=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y, sample_weight=w)


def _close(ours, theirs, atol, names=("coef_", "intercept_")):
    for name in names:
        np.testing.assert_allclose(
            np.asarray(getattr(ours, name), dtype=float),
            np.asarray(getattr(theirs, name), dtype=float),
            atol=atol,
            rtol=0,
            err_msg=name,
        )


# ----------------------------------------------------------- LogisticRegression


@pytest.mark.parametrize(
    "solver,penalty",
    [
        ("lbfgs", "l2"),
        ("newton-cg", "l2"),
        ("newton-cholesky", "l2"),
        ("sag", "l2"),
        ("saga", "l1"),
        ("saga", "elasticnet"),
        ("liblinear", "l2"),
        ("liblinear", "l1"),
    ],
)
@pytest.mark.parametrize("target", ["bin", "multi"])
def test_logistic_sparse_matches_sklearn(solver, penalty, target):
    if solver == "liblinear" and target == "multi":
        pytest.skip("liblinear is binary only")
    X = _X()
    y = _targets(X)[target]
    w = np.random.default_rng(2).uniform(0.5, 2.0, X.shape[0])
    kw = dict(solver=solver, tol=1e-10, C=2.0)
    if penalty == "elasticnet":
        kw["l1_ratio"] = 0.5
    elif penalty == "l1":
        kw["l1_ratio"] = 1.0
    ours = dl.LogisticRegression(max_iter=2000, **kw).fit(X, y, sample_weight=w)
    theirs = _sk_fit(skl.LogisticRegression(max_iter=20000, **kw), X, y, w)
    atol = 1e-5 if solver in ("lbfgs", "newton-cg", "newton-cholesky") else 1e-4
    _close(ours, theirs, atol)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=atol)


@pytest.mark.parametrize("fmt", ["csc", "coo", "csr_array", "csc_array"])
def test_logistic_sparse_formats(fmt):
    X = _X()
    y = _targets(X)["multi"]
    Xf = getattr(sp, fmt)(X) if fmt.endswith("_array") else X.asformat(fmt)
    ours = dl.LogisticRegression(tol=1e-10, max_iter=1000).fit(Xf, y)
    theirs = _sk_fit(skl.LogisticRegression(tol=1e-10, max_iter=1000), X, y)
    _close(ours, theirs, 1e-5)
    np.testing.assert_array_equal(ours.predict(Xf), theirs.predict(X))


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky", "newton-cg"])
@pytest.mark.parametrize("target", ["bin", "multi"])
def test_logistic_sparse_chunking_invariance(solver, target):
    X = _X()
    y = _targets(X)[target]
    ref = dl.LogisticRegression(solver=solver, tol=1e-10, max_iter=1000).fit(X, y)
    with dml.config_context(**SMALL):
        small = dl.LogisticRegression(solver=solver, tol=1e-10, max_iter=1000).fit(X, y)
    Xd = _unequal_chunks(X)
    yd = da.from_array(y, chunks=(Xd.chunks[0],))
    dask_fit = dl.LogisticRegression(solver=solver, tol=1e-10, max_iter=1000).fit(Xd, yd)
    for other in (small, dask_fit):
        _close(other, ref, 1e-7)


def test_logistic_sparse_lazy_predict():
    X = _X()
    y = _targets(X)["bin"]
    Xd = _unequal_chunks(X)
    clf = dl.LogisticRegression().fit(Xd, da.from_array(y, chunks=(Xd.chunks[0],)))
    with count_passes() as passes:
        proba = clf.predict_proba(Xd)
        labels = clf.predict(Xd)
    assert passes.passes == 0
    assert isinstance(proba, da.Array) and isinstance(labels, da.Array)
    ref = _sk_fit(skl.LogisticRegression(), X, y)
    np.testing.assert_allclose(proba.compute(), ref.predict_proba(X), atol=1e-5)
    assert np.mean(labels.compute() == ref.predict(X)) > 0.99


def test_logistic_cv_sparse_matches_sklearn():
    X = _X()
    y = _targets(X)["bin"]
    kw = dict(
        Cs=[0.1, 1.0, 10.0], tol=1e-10, l1_ratios=(0.0,), scoring="neg_log_loss", use_legacy_attributes=False
    )
    ours = dl.LogisticRegressionCV(max_iter=1000, **kw).fit(X, y)
    theirs = _sk_fit(skl.LogisticRegressionCV(max_iter=1000, **kw), X, y)
    assert ours.C_ == theirs.C_
    _close(ours, theirs, 1e-5)


@pytest.mark.slow
def test_logistic_2_pow_20_features():
    """40 nonzeros a row in 2**20 columns: densified, one 20,000-row chunk alone would
    take 168 GB, so the fit only passes if no chunk is ever made dense."""
    n, p, k = 20_000, 2**20, 40
    rng = np.random.default_rng(0)
    cols = rng.integers(0, p, n * k)
    X = sp.csr_matrix((np.ones(n * k), cols, np.arange(0, n * k + 1, k)), shape=(n, p))
    X.sum_duplicates()
    w_true = rng.normal(size=p)
    y = (X @ w_true + rng.normal(size=n) > 0).astype(int)
    Xd = da.from_array(X, chunks=(n // 4, p), asarray=False)
    yd = da.from_array(y, chunks=(n // 4,))
    t0 = time.perf_counter()
    ours = dl.LogisticRegression(tol=1e-8, max_iter=300).fit(Xd, yd)
    elapsed = time.perf_counter() - t0
    theirs = _sk_fit(skl.LogisticRegression(tol=1e-8, max_iter=300), X, y)
    assert ours.coef_.shape == (1, p)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5)
    assert elapsed < 120


# -------------------------------------------------------------------- GLMs


@pytest.mark.parametrize("cls", ["PoissonRegressor", "GammaRegressor", "TweedieRegressor"])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
def test_glm_sparse_matches_sklearn(cls, solver):
    X = _X()
    y = _targets(X)["pos"]
    w = np.random.default_rng(3).uniform(0.5, 2.0, X.shape[0])
    kw = dict(solver=solver, tol=1e-10, max_iter=1000, alpha=0.01)
    if cls == "TweedieRegressor":
        kw["power"] = 1.5
    ours = getattr(dl, cls)(**kw).fit(X, y, sample_weight=w)
    theirs = _sk_fit(getattr(skl, cls)(**kw), X, y, w)
    _close(ours, theirs, 1e-6)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), abs=1e-8)
    Xd = _unequal_chunks(X)
    wd = da.from_array(w, chunks=(Xd.chunks[0],))
    dask_fit = getattr(dl, cls)(**kw).fit(Xd, da.from_array(y, chunks=(Xd.chunks[0],)), sample_weight=wd)
    _close(dask_fit, ours, 1e-8)
    pred = dask_fit.predict(Xd)
    assert isinstance(pred, da.Array)
    np.testing.assert_allclose(pred.compute(), theirs.predict(X), rtol=1e-5)


# ------------------------------------------------------- squared-error models

SQUARED = [
    ("LinearRegression", {}, 1e-5),
    ("Ridge", dict(alpha=1.0), 1e-2),  # scikit-learn's sparse solver ('sag' / 'sparse_cg') at tol 1e-4
    ("Ridge", dict(alpha=1.0, solver="sparse_cg", tol=1e-10), 1e-8),
    ("Ridge", dict(alpha=1.0, positive=True), 1e-2),
    ("RidgeCV", dict(alphas=(0.1, 1.0, 10.0)), 1e-8),
    ("Lasso", dict(alpha=0.01, tol=1e-10), 1e-8),
    ("ElasticNet", dict(alpha=0.01, l1_ratio=0.5, tol=1e-10), 1e-8),
    ("LassoCV", dict(tol=1e-10, cv=3), 1e-8),
    ("ElasticNetCV", dict(tol=1e-10, l1_ratio=0.5, cv=3), 1e-8),
]


@pytest.mark.parametrize("name,kw,atol", SQUARED, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SQUARED)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_squared_error_sparse_matches_sklearn(name, kw, atol, fit_intercept):
    X = _X()
    y = _targets(X)["reg"]
    w = np.random.default_rng(4).uniform(0.5, 2.0, X.shape[0])
    ours = getattr(dl, name)(fit_intercept=fit_intercept, **kw).fit(X, y, sample_weight=w)
    theirs = _sk_fit(getattr(skl, name)(fit_intercept=fit_intercept, **kw), X, y, w)
    _close(ours, theirs, atol)
    # the same fit from unequal Dask CSR chunks and from many small in-memory chunks
    Xd = _unequal_chunks(X)
    wd = da.from_array(w, chunks=(Xd.chunks[0],))
    dask_fit = getattr(dl, name)(fit_intercept=fit_intercept, **kw).fit(
        Xd, da.from_array(y, chunks=(Xd.chunks[0],)), sample_weight=wd
    )
    with dml.config_context(**SMALL):
        small = getattr(dl, name)(fit_intercept=fit_intercept, **kw).fit(X, y, sample_weight=w)
    _close(dask_fit, ours, 1e-7)
    _close(small, ours, 1e-7)
    pred = dask_fit.predict(Xd)
    assert isinstance(pred, da.Array)
    np.testing.assert_allclose(pred.compute(), ours.predict(X), atol=1e-8)


@pytest.mark.parametrize(
    "name,kw",
    [
        ("LinearRegression", {}),
        ("Ridge", dict(alpha=1.0, tol=1e-10)),
        ("Lasso", dict(alpha=0.01, tol=1e-12, max_iter=100_000)),
        ("ElasticNet", dict(alpha=0.01, l1_ratio=0.5, tol=1e-12, max_iter=100_000)),
    ],
)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_squared_error_sparse_wide_path(monkeypatch, name, kw, fit_intercept):
    """Above GRAM_MAX_FEATURES no (p, p) matrix is formed: the iterative solvers run on
    sparse products with implicit centring, and agree with scikit-learn."""
    monkeypatch.setattr(lm_base, "GRAM_MAX_FEATURES", 10)
    X = _X()
    y = _targets(X)["reg"]
    ours = getattr(dl, name)(fit_intercept=fit_intercept, **kw).fit(X, y)
    theirs = _sk_fit(getattr(skl, name)(fit_intercept=fit_intercept, **kw), X, y)
    _close(ours, theirs, 1e-5 if name == "LinearRegression" else 1e-8)
    if name == "Ridge":
        assert ours.solver_ == "sparse_cg"


def test_ridge_sparse_solver_rules():
    X = _X()
    y = _targets(X)["reg"]
    with pytest.raises(TypeError, match="SVD solver does not support sparse inputs currently"):
        dl.Ridge(solver="svd", fit_intercept=False).fit(X, y)
    for solver in ("svd", "cholesky"):
        with pytest.raises(ValueError, match=f"solver='{solver}' does not support fitting the intercept"):
            dl.Ridge(solver=solver).fit(X, y)


def test_ridge_cholesky_sparse_no_intercept():
    X = _X()
    y = _targets(X)["reg"]
    ours = dl.Ridge(solver="cholesky", fit_intercept=False).fit(X, y)
    theirs = skl.Ridge(solver="cholesky", fit_intercept=False).fit(X, y)
    _close(ours, theirs, 1e-10)


def test_predict_sparse_in_memory_returns_dense():
    X = _X()
    y = _targets(X)["reg"]
    reg = dl.Ridge().fit(X.toarray(), y)
    out = reg.predict(X)
    assert isinstance(out, np.ndarray) and not is_sparse(out)
    np.testing.assert_allclose(out, reg.predict(X.toarray()), atol=1e-12)
