"""``n_jobs`` of dml's searches on a cluster: how many fits run at once, as scikit-learn's
``n_jobs`` (never an error); the results do not depend on it."""

import threading
import time

import numpy as np
import pytest
from distributed import Client, LocalCluster
from sklearn.base import BaseEstimator, ClassifierMixin

from dml.model_selection import GridSearchCV

_LOCK = threading.Lock()
_RUNNING = [0, 0]  # now, most at once


class _SlowClassifier(ClassifierMixin, BaseEstimator):
    """Records how many of its fits run at once (in-process cluster: one counter)."""

    def __init__(self, c=1.0):
        self.c = c

    def fit(self, X, y):
        with _LOCK:
            _RUNNING[0] += 1
            _RUNNING[1] = max(_RUNNING[1], _RUNNING[0])
        time.sleep(0.15)
        with _LOCK:
            _RUNNING[0] -= 1
        self.classes_ = np.unique(y)
        self.mean_ = float(np.mean(X[:, 0])) * self.c
        return self

    def predict(self, X):
        return np.where(X[:, 0] * self.c > self.mean_, self.classes_[-1], self.classes_[0])


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(n_workers=2, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster,
        Client(cluster, set_as_default=False) as c,
    ):
        yield c


@pytest.mark.parametrize("n_jobs, most", [(1, 1), (2, 2), (-3, 2), (None, 4), (-1, 4)])
def test_n_jobs_bounds_the_fits_running_at_once(client, n_jobs, most):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] > 0).astype(int)
    _RUNNING[:] = [0, 0]
    with client.as_current():
        search = GridSearchCV(_SlowClassifier(), {"c": [0.5, 1.0, 2.0, 3.0]}, cv=3, n_jobs=n_jobs).fit(X, y)
    assert _RUNNING[1] <= most
    if most > 1:
        assert _RUNNING[1] >= 2  # it did run fits side by side
    ref = GridSearchCV(_SlowClassifier(), {"c": [0.5, 1.0, 2.0, 3.0]}, cv=3).fit(X, y)
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])


def test_n_jobs_zero_is_an_error(client):
    with client.as_current(), pytest.raises(ValueError, match="n_jobs == 0"):
        GridSearchCV(_SlowClassifier(), {"c": [1.0]}, cv=2, n_jobs=0).fit(np.ones((10, 2)), np.arange(10) % 2)
