"""Binned random forests and extra trees: parity with scikit-learn, chunking and worker
invariance, bootstrap, out-of-bag scores, errors."""

import pickle

import dask
import dask.array as da
import numpy as np
import pytest
from sklearn import ensemble as sk
from sklearn.datasets import make_classification, make_regression

from dml._engine.mapreduce import count_passes
from dml.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from dml.ensemble import _forest as forest
from dml.ensemble._forest_kernels import bootstrap_counts


def _clf(n=1500, seed=0, n_classes=2):
    X, y = make_classification(
        n, 8, n_informative=5, n_classes=n_classes, n_clusters_per_class=1, random_state=seed
    )
    return X[: n * 2 // 3], y[: n * 2 // 3], X[n * 2 // 3 :], y[n * 2 // 3 :]


def _reg(n=1500, seed=0):
    X, y = make_regression(n, 8, n_informative=5, noise=5.0, random_state=seed)
    return X[: n * 2 // 3], y[: n * 2 // 3], X[n * 2 // 3 :], y[n * 2 // 3 :]


@pytest.mark.parametrize("name", ["RandomForestClassifier", "ExtraTreesClassifier"])
@pytest.mark.parametrize("params", [{}, {"criterion": "entropy", "max_features": None, "max_depth": 8}])
def test_classifier_accuracy_within_one_percent_of_sklearn(name, params):
    import dml.ensemble as de

    X, y, Xt, yt = _clf(1200, n_classes=3)
    kw = dict(n_estimators=20, random_state=0, min_samples_leaf=2, **params)
    ours = getattr(de, name)(**kw).fit(X, y).score(Xt, yt)
    theirs = np.mean(
        [getattr(sk, name)(**{**kw, "random_state": s}).fit(X, y).score(Xt, yt) for s in range(3)]
    )
    assert ours >= theirs - 0.01


@pytest.mark.parametrize("name", ["RandomForestRegressor", "ExtraTreesRegressor"])
def test_regressor_r2_within_one_percent_of_sklearn(name):
    import dml.ensemble as de

    X, y, Xt, yt = _reg()
    kw = dict(n_estimators=20, random_state=0, min_samples_leaf=3)
    ours = getattr(de, name)(**kw).fit(X, y).score(Xt, yt)
    theirs = np.mean(
        [getattr(sk, name)(**{**kw, "random_state": s}).fit(X, y).score(Xt, yt) for s in range(3)]
    )
    assert ours >= theirs - 0.01 * abs(theirs)


def test_bootstrap_counts_are_poisson_and_do_not_depend_on_chunking():
    rows = np.arange(200_000)
    c = bootstrap_counts(7, 3, rows, 1.0)
    assert abs(c.mean() - 1) < 0.01 and abs((c == 0).mean() - np.exp(-1)) < 0.005
    np.testing.assert_array_equal(c[1000:1500], bootstrap_counts(7, 3, rows[1000:1500], 1.0))
    assert not np.array_equal(c, bootstrap_counts(7, 4, rows, 1.0))
    half = bootstrap_counts(7, 3, rows, 0.5)
    assert abs(half.mean() - 0.5) < 0.01


@pytest.mark.parametrize("cls", [RandomForestClassifier, ExtraTreesRegressor])
def test_chunking_does_not_change_the_forest_and_predict_is_lazy(cls):
    X, y, Xt, _ = _clf(900) if cls is RandomForestClassifier else _reg(900)
    kw = dict(n_estimators=5, random_state=0, max_depth=6)
    if cls is ExtraTreesRegressor:
        kw["bootstrap"] = True
    ref = cls(**kw).fit(X, y)
    out = "predict_proba" if cls is RandomForestClassifier else "predict"
    for chunks in (100, 250):
        Xd, yd = da.from_array(X, chunks=(chunks, -1)), da.from_array(y, chunks=chunks)
        m = cls(**kw).fit(Xd, yd)
        with count_passes() as c:
            pred = getattr(m, out)(da.from_array(Xt, chunks=(77, -1)))
        assert c.passes == 0 and isinstance(pred, da.Array)
        np.testing.assert_allclose(pred.compute(), getattr(ref, out)(Xt), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(m.feature_importances_, ref.feature_importances_, rtol=1e-9)


def test_whole_trees_from_one_gather_pass():
    X, y, _, _ = _clf(600)
    Xd, yd = da.from_array(X, chunks=(200, -1)), da.from_array(y, chunks=200)
    m = RandomForestClassifier(n_estimators=7, max_depth=3, random_state=0)
    with count_passes() as c:
        m.fit(Xd, yd)
    # the binning sample, then the binned rows gathered once; every tree grows in a task
    assert c.passes == 2
    assert len(m.trees_) == 7 and all(t["feature"].shape[0] <= 15 for t in m.trees_)


def test_one_pass_per_level_for_all_trees_above_the_local_size(monkeypatch):
    monkeypatch.setattr(forest, "_LOCAL_BYTES", 0)
    X, y, _, _ = _clf(600)
    Xd, yd = da.from_array(X, chunks=(200, -1)), da.from_array(y, chunks=200)
    m = RandomForestClassifier(n_estimators=7, max_depth=3, random_state=0)
    with count_passes() as c:
        m.fit(Xd, yd)
    # the binning sample, then the root and one pass per level below it
    assert c.passes == 1 + 3
    assert len(m.trees_) == 7 and all(t["feature"].shape[0] <= 15 for t in m.trees_)


@pytest.mark.parametrize("local_rows", [0, 60, None])
@pytest.mark.parametrize("cls", [RandomForestClassifier, ExtraTreesRegressor])
def test_level_wise_small_node_and_whole_paths_do_not_depend_on_chunking(monkeypatch, local_rows, cls):
    """Level-wise only (0), level-wise with nodes of <= 60 rows finished in tasks, and
    whole trees: each the same forest for any chunking."""
    if local_rows is not None:
        monkeypatch.setattr(forest, "_LOCAL_BYTES", local_rows * (8 + 16))
    X, y, Xt, yt = _clf(900) if cls is RandomForestClassifier else _reg(900)
    kw = dict(n_estimators=4, random_state=0, max_leaf_nodes=30, max_depth=8, bootstrap=True)
    preds = []
    for chunks in (100, 450):
        Xd, yd = da.from_array(X, chunks=(chunks, -1)), da.from_array(y, chunks=chunks)
        m = cls(**kw).fit(Xd, yd)
        assert all((t["feature"] < 0).sum() <= 30 for t in m.trees_)
        preds.append(m.predict(Xt))
    # the same trees; level-wise regression sums come in chunk order (last-bit differences)
    np.testing.assert_allclose(preds[0], preds[1], rtol=1e-12)
    s = getattr(sk, cls.__name__)(**kw).fit(X, y)
    assert m.score(Xt, yt) >= s.score(Xt, yt) - 0.05


@pytest.mark.parametrize("local_rows", [0, 40, None])
@pytest.mark.parametrize("regression", [False, True])
def test_max_leaf_nodes_grows_sklearns_best_first_tree(monkeypatch, local_rows, regression):
    """Without bootstrap, with every feature and few distinct values (exact bins), a tree
    with max_leaf_nodes is scikit-learn's best-first tree, on every growth path."""
    if local_rows is not None:
        monkeypatch.setattr(forest, "_LOCAL_BYTES", local_rows * (3 + 16))
    rng = np.random.RandomState(0)
    X = rng.randint(0, 20, size=(400, 3)).astype(float)
    if regression:
        y = X[:, 0] * 1.7 + np.sin(X[:, 1]) * 5 + rng.normal(size=400)
        cls, ref = RandomForestRegressor, sk.RandomForestRegressor
    else:
        y = (X[:, 0] + 2 * X[:, 1] > 25).astype(int) ^ (rng.rand(400) < 0.1)
        cls, ref = RandomForestClassifier, sk.RandomForestClassifier
    kw = dict(n_estimators=1, bootstrap=False, max_features=None, max_leaf_nodes=11)
    Xd, yd = da.from_array(X, chunks=(100, -1)), da.from_array(y, chunks=100)
    m = cls(**kw, random_state=0).fit(Xd, yd)
    s = ref(**kw, random_state=0).fit(X, y)
    assert (m.trees_[0]["feature"] < 0).sum() == s.estimators_[0].get_n_leaves() == 11
    out = "predict" if regression else "predict_proba"
    np.testing.assert_allclose(getattr(m, out)(X), getattr(s, out)(X), atol=1e-9)


@pytest.mark.parametrize("local_rows", [0, None])
@pytest.mark.parametrize(
    "criterion, mid", [("gini", 0.004), ("entropy", 0.01), ("squared_error", 0.5), ("friedman_mse", 0.5)]
)
@pytest.mark.filterwarnings('ignore:Value `"friedman_mse"`:FutureWarning')
def test_min_impurity_decrease_and_criteria_as_sklearns_tree(monkeypatch, local_rows, criterion, mid):
    if local_rows is not None:
        monkeypatch.setattr(forest, "_LOCAL_BYTES", local_rows)
    rng = np.random.RandomState(1)
    X = rng.randint(0, 15, size=(500, 3)).astype(float)
    regression = criterion in ("squared_error", "friedman_mse")
    if regression:
        y = X[:, 0] * 1.3 + np.cos(X[:, 2]) * 4 + rng.normal(size=500)
        cls, ref = RandomForestRegressor, sk.RandomForestRegressor
    else:
        y = (X[:, 0] + X[:, 1] > 14).astype(int) ^ (rng.rand(500) < 0.15)
        cls, ref = RandomForestClassifier, sk.RandomForestClassifier
    kw = dict(n_estimators=1, bootstrap=False, max_features=None, criterion=criterion)
    s0 = ref(**kw, random_state=0).fit(X, y)
    s = ref(**kw, min_impurity_decrease=mid, random_state=0).fit(X, y)
    m = cls(**kw, min_impurity_decrease=mid, random_state=0).fit(X, y)
    assert 3 < s.estimators_[0].get_n_leaves() < s0.estimators_[0].get_n_leaves() / 2
    assert (m.trees_[0]["feature"] < 0).sum() == s.estimators_[0].get_n_leaves()
    out = "predict" if regression else "predict_proba"
    np.testing.assert_allclose(getattr(m, out)(X), getattr(s, out)(X), atol=1e-9)


@pytest.mark.parametrize("local_rows", [0, 60, None])
def test_poisson_criterion_as_sklearns_tree(monkeypatch, local_rows):
    if local_rows is not None:
        monkeypatch.setattr(forest, "_LOCAL_BYTES", local_rows * (3 + 16))
    rng = np.random.RandomState(0)
    X = rng.randint(0, 12, size=(500, 3)).astype(float)
    y = rng.poisson(np.exp(0.15 * X[:, 0] - 0.1 * X[:, 1])).astype(float)
    kw = dict(n_estimators=1, bootstrap=False, max_features=None, criterion="poisson", max_leaf_nodes=15)
    Xd, yd = da.from_array(X, chunks=(125, -1)), da.from_array(y, chunks=125)
    m = RandomForestRegressor(**kw, random_state=0).fit(Xd, yd)
    s = sk.RandomForestRegressor(**kw, random_state=0).fit(X, y)
    np.testing.assert_allclose(m.predict(X), s.predict(X), atol=1e-9)
    np.testing.assert_allclose(
        np.sort(m.trees_[0]["impurity"]), np.sort(s.estimators_[0].tree_.impurity), rtol=1e-9, atol=1e-12
    )
    for bad, match in ((y - 1, "negative"), (y * 0, "strictly positive")):
        with pytest.raises(ValueError, match=match):
            RandomForestRegressor(n_estimators=1, criterion="poisson").fit(X, bad)


@pytest.mark.parametrize("regression, alpha", [(False, 0.002), (False, 0.01), (True, 0.3)])
def test_ccp_alpha_prunes_as_sklearn(regression, alpha):
    rng = np.random.RandomState(2)
    X = rng.randint(0, 15, size=(500, 3)).astype(float)
    if regression:
        y = X[:, 0] * 1.3 + np.cos(X[:, 2]) * 4 + rng.normal(size=500)
        cls, ref = RandomForestRegressor, sk.RandomForestRegressor
    else:
        y = (X[:, 0] + X[:, 1] > 14).astype(int) ^ (rng.rand(500) < 0.15)
        cls, ref = RandomForestClassifier, sk.RandomForestClassifier
    kw = dict(n_estimators=1, bootstrap=False, max_features=None, ccp_alpha=alpha)
    m = cls(**kw, random_state=0).fit(X, y)
    s = ref(**kw, random_state=0).fit(X, y)
    full = ref(**{**kw, "ccp_alpha": 0.0}, random_state=0).fit(X, y)
    assert 2 < s.estimators_[0].get_n_leaves() < full.estimators_[0].get_n_leaves() / 2
    assert (m.trees_[0]["feature"] < 0).sum() == s.estimators_[0].get_n_leaves()
    out = "predict" if regression else "predict_proba"
    np.testing.assert_allclose(getattr(m, out)(X), getattr(s, out)(X), atol=1e-9)


@pytest.mark.parametrize("regression", [False, True])
def test_monotonic_cst_as_sklearns_tree(regression):
    rng = np.random.RandomState(3)
    X = rng.randint(0, 15, size=(600, 3)).astype(float)
    z = 0.3 * X[:, 0] - 0.2 * X[:, 1] + np.sin(X[:, 0]) * 1.5 + rng.normal(size=600)
    cst = [1, -1, 0]
    if regression:
        y, cls, ref = z, RandomForestRegressor, sk.RandomForestRegressor
    else:
        y, cls, ref = (z > 0.5).astype(int), RandomForestClassifier, sk.RandomForestClassifier
    kw = dict(n_estimators=1, bootstrap=False, max_features=None, monotonic_cst=cst, max_depth=6)
    m = cls(**kw, random_state=0).fit(X, y)
    s = ref(**kw, random_state=0).fit(X, y)
    out = "predict" if regression else "predict_proba"
    np.testing.assert_allclose(getattr(m, out)(X), getattr(s, out)(X), atol=1e-9)
    grid = np.tile(X[:50], (15, 1))
    grid[:, 0] = np.repeat(np.arange(15.0), 50)
    pred = getattr(m, out)(grid)
    pred = (pred if regression else pred[:, 1]).reshape(15, 50)
    assert (np.diff(pred, axis=0) >= -1e-12).all()  # increasing in feature 0
    if not regression:
        X3, y3, _, _ = _clf(300, n_classes=3)
        with pytest.raises(ValueError, match="multiclass"):
            RandomForestClassifier(n_estimators=2, monotonic_cst=[0] * 8).fit(X3, y3)


def test_balanced_subsample_weights_are_sklearns_on_the_bootstrap():
    from sklearn.utils.class_weight import compute_sample_weight

    from dml.ensemble._forest_local import tree_weights

    rng = np.random.RandomState(0)
    y = (rng.rand(500) < 0.2).astype(np.int64)
    rows = np.arange(500)
    counts = bootstrap_counts(3, 1, rows, 1.0)
    W = tree_weights(np.ones(500), y, rows, tree=1, boot=(3, 1.0), balanced=True, n_classes=2)
    indices = np.repeat(rows, counts.astype(int))
    np.testing.assert_allclose(W, counts * compute_sample_weight("balanced", y, indices=indices))
    X, y, Xt, _ = _clf(900)
    y = np.where(np.arange(y.shape[0]) % 5 == 0, 1, 0) | y & (np.arange(y.shape[0]) % 3 == 0)
    kw = dict(n_estimators=5, random_state=0, max_depth=4)
    a = RandomForestClassifier(class_weight="balanced_subsample", **kw).fit(X, y)
    b = RandomForestClassifier(**kw).fit(X, y)
    assert a.predict_proba(Xt)[:, 1].mean() > b.predict_proba(Xt)[:, 1].mean()
    # without bootstrap it is 'balanced', as scikit-learn's
    c = RandomForestClassifier(class_weight="balanced_subsample", bootstrap=False, **kw).fit(X, y)
    d = RandomForestClassifier(class_weight="balanced", bootstrap=False, **kw).fit(X, y)
    np.testing.assert_array_equal(c.predict_proba(Xt), d.predict_proba(Xt))


@pytest.mark.parametrize(
    "params", [{"class_weight": "balanced_subsample"}, {"monotonic_cst": [1, 0, 0, 0, 0, 0, 0, 0]}]
)
def test_whole_tree_only_parameters_above_the_local_size_are_refused(monkeypatch, params):
    monkeypatch.setattr(forest, "_LOCAL_BYTES", 0)
    X, y, _, _ = _clf(300)
    with pytest.raises(ValueError, match=f"{next(iter(params))}\\S* is supported .* up to 0 rows"):
        RandomForestClassifier(n_estimators=2, **params).fit(X, y)


@pytest.mark.filterwarnings("ignore:Some inputs do not have OOB")
def test_same_forest_on_one_two_and_four_workers():
    from distributed import Client, LocalCluster

    X, y, Xt, _ = _clf(1200)
    preds = []
    for n_workers in (1, 2, 4):
        with (
            LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=False, dashboard_address=None
            ) as lc,
            Client(lc),
        ):
            Xd, yd = da.from_array(X, chunks=(200, -1)), da.from_array(y, chunks=200)
            m = RandomForestClassifier(n_estimators=6, max_depth=6, random_state=0, oob_score=True).fit(
                Xd, yd
            )
            preds.append((m.predict_proba(Xt), m.oob_decision_function_))
            assert b"distributed" not in pickle.dumps(m)
    for a, b in preds[1:]:
        np.testing.assert_array_equal(a, preds[0][0])
        np.testing.assert_array_equal(b, preds[0][1])


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", ["whole", "level-wise"])
def test_worker_killed_mid_fit_gives_the_same_forest(monkeypatch, path):
    """A worker killed while the trees grow (in their tasks, or level by level with the
    small nodes finished in tasks): the fit ends with the same forest."""
    import os
    import threading
    import time

    from distributed import Client, LocalCluster

    kill_at, delay = 1, 0.5  # the binning sample, then the tree tasks
    if path == "level-wise":
        monkeypatch.setattr(forest, "_LOCAL_BYTES", 300 * (8 + 16))
        kill_at, delay = 4, 0.05
    X, y, Xt, _ = _clf(4000)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        ) as lc,
        Client(lc) as client,
    ):
        Xd, yd = client.persist([da.from_array(X, chunks=(500, -1)), da.from_array(y, chunks=500)])
        kw = dict(n_estimators=40, max_leaf_nodes=200, random_state=0)
        reference = RandomForestClassifier(**kw).fit(Xd, yd)
        victim = list(client.scheduler_info()["workers"])[0]
        killed = threading.Event()

        def kill_when_growing(counter):
            while counter.passes < kill_at:
                time.sleep(0.005)
            time.sleep(delay)
            client.run(os._exit, 1, workers=[victim], on_error="ignore")
            killed.set()

        with count_passes() as counter:
            killer = threading.Thread(target=kill_when_growing, args=(counter,), daemon=True)
            killer.start()
            survived = RandomForestClassifier(**kw).fit(Xd, yd)
            killer.join(timeout=60)
        assert killed.is_set()
    np.testing.assert_array_equal(survived.predict_proba(Xt), reference.predict_proba(Xt))


