"""dml.model_selection.GridSearchCV / RandomizedSearchCV: scikit-learn's results, as tasks."""

from __future__ import annotations

import os
import threading
import time

import dask.array as da
import numpy as np
import pytest
import sklearn.model_selection as skms
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from dml.model_selection import GridSearchCV, RandomizedSearchCV


@pytest.fixture(scope="module")
def data():
    return make_classification(240, 8, n_informative=4, random_state=0)


def _assert_same_results(ours, ref):
    assert set(ours.cv_results_) == set(ref.cv_results_)
    for key, want in ref.cv_results_.items():
        got = ours.cv_results_[key]
        if key == "params":
            assert got == want
        elif key.endswith("_time"):
            assert np.shape(got) == np.shape(want)
        elif isinstance(want, np.ma.MaskedArray):
            assert isinstance(got, np.ma.MaskedArray)
            assert got.dtype == want.dtype, key
            np.testing.assert_array_equal(got.mask, want.mask)
            assert list(got.compressed()) == list(want.compressed()), key
        else:
            assert got.dtype == want.dtype, key
            np.testing.assert_array_equal(got, want, err_msg=key)  # exact
    assert ours.best_params_ == ref.best_params_
    assert ours.best_index_ == ref.best_index_


PIPE = Pipeline([("scale", StandardScaler()), ("pca", PCA()), ("clf", LogisticRegression())])
GRID = {"pca__n_components": [2, 4], "clf__C": [0.1, 1.0, 10.0]}


def test_grid_search_matches_sklearn_exactly(data, scheduler):
    X, y = data
    ours = GridSearchCV(PIPE, GRID, cv=3).fit(X, y)
    ref = skms.GridSearchCV(PIPE, GRID, cv=3).fit(X, y)
    _assert_same_results(ours, ref)
    assert ours.best_score_ == ref.best_score_
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.score(X, y) == ref.score(X, y)
    assert ours.n_splits_ == 3 and ours.multimetric_ is False


def test_multimetric_refit_and_train_scores(data):
    X, y = data
    kw = dict(cv=3, scoring=["accuracy", "roc_auc"], refit="roc_auc", return_train_score=True)
    ours = GridSearchCV(PIPE, GRID, **kw).fit(X, y)
    ref = skms.GridSearchCV(PIPE, GRID, **kw).fit(X, y)
    _assert_same_results(ours, ref)
    assert ours.multimetric_ and set(ours.scorer_) == {"accuracy", "roc_auc"}


def test_plain_estimator_and_refit_callable(data):
    X, y = data
    grid = {"C": [0.01, 0.1, 1.0]}

    def lowest_c(results):
        return int(np.argmin(results["param_C"]))

    ours = GridSearchCV(LogisticRegression(), grid, refit=lowest_c).fit(X, y)
    ref = skms.GridSearchCV(LogisticRegression(), grid, refit=lowest_c).fit(X, y)
    _assert_same_results(ours, ref)
    assert ours.best_estimator_.C == 0.01
    assert not hasattr(ours, "best_score_")
    nofit = GridSearchCV(LogisticRegression(), grid, refit=False).fit(X, y)
    assert not hasattr(nofit, "best_estimator_")
    with pytest.raises(AttributeError, match="predict"):
        nofit.predict(X)


def test_randomized_search_matches_sklearn(data):
    X, y = data
    from scipy.stats import loguniform

    dist = {"alpha": loguniform(1e-3, 1e2)}
    y_reg = X @ np.arange(8.0)
    ours = RandomizedSearchCV(Ridge(), dist, n_iter=5, random_state=0, cv=4).fit(X, y_reg)
    ref = skms.RandomizedSearchCV(Ridge(), dist, n_iter=5, random_state=0, cv=4).fit(X, y_reg)
    _assert_same_results(ours, ref)


def test_dask_input_gives_the_same_results(data, scheduler):
    X, y = data
    Xd, yd = da.from_array(X, chunks=(70, -1)), da.from_array(y, chunks=70)
    ours = GridSearchCV(PIPE, GRID, cv=3).fit(Xd, yd)
    ref = skms.GridSearchCV(PIPE, GRID, cv=3).fit(X, y)
    _assert_same_results(ours, ref)


def test_fit_params_are_sliced_per_fold(data):
    X, y = data
    w = np.random.default_rng(0).uniform(0.5, 2, size=len(y))
    grid = {"C": [0.1, 1.0]}
    ours = GridSearchCV(LogisticRegression(), grid, cv=3).fit(X, y, sample_weight=w)
    ref = skms.GridSearchCV(LogisticRegression(), grid, cv=3).fit(X, y, sample_weight=w)
    _assert_same_results(ours, ref)
    ours = GridSearchCV(PIPE, GRID, cv=3).fit(X, y, clf__sample_weight=w)
    ref = skms.GridSearchCV(PIPE, GRID, cv=3).fit(X, y, clf__sample_weight=w)
    _assert_same_results(ours, ref)


