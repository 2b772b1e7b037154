"""dml.wrappers.Incremental: block-by-block partial_fit over Dask arrays."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import MiniBatchKMeans
from sklearn.decomposition import IncrementalPCA
from sklearn.linear_model import LinearRegression, SGDClassifier, SGDRegressor
from sklearn.model_selection import GridSearchCV
from sklearn.utils import check_random_state

from dml.wrappers import Incremental

CHUNKS = 250


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 4))
    y = (X[:, 0] - X[:, 1] + rng.normal(scale=0.3, size=1000) > 0).astype(int)
    return X, y


def _manual(est, X, y, order, **kw):
    est = clone(est)
    for i in order:
        sl = slice(i * CHUNKS, (i + 1) * CHUNKS)
        if y is None:
            est.partial_fit(X[sl], **kw)
        else:
            est.partial_fit(X[sl], y[sl], **kw)
    return est


@pytest.mark.parametrize("shuffle_blocks", [True, False])
def test_equals_manual_partial_fit_loop(data, shuffle_blocks, scheduler):
    X, y = data
    base = SGDClassifier(random_state=0)
    inc = Incremental(base, shuffle_blocks=shuffle_blocks, random_state=7, n_epochs=3)
    inc.fit(da.from_array(X, chunks=(CHUNKS, 4)), da.from_array(y, chunks=CHUNKS))
    rng = check_random_state(7)
    order = [i for _ in range(3) for i in (rng.permutation(4) if shuffle_blocks else range(4))]
    ref = _manual(base, X, y, order, classes=np.array([0, 1]))
    np.testing.assert_allclose(inc.estimator_.coef_, ref.coef_)
    np.testing.assert_allclose(inc.estimator_.intercept_, ref.intercept_)
    np.testing.assert_array_equal(inc.classes_, [0, 1])
    pred = inc.predict(da.from_array(X, chunks=(CHUNKS, 4)))
    assert isinstance(pred, da.Array)
    np.testing.assert_array_equal(pred.compute(), ref.predict(X))
    assert inc.score(da.from_array(X, chunks=(CHUNKS, 4)), da.from_array(y, chunks=CHUNKS)) == pytest.approx(
        ref.score(X, y)
    )


def test_sample_weight_and_y_chunking_are_aligned(data):
    X, y = data
    w = np.linspace(0.5, 2.0, 1000)
    base = SGDRegressor(random_state=0)
    inc = Incremental(base, shuffle_blocks=False).fit(
        da.from_array(X, chunks=(CHUNKS, 2)),  # column blocks are merged
        da.from_array(X[:, 0] * 2.0, chunks=100),  # y rechunked to X's rows
        sample_weight=da.from_array(w, chunks=500),
    )
    rows = [slice(i * CHUNKS, (i + 1) * CHUNKS) for i in range(4)]
    ref = clone(base)
    for sl in rows:
        ref.partial_fit(X[sl], X[sl, 0] * 2.0, sample_weight=w[sl])
    np.testing.assert_allclose(inc.estimator_.coef_, ref.coef_)


def test_unsupervised_and_partial_fit_continues(data):
    X, _ = data
    Xd = da.from_array(X, chunks=(CHUNKS, 4))
    inc = Incremental(IncrementalPCA(n_components=2), shuffle_blocks=False).fit(Xd)
    ref = IncrementalPCA(n_components=2, batch_size=CHUNKS).fit(X)
    np.testing.assert_allclose(np.abs(inc.estimator_.components_), np.abs(ref.components_), rtol=1e-8)
    assert isinstance(inc.transform(Xd), da.Array)
    km = Incremental(MiniBatchKMeans(n_clusters=3, random_state=0, n_init=1), shuffle_blocks=False)
    km.partial_fit(Xd)
    first = km.estimator_.cluster_centers_.copy()
    km.partial_fit(Xd)
    ref = MiniBatchKMeans(n_clusters=3, random_state=0, n_init=1)
    for _ in range(2):
        for i in range(4):
            ref.partial_fit(X[i * CHUNKS : (i + 1) * CHUNKS])
    np.testing.assert_allclose(km.estimator_.cluster_centers_, ref.cluster_centers_)
    assert not np.allclose(first, km.estimator_.cluster_centers_)


def test_partial_fit_keeps_classes(data):
    X, y = data
    inc = Incremental(SGDClassifier(random_state=0))
    inc.partial_fit(da.from_array(X[:500], chunks=(CHUNKS, 4)), da.from_array(y[:500], chunks=CHUNKS))
    inc.partial_fit(da.from_array(X[500:], chunks=(CHUNKS, 4)), da.from_array(y[500:], chunks=CHUNKS))
    np.testing.assert_array_equal(inc.classes_, [0, 1])


def test_numpy_input_one_block_and_usable_in_grid_search(data):
    X, y = data
    inc = Incremental(SGDClassifier(random_state=0), n_epochs=2).fit(X, y)
    ref = SGDClassifier(random_state=0)
    ref.partial_fit(X, y, classes=[0, 1])
    ref.partial_fit(X, y)
    np.testing.assert_allclose(inc.estimator_.coef_, ref.coef_)
    search = GridSearchCV(
        Incremental(SGDClassifier(random_state=0), n_epochs=2),
        {"estimator__alpha": [1e-4, 1e-2], "n_epochs": [1, 3]},
        cv=3,
    ).fit(X, y)
    assert set(search.best_params_) == {"estimator__alpha", "n_epochs"}
    assert search.best_score_ > 0.8


def test_scoring_name_is_lazy(data):
    from dml._engine.mapreduce import count_passes

    X, y = data
    Xd, yd = da.from_array(X, chunks=(CHUNKS, 4)), da.from_array(y, chunks=CHUNKS)
    inc = Incremental(SGDClassifier(random_state=0), scoring="f1", random_state=0).fit(Xd, yd)
    with count_passes() as counter:
        got = inc.score(Xd, yd)
    assert counter.passes == 1
    from sklearn.metrics import f1_score

    assert got == pytest.approx(f1_score(y, inc.estimator_.predict(X)))
    with pytest.raises(ValueError, match="is not a valid scoring value"):
        Incremental(SGDClassifier(), scoring="bogus").fit(X, y).score(X, y)


def test_bad_parameters(data):
    X, y = data
    with pytest.raises(
        ValueError,
        match="The 'estimator' parameter of Incremental must be an object implementing 'partial_fit'",
    ):
        Incremental(LinearRegression()).fit(X, y)
    with pytest.raises(ValueError, match="needs an estimator with partial_fit"):
        Incremental().fit(X, y)
    with pytest.raises(
        ValueError, match="The 'n_epochs' parameter of Incremental must be an int in the range"
    ):
        Incremental(SGDClassifier(), n_epochs=0).fit(X, y)
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: \[1000, 999\]"):
        Incremental(SGDClassifier()).fit(da.from_array(X, chunks=(CHUNKS, 4)), y[:-1])


@pytest.mark.parametrize("metric", ["sklearn", "dml"])
def test_metric_function_as_scoring_is_rejected_at_fit(data, metric):
    import sklearn.metrics

    import dml.metrics

    X, y = data
    accuracy = (sklearn.metrics if metric == "sklearn" else dml.metrics).accuracy_score
    inc = Incremental(SGDClassifier(random_state=0), scoring=accuracy)
    with pytest.raises(ValueError, match="looks like it is a metric function rather than a scorer"):
        inc.fit(X, y)
    assert not hasattr(inc, "estimator_")
    # the scorer made from it works, in fit and in score (lazy input too)
    inc = Incremental(SGDClassifier(random_state=0), scoring=dml.metrics.make_scorer(accuracy))
    Xd, yd = da.from_array(X, chunks=CHUNKS), da.from_array(y, chunks=CHUNKS)
    assert 0.5 < inc.fit(Xd, yd).score(Xd, yd) <= 1
    with pytest.raises(ValueError, match="not a valid scoring value"):
        Incremental(SGDClassifier(), scoring="nope").fit(X, y)


def test_fitted_attributes_pass_through(data):
    import pickle

    X, y = data
    inc = Incremental(SGDClassifier(random_state=0), random_state=0)
    with pytest.raises(AttributeError, match="'Incremental' object has no attribute 'coef_'"):
        inc.coef_
    assert not hasattr(inc, "n_iter_")
    inc.fit(da.from_array(X, chunks=CHUNKS), da.from_array(y, chunks=CHUNKS))
    est = inc.estimator_
    assert inc.coef_ is est.coef_ and inc.intercept_ is est.intercept_
    assert inc.t_ == est.t_
    with pytest.raises(AttributeError, match="'Incremental' object has no attribute 'nope_'"):
        inc.nope_
    # methods and private names of the inner model are not passed through
    assert not hasattr(inc, "densify") and not hasattr(inc, "_validate_params_")
    again = pickle.loads(pickle.dumps(inc))
    np.testing.assert_array_equal(again.coef_, inc.coef_)
    fresh = clone(inc)
    assert not hasattr(fresh, "coef_") and fresh.get_params()["random_state"] == 0
