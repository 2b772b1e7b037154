"""dml.model_selection.HalvingGridSearchCV / HalvingRandomSearchCV: scikit-learn's schedule,
candidate selection and results, every fit a task."""

from __future__ import annotations

import inspect

import dask
import dask.array as da
import numpy as np
import pytest
import sklearn.model_selection as skms
from distributed.utils_test import gen_cluster
from scipy.stats import randint
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import FitFailedWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold, ShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from dml.model_selection import HalvingGridSearchCV, HalvingRandomSearchCV
from dml.model_selection._halving import halving_schedule, top_k

SCHEDULE_ATTRS = (
    "n_resources_",
    "n_candidates_",
    "n_remaining_candidates_",
    "max_resources_",
    "min_resources_",
    "n_iterations_",
    "n_possible_iterations_",
    "n_required_iterations_",
    "n_splits_",
)


@pytest.fixture(scope="module")
def data():
    return make_classification(400, 8, n_informative=4, random_state=0)


def _assert_same_results(ours, ref):
    """Same schedule, same rows in the same order, scores equal to the last bit."""
    for attr in SCHEDULE_ATTRS:
        assert getattr(ours, attr) == getattr(ref, attr), attr
    assert list(ours.cv_results_) == list(ref.cv_results_)
    for key, want in ref.cv_results_.items():
        got = ours.cv_results_[key]
        if key == "params":
            assert got == want
        elif key.endswith("_time"):
            assert np.shape(got) == np.shape(want)
        elif isinstance(want, np.ma.MaskedArray):
            assert isinstance(got, np.ma.MaskedArray) and got.dtype == want.dtype, key
            np.testing.assert_array_equal(got.mask, want.mask)
            assert list(got.compressed()) == list(want.compressed()), key
        else:
            assert got.dtype == want.dtype, key
            np.testing.assert_array_equal(got, want, err_msg=key)
    assert ours.best_params_ == ref.best_params_
    assert ours.best_index_ == ref.best_index_
    assert ours.best_score_ == ref.best_score_ or (np.isnan(ours.best_score_) and np.isnan(ref.best_score_))


def _pair(name, *args, **kwargs):
    ours = {"grid": HalvingGridSearchCV, "random": HalvingRandomSearchCV}[name](*args, **kwargs)
    ref = {"grid": skms.HalvingGridSearchCV, "random": skms.HalvingRandomSearchCV}[name](*args, **kwargs)
    return ours, ref


# Trees: deterministic (random_state=0) and quick to fit on a loaded 2-core machine.
TREE = DecisionTreeClassifier(random_state=0)
GRID = {"min_samples_leaf": [1, 2, 4, 8, 16, 32, 64]}


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(factor=2),
        dict(factor=2.5, min_resources="smallest"),
        dict(min_resources=40, aggressive_elimination=True),
        dict(max_resources=300, min_resources="smallest", aggressive_elimination=True),
        dict(return_train_score=False, scoring="roc_auc"),
        dict(refit=False),
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults",
)
def test_grid_matches_sklearn(data, kwargs):
    X, y = data
    ours, ref = _pair("grid", TREE, GRID, cv=3, random_state=0, **kwargs)
    ours.fit(X, y)
    ref.fit(X, y)
    _assert_same_results(ours, ref)
    if ours.refit:
        np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
        np.testing.assert_array_equal(ours.classes_, ref.classes_)
        assert ours.n_features_in_ == ref.n_features_in_ == 8
        assert ours.refit_time_ >= 0
    else:
        assert not hasattr(ours, "best_estimator_")
        with pytest.raises(AttributeError, match="has no attribute 'predict'"):
            ours.predict(X)
    assert ours.multimetric_ is False and callable(ours.scorer_)


def test_clear_ordering_picks_sklearns_best():
    """Deeper trees fit a smooth target better: both searches keep the deepest ones."""
    X, y = make_regression(900, 4, noise=1.0, random_state=0)
    grid = {"max_depth": [1, 2, 3, 4, 6, 8, 10, 12, 14]}
    ours, ref = _pair("grid", DecisionTreeRegressor(random_state=0), grid, cv=3, random_state=0, factor=3)
    _assert_same_results(ours.fit(X, y), ref.fit(X, y))
    assert ours.n_candidates_ == [9, 3, 1] and ours.n_resources_ == [100, 300, 900]
    assert ours.best_params_["max_depth"] >= 8


