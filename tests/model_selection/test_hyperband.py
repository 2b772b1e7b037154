"""Adaptive searches: Hyperband, successive halving (synchronous and asynchronous)."""

from __future__ import annotations

import os

import dask.array as da
import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier

from dml.model_selection import (
    AsyncSuccessiveHalvingSearchCV,
    HyperbandSearchCV,
    SuccessiveHalvingSearchCV,
)
from dml.model_selection._adaptive import bracket_plan, plan_calls
from dml.model_selection._hyperband import hyperband_brackets

PARAMS = {"alpha": loguniform(1e-5, 1e-1), "penalty": ["l2", "l1"]}


@pytest.fixture(scope="module")
def data():
    return make_classification(900, 10, n_informative=5, random_state=0)


class CountingSGD(SGDClassifier):
    """Counts its own partial_fit calls."""

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        self.n_partial_fit_calls_ = getattr(self, "n_partial_fit_calls_", 0) + 1
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)


def test_hyperband_brackets_follow_li_et_al():
    # Li et al. (2018), Table 1: R = 81, eta = 3.
    brackets = hyperband_brackets(81, 3)
    assert [s for s, *_ in brackets] == [4, 3, 2, 1, 0]
    assert [n for _, n, _, _ in brackets] == [81, 34, 15, 8, 5]
    assert [r for _, _, r, _ in brackets] == [1, 3, 9, 27, 81]
    assert brackets[0][3] == [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)]
    assert brackets[1][3] == [(34, 3), (11, 9), (3, 27), (1, 81)]
    assert brackets[2][3] == [(15, 9), (5, 27), (1, 81)]
    assert brackets[3][3] == [(8, 27), (2, 81)]
    assert brackets[4][3] == [(5, 81)]
    meta = HyperbandSearchCV(SGDClassifier(), PARAMS, max_iter=81).metadata
    assert meta["n_models"] == 143
    assert [b["partial_fit_calls"] for b in meta["brackets"]] == [297, 276, 279, 324, 405]
    assert meta["partial_fit_calls"] == 1581


def test_successive_halving_plan():
    assert bracket_plan(9, 1, 9, 3) == [(9, 1), (3, 3), (1, 9)]
    assert plan_calls([(9, 1), (3, 3), (1, 9)]) == 9 + 3 * 2 + 6
    assert bracket_plan(10, 2, None, 3) == [(10, 2), (3, 6), (1, 18)]
    meta = SuccessiveHalvingSearchCV(
        SGDClassifier(), PARAMS, n_initial_parameters=9, n_initial_iter=1, max_iter=9
    ).metadata
    assert meta["n_models"] == 9 and meta["partial_fit_calls"] == 21


def test_hyperband_runs_the_planned_budget(data, scheduler):
    X, y = data
    Xd, yd = da.from_array(X, chunks=(300, -1)), da.from_array(y, chunks=300)
    search = HyperbandSearchCV(CountingSGD(tol=None), PARAMS, max_iter=9, random_state=0)
    search.fit(Xd, yd)
    assert search.metadata_["n_models"] == search.metadata["n_models"] == 9 + 5 + 3
    assert search.metadata_["partial_fit_calls"] == search.metadata["partial_fit_calls"]
    assert [b["n_models"] for b in search.metadata_["brackets"]] == [9, 5, 3]
    calls = search.cv_results_["partial_fit_calls"]
    assert calls.max() == 9
    best = search.best_estimator_
    assert best.n_partial_fit_calls_ == calls[search.best_index_]
    assert search.best_score_ == search.cv_results_["test_score"][search.best_index_]
    assert search.cv_results_["rank_test_score"][search.best_index_] == 1
    assert search.predict(X).shape == (len(X),)
    assert 0.5 < search.score(X, y) <= 1
    assert len(search.history_) == sum(len(h) for h in search.model_history_.values())
    assert set(search.history_[0]) >= {
        "model_id",
        "params",
        "partial_fit_calls",
        "score",
        "partial_fit_time",
        "score_time",
        "elapsed_wall_time",
        "bracket",
    }


def test_same_seed_same_result(data):
    X, y = data
    sgd = SGDClassifier(tol=None, random_state=0)
    a = HyperbandSearchCV(sgd, PARAMS, max_iter=9, random_state=1).fit(X, y)
    b = HyperbandSearchCV(sgd, PARAMS, max_iter=9, random_state=1).fit(X, y)
    assert a.best_params_ == b.best_params_
    np.testing.assert_array_equal(a.cv_results_["test_score"], b.cv_results_["test_score"])


