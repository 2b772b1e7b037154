"""HistGradientBoostingRegressor / Classifier: scikit-learn's model, grown through the graph."""

import pickle

import dask
import dask.array as da
import numpy as np
import pytest
from sklearn import ensemble as sk
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from dml._engine.mapreduce import count_passes
from dml.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    """scikit-learn's OpenMP threads crawl on a loaded CI machine; the models compared
    do not depend on them."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _data(n=3000, p=5, seed=0, nan=0.05):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p)
    X[rng.rand(n, p) < nan] = np.nan
    Z = np.nan_to_num(X)
    y = 2 * Z[:, 0] + Z[:, 1] ** 2 + np.sin(3 * Z[:, 2]) + 0.1 * rng.randn(n)
    return X, y


def _np(a):
    return a.compute() if hasattr(a, "compute") else a


REG_CASES = [
    dict(max_iter=15),
    dict(max_iter=10, max_leaf_nodes=None, max_depth=3),
    dict(max_iter=10, l2_regularization=1.0, min_samples_leaf=5, max_bins=20, learning_rate=0.3),
    dict(max_iter=8, max_leaf_nodes=7, max_depth=4),
]


@pytest.mark.parametrize("params", REG_CASES)
def test_regressor_matches_sklearn(params):
    X, y = _data()
    a = sk.HistGradientBoostingRegressor(random_state=0, early_stopping=False, **params).fit(X, y)
    b = HistGradientBoostingRegressor(random_state=0, early_stopping=False, **params).fit(X, y)
    assert b.n_iter_ == a.n_iter_
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("loss", ["poisson", "gamma"])
def test_log_link_losses_match_sklearn(loss):
    X, y = _data(2000)
    y = np.exp(y / 3)
    a = sk.HistGradientBoostingRegressor(loss=loss, max_iter=10, random_state=0).fit(X, y)
    b = HistGradientBoostingRegressor(loss=loss, max_iter=10, random_state=0).fit(X, y)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-9)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_matches_sklearn(n_classes):
    X, y = _data(2500)
    yc = np.digitize(y, [1.0] if n_classes == 2 else [0.0, 2.0])
    labels = np.array(["a", "b", "c"])[yc]
    kw = dict(max_iter=12, random_state=0, early_stopping=False)
    a = sk.HistGradientBoostingClassifier(**kw).fit(X, labels)
    b = HistGradientBoostingClassifier(**kw).fit(X, labels)
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b.decision_function(X), a.decision_function(X), rtol=1e-9, atol=1e-12)
    assert (b.predict(X) == a.predict(X)).all()
    assert list(b.classes_) == list(a.classes_)
    for sa, sb in zip(a.staged_predict_proba(X[:50]), b.staged_predict_proba(X[:50])):
        np.testing.assert_allclose(sb, sa, rtol=1e-9, atol=1e-12)


def test_weights_and_class_weight_match_sklearn():
    X, y = _data(2000)
    w = np.random.RandomState(1).rand(2000) * 3
    yc = np.digitize(y, [0.0, 2.0])
    kw = dict(max_iter=8, random_state=0, class_weight="balanced")
    a = sk.HistGradientBoostingClassifier(**kw).fit(X, yc, sample_weight=w)
    b = HistGradientBoostingClassifier(**kw).fit(X, yc, sample_weight=w)
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), rtol=1e-8, atol=1e-12)
    a = sk.HistGradientBoostingRegressor(max_iter=8, random_state=0).fit(X, y, sample_weight=w)
    b = HistGradientBoostingRegressor(max_iter=8, random_state=0).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-8)


@pytest.mark.slow
def test_early_stopping_matches_sklearn():
    """early_stopping='auto' is on above 10000 rows: the same split, scores, n_iter_."""
    X, y = _data(12000, p=4)
    a = sk.HistGradientBoostingRegressor(max_iter=40, random_state=0, n_iter_no_change=2, tol=0.02).fit(X, y)
    b = HistGradientBoostingRegressor(max_iter=40, random_state=0, n_iter_no_change=2, tol=0.02).fit(X, y)
    assert b.do_early_stopping_ and a.do_early_stopping_
    assert b.n_iter_ == a.n_iter_ < 40
    np.testing.assert_allclose(b.train_score_, a.train_score_, rtol=1e-9)
    np.testing.assert_allclose(b.validation_score_, a.validation_score_, rtol=1e-9)


def test_early_stopping_without_validation_scores_training_rows():
    X, y = _data(1500)
    kw = dict(
        max_iter=40,
        random_state=0,
        early_stopping=True,
        validation_fraction=None,
        n_iter_no_change=2,
        tol=1.0,
    )
    a = sk.HistGradientBoostingRegressor(**kw).fit(X, y)
    b = HistGradientBoostingRegressor(**kw).fit(X, y)
    assert b.n_iter_ == a.n_iter_ < 40
    np.testing.assert_allclose(b.train_score_, a.train_score_, rtol=1e-9)
    assert b.validation_score_.size == 0


def test_nan_direction_learned_and_unseen_nan_at_predict():
    X, y = _data(2000, nan=0.2)
    a = sk.HistGradientBoostingRegressor(max_iter=10, random_state=0).fit(X, y)
    b = HistGradientBoostingRegressor(max_iter=10, random_state=0).fit(X, y)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-9)
    # no NaN in training: NaN at predict time goes to the larger child, as scikit-learn
    X2, y2 = _data(2000, nan=0.0)
    a = sk.HistGradientBoostingRegressor(max_iter=5, random_state=0).fit(X2, y2)
    b = HistGradientBoostingRegressor(max_iter=5, random_state=0).fit(X2, y2)
    Xt = X2[:200].copy()
    Xt[::3, 0] = np.nan
    np.testing.assert_allclose(b.predict(Xt), a.predict(Xt), rtol=1e-9)


def test_binning_subsample_above_200000_rows_matches_sklearn():
    """Above 200000 training rows the bin edges come from scikit-learn's subsample."""
    rng = np.random.RandomState(0)
    X = rng.randn(200_500, 1)
    y = X[:, 0] + 0.1 * rng.randn(200_500)
    kw = dict(max_iter=2, random_state=3, early_stopping=False, max_leaf_nodes=8)
    a = sk.HistGradientBoostingRegressor(**kw).fit(X, y)
    b = HistGradientBoostingRegressor(**kw).fit(X, y)
    np.testing.assert_allclose(b._bin_thresholds[0], a._bin_mapper.bin_thresholds_[0])
    np.testing.assert_allclose(b.predict(X[:1000]), a.predict(X[:1000]), rtol=1e-9)