@pytest.mark.filterwarnings("ignore:Some inputs do not have OOB")
def test_small_in_memory_input_runs_without_a_graph():
    X, y, _, _ = _clf(300)

    def refuse(*args, **kwargs):  # pragma: no cover - called only on failure
        raise AssertionError("a Dask graph was computed")

    with dask.config.set(scheduler=refuse):
        m = RandomForestClassifier(n_estimators=3, oob_score=True, random_state=0).fit(X, y)
        m.predict(X)
        m.apply(X)


def test_oob_score_close_to_sklearn_and_oob_rows_have_zero_count():
    X, y, _, _ = _clf(1500)
    m = RandomForestClassifier(n_estimators=30, oob_score=True, random_state=0, max_depth=10).fit(X, y)
    s = sk.RandomForestClassifier(n_estimators=30, oob_score=True, random_state=0, max_depth=10).fit(X, y)
    assert abs(m.oob_score_ - s.oob_score_) < 0.03
    assert m.oob_decision_function_.shape == (X.shape[0], 2)
    Xr, yr, _, _ = _reg()
    r = RandomForestRegressor(n_estimators=25, oob_score=True, random_state=0, min_samples_leaf=5).fit(Xr, yr)
    assert r.oob_prediction_.shape == (Xr.shape[0],) and r.oob_score_ > 0.5


