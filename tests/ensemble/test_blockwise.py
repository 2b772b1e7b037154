"""BlockwiseVotingClassifier / BlockwiseVotingRegressor: one model per chunk, votes."""

import os

import dask
import dask.array as da
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.utils.estimator_checks import check_estimator

from dml._engine.mapreduce import count_passes
from dml.ensemble import BlockwiseVotingClassifier, BlockwiseVotingRegressor
from dml.ensemble._blockwise_kernels import hard_vote_block


def _classification(n=1200, p=4, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    W = rng.normal(size=(p, n_classes))
    y = np.argmax(X @ W + rng.normal(scale=0.5, size=(n, n_classes)), axis=1)
    return X, y


def test_one_model_per_chunk_equal_to_fitting_each_chunk(scheduler):
    X, y = _classification()
    chunks = (300, 500, 400)
    clf = BlockwiseVotingClassifier(LogisticRegression(C=0.5)).fit(
        da.from_array(X, chunks=(chunks, -1)), da.from_array(y, chunks=(chunks,))
    )
    assert len(clf.estimators_) == 3 and clf.n_features_in_ == 4
    starts = np.cumsum((0,) + chunks)
    for est, a, b in zip(clf.estimators_, starts[:-1], starts[1:]):
        ref = LogisticRegression(C=0.5).fit(X[a:b], y[a:b])
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-10)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.estimators_[0] is not clf.estimators_[1]
    assert not hasattr(clf.estimator, "coef_")  # the given estimator stays unfitted


def test_fit_is_one_pass_with_one_task_per_chunk():
    X, y = _classification()
    Xd, yd = da.from_array(X, chunks=(200, -1)), da.from_array(y, chunks=200)
    with count_passes() as counter:
        clf = BlockwiseVotingClassifier(LogisticRegression()).fit(Xd, yd)
    assert counter.passes == 1 and len(clf.estimators_) == 6


def test_hard_vote_is_the_majority_with_first_class_on_ties():
    X, y = _classification()
    clf = BlockwiseVotingClassifier(LogisticRegression()).fit(
        da.from_array(X, chunks=(300, -1)), da.from_array(y, chunks=300)
    )
    preds = np.stack([e.predict(X) for e in clf.estimators_], axis=1)
    counts = np.stack([(preds == c).sum(axis=1) for c in clf.classes_], axis=1)
    expected = clf.classes_[np.argmax(counts, axis=1)]
    np.testing.assert_array_equal(clf.predict(X), expected)
    assert not hasattr(clf, "predict_proba")
    with pytest.raises(AttributeError, match="predict_proba") as info:
        clf.predict_proba(X)
    assert "not available when voting='hard'" in str(info.value.__cause__)


class _Fixed:
    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def predict(self, X):
        return self.labels[: len(X)]


def test_hard_vote_kernel_ties_go_to_the_first_class():
    classes = np.array([3, 5, 7])
    models = [_Fixed([7, 5, 3]), _Fixed([5, 5, 7]), _Fixed([7, 3, 3]), _Fixed([5, 7, 7])]
    out = hard_vote_block(np.zeros((3, 1)), xp=np, estimators=models, classes=classes)
    np.testing.assert_array_equal(out, [5, 5, 3])  # 2-2 ties: 5 before 7, 3 before 7


def test_soft_vote_aligns_the_columns_of_a_chunk_missing_a_class():
    X, y = _classification(n=900)
    first = np.flatnonzero(y != 2)[:300]  # the first chunk never sees class 2
    rest = np.random.default_rng(0).permutation(np.setdiff1d(np.arange(len(y)), first))
    order = np.concatenate([first, rest])
    X, y = X[order], y[order]
    assert (y[:300] != 2).all() and (y[300:] == 2).any()
    clf = BlockwiseVotingClassifier(LogisticRegression(), voting="soft").fit(
        da.from_array(X, chunks=(300, -1)), da.from_array(y, chunks=300)
    )
    np.testing.assert_array_equal(clf.estimators_[0].classes_, [0, 1])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    expected = np.zeros((len(X), 3))
    for est in clf.estimators_:
        expected[:, np.searchsorted([0, 1, 2], est.classes_)] += est.predict_proba(X)
    expected /= len(clf.estimators_)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba, expected, rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), np.argmax(expected, axis=1))


def test_lazy_in_lazy_out_and_numpy_eager():
    X, y = _classification()
    clf = BlockwiseVotingClassifier(LogisticRegression(), voting="soft").fit(X, y)
    Xd = da.from_array(X, chunks=(250, -1))
    calls = []

    def spy(block):
        if block.size:
            calls.append(1)
        return block

    Xs = Xd.map_blocks(spy, dtype=Xd.dtype)
    for method in ("predict", "predict_proba"):
        out = getattr(clf, method)(Xs)
        assert isinstance(out, da.Array) and not calls
        eager = getattr(clf, method)(X)
        assert isinstance(eager, np.ndarray)
        np.testing.assert_allclose(out.compute(), eager)
        calls.clear()
    assert out.chunks[0] == Xd.chunks[0]


