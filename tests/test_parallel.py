"""dml.parallel.parallel_backend: scikit-learn's searches on a process-based cluster."""

from __future__ import annotations

import os

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_validate

from dml.parallel import parallel_backend


class PidClassifier(ClassifierMixin, BaseEstimator):
    """Majority classifier that remembers which process fitted it."""

    def __init__(self, shift=0.0):
        self.shift = shift

    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        self.pid_ = os.getpid()
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    return X, y


def test_grid_search_on_cluster_equals_serial(cluster_client, data):
    X, y = data
    grid = {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]}
    serial = GridSearchCV(LogisticRegression(), grid, cv=3, n_jobs=1).fit(X, y)
    with parallel_backend(cluster_client, scatter=[X, y]) as client:
        assert client is cluster_client
        # the data was broadcast to both workers when the context was entered
        held = client.has_what()
        assert len(held) == 2 and all(len(keys) >= 2 for keys in held.values())
        distributed = GridSearchCV(LogisticRegression(), grid, cv=3, n_jobs=-1).fit(X, y)
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_allclose(distributed.cv_results_[key], serial.cv_results_[key])
    assert distributed.cv_results_["params"] == serial.cv_results_["params"]
    np.testing.assert_allclose(distributed.best_estimator_.coef_, serial.best_estimator_.coef_)


def test_tasks_run_in_worker_processes(cluster_client, data):
    X, y = data
    with parallel_backend(cluster_client, scatter=[X, y]):
        res = cross_validate(PidClassifier(), X, y, cv=4, n_jobs=-1, return_estimator=True)
    pids = {est.pid_ for est in res["estimator"]}
    assert os.getpid() not in pids
    worker_pids = set(cluster_client.run(os.getpid).values())
    assert pids <= worker_pids


def test_default_client_and_single_scatter_object(cluster_client, data):
    X, y = data
    with cluster_client.as_current():
        # client=None resolves the current client when the context is entered
        with parallel_backend(scatter=X) as client:
            assert client is cluster_client
            search = RandomizedSearchCV(
                PidClassifier(), {"shift": [0.0, 1.0, 2.0]}, n_iter=3, cv=3, random_state=0
            ).fit(X, y)
    assert search.best_estimator_.pid_ == os.getpid()  # the refit runs in the caller


def test_backend_is_restored_on_exit(cluster_client):
    from joblib.parallel import get_active_backend

    before = type(get_active_backend()[0]).__name__
    with parallel_backend(cluster_client):
        assert type(get_active_backend()[0]).__name__ == "DaskDistributedBackend"
    assert type(get_active_backend()[0]).__name__ == before