def test_feature_importances_find_the_informative_features():
    rng = np.random.RandomState(0)
    X = rng.rand(800, 5)
    y = (X[:, 2] > 0.5).astype(int)
    m = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    s = sk.RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    assert np.argmax(m.feature_importances_) == 2
    np.testing.assert_allclose(m.feature_importances_.sum(), 1.0)
    np.testing.assert_allclose(m.feature_importances_, s.feature_importances_, atol=0.05)


def test_single_deterministic_tree_matches_sklearn_tree_on_few_distinct_values():
    """Without bootstrap, all features and integer features (exact bins), a tree is
    scikit-learn's (same splits, same leaves)."""
    rng = np.random.RandomState(0)
    X = rng.randint(0, 20, size=(400, 3)).astype(float)
    y = (X[:, 0] + 2 * X[:, 1] > 25).astype(int) ^ (rng.rand(400) < 0.1)
    kw = dict(n_estimators=1, bootstrap=False, max_features=None, max_depth=4)
    m = RandomForestClassifier(**kw, random_state=0).fit(X, y)
    s = sk.RandomForestClassifier(**kw, random_state=0).fit(X, y)
    np.testing.assert_allclose(m.predict_proba(X), s.predict_proba(X), atol=1e-12)


def test_sample_weight_and_class_weight():
    X, y, Xt, yt = _clf(900)
    w = np.where(y == 1, 3.0, 1.0)
    a = RandomForestClassifier(n_estimators=5, random_state=0, max_depth=5).fit(X, y, sample_weight=w)
    b = RandomForestClassifier(
        n_estimators=5, random_state=0, max_depth=5, class_weight={0: 1.0, 1: 3.0}
    ).fit(X, y)
    np.testing.assert_allclose(a.predict_proba(Xt), b.predict_proba(Xt))
    c = RandomForestClassifier(n_estimators=5, random_state=0, max_depth=5).fit(X, y)
    assert a.predict_proba(Xt)[:, 1].mean() > c.predict_proba(Xt)[:, 1].mean()