@pytest.mark.parametrize("seed", [0, "instance"])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_candidates=10),
        dict(n_candidates="exhaust", min_resources=20, factor=2),
        dict(n_candidates=12, min_resources="exhaust"),
        dict(n_candidates=9, resource="max_depth", max_resources=9, min_resources=1),
    ],
    ids=["n_candidates", "exhaust-candidates", "exhaust-resources", "resource-parameter"],
)
def test_random_matches_sklearn(data, kwargs, seed):
    X, y = data
    space = {"min_samples_leaf": randint(1, 30), "criterion": ["gini", "entropy"]}
    if "resource" not in kwargs:
        space["max_depth"] = randint(1, 8)

    def state():  # a RandomState instance is drawn from as scikit-learn draws from it
        return np.random.RandomState(0) if seed == "instance" else seed

    est = DecisionTreeClassifier(random_state=0)
    ours = HalvingRandomSearchCV(est, space, cv=3, random_state=state(), **kwargs).fit(X, y)
    ref = skms.HalvingRandomSearchCV(est, space, cv=3, random_state=state(), **kwargs).fit(X, y)
    _assert_same_results(ours, ref)


def test_parameter_resource(data):
    X, y = data
    grid = {"min_samples_leaf": [1, 2, 5, 10, 20, 40]}
    est = DecisionTreeClassifier(random_state=0)
    ours, ref = _pair("grid", est, grid, cv=3, resource="max_depth", max_resources=12, factor=2)
    _assert_same_results(ours.fit(X, y), ref.fit(X, y))
    for r, params, param in zip(
        ours.cv_results_["n_resources"], ours.cv_results_["params"], ours.cv_results_["param_max_depth"]
    ):
        assert r == params["max_depth"] == param
    assert ours.best_estimator_.max_depth == ours.n_resources_[-1]


def test_pipeline_resource_and_fit_counts(data):
    X, y = data
    pipe = Pipeline([("scale", StandardScaler()), ("tree", DecisionTreeClassifier(random_state=0))])
    grid = {"tree__min_samples_leaf": [1, 5, 10, 20]}
    ours, ref = _pair("grid", pipe, grid, cv=2, resource="tree__max_depth", max_resources=8, factor=2)
    _assert_same_results(ours.fit(X, y), ref.fit(X, y))
    # the scaler (no searched parameter) is fitted once per fold and iteration
    assert ours.fit_counts_ == {"scale": 2 * ours.n_iterations_, "tree": 2 * sum(ours.n_candidates_)}


def test_schedule_arithmetic():
    # scikit-learn's: 1 + floor(log(n, factor)) required iterations, floats included
    plan = halving_schedule(20, 3, 10, 1000, exhaust=True, aggressive=False)
    assert plan == {
        "min_resources": 111,
        "n_required_iterations": 3,
        "n_possible_iterations": 3,
        "n_iterations": 3,
        "n_resources": [111, 333, 999],
    }
    plan = halving_schedule(20, 3, 10, 30, exhaust=False, aggressive=True)
    assert plan["n_resources"] == [10, 10, 30] and plan["n_possible_iterations"] == 2


def test_top_k_moves_nan_scores_first():
    results = {
        "iter": np.array([0, 0, 0, 0, 1]),
        "mean_test_score": np.array([0.5, np.nan, 0.9, 0.1, 0.7]),
        "params": [{"a": 0}, {"a": 1}, {"a": 2}, {"a": 3}, {"a": 4}],
    }
    assert top_k(results, 2, 0) == [{"a": 0}, {"a": 2}]
    assert top_k(results, 4, 0) == [{"a": 1}, {"a": 3}, {"a": 0}, {"a": 2}]


