"""GridSearchCV and RandomizedSearchCV under an asynchronous client: ``await search.fit(...)``."""

from __future__ import annotations

import inspect

import dask.array as da
import numpy as np
import pytest
from distributed.utils_test import gen_cluster
from scipy.stats import loguniform
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dml.model_selection import GridSearchCV, RandomizedSearchCV

# The suite's session-wide process cluster (conftest.cluster_client) may be running:
# its worker processes and their threads are not this test's leak.
_CLEAN = {"processes": False, "threads": False, "instances": False}


SEARCHES = {
    "grid": lambda: GridSearchCV(
        LogisticRegression(), {"C": [0.01, 0.1, 1.0]}, cv=3, return_train_score=True
    ),
    "randomized": lambda: RandomizedSearchCV(
        LogisticRegression(), {"C": loguniform(1e-3, 1e2)}, n_iter=4, cv=3, random_state=0
    ),
    "pipeline": lambda: GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression()),
        {"standardscaler__with_mean": [True, False], "logisticregression__C": [0.1, 1.0]},
        cv=2,
    ),
}


def _data():
    return make_classification(200, 5, random_state=0)


def _same_results(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if key.endswith("_time"):
            continue  # timings differ from run to run
        if key == "params":
            assert a[key] == b[key]
        elif isinstance(a[key], np.ma.MaskedArray):
            assert list(a[key]) == list(b[key])
        else:
            np.testing.assert_array_equal(a[key], b[key])


@pytest.mark.parametrize("name", sorted(SEARCHES))
@pytest.mark.parametrize("lazy", [False, True], ids=["numpy", "dask"])
def test_asynchronous_fit_equals_synchronous_fit(name, lazy):
    X, y = _data()
    ref = SEARCHES[name]().fit(X, y)

    @gen_cluster(client=True, timeout=60, clean_kwargs=_CLEAN)
    async def run(c, s, a, b):
        Xf, yf = (da.from_array(X, chunks=100), da.from_array(y, chunks=100)) if lazy else (X, y)
        search = SEARCHES[name]()
        pending = search.fit(Xf, yf)
        assert inspect.iscoroutine(pending)
        assert await pending is search
        _same_results(search.cv_results_, ref.cv_results_)
        assert search.best_params_ == ref.best_params_
        assert search.best_index_ == ref.best_index_
        np.testing.assert_array_equal(search.predict(X), ref.predict(X))
        # the fits ran as tasks on this cluster
        assert {"fit_and_score", "fit_final_and_score"} & set(s.task_prefixes)

    run()


def test_asynchronous_fit_raises_the_fit_errors():
    X, y = _data()

    @gen_cluster(client=True, timeout=60, clean_kwargs=_CLEAN)
    async def run(c, s, a, b):
        search = GridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=2, n_jobs=0)
        with pytest.raises(ValueError, match="n_jobs == 0"):
            await search.fit(X, y)
        with pytest.raises(ValueError, match="C"):
            await GridSearchCV(LogisticRegression(), {"C": [-1.0]}, cv=2, error_score="raise").fit(X, y)

    run()


def test_synchronous_fit_is_unchanged():
    X, y = _data()
    search = SEARCHES["grid"]()
    assert search.fit(X, y) is search  # no client: a plain fit, not a coroutine