def test_chunking_does_not_change_the_model_and_predict_is_lazy():
    X, y = _data(3000)
    ref = HistGradientBoostingRegressor(max_iter=6, random_state=0).fit(X, y)
    for chunks in (700, 1500):
        Xd, yd = da.from_array(X, chunks=(chunks, -1)), da.from_array(y, chunks=chunks)
        m = HistGradientBoostingRegressor(max_iter=6, random_state=0).fit(Xd, yd)
        with count_passes() as c:
            pred = m.predict(Xd)
        assert c.passes == 0 and isinstance(pred, da.Array)
        np.testing.assert_allclose(pred.compute(), ref.predict(X), rtol=1e-12, atol=1e-12)


def test_same_model_on_one_two_and_four_workers():
    from distributed import Client, LocalCluster

    X, y = _data(2400)
    yc = np.digitize(y, [0.0, 2.0])
    preds = []
    for n_workers in (1, 2, 4):
        with (
            LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=False, dashboard_address=None
            ) as lc,
            Client(lc),
        ):
            Xd, yd = da.from_array(X, chunks=(600, -1)), da.from_array(yc, chunks=600)
            m = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(Xd, yd)
            preds.append(m.predict_proba(X))
            assert b"distributed" not in pickle.dumps(m)
    np.testing.assert_array_equal(preds[0], preds[1])
    np.testing.assert_array_equal(preds[0], preds[2])
    ref = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(X, yc)
    np.testing.assert_allclose(preds[0], ref.predict_proba(X), rtol=1e-12, atol=1e-14)


def test_passes_per_level(monkeypatch):
    """One pass gathers the binning rows, then one pass per iteration: the root's,
    which also fetches every training row (a few thousand), from which the levels
    below grow with no pass; with no rows fetched, one pass per level."""
    import dml.ensemble._hist_gradient_boosting as hgb

    X, y = _data(1500, nan=0)
    Xd, yd = da.from_array(X, chunks=(500, -1)), da.from_array(y, chunks=500)
    m = HistGradientBoostingRegressor(max_iter=3, max_depth=2, max_leaf_nodes=None, min_samples_leaf=5)
    with count_passes() as c:
        m.fit(Xd, yd)
    assert c.passes == 1 + 3
    monkeypatch.setattr(hgb, "_LOCAL_HISTOGRAMS", 0)
    with count_passes() as c:
        m.fit(Xd, yd)
    assert c.passes == 1 + 3 * 2