def test_groups_go_to_the_splitter(data):
    X, y = data
    groups = np.arange(len(y)) % 4
    cv = skms.GroupKFold(n_splits=4)
    ours = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=cv).fit(X, y, groups=groups)
    ref = skms.GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=cv).fit(X, y, groups=groups)
    _assert_same_results(ours, ref)


# ----------------------------------------------------------------- prefix sharing


class CountingScaler(TransformerMixin, BaseEstimator):
    """A scaler that appends one line to ``log`` per fit (works across processes)."""

    def __init__(self, log=None, shift=0.0):
        self.log = log
        self.shift = shift

    def fit(self, X, y=None):
        if self.log is not None:
            with open(self.log, "a") as f:
                f.write(f"{self.shift}\n")
        self.mean_ = np.mean(X, axis=0) + self.shift
        return self

    def transform(self, X):
        return X - self.mean_


def _fits(log):
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_pipeline_prefixes_are_fitted_once(data, scheduler, tmp_path):
    X, y = data
    log = tmp_path / "fits.log"
    pipe = Pipeline([("count", CountingScaler(str(log))), ("pca", PCA()), ("clf", LogisticRegression())])
    grid = {"count__shift": [0.0, 1.0], "pca__n_components": [2, 3, 4], "clf__C": [0.1, 1.0, 10.0]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    n_folds = 3
    # 18 candidates x 3 folds = 54 fits without sharing; 2 distinct prefixes x 3 folds with it
    # (+1 for the refit).
    assert _fits(log) == n_folds * 2 + 1
    assert search.fit_counts_ == {"count": 6, "pca": 18, "clf": 54}
    ref = skms.GridSearchCV(pipe.set_params(count__log=None), grid, cv=3).fit(X, y)
    _assert_same_results(search, ref)


def test_whole_step_replacement_and_passthrough(data):
    X, y = data
    grid = [{"pca": [PCA(2), PCA(4)], "clf__C": [0.1, 1.0]}, {"pca": ["passthrough"], "clf__C": [1.0]}]
    ours = GridSearchCV(PIPE, grid, cv=3).fit(X, y)
    ref = skms.GridSearchCV(PIPE, grid, cv=3).fit(X, y)
    np.testing.assert_array_equal(ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])
    assert ours.fit_counts_["pca"] == 2 * 3
    # pipeline-level parameters disable sharing for that candidate, results unchanged
    ours = GridSearchCV(PIPE, {"verbose": [False], "clf__C": [1.0]}, cv=3).fit(X, y)
    ref = skms.GridSearchCV(PIPE, {"verbose": [False], "clf__C": [1.0]}, cv=3).fit(X, y)
    np.testing.assert_array_equal(ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])


class ScalingOnFit(TransformerMixin, BaseEstimator):
    """``fit_transform`` differs from ``fit().transform()`` (it also scales by ``a``)."""

    def __init__(self, a=1.0):
        self.a = a

    def fit(self, X, y=None):
        self.m_ = X.mean(axis=0)
        return self

    def transform(self, X):
        return X - self.m_

    def fit_transform(self, X, y=None):
        return (X - self.fit(X).m_) * self.a


def test_train_scores_use_transform_like_sklearn(data):
    X, y = data
    pipe = Pipeline([("odd", ScalingOnFit()), ("clf", LogisticRegression())])
    grid = {"odd__a": [1.0, 3.0], "clf__C": [0.1, 1.0]}
    ours = GridSearchCV(pipe, grid, cv=3, return_train_score=True).fit(X, y)
    ref = skms.GridSearchCV(pipe, grid, cv=3, return_train_score=True).fit(X, y)
    _assert_same_results(ours, ref)
    assert ours.fit_counts_["odd"] == 6


# ----------------------------------------------------------------- errors


class FailingClassifier(ClassifierMixin, BaseEstimator):
    def __init__(self, parameter=0):
        self.parameter = parameter

    def fit(self, X, y):
        if self.parameter == 1:
            raise ValueError("Failing classifier failed as required")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_error_score(data):
    X, y = data
    grid = {"parameter": [0, 1, 2]}
    with pytest.warns(FitFailedWarning, match="3 fits failed out of a total of 9"):
        ours = GridSearchCV(FailingClassifier(), grid, cv=3, error_score=-1).fit(X, y)
    with pytest.warns(FitFailedWarning):
        ref = skms.GridSearchCV(FailingClassifier(), grid, cv=3, error_score=-1).fit(X, y)
    _assert_same_results(ours, ref)
    with pytest.raises(ValueError, match="Failing classifier failed as required"):
        GridSearchCV(FailingClassifier(), grid, cv=3, error_score="raise").fit(X, y)