def test_subsample_is_the_same_on_any_chunking_and_persistence(data, scheduler):
    X, y = data
    ref = skms.HalvingGridSearchCV(TREE, GRID, cv=3, random_state=0).fit(X, y)
    Xl = da.from_array(X, chunks=((50, 250, 7, 93), (8,)))
    yl = da.from_array(y, chunks=100)
    lazy = HalvingGridSearchCV(TREE, GRID, cv=3, random_state=0).fit(Xl, yl)
    Xp, yp = da.from_array(X, chunks=128).persist(), da.from_array(y, chunks=128).persist()
    persisted = HalvingGridSearchCV(TREE, GRID, cv=3, random_state=0).fit(Xp, yp)
    _assert_same_results(lazy, ref)
    _assert_same_results(persisted, ref)


def test_dask_dataframe_with_unknown_lengths(data):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = dd.from_pandas(pd.DataFrame(X, columns=[f"f{i}" for i in range(8)]), npartitions=3)
    frame = frame.clear_divisions()
    ours = HalvingGridSearchCV(TREE, GRID, cv=3, random_state=0).fit(frame, y)
    ref = skms.HalvingGridSearchCV(TREE, GRID, cv=3, random_state=0).fit(X, y)
    assert ours.n_resources_ == ref.n_resources_ and ours.best_params_ == ref.best_params_
    np.testing.assert_array_equal(ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])


def test_groups_and_sample_weight(data):
    X, y = data
    groups = np.arange(len(y)) % 7
    w = np.linspace(0.5, 2.0, len(y))
    kw = dict(cv=GroupKFold(3), random_state=0, min_resources="smallest")
    ours, ref = _pair("grid", TREE, GRID, **kw)
    ours.fit(X, y, groups=groups, sample_weight=w)
    ref.fit(X, y, groups=groups, sample_weight=w)
    _assert_same_results(ours, ref)
    with pytest.raises(ValueError, match="The 'groups' parameter should not be None"):
        HalvingGridSearchCV(TREE, GRID, **kw).fit(X, y)


