"""HistGradientBoosting early stopping with scikit-learn scorers and with X_val / y_val
passed to fit (scikit-learn >= 1.7)."""

import dask.array as da
import numpy as np
import pandas as pd
import pytest
from sklearn import ensemble as sk
from sklearn.metrics import make_scorer, mean_absolute_error
from threadpoolctl import threadpool_limits

from dml.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _data(n=2500, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4)
    X[rng.rand(n, 4) < 0.05] = np.nan
    Z = np.nan_to_num(X)
    return X, 2 * Z[:, 0] + Z[:, 1] ** 2 + rng.randn(n)


ES = dict(max_iter=40, random_state=0, early_stopping=True, n_iter_no_change=3, tol=1e-3)


def _same(a, b):
    assert b.n_iter_ == a.n_iter_
    np.testing.assert_allclose(b.train_score_, a.train_score_, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b.validation_score_, a.validation_score_, rtol=1e-12, atol=1e-15)


def _mae(y, pred):
    return -mean_absolute_error(y, pred)


@pytest.mark.parametrize("scoring", ["r2", "neg_mean_absolute_error", None, make_scorer(_mae)])
def test_regressor_scorers_match_sklearn(scoring):
    X, y = _data()
    a = sk.HistGradientBoostingRegressor(scoring=scoring, **ES).fit(X, y)
    b = HistGradientBoostingRegressor(scoring=scoring, **ES).fit(X, y)
    _same(a, b)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("scoring", ["accuracy", "neg_log_loss", "roc_auc_ovr", None])
def test_classifier_scorers_match_sklearn(scoring):
    X, y = _data()
    yc = np.array(["a", "b", "c"])[np.digitize(y, [0.0, 2.0])]
    a = sk.HistGradientBoostingClassifier(scoring=scoring, **ES).fit(X, yc)
    b = HistGradientBoostingClassifier(scoring=scoring, **ES).fit(X, yc)
    _same(a, b)


def test_scorer_on_training_subsample_and_without_validation():
    """Above 10000 training rows the scorer sees scikit-learn's 10000-row subsample
    (stratified for classifiers); validation_fraction=None scores it alone."""
    X, y = _data(12000)
    yc = (y > 1).astype(int)
    kw = dict(ES, max_iter=8, scoring="balanced_accuracy")
    a = sk.HistGradientBoostingClassifier(**kw).fit(X, yc)
    b = HistGradientBoostingClassifier(**kw).fit(
        da.from_array(X, chunks=(3000, -1)), da.from_array(yc, chunks=3000)
    )
    _same(a, b)
    kw = dict(ES, max_iter=8, scoring="r2", validation_fraction=None)
    a = sk.HistGradientBoostingRegressor(**kw).fit(X, y)
    b = HistGradientBoostingRegressor(**kw).fit(X, y)
    _same(a, b)
    assert b.validation_score_.size == 0


def test_X_val_matches_sklearn():
    X, y = _data(3000)
    Xv, yv = X[:600] + 0.1, y[:600] + 0.2
    a = sk.HistGradientBoostingRegressor(**ES).fit(X, y, X_val=Xv, y_val=yv)
    b = HistGradientBoostingRegressor(**ES).fit(X, y, X_val=Xv, y_val=yv)
    _same(a, b)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-9, atol=1e-9)
    # Dask input, scorer, weights on both sides and class weights
    yc = np.digitize(y, [0.0, 2.0])
    rng = np.random.RandomState(3)
    w, wv = rng.rand(3000), rng.rand(600)
    kw = dict(ES, scoring="accuracy", class_weight="balanced")
    a = sk.HistGradientBoostingClassifier(**kw).fit(X, yc, w, X_val=Xv, y_val=yc[:600], sample_weight_val=wv)
    b = HistGradientBoostingClassifier(**kw).fit(
        da.from_array(X, chunks=(1000, -1)),
        da.from_array(yc, chunks=1000),
        da.from_array(w, chunks=1000),
        X_val=da.from_array(Xv, chunks=(300, -1)),
        y_val=yc[:600],
        sample_weight_val=wv,
    )
    _same(a, b)
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), rtol=1e-9, atol=1e-12)


def test_X_val_dataframe_with_categories():
    X, y = _data(2000)
    df = pd.DataFrame(X, columns=list("abcd"))
    df["c"] = pd.Categorical(np.random.RandomState(0).choice(list("xyz"), 2000))
    y = y + (df["c"] == "x") * 2.0
    kw = dict(ES, scoring="neg_mean_squared_error")
    a = sk.HistGradientBoostingRegressor(**kw).fit(df[:1500], y[:1500], X_val=df[1500:], y_val=y[1500:])
    b = HistGradientBoostingRegressor(**kw).fit(df[:1500], y[:1500], X_val=df[1500:], y_val=y[1500:])
    _same(a, b)
    np.testing.assert_allclose(b.predict(df), a.predict(df), rtol=1e-9, atol=1e-9)


def test_X_val_errors_as_sklearn():
    X, y = _data(300)
    yc = (y > 1).astype(int)
    cases = [
        (
            sk.HistGradientBoostingRegressor,
            HistGradientBoostingRegressor,
            dict(X_val=X),
            {},
            "y_val was not provided",
        ),
        (
            sk.HistGradientBoostingRegressor,
            HistGradientBoostingRegressor,
            dict(y_val=y),
            {},
            "X_val was not provided",
        ),
        (
            sk.HistGradientBoostingRegressor,
            HistGradientBoostingRegressor,
            dict(X_val=X, y_val=y),
            dict(early_stopping=False),
            "early_stopping is False",
        ),
        (
            sk.HistGradientBoostingRegressor,
            HistGradientBoostingRegressor,
            dict(X_val=X[:, :2], y_val=y),
            {},
            "X has 2 features, but HistGradientBoostingRegressor is expecting 4",
        ),
        (
            sk.HistGradientBoostingClassifier,
            HistGradientBoostingClassifier,
            dict(X_val=X, y_val=yc + 5),
            {},
            "previously unseen labels",
        ),
    ]
    for ref, ours, fit_kw, params, match in cases:
        target = yc if ref is sk.HistGradientBoostingClassifier else y
        with pytest.raises(ValueError, match=match):
            ref(max_iter=2, **params).fit(X, target, **fit_kw)
        with pytest.raises(ValueError, match=match):
            ours(max_iter=2, **params).fit(X, target, **fit_kw)
