"""Parity with dask-ml's ``tests/model_selection/dask_searchcv/test_model_selection.py``
(``GridSearchCV`` / ``RandomizedSearchCV``).

dml's searches take scikit-learn's parameters and give its ``cv_results_``; dask-ml's
``iid``, ``scheduler`` and ``cache_cv`` are gone, and ``compute_n_splits`` /
``check_cv`` are scikit-learn's (docs/migrating_from_dask_ml.md,
``dask_ml.model_selection``). dask-ml's graph-inspection tests (``visualize``, token
determinism, ``CVCache``) check its internals and are not ported; its checks of
results, failures, refit rules and inputs are.
"""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn import model_selection as skms
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

import dml.model_selection as dcv


class FailingClassifier(ClassifierMixin, BaseEstimator):
    """Fails in fit, predict or score for chosen values of ``parameter``."""

    FAILING_PARAMETER = 2
    FAILING_PREDICT_PARAMETER = 3
    FAILING_SCORE_PARAMETER = 4

    def __init__(self, parameter=None):
        self.parameter = parameter

    def fit(self, X, y=None):
        if self.parameter == self.FAILING_PARAMETER:
            raise ValueError("Failing classifier failed as required")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        if self.parameter == self.FAILING_PREDICT_PARAMETER:
            raise ValueError("Failing during predict")
        return np.full(len(X), self.classes_[0])

    def score(self, X=None, y=None):
        if self.parameter == self.FAILING_SCORE_PARAMETER:
            raise ValueError("Failing during score")
        return 0.5


class MockClassifierWithFitParam(ClassifierMixin, BaseEstimator):
    def __init__(self, foo_param=0):
        self.foo_param = foo_param

    def fit(self, X, y, mock_fit_param=None):
        if mock_fit_param is None:
            raise ValueError("mock_fit_param is required")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X=None, y=None):
        return float(self.foo_param > 0.01)


@pytest.mark.parametrize("kind", ["numpy", "dask"])
def test_grid_search_groups(kind):
    np_X, np_y = make_classification(n_samples=15, n_classes=2, random_state=0)
    np_groups = np.random.RandomState(0).randint(0, 3, 15)
    if kind == "dask":
        X, y, groups = (da.from_array(a, chunks=5) for a in (np_X, np_y, np_groups))
    else:
        X, y, groups = np_X, np_y, np_groups
    sol = SVC(C=1, random_state=0, gamma="auto").fit(np_X, np_y).support_vectors_
    gs = dcv.GridSearchCV(SVC(random_state=0, gamma="auto"), param_grid={"C": [1]}, cv=GroupKFold(n_splits=3))
    with pytest.raises(ValueError, match="groups"):
        gs.fit(X, y)
    gs.fit(X, y, groups=groups)
    np.testing.assert_allclose(sol, gs.best_estimator_.support_vectors_)


def test_grid_search_dask_dataframe():
    iris = load_iris()
    df, dy = pd.DataFrame(iris.data), pd.Series(iris.target)
    ddf, ddy = dd.from_pandas(df, 2), dd.from_pandas(dy, 2)
    # dask-ml searches a multiclass LogisticRegression; a tree keeps this fast.
    clf = DecisionTreeClassifier(random_state=0)
    grid = {"max_depth": [1, 2, 3]}
    gs = skms.GridSearchCV(clf, grid, cv=5).fit(df, dy)
    dgs = dcv.GridSearchCV(clf, grid, cv=5).fit(ddf, ddy)
    assert gs.best_params_ == dgs.best_params_
    np.testing.assert_allclose(dgs.cv_results_["mean_test_score"], gs.cv_results_["mean_test_score"])


def test_results_match_scikit_learn():
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    grid = {"C": [0.01, 1.0], "fit_intercept": [True, False]}
    ours = dcv.GridSearchCV(LogisticRegression(), grid, cv=3, return_train_score=True).fit(X, y)
    ref = skms.GridSearchCV(LogisticRegression(), grid, cv=3, return_train_score=True).fit(X, y)
    assert ours.best_params_ == ref.best_params_ and ours.best_index_ == ref.best_index_
    for key in [
        "mean_test_score",
        "std_test_score",
        "rank_test_score",
        "mean_train_score",
        "split0_test_score",
    ]:
        np.testing.assert_allclose(ours.cv_results_[key], ref.cv_results_[key])
    assert list(ours.cv_results_["params"]) == list(ref.cv_results_["params"])


def test_randomized_search_same_candidates_as_scikit_learn():
    X, y = make_classification(n_samples=80, n_features=5, random_state=0)
    dist = {"max_depth": [1, 2, 3, 4, 5], "min_samples_leaf": [1, 2, 4]}
    ours = dcv.RandomizedSearchCV(
        DecisionTreeClassifier(random_state=0), dist, n_iter=5, cv=3, random_state=0
    )
    ref = skms.RandomizedSearchCV(
        DecisionTreeClassifier(random_state=0), dist, n_iter=5, cv=3, random_state=0
    )
    ours.fit(X, y)
    ref.fit(X, y)
    assert list(ours.cv_results_["params"]) == list(ref.cv_results_["params"])
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])