def test_warm_start_grows_the_same_trees_as_one_fit():
    X, y, Xt, _ = _reg(600)
    a = RandomForestRegressor(n_estimators=6, random_state=0, max_depth=5).fit(X, y)
    b = RandomForestRegressor(n_estimators=3, random_state=0, max_depth=5, warm_start=True).fit(X, y)
    b.set_params(n_estimators=6).fit(X, y)
    np.testing.assert_allclose(b.predict(Xt), a.predict(Xt), rtol=1e-12)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"monotonic_cst": [1, 0, 0]}, "monotonic_cst has shape 3"),
        ({"monotonic_cst": [2, 0, 0, 0, 0, 0, 0, 0]}, "monotonic_cst must be None"),
        ({"criterion": "absolute_error"}, "absolute_error"),
        ({"bootstrap": False, "max_samples": 0.5}, "max_sample"),
        ({"bootstrap": False, "oob_score": True}, "Out of bag"),
    ],
)
def test_unsupported_and_bad_parameters_are_refused(params, match):
    X, y, _, _ = _reg(100)
    with pytest.raises(ValueError, match=match):
        RandomForestRegressor(n_estimators=2, **params).fit(X, y)


def test_nan_is_refused_as_sklearn():
    X, y, _, _ = _clf(100)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        ExtraTreesClassifier(n_estimators=2).fit(X, y)


