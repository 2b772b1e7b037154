"""Parity with dask-ml's ``tests/model_selection/test_successive_halving.py``.

dask-ml runs these under ``gen_cluster`` with ``await search.fit``; dml's
``SuccessiveHalvingSearchCV.fit`` is synchronous on the current scheduler (and awaitable
under an asynchronous client), so the checks run directly and on an in-process cluster.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import SGDClassifier
from sklearn.utils._param_validation import InvalidParameterError

from dml.model_selection import SuccessiveHalvingSearchCV

from ._constant import ConstantFunction


def test_basic_successive_halving():
    X, y = make_classification(random_state=0)
    search = SuccessiveHalvingSearchCV(
        SGDClassifier(tol=1e-3), {"alpha": np.logspace(-3, 0, num=1000)}, 10, 5
    )
    search.fit(X, y, classes=np.unique(y))
    assert search.best_score_ > 0
    assert isinstance(search.best_estimator_, SGDClassifier)


@pytest.mark.parametrize("r", [2, 3])
@pytest.mark.parametrize("n", [9, 22])
def test_sha_max_iter_and_metadata(n, r):
    X, y = make_classification(random_state=0)
    search = SuccessiveHalvingSearchCV(
        ConstantFunction(), {"value": np.linspace(0, 1, 1000)}, n_initial_parameters=n, n_initial_iter=r
    )
    search.fit(X, y, classes=np.unique(y))
    calls = set(search.cv_results_["partial_fit_calls"]) - {1}
    assert min(calls) == r
    # one model trained to completion
    assert (search.cv_results_["partial_fit_calls"] == max(calls)).sum() < search.aggressiveness
    assert search.metadata == search.metadata_
    assert {"partial_fit_calls", "n_models"} <= set(search.metadata)


def test_search_on_async_client():
    from distributed import Client

    X, y = make_classification(n_samples=60, n_features=5, random_state=0)

    async def run():
        async with Client(processes=False, asynchronous=True, n_workers=1, dashboard_address=":0") as _client:
            search = SuccessiveHalvingSearchCV(
                ConstantFunction(),
                {"value": np.linspace(0, 1, 100)},
                n_initial_parameters=9,
                n_initial_iter=1,
            )
            await search.fit(X, y)
            return search

    search = asyncio.run(run())
    assert search.metadata_ == search.metadata
    assert search.best_score_ == max(search.cv_results_["test_score"])


def test_search_patience_infeasible_tol():
    # dask-ml passes tol=np.nan (no score beats NaN, so no plateau); dml's tol is a float
    # and NaN is refused. With a finite tol that no change can beat, patience stops the
    # constant models early and metadata_ records the calls made.
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    params = {"value": np.random.RandomState(42).rand(1000)}
    kw = dict(patience=2, n_initial_parameters=20, n_initial_iter=4, max_iter=1000)
    with pytest.raises(InvalidParameterError, match="tol"):
        SuccessiveHalvingSearchCV(ConstantFunction(), params, tol=np.nan, **kw).fit(X, y, classes=[0, 1])
    search = SuccessiveHalvingSearchCV(ConstantFunction(), params, tol=1e-3, **kw).fit(X, y, classes=[0, 1])
    assert search.metadata_["partial_fit_calls"] <= search.metadata["partial_fit_calls"]
    assert search.metadata_["n_models"] == search.metadata["n_models"]