@pytest.mark.filterwarnings("ignore:Scoring failed:UserWarning")
def test_failing_classifier_fails():
    X, y = make_classification(random_state=0)
    grid = {"parameter": [FailingClassifier.FAILING_PARAMETER, FailingClassifier.FAILING_SCORE_PARAMETER]}
    clf = dcv.GridSearchCV(FailingClassifier(), grid, refit=False, error_score="raise")
    with pytest.raises(ValueError, match="Failing"):
        clf.fit(X, y)
    clf.set_params(error_score=-1)
    with pytest.warns(FitFailedWarning):
        clf.fit(X, y)
    for result in ["mean_fit_time", "mean_score_time", "mean_test_score"]:
        assert not np.isnan(clf.cv_results_[result]).any()
    np.testing.assert_array_equal(clf.cv_results_["mean_test_score"], [-1, -1])


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite:UserWarning")
def test_pipeline_fit_failure():
    X, y = make_classification(n_samples=100, n_features=10, random_state=0)
    pipe = Pipeline([("bad", FailingClassifier())])
    grid = {"bad__parameter": [0, FailingClassifier.FAILING_PARAMETER]}
    gs = dcv.GridSearchCV(pipe, param_grid=grid, refit=False, error_score="raise")
    with pytest.raises(ValueError):
        gs.fit(X, y)
    gs.set_params(error_score=float("nan"))
    with pytest.warns(FitFailedWarning):
        gs.fit(X, y)
    scores = gs.cv_results_["mean_test_score"]
    assert not np.isnan(scores[0]) and np.isnan(scores[1])


def test_estimator_predict_and_score_failure():
    X, y = make_classification(random_state=0)
    grid = {"parameter": [0, FailingClassifier.FAILING_SCORE_PARAMETER]}
    gs = dcv.GridSearchCV(FailingClassifier(), grid, refit=False, error_score=float("nan"), cv=2)
    with pytest.warns(UserWarning):
        gs.fit(X, y)
    scores = gs.cv_results_["mean_test_score"]
    assert scores[0] == 0.5 and np.isnan(scores[1])


def test_pipeline_raises_on_unknown_step():
    X, y = make_classification(n_samples=100, n_features=10, random_state=0)
    pipe = Pipeline([("step1", FailingClassifier())])
    gs = dcv.GridSearchCV(pipe, param_grid={"step3__parameter": [0, 1, 2]}, refit=False)
    with pytest.raises(ValueError):
        gs.fit(X, y)


def test_bad_error_score():
    X, y = make_classification(n_samples=100, n_features=10, random_state=0)
    gs = dcv.GridSearchCV(FailingClassifier(), {"parameter": [0, 1, 2]}, error_score="badparam")
    with pytest.raises((ValueError, TypeError)):
        gs.fit(X, y)


def test_cv_multiplemetrics():
    X, y = make_classification(random_state=0)
    grid = {"max_depth": [1, 5]}
    kw = dict(refit="score1", scoring={"score1": "accuracy", "score2": "accuracy"}, cv=3)
    a = dcv.GridSearchCV(DecisionTreeClassifier(random_state=0), grid, **kw).fit(X, y)
    b = skms.GridSearchCV(DecisionTreeClassifier(random_state=0), grid, **kw).fit(X, y)
    assert a.best_score_ > 0
    assert a.best_index_ == b.best_index_ and a.best_params_ == b.best_params_
    np.testing.assert_allclose(a.cv_results_["mean_test_score2"], b.cv_results_["mean_test_score2"])


def test_cv_multiplemetrics_requires_refit_metric():
    X, y = make_classification(random_state=0)
    a = dcv.GridSearchCV(
        DecisionTreeClassifier(),
        {"max_depth": [1, 5]},
        refit=True,
        scoring={"s1": "accuracy", "s2": "accuracy"},
    )
    with pytest.raises(ValueError):
        a.fit(X, y)


def test_cv_multiplemetrics_no_refit():
    X, y = make_classification(random_state=0)
    kw = dict(refit=False, scoring={"score1": "accuracy", "score2": "accuracy"}, cv=3)
    a = dcv.GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 5]}, **kw).fit(X, y)
    b = skms.GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 5]}, **kw).fit(X, y)
    for name in ["best_index_", "best_estimator_", "best_score_"]:
        assert hasattr(a, name) is hasattr(b, name)


def test_gridsearch_with_arraylike_fit_param():
    X, y = make_classification(random_state=0)
    grid = {"foo_param": [0.0001, 0.1]}
    a = dcv.GridSearchCV(MockClassifierWithFitParam(), grid, cv=3, refit=False)
    b = skms.GridSearchCV(MockClassifierWithFitParam(), grid, cv=3, refit=False)
    b.fit(X, y, mock_fit_param=[0, 1])
    a.fit(X, y, mock_fit_param=[0, 1])
    np.testing.assert_allclose(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])


def test_removed_dask_ml_parameters():
    for name in ["iid", "scheduler", "cache_cv"]:
        with pytest.raises(TypeError):
            dcv.GridSearchCV(LogisticRegression(), {"C": [1]}, **{name: True})


def test_on_a_cluster(inproc_client):
    X, y = make_classification(n_samples=60, n_features=5, random_state=0)
    Xd, yd = da.from_array(X, chunks=20), da.from_array(y, chunks=20)
    with inproc_client.as_current():
        ours = dcv.GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3).fit(Xd, yd)
    ref = skms.GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    assert ours.best_params_ == ref.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])