class _FailsBelow(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; its fit fails for ``a < 0``."""

    def __init__(self, a=0):
        self.a = a

    def fit(self, X, y):
        if self.a < 0:
            raise ValueError("negative a")
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


def test_failed_fits_rank_lowest_and_are_dropped(data):
    X, y = data
    grid = {"a": [-2, -1, 0, 1, 2, 3]}
    ours, ref = _pair("grid", _FailsBelow(), grid, cv=2, random_state=0)
    for search in (ours, ref):
        with pytest.warns(FitFailedWarning), pytest.warns(UserWarning, match="scores are non-finite"):
            search.fit(X, y)
    _assert_same_results(ours, ref)
    assert all(p["a"] >= 0 for p in ours.cv_results_["params"][ours.n_candidates_[0] :])
    with pytest.raises(ValueError, match="negative a"):
        HalvingGridSearchCV(_FailsBelow(), grid, cv=2, error_score="raise").fit(X, y)


def test_verbose_prints_the_schedule(data, capsys):
    X, y = data
    HalvingGridSearchCV(TREE, GRID, cv=3, random_state=0, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    for line in ("n_iterations: 2", "n_required_iterations: 2", "min_resources_: 133", "iter: 1"):
        assert line in out
    assert "Fitting 3 folds for each of 7 candidates" in out


def _dict_scorer(est, X, y):
    return {"a": est.score(X, y), "b": 1.0}


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            dict(min_resources=500, max_resources=400),
            ValueError,
            "min_resources_=500 is greater than max_resources_=400",
        ),
        (
            dict(min_resources=500),
            ValueError,
            r"min_resources_=500 is greater than max_resources_=400 \(max_resources='auto': n_samples=400\)",
        ),
        (
            dict(resource="not_a_parameter", max_resources=10),
            ValueError,
            "Cannot use resource=not_a_parameter which is not supported by estimator LogisticRegression",
        ),
        (
            dict(resource="C", max_resources=10),
            ValueError,
            "Cannot use parameter C as the resource since it is part of the searched parameters",
        ),
        (dict(resource="max_iter"), ValueError, "resource can only be 'n_samples' when max_resources='auto'"),
        (
            dict(factor=1),
            ValueError,
            r"The 'factor' parameter of HalvingGridSearchCV must be a float in the range \(1.0, inf\)",
        ),
        (dict(factor=0.5), ValueError, "'factor' parameter"),
        (dict(min_resources=0), ValueError, "'min_resources' parameter"),
        (dict(max_resources="all"), ValueError, "'max_resources' parameter"),
        (dict(cv=KFold(3, shuffle=True)), ValueError, "must yield consistent folds across calls to split"),
        (dict(cv=ShuffleSplit()), ValueError, "must yield consistent folds"),
        (dict(scoring=["accuracy", "roc_auc"]), ValueError, "'scoring' parameter"),
        (dict(scoring="not_a_scorer"), ValueError, "'scoring' parameter"),
        (dict(scoring=_dict_scorer), ValueError, "ranks candidates by one score"),
        (dict(refit=lambda results: 0), ValueError, "'refit' parameter"),
        (dict(pre_dispatch="all"), TypeError, "pre_dispatch"),
    ],
)
def test_bad_input(data, kwargs, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        HalvingGridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, **kwargs).fit(X, y)


class _HasNSamples(_FailsBelow):
    def __init__(self, a=0, n_samples=10):
        self.a = a
        self.n_samples = n_samples


def test_bad_input_more(data):
    X, y = data
    with pytest.raises(ValueError, match="resource='n_samples' is ambiguous: estimator _HasNSamples"):
        HalvingGridSearchCV(_HasNSamples(), {"a": [0, 1]}).fit(X, y)
    with pytest.raises(ValueError, match="n_candidates and min_resources cannot be both set to 'exhaust'"):
        HalvingRandomSearchCV(LogisticRegression(), {"C": [1.0]}, min_resources="exhaust").fit(X, y)
    with pytest.raises(ValueError, match="you might have passed an empty dataset X"):
        HalvingGridSearchCV(LogisticRegression(), {"C": [1.0]}, min_resources="smallest").fit(
            np.empty((0, 3)), []
        )
    with pytest.raises(ValueError, match="This HalvingGridSearchCV estimator requires y to be passed"):
        HalvingGridSearchCV(LogisticRegression(), {"C": [1.0]}).fit(X)
    with pytest.raises(ValueError, match=r"max_resources=600 is greater than the number of samples \(400\)"):
        HalvingGridSearchCV(LogisticRegression(), {"C": [1.0]}, max_resources=600, min_resources=600).fit(
            X, y
        )
    X_before = X.copy()
    HalvingGridSearchCV(LogisticRegression(), {"C": [1.0]}, cv=2).fit(X, y)
    np.testing.assert_array_equal(X, X_before)


def test_n_jobs_on_a_cluster_gives_the_same_search(data, cluster_client):
    X, y = data
    ref = HalvingGridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, random_state=0).fit(X, y)
    with cluster_client.as_current(), dask.config.set(scheduler="dask.distributed"):
        got = HalvingGridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, n_jobs=1, random_state=0).fit(X, y)
    np.testing.assert_allclose(got.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"])
    assert got.best_params_ == ref.best_params_


def test_fit_is_awaitable_under_an_asynchronous_client(data):
    X, y = data
    ref = HalvingRandomSearchCV(
        TREE, {"min_samples_leaf": randint(1, 50)}, n_candidates=6, cv=3, random_state=0
    )
    ref.fit(X, y)

    # the suite's session cluster may be running: its processes and threads are no leak
    @gen_cluster(
        client=True, timeout=60, clean_kwargs={"processes": False, "threads": False, "instances": False}
    )
    async def run(c, s, a, b):
        search = HalvingRandomSearchCV(
            TREE, {"min_samples_leaf": randint(1, 50)}, n_candidates=6, cv=3, random_state=0
        )
        pending = search.fit(da.from_array(X, chunks=100), da.from_array(y, chunks=100))
        assert inspect.iscoroutine(pending)
        assert await pending is search
        _assert_same_results(search, ref)

    run()