def test_string_labels_and_given_classes():
    X, y = _classification()
    labels = np.array(["ant", "bee", "cat"])[y]
    clf = BlockwiseVotingClassifier(LogisticRegression(), classes=["cat", "bee", "ant", "dog"]).fit(
        da.from_array(X, chunks=(400, -1)), da.from_array(labels, chunks=400)
    )
    np.testing.assert_array_equal(clf.classes_, ["ant", "bee", "cat", "dog"])
    pred = clf.predict(da.from_array(X, chunks=(400, -1))).compute()
    assert set(pred) <= {"ant", "bee", "cat"} and (pred == labels).mean() > 0.7
    with pytest.raises(ValueError, match=r"y contains labels \['cat'\] that are not in classes"):
        BlockwiseVotingClassifier(LogisticRegression(), classes=["ant", "bee"]).fit(X, labels)


def test_sample_weight_follows_the_chunks():
    X, y = _classification()
    w = np.random.default_rng(1).uniform(0.1, 2.0, size=len(y))
    clf = BlockwiseVotingClassifier(LogisticRegression()).fit(
        da.from_array(X, chunks=(600, -1)),
        da.from_array(y, chunks=600),
        sample_weight=da.from_array(w, chunks=600),
    )
    ref = LogisticRegression().fit(X[600:], y[600:], sample_weight=w[600:])
    np.testing.assert_allclose(clf.estimators_[1].coef_, ref.coef_, rtol=1e-8)


def test_regressor_mean_of_the_models(scheduler):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.3, size=1000)
    Xd, yd = da.from_array(X, chunks=(250, -1)), da.from_array(y, chunks=250)
    reg = BlockwiseVotingRegressor(Ridge(alpha=1.0)).fit(Xd, yd)
    assert len(reg.estimators_) == 4
    expected = np.mean([e.predict(X) for e in reg.estimators_], axis=0)
    out = reg.predict(Xd)
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), expected, rtol=1e-12)
    np.testing.assert_allclose(reg.predict(X), expected, rtol=1e-12)
    np.testing.assert_allclose(reg.estimators_[2].coef_, Ridge(alpha=1.0).fit(X[500:750], y[500:750]).coef_)
    assert reg.score(Xd, yd) > 0.95


def test_regressor_two_targets():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    Y = np.stack([X[:, 0], X[:, 1] - X[:, 2]], axis=1)
    reg = BlockwiseVotingRegressor(LinearRegression()).fit(
        da.from_array(X, chunks=200), da.from_array(Y, chunks=200)
    )
    out = reg.predict(da.from_array(X, chunks=200))
    assert out.shape == (600, 2)
    np.testing.assert_allclose(out.compute(), Y, atol=1e-10)


def test_dataframe_input_names_and_bad_input():
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, y = _classification()
    df = dd.from_pandas(pd.DataFrame(X, columns=list("abcd")), npartitions=3)
    ys = dd.from_pandas(pd.Series(y), npartitions=3)
    clf = BlockwiseVotingClassifier(LogisticRegression()).fit(df, ys)
    assert len(clf.estimators_) == 3
    np.testing.assert_array_equal(clf.feature_names_in_, list("abcd"))
    np.testing.assert_array_equal(clf.predict(df).compute(), clf.predict(X))
    with pytest.raises(ValueError, match="X has 3 features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="voting"):
        BlockwiseVotingClassifier(LogisticRegression(), voting="mean").fit(X, y)
    with pytest.raises(TypeError, match="needs a classifier"):
        BlockwiseVotingClassifier(LinearRegression()).fit(X, y)
    Xn = X.copy()
    Xn[5, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        BlockwiseVotingClassifier(LogisticRegression()).fit(da.from_array(Xn, chunks=300), y)


def test_hard_voting_passes_scikit_learns_checks():
    check_estimator(BlockwiseVotingClassifier(LogisticRegression()))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_fit_survives_a_lost_worker():
    """Dask input is read from its graph: chunks held by a dead worker are made again."""
    from distributed import Client, LocalCluster

    from dml.datasets import make_classification

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        ) as cluster,
        Client(cluster) as client,
    ):
        X, y = make_classification(4000, 5, random_state=0, chunks=500)
        reference = BlockwiseVotingClassifier(LogisticRegression()).fit(X, y)
        X, y = client.persist([X, y])
        dask.compute(X.sum(), y.sum())
        victim = list(client.scheduler_info()["workers"])[0]
        client.run(os._exit, 1, workers=[victim], on_error="ignore")
        survived = BlockwiseVotingClassifier(LogisticRegression()).fit(X, y)
        assert len(survived.estimators_) == 8
        for a, b in zip(survived.estimators_, reference.estimators_):
            np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)


def test_empty_chunks_fit_no_model():
    X, y = _classification(n=900)
    chunks = (0, 300, 0, 600)
    clf = BlockwiseVotingClassifier(LogisticRegression()).fit(
        da.from_array(X, chunks=(chunks, -1)), da.from_array(y, chunks=(chunks,))
    )
    assert len(clf.estimators_) == 2
    np.testing.assert_allclose(clf.estimators_[1].coef_, LogisticRegression().fit(X[300:], y[300:]).coef_)


def test_nan_goes_to_models_that_accept_it():
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _classification(n=900)
    X[::7, 0] = np.nan
    clf = BlockwiseVotingClassifier(HistGradientBoostingClassifier(max_iter=5), voting="soft")
    assert clf.__sklearn_tags__().input_tags.allow_nan
    clf.fit(da.from_array(X, chunks=(300, -1)), da.from_array(y, chunks=300))
    assert np.isfinite(clf.predict_proba(X)).all()
