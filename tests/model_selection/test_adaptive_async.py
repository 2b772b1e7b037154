"""The adaptive searches under an asynchronous client: ``await search.fit(...)``."""

from __future__ import annotations

import inspect

import dask.array as da
import pytest
from distributed.utils_test import gen_cluster
from sklearn.datasets import make_classification
from sklearn.linear_model import SGDClassifier

from dml.model_selection import (
    AsyncSuccessiveHalvingSearchCV,
    HyperbandSearchCV,
    SuccessiveHalvingSearchCV,
)

# The suite's session-wide process cluster (conftest.cluster_client) may be running:
# its worker processes and their threads are not this test's leak.
_CLEAN = {"processes": False, "threads": False, "instances": False}
GRID = {"alpha": [1e-4, 1e-3, 1e-2]}
SEARCHES = {
    "hyperband": lambda: HyperbandSearchCV(
        SGDClassifier(tol=None, random_state=0), GRID, max_iter=3, random_state=0
    ),
    "successive halving": lambda: SuccessiveHalvingSearchCV(
        SGDClassifier(tol=None, random_state=0), GRID, n_initial_parameters="grid", max_iter=3, random_state=0
    ),
    "asha": lambda: AsyncSuccessiveHalvingSearchCV(
        SGDClassifier(tol=None, random_state=0), GRID, n_initial_parameters=3, max_iter=3, random_state=0
    ),
}


def _data(lazy):
    X, y = make_classification(200, 5, random_state=0)
    if lazy:
        return da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    return X, y


@pytest.mark.parametrize("name", sorted(SEARCHES))
def test_fit_is_awaitable_under_an_asynchronous_client(name):
    @gen_cluster(client=True, timeout=60, clean_kwargs=_CLEAN)
    async def run(c, s, a, b):
        search = SEARCHES[name]()
        pending = search.fit(*_data(lazy=True))
        assert inspect.iscoroutine(pending)
        assert await pending is search
        assert 0 < search.best_score_ <= 1
        assert len(search.cv_results_["model_id"]) == search.metadata_["n_models"]
        assert search.best_estimator_.predict(_data(lazy=False)[0][:3]).shape == (3,)
        if name != "asha":
            assert search.metadata_ == search.metadata

    run()


def test_asynchronous_fit_equals_synchronous_fit():
    X, y = _data(lazy=False)
    ref = SEARCHES["hyperband"]().fit(X, y)

    @gen_cluster(client=True, timeout=60, clean_kwargs=_CLEAN)
    async def run(c, s, a, b):
        search = await SEARCHES["hyperband"]().fit(X, y)  # in-memory data: scattered
        assert search.best_params_ == ref.best_params_
        assert list(search.cv_results_["test_score"]) == list(ref.cv_results_["test_score"])

    run()
