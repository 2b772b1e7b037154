"""scikit-learn's metadata routing through dml's GridSearchCV / RandomizedSearchCV /
HalvingGridSearchCV: each
parameter reaches what requested it (the estimator's fit, the scorer, the splitter), with
scikit-learn's results and errors."""

import dask.array as da
import numpy as np
import pytest
import sklearn
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import GridSearchCV as SkGridSearchCV
from sklearn.model_selection import GroupKFold
from sklearn.model_selection import HalvingGridSearchCV as SkHalvingGridSearchCV
from sklearn.model_selection import RandomizedSearchCV as SkRandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler as SkStandardScaler

from dml.linear_model import LogisticRegression
from dml.model_selection import GridSearchCV, HalvingGridSearchCV, RandomizedSearchCV

SEARCHES = {
    "grid": (GridSearchCV, SkGridSearchCV, {}),
    "randomized": (RandomizedSearchCV, SkRandomizedSearchCV, {"n_iter": 3, "random_state": 0}),
    "halving": (HalvingGridSearchCV, SkHalvingGridSearchCV, {"random_state": 0, "min_resources": 100}),
}
GRID = {"C": [0.01, 0.1, 1.0]}


@pytest.fixture(autouse=True)
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] - X[:, 1] + rng.normal(scale=0.8, size=300) > 0).astype(int)
    w = rng.uniform(0.1, 3.0, size=300)
    groups = np.repeat(np.arange(10), 30)
    return X, y, w, groups


def _same(got, ref):
    for key in ("mean_test_score", "rank_test_score"):
        np.testing.assert_allclose(got.cv_results_[key], ref.cv_results_[key], rtol=1e-6)
    assert got.best_params_ == ref.best_params_


@pytest.mark.parametrize("kind", sorted(SEARCHES))
@pytest.mark.parametrize("est_cls", [SkLogisticRegression, LogisticRegression], ids=["sklearn", "dml"])
def test_weights_routed_to_fit_and_score(data, kind, est_cls):
    X, y, w, _ = data
    ours, theirs, kw = SEARCHES[kind]
    est = est_cls().set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
    ref = theirs(est, GRID, cv=3, **kw).fit(X, y, sample_weight=w)
    got = ours(est, GRID, cv=3, **kw).fit(X, y, sample_weight=w)
    _same(got, ref)
    np.testing.assert_allclose(got.best_estimator_.coef_, ref.best_estimator_.coef_, rtol=1e-6)
    # the weights changed the result: an unweighted search scores differently
    plain = ours(est_cls(), GRID, cv=3, **kw).fit(X, y)
    assert not np.allclose(plain.cv_results_["mean_test_score"], got.cv_results_["mean_test_score"])


def test_weights_requested_by_fit_only(data):
    X, y, w, _ = data
    est = LogisticRegression().set_fit_request(sample_weight=True).set_score_request(sample_weight=False)
    ref = SkGridSearchCV(est, GRID, cv=3).fit(X, y, sample_weight=w)
    got = GridSearchCV(est, GRID, cv=3).fit(X, y, sample_weight=w)
    _same(got, ref)


def test_unrequested_metadata_raises_scikit_learns_error(data):
    X, y, w, _ = data
    with pytest.raises(
        UnsetMetadataPassedError, match=r"\[sample_weight\] are passed but are not explicitly set"
    ):
        GridSearchCV(LogisticRegression(), GRID, cv=3).fit(X, y, sample_weight=w)
    with pytest.raises(TypeError, match="unexpected argument"):
        GridSearchCV(LogisticRegression(), GRID, cv=3).fit(X, y, nonsense=w)


def test_groups_routed_to_the_splitter(data):
    X, y, _, groups = data
    ref = SkGridSearchCV(LogisticRegression(), GRID, cv=GroupKFold(5)).fit(X, y, groups=groups)
    got = GridSearchCV(LogisticRegression(), GRID, cv=GroupKFold(5)).fit(X, y, groups=groups)
    _same(got, ref)
    np.testing.assert_allclose(got.cv_results_["split0_test_score"], ref.cv_results_["split0_test_score"])


def test_pipeline_routes_to_its_steps(data):
    X, y, w, _ = data
    pipe = make_pipeline(
        SkStandardScaler().set_fit_request(sample_weight=True),
        LogisticRegression().set_fit_request(sample_weight=True).set_score_request(sample_weight=False),
    )
    grid = {"logisticregression__C": [0.1, 1.0]}
    ref = SkGridSearchCV(pipe, grid, cv=3).fit(X, y, sample_weight=w)
    got = GridSearchCV(pipe, grid, cv=3).fit(X, y, sample_weight=w)
    _same(got, ref)
    assert got.fit_counts_ == {"Pipeline": 6}  # the pipeline fits whole: it routes itself


def test_dask_input_under_routing(data):
    X, y, w, _ = data
    est = LogisticRegression().set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
    ref = GridSearchCV(est, GRID, cv=3).fit(X, y, sample_weight=w)
    got = GridSearchCV(est, GRID, cv=3).fit(
        da.from_array(X, chunks=100), da.from_array(y, chunks=100), sample_weight=da.from_array(w, chunks=100)
    )
    _same(got, ref)