@pytest.mark.parametrize("n_jobs", [2, -1])
def test_n_jobs_predicts_in_memory_row_blocks_on_threads_with_the_same_result(n_jobs):
    X, y = make_classification(6000, 8, random_state=1)
    one = RandomForestClassifier(8, max_depth=5, random_state=0).fit(X, y)
    many = RandomForestClassifier(8, max_depth=5, random_state=0, n_jobs=n_jobs).fit(X, y)
    np.testing.assert_array_equal(one.predict_proba(X), many.predict_proba(X))
    np.testing.assert_array_equal(one.apply(X), many.apply(X))
    np.testing.assert_array_equal(one.predict(X), many.predict(X))


def test_compiled_descent_equals_a_per_tree_walk():
    """The compiled prediction loops against a plain walk of every tree, and against
    their own Python versions (leaf ids, summed values in tree order)."""
    from dml.ensemble import _forest_kernels as K

    X, y = make_classification(3000, 6, n_classes=3, n_informative=4, random_state=2)
    m = RandomForestClassifier(5, max_leaf_nodes=40, random_state=0).fit(X, y)
    table, roots = m._table, m._roots
    Xt = X[:500]
    got = K.leaves(Xt, table, roots)
    walk = np.empty_like(got)
    for i in range(Xt.shape[0]):
        for t, r in enumerate(roots):
            nd = r
            while table["feature"][nd] >= 0:
                nd = (
                    table["left"][nd]
                    if Xt[i, table["feature"][nd]] <= table["threshold"][nd]
                    else table["right"][nd]
                )
            walk[i, t] = nd
    np.testing.assert_array_equal(got, walk)
    args = K._table_arrays(Xt, table, roots)
    py = np.empty_like(got)
    K._leaves_loop.py_func(*args, py)
    np.testing.assert_array_equal(py, walk)
    value = np.asarray(table["value"], dtype=np.float64).reshape(len(table["value"]), -1)
    acc, acc_py = np.zeros((500, value.shape[1])), np.zeros((500, value.shape[1]))
    K._mean_values_loop(*args, value, acc)
    K._mean_values_loop.py_func(*args, value, acc_py)
    ref = np.zeros_like(acc)
    for t in range(len(roots)):
        ref += value[walk[:, t]]
    np.testing.assert_array_equal(acc, ref)
    np.testing.assert_array_equal(acc_py, ref)