def test_failing_prefix_fails_its_candidates(data):
    X, y = data
    pipe = Pipeline([("f", PCA()), ("clf", LogisticRegression())])
    grid = {"f__n_components": [2, 100], "clf__C": [0.1, 1.0]}
    with pytest.warns(FitFailedWarning, match="6 fits failed out of a total of 12"):
        ours = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    failed = np.asarray(ours.cv_results_["param_f__n_components"]) == 100
    assert np.isnan(ours.cv_results_["mean_test_score"][failed]).all()
    assert np.isfinite(ours.cv_results_["mean_test_score"][~failed]).all()
    assert ours.fit_counts_["f"] == 6


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(param_grid=[]), ValueError, "No fits were performed"),
        (dict(param_grid={"C": []}), ValueError, "need to be a non-empty sequence"),
        (dict(param_grid={"C": [1.0]}, scoring="not_a_scorer"), ValueError, "scoring"),
        (dict(param_grid={"C": [1.0]}, pre_dispatch="all"), ValueError, "pre_dispatch"),
        (dict(param_grid={"C": [1.0]}, refit="accuracy", scoring=["accuracy"], cv=1), ValueError, "cv"),
    ],
)
def test_bad_input(data, kwargs, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        GridSearchCV(LogisticRegression(), **kwargs).fit(X, y)


def test_n_jobs_on_a_cluster_gives_the_same_search(data, cluster_client):
    X, y = data
    import dask

    ref = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}).fit(X, y)
    with cluster_client.as_current(), dask.config.set(scheduler="dask.distributed"):
        got = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, n_jobs=1).fit(X, y)
    _assert_same_results(got, ref)


def test_n_jobs_runs_locally(data):
    X, y = data
    ours = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, n_jobs=2).fit(X, y)
    ref = skms.GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, n_jobs=2).fit(X, y)
    _assert_same_results(ours, ref)


# ------------------------------------------------------------------ faults


class SlowLogisticRegression(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        time.sleep(0.15)
        return super().fit(X, y, sample_weight=sample_weight)


@pytest.mark.slow
def test_search_survives_a_killed_worker(data):
    """A worker restarted in the middle of the search: same best_params_."""
    import dask
    from distributed import Client, LocalCluster

    X, y = data
    grid = {"C": [0.01, 0.1, 1.0, 10.0]}
    ref = skms.GridSearchCV(LogisticRegression(), grid, cv=5).fit(X, y)
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
                    out["search"] = GridSearchCV(SlowLogisticRegression(), grid, cv=5).fit(X, y)

            t = threading.Thread(target=run)
            t.start()
            deadline = time.time() + 30
            while not any(ts for ts in client.processing().values()) and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)
            victim = sorted(client.scheduler_info()["workers"])[0]
            # kill the worker process; its nanny starts a fresh one
            client.run(_kill_worker, workers=[victim], wait=False)
            t.join(120)
    search = out["search"]
    assert search.best_params_ == ref.best_params_
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])


async def _kill_worker():
    os._exit(1)


def _metric_module(scorer):
    return getattr(scorer, "_score_func", None).__module__


def test_scoring_names_resolve_to_dml_metrics(data):
    X, y = data
    single = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3, scoring="f1").fit(X, y)
    assert _metric_module(single.scorer_).startswith("dml.metrics")
    multi = GridSearchCV(
        LogisticRegression(),
        {"C": [0.1, 1.0]},
        cv=3,
        scoring={"acc": "accuracy", "ap": "average_precision"},
        refit="acc",
    ).fit(X, y)
    assert _metric_module(multi.scorer_["acc"]).startswith("dml.metrics")
    # a name dml has no lazy version of still works, with scikit-learn's scorer
    assert _metric_module(multi.scorer_["ap"]).startswith("sklearn.metrics")
    ref = skms.GridSearchCV(
        LogisticRegression(),
        {"C": [0.1, 1.0]},
        cv=3,
        scoring={"acc": "accuracy", "ap": "average_precision"},
        refit="acc",
    ).fit(X, y)
    _assert_same_results(multi, ref)
    with pytest.raises(ValueError, match="The 'scoring' parameter of GridSearchCV must be"):
        GridSearchCV(LogisticRegression(), {"C": [0.1]}, cv=3, scoring="no_such_metric").fit(X, y)
    with pytest.raises(ValueError, match="The 'scoring' parameter of check_scoring must be"):
        GridSearchCV(LogisticRegression(), {"C": [0.1]}, cv=3, scoring=["accuracy", "nope"], refit=False).fit(
            X, y
        )
    with pytest.raises(ValueError, match="refit must be set"):
        GridSearchCV(LogisticRegression(), {"C": [0.1]}, cv=3, scoring=["accuracy", "f1"]).fit(X, y)
