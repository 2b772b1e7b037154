"""Metadata routing: LogisticRegression's set_fit_request / set_score_request inside
scikit-learn's GridSearchCV and cross_validate route sample_weight as scikit-learn's own
LogisticRegression does."""

import numpy as np
import pytest
import sklearn
from sklearn import linear_model as sk
from sklearn.datasets import make_classification
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.model_selection import GridSearchCV, cross_validate

from dml.linear_model import LogisticRegression


@pytest.fixture
def routing():
    sklearn.set_config(enable_metadata_routing=True)
    try:
        yield
    finally:
        sklearn.set_config(enable_metadata_routing=False)


def _data():
    X, y = make_classification(240, 5, n_informative=3, n_redundant=0, flip_y=0.15, random_state=0)
    w = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y))
    return X, y, w


def _pair(fit, score, **params):
    out = []
    for cls in (LogisticRegression, sk.LogisticRegression):
        est = cls(tol=1e-10, **params)
        if fit is not None:
            est = est.set_fit_request(sample_weight=fit)
        if score is not None:
            est = est.set_score_request(sample_weight=score)
        out.append(est)
    return out


@pytest.mark.parametrize("fit,score", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "liblinear"])
def test_grid_search_routes_sample_weight(routing, solver, fit, score):
    X, y, w = _data()
    results = []
    for est in _pair(fit, score, solver=solver):
        gs = GridSearchCV(est, {"C": [0.01, 0.1, 1.0, 10.0]}, cv=3).fit(X, y, sample_weight=w)
        results.append(gs)
    ours, ref = results
    np.testing.assert_allclose(
        ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"], atol=1e-9
    )
    assert ours.best_params_ == ref.best_params_
    np.testing.assert_allclose(ours.best_estimator_.coef_, ref.best_estimator_.coef_, rtol=1e-5, atol=1e-8)
    # the weights really reach fit: unweighted fits differ
    plain = GridSearchCV(LogisticRegression(tol=1e-10, solver=solver), {"C": [ours.best_params_["C"]]}, cv=3)
    if fit:
        assert not np.allclose(plain.fit(X, y).best_estimator_.coef_, ours.best_estimator_.coef_)


@pytest.mark.parametrize("fit,score", [(True, True), (False, True), (True, False)])
def test_cross_validate_routes_sample_weight(routing, fit, score):
    X, y, w = _data()
    outs = [
        cross_validate(est, X, y, params={"sample_weight": w}, cv=4, return_estimator=True)
        for est in _pair(fit, score, solver="newton-cholesky", C=0.3)
    ]
    np.testing.assert_allclose(outs[0]["test_score"], outs[1]["test_score"], atol=1e-9)
    for a, b in zip(outs[0]["estimator"], outs[1]["estimator"]):
        np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-5, atol=1e-8)


def test_unrequested_metadata_raises_as_sklearn(routing):
    X, y, w = _data()
    for est in _pair(None, None):
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            GridSearchCV(est, {"C": [0.1, 1.0]}, cv=3).fit(X, y, sample_weight=w)


def test_routing_config_is_reset():
    assert sklearn.get_config()["enable_metadata_routing"] is False