@pytest.mark.parametrize(
    "make, params",
    [
        ("reg", dict(max_iter=6)),
        ("bin", dict(max_iter=6, max_leaf_nodes=15, min_samples_leaf=5)),
        ("multi", dict(max_iter=4, max_features=0.6, random_state=3)),
    ],
)
def test_fetched_subtrees_grow_the_same_trees_in_fewer_passes(monkeypatch, make, params):
    """The rows of small splits are fetched and their subtrees grown here: the model of
    a growth with every histogram from a pass, of one fetching every split's rows,
    and of one whose fetch budget runs out mid-tree, are the same; fewer passes."""
    import dml.ensemble._hist_gradient_boosting as hgb

    X, y = _data(6000, p=6)
    est = HistGradientBoostingRegressor
    if make != "reg":
        y = np.digitize(y, [1.0] if make == "bin" else [0.0, 2.0])
        est = HistGradientBoostingClassifier
    Xd, yd = da.from_array(X, chunks=(1000, -1)), da.from_array(y, chunks=1000)
    params = dict(dict(early_stopping=False, random_state=0), **params)
    out = {}
    # under the root split's rows (6000 x 30 bytes) a tree: some splits fetched, some not
    budget = 300_000 if make == "multi" else 150_000
    for name, n_hist, n_bytes in (("remote", 0, 2**27), ("local", 1000, 2**27), ("budget", 1000, budget)):
        monkeypatch.setattr(hgb, "_LOCAL_HISTOGRAMS", n_hist)
        monkeypatch.setattr(hgb, "_LOCAL_BYTES", n_bytes)
        with count_passes() as c:
            m = est(**params).fit(Xd, yd)
        out[name] = (c.passes, m.predict(X) if make == "reg" else m.predict_proba(X), m)
    assert out["local"][0] < out["budget"][0] <= out["remote"][0]
    for name in ("local", "budget"):
        np.testing.assert_array_equal(out[name][1], out["remote"][1])
    for a, b in zip(out["remote"][2]._trees, out["local"][2]._trees):
        for ta, tb in zip(a, b):
            np.testing.assert_array_equal(ta["feature"], tb["feature"])
            np.testing.assert_array_equal(ta["threshold"], tb["threshold"])


def test_small_in_memory_input_runs_without_a_graph():
    X, y = _data(500)

    def refuse(*args, **kwargs):  # pragma: no cover - called only on failure
        raise AssertionError("a Dask graph was computed")

    with dask.config.set(scheduler=refuse):
        m = HistGradientBoostingRegressor(max_iter=3).fit(X, y)
        m.predict(X)


def test_warm_start_adds_iterations():
    X, y = _data(1500)
    a = HistGradientBoostingRegressor(max_iter=8, random_state=0, early_stopping=False).fit(X, y)
    b = HistGradientBoostingRegressor(max_iter=4, random_state=0, early_stopping=False, warm_start=True).fit(
        X, y
    )
    b.set_params(max_iter=8).fit(X, y)
    assert b.n_iter_ == 8
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-12)
    with pytest.raises(ValueError, match="must be larger than or equal to n_iter_"):
        b.set_params(max_iter=2).fit(X, y)


def test_pickle_pipeline_and_grid_search():
    X, y = _data(600)
    m = HistGradientBoostingRegressor(max_iter=3).fit(
        da.from_array(X, chunks=(200, -1)), da.from_array(y, chunks=200)
    )
    blob = pickle.dumps(m)
    assert b"distributed" not in blob and len(blob) < 200_000
    np.testing.assert_allclose(pickle.loads(blob).predict(X), m.predict(X))
    pipe = make_pipeline(StandardScaler(), HistGradientBoostingRegressor(max_iter=3))
    gs = GridSearchCV(pipe, {"histgradientboostingregressor__max_depth": [2, 3]}, cv=2).fit(X, y)
    assert gs.best_score_ > 0


