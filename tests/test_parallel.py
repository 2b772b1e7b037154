"""dml.parallel.parallel_backend: scikit-learn's searches on a process-based cluster."""

from __future__ import annotations

import os

import numpy as np
import pytest
from joblib.parallel import get_active_backend
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_validate

from dml._parallel import DaskBackend
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
        backend = get_active_backend()[0]
        # X and y were sent to the cluster when the context was entered, and only then
        held = {key for keys in client.has_what().values() for key in keys}
        assert {f.key for _, f in backend._held.values()} <= held and backend.n_scattered == 2
        distributed = GridSearchCV(LogisticRegression(), grid, cv=3, n_jobs=-1).fit(X, y)
        assert backend.n_scattered == 2 and backend.n_submitted >= 2
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
    before = type(get_active_backend()[0])
    with parallel_backend(cluster_client):
        assert isinstance(get_active_backend()[0], DaskBackend)
    assert type(get_active_backend()[0]) is before


def test_lost_shared_data_is_sent_again_and_the_batch_resubmitted(cluster_client, data):
    """The data of a submitted batch is forgotten by the cluster (as when the workers
    holding it die): the batch is submitted again with its data sent again from here."""
    X, y = data
    serial = cross_validate(LogisticRegression(), X, y, cv=4, n_jobs=1)
    with parallel_backend(cluster_client, scatter=[X, y]):
        backend = get_active_backend()[0]
        calls, lost = backend._calls, []

        def calls_then_lose_the_data(job):
            out = calls(job)
            if not lost:
                lost.extend(job.data)
                cluster_client.cancel(job.data, force=True)
            return out

        backend._calls = calls_then_lose_the_data
        got = cross_validate(LogisticRegression(), X, y, cv=4, n_jobs=-1)
        assert lost and backend.n_resubmitted >= 1 and backend.n_scattered >= 4
    np.testing.assert_array_equal(got["test_score"], serial["test_score"])


class FailingClassifier(PidClassifier):
    def fit(self, X, y):
        if self.shift > 1:
            raise ArithmeticError(f"shift {self.shift} is too large")
        return super().fit(X, y)


def test_error_in_a_fit_is_raised_with_its_type_and_remote_traceback(cluster_client, data):
    X, y = data
    search = GridSearchCV(FailingClassifier(), {"shift": [0.0, 2.0]}, cv=2, error_score="raise", n_jobs=-1)
    with (
        parallel_backend(cluster_client),
        pytest.raises(ArithmeticError, match="shift 2.0 is too large") as info,
    ):
        search.fit(X, y)
    assert "in fit" in str(info.value.__cause__)  # the worker's traceback


def test_n_jobs_1_runs_in_the_caller(cluster_client, data):
    X, y = data
    with parallel_backend(cluster_client):
        res = cross_validate(PidClassifier(), X, y, cv=3, n_jobs=1, return_estimator=True)
    assert {est.pid_ for est in res["estimator"]} == {os.getpid()}


def test_bad_arguments_raise_clear_errors(cluster_client):
    with pytest.raises(TypeError, match=r"Unexpected keyword argument\(s\) \['scater'\]"):
        with parallel_backend(cluster_client, scater=[1]):
            pass
    with pytest.raises(TypeError, match="scatter must be a list or tuple of objects, got ndarray"):
        DaskBackend(cluster_client, scatter=np.zeros(3))
    with pytest.raises(ValueError, match="n_jobs == 0"):
        DaskBackend(cluster_client).effective_n_jobs(0)


def test_effective_n_jobs_follows_joblib(cluster_client):
    backend = DaskBackend(cluster_client)
    assert backend.effective_n_jobs(-1) == backend.effective_n_jobs(None) == 2  # 2 x 1 thread
    assert backend.effective_n_jobs(-2) == 1 and backend.effective_n_jobs(5) == 5


def test_workers_is_a_preference_unless_told_otherwise(cluster_client):
    worker = sorted(cluster_client.nthreads())[0]
    assert DaskBackend(cluster_client, workers=[worker]).submit_kwargs == {
        "workers": [worker],
        "allow_other_workers": True,
    }
    strict = DaskBackend(cluster_client, workers=[worker], allow_other_workers=False)
    assert strict.submit_kwargs["allow_other_workers"] is False


def test_registered_with_joblib_under_a_dml_name(cluster_client):
    import joblib

    with joblib.parallel_config("dml-dask", client=cluster_client):
        assert isinstance(get_active_backend()[0], DaskBackend)
        out = joblib.Parallel()(joblib.delayed(os.getpid)() for _ in range(4))
    assert set(out) <= set(cluster_client.run(os.getpid).values())