def test_successive_halving(data):
    X, y = data
    search = SuccessiveHalvingSearchCV(
        CountingSGD(tol=None), PARAMS, n_initial_parameters=9, n_initial_iter=1, max_iter=9, random_state=0
    ).fit(X, y)
    assert search.metadata_["partial_fit_calls"] == 21
    assert sorted(search.cv_results_["partial_fit_calls"]) == [1] * 6 + [3] * 2 + [9]
    assert search.best_estimator_.n_partial_fit_calls_ == 9 or search.best_score_ >= max(
        search.cv_results_["test_score"]
    )


def test_async_successive_halving(data):
    X, y = data
    search = AsyncSuccessiveHalvingSearchCV(
        CountingSGD(tol=None), PARAMS, n_initial_parameters=9, max_iter=9, random_state=0
    ).fit(X, y)
    assert search.metadata == {"n_models": 9, "rungs": [1, 3, 9]}
    assert search.metadata_["n_models"] == 9
    calls = search.cv_results_["partial_fit_calls"]
    assert set(calls) <= {1, 3, 9} and calls.max() == 9
    # every promotion came from the top third of a rung
    assert (calls >= 3).sum() <= 9 // 3 + 1


def test_warm_start_estimators(data):
    X, y = data
    search = HyperbandSearchCV(
        GradientBoostingClassifier(warm_start=True, max_depth=2, random_state=0),
        {"learning_rate": loguniform(0.01, 1.0)},
        max_iter=9,
        aggressiveness=3,
        warm_start_param="n_estimators",
        warm_start_step=3,
        random_state=0,
    ).fit(X, y)
    best = search.best_estimator_
    assert best.n_estimators == 3 * search.cv_results_["partial_fit_calls"][search.best_index_]
    assert len(best.estimators_) == best.n_estimators
    per_call = SuccessiveHalvingSearchCV(
        LogisticRegression(warm_start=True),
        {"C": [0.1, 1.0, 10.0]},
        n_initial_parameters="grid",
        n_initial_iter=1,
        max_iter=3,
        warm_start_param="max_iter",
        warm_start_step=2,
        warm_start_cumulative=False,
    )
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        per_call.fit(X, y)
    assert per_call.best_estimator_.max_iter == 2


def test_patience_stops_plateaued_models(data):
    X, y = data
    full = HyperbandSearchCV(SGDClassifier(tol=None), PARAMS, max_iter=27, random_state=0).fit(X, y)
    early = HyperbandSearchCV(
        SGDClassifier(tol=None), PARAMS, max_iter=27, patience=2, tol=0.05, random_state=0
    ).fit(X, y)
    assert early.metadata_["partial_fit_calls"] < full.metadata_["partial_fit_calls"]
    assert any(h["stopped"] for h in early.history_)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: HyperbandSearchCV(LogisticRegression(), {"C": [1.0]}), "has no partial_fit method"),
        (lambda: HyperbandSearchCV(SGDClassifier(), PARAMS, scoring=["accuracy", "f1"]), "single"),
        (lambda: HyperbandSearchCV(SGDClassifier(), PARAMS, scoring="nonsense"), "nonsense"),
        (lambda: HyperbandSearchCV(SGDClassifier(), PARAMS, aggressiveness=1), "aggressiveness"),
        (
            lambda: HyperbandSearchCV(LogisticRegression(), {"C": [1.0]}, warm_start_param="nope"),
            "not a parameter",
        ),
        (lambda: HyperbandSearchCV(SGDClassifier(), []), "empty"),
        (lambda: AsyncSuccessiveHalvingSearchCV(SGDClassifier(), PARAMS), "max_iter"),
        (
            lambda: SuccessiveHalvingSearchCV(SGDClassifier(), PARAMS, n_initial_iter=5, max_iter=2),
            "larger than max_iter",
        ),
    ],
)
def test_bad_input(data, make, match):
    X, y = data
    with pytest.raises(ValueError, match=match):
        make().fit(X, y)


class SlowSGD(SGDClassifier):
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        import time

        time.sleep(0.1)
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)