def test_bad_input_errors_as_sklearn():
    X, y = _data(200, nan=0)
    yn = y.copy()
    yn[3] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        HistGradientBoostingRegressor().fit(X, yn)
    with pytest.raises(ValueError, match="max_iter"):
        HistGradientBoostingRegressor(max_iter=0).fit(X, y)
    w = np.ones(200)
    w[0] = np.inf
    with pytest.raises(ValueError, match="Input sample_weight contains infinity"):
        HistGradientBoostingRegressor().fit(X, y, sample_weight=w)
    w[0] = np.nan
    with pytest.raises(ValueError, match="Input sample_weight contains NaN"):
        HistGradientBoostingRegressor().fit(X, y, sample_weight=w)
    with pytest.raises(ValueError, match="requires strictly positive y"):
        HistGradientBoostingRegressor(loss="gamma").fit(X, y)
    # one class: fitted as scikit-learn does (binary loss, two probability columns)
    m = HistGradientBoostingClassifier(max_iter=2).fit(X, np.zeros(200))
    a = sk.HistGradientBoostingClassifier(max_iter=2).fit(X, np.zeros(200))
    np.testing.assert_allclose(m.predict_proba(X[:5]), a.predict_proba(X[:5]))
    assert (m.predict(X[:5]) == 0).all()


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(monotonic_cst=[1, 0]), "monotonic_cst has shape"),
        (dict(monotonic_cst=[1, 2, 0]), "must be an array-like of -1, 0 or 1"),
        (dict(interaction_cst=[[0, 7]]), "Interaction constraints must consist of integer indices"),
    ],
)
def test_unsupported_parameters_are_refused(params, match):
    X, y = _data(100, p=3, nan=0)
    with pytest.raises(ValueError, match=match):
        HistGradientBoostingRegressor(**params).fit(X, y)


@pytest.mark.parametrize("cst", [[1, -1, 0, 0, 0], {"x0": 1, "x2": -1}])
def test_monotonic_constraints_match_sklearn(cst):
    import pandas as pd

    X, y = _data(2000)
    X = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    kw = dict(max_iter=10, random_state=0, monotonic_cst=cst)
    a = sk.HistGradientBoostingRegressor(**kw).fit(X, y)
    b = HistGradientBoostingRegressor(**kw).fit(X, y)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-9, atol=1e-12)
    yc = (y > 1).astype(int)
    a = sk.HistGradientBoostingClassifier(**kw).fit(X, yc)
    b = HistGradientBoostingClassifier(**kw).fit(X, yc)
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="not supported for multiclass"):
        HistGradientBoostingClassifier(**kw).fit(X, np.digitize(y, [0.0, 2.0]))


@pytest.mark.parametrize("cst", ["pairwise", "no_interactions", [[0, 1], [1, 2]]])
def test_interaction_constraints_match_sklearn(cst):
    X, y = _data(2000)
    kw = dict(max_iter=8, random_state=0, interaction_cst=cst)
    a = sk.HistGradientBoostingRegressor(**kw).fit(X, y)
    b = HistGradientBoostingRegressor(**kw).fit(X, y)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-9, atol=1e-12)


def test_accuracy_close_to_sklearn_with_max_features():
    """max_features draws differ from scikit-learn's; the accuracy does not."""
    X, y = _data(3000)
    yc = (y > 1).astype(int)
    kw = dict(max_iter=30, max_features=0.5, random_state=0)
    a = sk.HistGradientBoostingClassifier(**kw).fit(X[:2000], yc[:2000]).score(X[2000:], yc[2000:])
    b = HistGradientBoostingClassifier(**kw).fit(X[:2000], yc[:2000]).score(X[2000:], yc[2000:])
    assert abs(a - b) < 0.02


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_worker_killed_mid_fit_gives_the_same_model():
    """A worker killed during the growth: the graph recomputes its chunks (binning, raw
    predictions and row nodes, whose chunk caches died with it) and the model is the same."""
    import os
    import threading
    import time

    from distributed import Client, LocalCluster

    X, y = _data(8000, p=6)
    yc = (y > 1).astype(int)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        ) as lc,
        Client(lc) as client,
    ):
        Xd, yd = client.persist([da.from_array(X, chunks=(1000, -1)), da.from_array(yc, chunks=1000)])
        kw = dict(max_iter=8, random_state=0, early_stopping=False)
        reference = HistGradientBoostingClassifier(**kw).fit(Xd, yd)
        victim = list(client.scheduler_info()["workers"])[0]
        killed = threading.Event()

        def kill_when_growing(counter):
            while counter.passes < 4:  # of 9 (one per iteration)
                time.sleep(0.005)
            client.run(os._exit, 1, workers=[victim], on_error="ignore")
            killed.set()

        with count_passes() as counter:
            killer = threading.Thread(target=kill_when_growing, args=(counter,), daemon=True)
            killer.start()
            survived = HistGradientBoostingClassifier(**kw).fit(Xd, yd)
            killer.join(timeout=60)
        assert killed.is_set()
    np.testing.assert_array_equal(survived.predict_proba(X), reference.predict_proba(X))
