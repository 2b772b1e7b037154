"""MultinomialNB, BernoulliNB and ComplementNB on scipy.sparse input and Dask arrays of
CSR chunks, against scikit-learn on the same sparse data."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.naive_bayes as skn

import dml
import dml.naive_bayes as dnb
from dml._engine.mapreduce import count_passes

SMALL = dict(chunk_bytes=4000, fast_path_bytes=500)
NAMES = ["MultinomialNB", "BernoulliNB", "ComplementNB"]
ATTRS = ["class_count_", "feature_count_", "feature_log_prob_", "class_log_prior_"]


def _data(n=1200, p=300, density=0.03, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=seed)
    X.data = np.floor(X.data * 4)  # counts, some explicit zeros
    X = X.tolil()
    X[:, 0] = 0  # a never-stored feature
    X[1, :] = 0  # an empty row
    X = sp.csr_matrix(X)
    y = rng.integers(0, 3, n)
    return X, y


def _unequal(X, y):
    bounds = [0, 5, 300, 310, 900, X.shape[0]]
    rows = tuple(np.diff(bounds))
    return da.from_array(X, chunks=(rows, X.shape[1]), asarray=False), da.from_array(y, chunks=rows)


def _check(ours, theirs, X):
    for name in ATTRS:
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix", "csr_array", "coo_array"])
def test_in_memory_formats_match_sklearn(name, fmt):
    X, y = _data()
    Xf = getattr(sp, fmt)(X)
    w = np.random.default_rng(1).uniform(0.5, 2, X.shape[0])
    theirs = getattr(skn, name)().fit(X, y, sample_weight=w)
    for config in ({}, SMALL):
        with dml.config_context(**config), count_passes() as c:
            ours = getattr(dnb, name)().fit(Xf, y, sample_weight=w)
        assert c.passes == 1
        _check(ours, theirs, Xf)


@pytest.mark.parametrize("name", NAMES)
def test_dask_csr_chunks_and_chunking_invariance(name):
    X, y = _data(seed=3)
    theirs = getattr(skn, name)().fit(X, y)
    Xd, yd = _unequal(X, y)
    ours = getattr(dnb, name)().fit(Xd, yd)
    _check(ours, theirs, X)
    other = getattr(dnb, name)().fit(*(a.rechunk({0: 400}) for a in (Xd, yd)))
    np.testing.assert_allclose(other.feature_count_, ours.feature_count_, rtol=1e-12)
    # lazy predict on CSR chunks: Dask out, per chunk, nothing computed
    proba = ours.predict_proba(Xd)
    assert isinstance(proba, da.Array) and proba.chunks[0] == Xd.chunks[0]
    np.testing.assert_allclose(proba.compute(), theirs.predict_proba(X), rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(Xd).compute(), theirs.predict(X))


def test_partial_fit_sparse_batches():
    X, y = _data(seed=5)
    theirs = (
        skn.MultinomialNB().partial_fit(X[:500], y[:500], classes=[0, 1, 2]).partial_fit(X[500:], y[500:])
    )
    ours = dnb.MultinomialNB().partial_fit(X[:500], y[:500], classes=[0, 1, 2]).partial_fit(X[500:], y[500:])
    _check(ours, theirs, X)


def test_bernoulli_binarize_threshold():
    X, y = _data(seed=7)
    for b in (0.0, 1.5, None):
        _check(dnb.BernoulliNB(binarize=b).fit(X, y), skn.BernoulliNB(binarize=b).fit(X, y), X)
    # a negative threshold (which would densify) is refused by the parameter check
    msg = "The 'binarize' parameter of BernoulliNB must be None or a float"
    with pytest.raises(ValueError, match=msg):
        skn.BernoulliNB(binarize=-1.0).fit(X, y)
    with pytest.raises(ValueError, match=msg):
        dnb.BernoulliNB(binarize=-1.0).fit(X, y)


def test_errors_match_sklearn():
    X, y = _data(seed=9)
    Xn = X.copy()
    Xn.data[3] = -1.0
    for Est in (skn.MultinomialNB, dnb.MultinomialNB):
        with pytest.raises(ValueError, match="Negative values in data passed to MultinomialNB"):
            Est().fit(Xn, y)
    Xnan = X.copy()
    Xnan.data[3] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        dnb.MultinomialNB().fit(Xnan, y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        dnb.MultinomialNB().fit(X, y).predict(Xnan)
    # the non-counting models keep refusing sparse input
    for Est in (dnb.GaussianNB, dnb.CategoricalNB):
        with pytest.raises(TypeError):
            Est().fit(X, y)


def test_wide_hashed_features_fit_without_densifying():
    rng = np.random.default_rng(0)
    n, p = 2000, 2**20
    X = sp.csr_matrix(
        (np.ones(20 * n), (np.repeat(np.arange(n), 20), rng.integers(0, p, 20 * n))), shape=(n, p)
    )
    y = rng.integers(0, 2, n)
    ours = dnb.MultinomialNB().fit(X, y)
    theirs = skn.MultinomialNB().fit(X, y)
    np.testing.assert_allclose(ours.feature_count_, theirs.feature_count_)
    np.testing.assert_allclose(ours.predict_proba(X[:50]), theirs.predict_proba(X[:50]), rtol=1e-9)


def test_incremental_and_search_pass_sparse_through():
    from dml.model_selection import GridSearchCV
    from dml.wrappers import Incremental

    X, y = _data(seed=11)
    Xd, yd = _unequal(X, y)
    inc = Incremental(dnb.MultinomialNB()).fit(Xd, yd, classes=[0, 1, 2])
    ref = skn.MultinomialNB().fit(X, y)
    np.testing.assert_allclose(inc.estimator_.feature_count_, ref.feature_count_, rtol=1e-12)
    pred = inc.predict(Xd)
    assert isinstance(pred, da.Array)
    np.testing.assert_array_equal(pred.compute(), ref.predict(X))
    gs = GridSearchCV(dnb.MultinomialNB(), {"alpha": [0.1, 1.0]}, cv=3).fit(X, y)
    sk_gs = (
        __import__("sklearn.model_selection", fromlist=["GridSearchCV"])
        .GridSearchCV(skn.MultinomialNB(), {"alpha": [0.1, 1.0]}, cv=3)
        .fit(X, y)
    )
    assert gs.best_params_ == sk_gs.best_params_
    np.testing.assert_allclose(gs.best_score_, sk_gs.best_score_, rtol=1e-12)