@pytest.mark.slow
def test_hyperband_survives_a_killed_worker(data):
    """A worker restarted in the middle of Hyperband: same models, same best_params_."""
    import threading
    import time

    import dask
    from distributed import Client, LocalCluster

    X, y = data
    kw = dict(max_iter=3, random_state=0)  # brackets: (3 models, 1 call -> 1 model, 3); (2, 3)
    ref = HyperbandSearchCV(SlowSGD(tol=None, random_state=0), PARAMS, **kw).fit(X, y)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        client.wait_for_workers(2)  # in-memory data is scattered to the workers present
        with dask.config.set(scheduler="dask.distributed"):
            out = {}

            def run():
                with client.as_current():
                    out["search"] = HyperbandSearchCV(SlowSGD(tol=None, random_state=0), PARAMS, **kw).fit(
                        X, y
                    )

            t = threading.Thread(target=run)
            t.start()
            deadline = time.time() + 30
            while not any(client.processing().values()) and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)
            assert t.is_alive()
            victim = sorted(client.scheduler_info()["workers"])[0]
            # kill the worker process; its nanny starts a fresh one
            client.run(_kill_worker, workers=[victim], wait=False)
            t.join(120)
    search = out["search"]
    assert search.best_params_ == ref.best_params_
    np.testing.assert_array_equal(search.cv_results_["test_score"], ref.cv_results_["test_score"])
    assert search.metadata_ == ref.metadata_


async def _kill_worker():
    os._exit(1)


GRID_SIZES = [1, 3, 10, 27, 49, 100]  # 27: dask-ml's test (was 27 models / 81 calls run)


def _space(kind, size):
    if kind == "grid":
        return {"alpha": list(np.logspace(-5, -1, size))}
    if kind == "grid of two":  # a list of dicts: two sub-grids, size points in all
        half = size // 2
        return [
            {"alpha": list(np.logspace(-5, -3, size - half))},
            {"alpha": list(np.logspace(-2, -1, half)) or [0.1]},
        ][: 1 if half == 0 else 2]
    return {"alpha": loguniform(1e-5, 1e-1), "penalty": ["l2", "l1"]}  # infinite


@pytest.mark.parametrize(
    "kind, size",
    [("grid", n) for n in GRID_SIZES] + [("grid of two", n) for n in GRID_SIZES] + [("distributions", None)],
)
def test_hyperband_metadata_matches_for_every_space_size(data, kind, size):
    # dask-ml's case: max_iter=27 wants 49 models (27, 12, 6, 4); a smaller discrete space
    # is shared by every bracket, each with distinct candidates.
    X, y = data
    space = _space(kind, size)
    search = HyperbandSearchCV(SGDClassifier(tol=None, random_state=0), space, max_iter=27, random_state=0)
    planned = search.metadata
    search.fit(X[:300], y[:300])
    assert search.metadata_ == planned
    n_space = np.inf if kind == "distributions" else size
    assert [b["n_models"] for b in planned["brackets"]] == [min(n, n_space) for n in (27, 12, 6, 4)]
    if n_space >= 49:
        assert (planned["n_models"], planned["partial_fit_calls"]) == (49, 357)
    assert len(search.cv_results_["model_id"]) == planned["n_models"]
    # every bracket reached max_iter with one model at least; its candidates are distinct
    for b in planned["brackets"]:
        rows = search.cv_results_["bracket"] == b["bracket"]
        alphas = [p["alpha"] for p, r in zip(search.cv_results_["params"], rows) if r]
        assert len(set(alphas)) == len(alphas) == b["n_models"]
    if n_space < 49:
        # the whole space is searched, and spread evenly over the brackets
        seen = [p["alpha"] for p in search.cv_results_["params"]]
        counts = np.unique(seen, return_counts=True)[1]
        assert len(counts) == size and counts.max() - counts.min() <= 1
    assert search.cv_results_["partial_fit_calls"].max() == 27


def test_small_space_in_successive_halving(data):
    X, y = data
    search = SuccessiveHalvingSearchCV(
        SGDClassifier(tol=None, random_state=0),
        {"alpha": [1e-4, 1e-3]},
        n_initial_parameters=10,
        max_iter=3,
        random_state=0,
    )
    assert search.metadata["n_models"] == 2
    search.fit(X, y)
    assert search.metadata_ == search.metadata
    asha = AsyncSuccessiveHalvingSearchCV(
        SGDClassifier(tol=None), {"alpha": [1e-4, 1e-3]}, n_initial_parameters=10, max_iter=3, random_state=0
    )
    assert asha.metadata["n_models"] == 2
    assert asha.fit(X, y).metadata_["n_models"] == 2
