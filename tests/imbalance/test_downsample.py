"""NegativeDownsampler: the sample (every positive, a hashed fraction of the negatives),
the probability correction (He et al., 2014), Dask input, Pipeline / search use, bad input."""

from __future__ import annotations

import threading

import dask
import dask.array as da
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

import dml
from dml._engine.mapreduce import count_passes
from dml.imbalance import NegativeDownsampler
from dml.imbalance._downsample_kernels import keep_mask
from dml.linear_model import LogisticRegression


def _clicks(n, seed=0, intercept=-7.5):
    """A synthetic click log near 1000:1 (a logistic model of three features)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    z = intercept + X[:, 0] + 0.5 * X[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.int64)
    return X, y


@pytest.fixture(scope="module")
def clicks():
    return _clicks(400_000)


@pytest.fixture(scope="module")
def small():
    return _clicks(20_000, seed=1, intercept=-3.0)


def _kept(y, seed, rate):
    return keep_mask(y, xp=np, row_offset=0, seed=seed, rate=rate, pos_label=1)


def _seed(random_state):
    return int(np.random.RandomState(random_state).randint(np.iinfo(np.int32).max))


def test_thousand_to_one_corrected_mean_and_log_loss(clicks):
    """The issue's bar: on a 1000:1 problem the mean corrected probability is within 5% of
    the positive rate and the log loss within 1% of the full-data fit."""
    X, y = clicks
    assert 0.0005 < y.mean() < 0.002
    full = SkLogisticRegression().fit(X, y)
    ds = NegativeDownsampler(LogisticRegression(), negative_rate=0.05, random_state=0)
    ds.fit(da.from_array(X, chunks=50_000), da.from_array(y, chunks=50_000))
    q = ds.predict_proba(X)[:, 1]
    assert abs(q.mean() / y.mean() - 1) < 0.05
    assert abs(log_loss(y, ds.predict_proba(X)) / log_loss(y, full.predict_proba(X)) - 1) < 0.01
    # uncorrected, the model predicts the sample's balance: ~20 times the positive rate
    raw = ds.estimator_.predict_proba(X)[:, 1].mean()
    assert raw > 10 * y.mean()


def test_balanced_rate_and_the_sample(small):
    X, y = small
    ds = NegativeDownsampler(SkLogisticRegression(), random_state=3).fit(X, y)
    n_pos, n_neg = int(y.sum()), int((y == 0).sum())
    assert ds.negative_rate_ == n_pos / n_neg
    keep = _kept(y, _seed(3), ds.negative_rate_)
    assert keep[y == 1].all()  # every positive
    assert abs(keep[y == 0].mean() / ds.negative_rate_ - 1) < 0.15
    ref = SkLogisticRegression().fit(X[keep], y[keep])
    np.testing.assert_allclose(ds.estimator_.coef_, ref.coef_)
    np.testing.assert_array_equal(ds.classes_, [0, 1])


def test_balanced_rate_is_at_most_one():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > -1).astype(int)  # positives are the majority
    ds = NegativeDownsampler(SkLogisticRegression()).fit(X, y)
    assert ds.negative_rate_ == 1.0 and ds.correction_ is None
    np.testing.assert_allclose(ds.predict_proba(X), ds.estimator_.predict_proba(X))


def test_intercept_shift_equals_the_q_map(small):
    X, y = small
    ds = NegativeDownsampler(SkLogisticRegression(), negative_rate=0.1, random_state=0).fit(X, y)
    assert ds.correction_ == "intercept"
    w = ds.negative_rate_
    p = ds.estimator_.predict_proba(X)[:, 1]
    q = p / (p + (1 - p) / w)
    P = ds.predict_proba(X)
    np.testing.assert_allclose(P[:, 1], q, rtol=1e-10)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(ds.decision_function(X), ds.estimator_.decision_function(X) + np.log(w))
    np.testing.assert_array_equal(ds.predict(X), (q > 0.5).astype(int))


def test_q_map_for_other_models(small):
    X, y = small
    ds = NegativeDownsampler(GaussianNB(), negative_rate=0.2, random_state=0).fit(X, y)
    assert ds.correction_ == "q-map" and not hasattr(ds, "decision_function")
    p = ds.estimator_.predict_proba(X)[:, 1]
    np.testing.assert_allclose(ds.predict_proba(X)[:, 1], p / (p + (1 - p) / 0.2), rtol=1e-10)
    raw = NegativeDownsampler(GaussianNB(), negative_rate=0.2, recalibrate=False, random_state=0).fit(X, y)
    assert raw.correction_ is None
    np.testing.assert_allclose(raw.predict_proba(X), ds.estimator_.predict_proba(X))


def test_sample_weight_reaches_the_inner_fit(small):
    X, y = small
    sw = np.random.default_rng(2).random(y.shape[0]) * 3
    ds = NegativeDownsampler(SkLogisticRegression(), negative_rate=0.3, random_state=5).fit(
        X, y, sample_weight=sw
    )
    keep = _kept(y, _seed(5), 0.3)
    ref = SkLogisticRegression().fit(X[keep], y[keep], sample_weight=sw[keep])
    np.testing.assert_allclose(ds.estimator_.coef_, ref.coef_)
    Xd, yd, wd = (da.from_array(v, chunks=3000) for v in (X, y, sw))
    dd = NegativeDownsampler(LogisticRegression(), negative_rate=0.3, random_state=5).fit(
        Xd, yd, sample_weight=wd
    )
    ref = LogisticRegression().fit(X[keep], y[keep], sample_weight=sw[keep])
    np.testing.assert_allclose(dd.estimator_.coef_, ref.coef_, rtol=1e-6)


def test_dask_equals_memory_and_chunking_invariance(small):
    """The draws hash the global row index: any chunking keeps the same rows."""
    X, y = small
    mem = NegativeDownsampler(LogisticRegression(), negative_rate=0.2, random_state=0).fit(X, y)
    fits = [
        NegativeDownsampler(LogisticRegression(), negative_rate=0.2, random_state=0).fit(
            da.from_array(X, chunks=(c, -1)), da.from_array(y, chunks=c)
        )
        for c in (20_000, (1, 7000, 12_999), 4096)
    ]
    for f in fits:
        np.testing.assert_allclose(f.estimator_.coef_, mem.estimator_.coef_, rtol=1e-6)
        np.testing.assert_allclose(f.estimator_.intercept_, mem.estimator_.intercept_, rtol=1e-6)
        assert f.negative_rate_ == mem.negative_rate_ and f.n_features_in_ == 3


def test_dask_dataframe_input(small):
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    X, y = small
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    ddf = dd.from_pandas(df, npartitions=4)
    ys = dd.from_pandas(pd.Series(y), npartitions=4)
    ds = NegativeDownsampler(LogisticRegression(), negative_rate=0.2, random_state=0).fit(ddf, ys)
    mem = NegativeDownsampler(LogisticRegression(), negative_rate=0.2, random_state=0).fit(X, y)
    np.testing.assert_allclose(ds.estimator_.coef_, mem.estimator_.coef_, rtol=1e-6)
    assert list(ds.feature_names_in_) == ["a", "b", "c"]
    P = ds.predict_proba(ddf)
    assert isinstance(P, da.Array)
    np.testing.assert_allclose(P.compute(), mem.predict_proba(X), rtol=1e-6)


@pytest.mark.parametrize("fast_path_bytes", [None, 0])
def test_one_counting_pass_and_the_source_read_once(small, fast_path_bytes, monkeypatch):
    """fit: one pass over y (the class counts) and the sample drawn from one read of X,
    in one graph; with no cluster the sample is held in this process whatever its size
    (nothing persisted), and every pass of the inner fit is on that sample."""
    import dask

    X, y = small
    persists = []
    persist = dask.persist
    monkeypatch.setattr(dask, "persist", lambda *a, **k: persists.append(1) or persist(*a, **k))
    reads = []
    lock = threading.Lock()

    def spy(block):
        if block.size:
            with lock:
                reads.append(block.shape[0])
        return block

    Xd = da.from_array(X, chunks=(5000, -1)).map_blocks(spy, dtype=X.dtype)
    yd = da.from_array(y, chunks=5000)
    with dml.config_context(fast_path_bytes=fast_path_bytes), count_passes() as c:
        ds = NegativeDownsampler(LogisticRegression(), negative_rate=0.2, random_state=0).fit(Xd, yd)
    assert sorted(reads) == [5000] * 4  # each chunk of X read once
    assert persists == []
    keep = _kept(y, _seed(0), 0.2)
    with dml.config_context(fast_path_bytes=fast_path_bytes), count_passes() as inner:
        ref = LogisticRegression().fit(X[keep], y[keep])
    np.testing.assert_array_equal(ds.estimator_.coef_, ref.coef_)
    assert c.kernels[0] == "label_counts_kernel"
    assert c.passes == 1 + inner.passes
    assert ds.estimator_.n_iter_[0] > 1


def test_lazy_predict(small):
    X, y = small
    ds = NegativeDownsampler(LogisticRegression(), negative_rate=0.2, random_state=0).fit(X, y)
    calls = []

    def spy(block):
        if block.size:
            calls.append(1)
        return block

    Xd = da.from_array(X, chunks=(5000, -1)).map_blocks(spy, dtype=X.dtype)
    outs = [ds.predict_proba(Xd), ds.predict(Xd), ds.decision_function(Xd)]
    assert all(isinstance(o, da.Array) for o in outs) and not calls
    np.testing.assert_allclose(outs[0].compute(), ds.predict_proba(X))
    np.testing.assert_array_equal(outs[1].compute(), ds.predict(X))
    np.testing.assert_allclose(outs[2].compute(), ds.decision_function(X))
    assert ds.score(da.from_array(X, chunks=5000), da.from_array(y, chunks=5000)) == ds.score(X, y)


def test_distributed(small, cluster_client):
    X, y = small
    mem = NegativeDownsampler(LogisticRegression(), negative_rate=0.2, random_state=0).fit(X, y)
    with cluster_client.as_current():
        ds = NegativeDownsampler(LogisticRegression(), negative_rate=0.2, random_state=0).fit(
            da.from_array(X, chunks=(3000, -1)), da.from_array(y, chunks=3000)
        )
        P = ds.predict_proba(da.from_array(X, chunks=(3000, -1))).compute()
    np.testing.assert_allclose(ds.estimator_.coef_, mem.estimator_.coef_, rtol=1e-6)
    np.testing.assert_allclose(P, mem.predict_proba(X), rtol=1e-6)


@pytest.mark.parametrize("fast_path_bytes", [None, 0])
def test_distributed_sample_gathered_or_left_on_the_workers(small, cluster_client, fast_path_bytes):
    """On a cluster the counts and the sample are one graph; a sample above the
    fast-path size stays on the workers (a persisted Dask array the inner fit reads)."""
    import dml.imbalance._downsample as mod

    X, y = small
    keep = _kept(y, _seed(0), 0.2)
    seen = []
    fit = LogisticRegression.fit

    def spy(self, X, y, **kw):
        seen.append(type(X))
        return fit(self, X, y, **kw)

    with cluster_client.as_current(), dml.config_context(fast_path_bytes=fast_path_bytes):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(LogisticRegression, "fit", spy)
            ds = mod.NegativeDownsampler(LogisticRegression(), negative_rate=0.2, random_state=0).fit(
                da.from_array(X, chunks=(3000, -1)), da.from_array(y, chunks=3000)
            )
        ref = LogisticRegression().fit(X[keep], y[keep])
    assert seen == [np.ndarray if fast_path_bytes is None else da.Array]
    np.testing.assert_allclose(ds.estimator_.coef_, ref.coef_, rtol=1e-8)
    assert ds.negative_rate_ == 0.2


def test_pipeline_and_search(small):
    X, y = small
    pipe = make_pipeline(StandardScaler(), NegativeDownsampler(SkLogisticRegression(), random_state=0))
    pipe.fit(X, y)
    assert pipe.predict_proba(X).shape == (X.shape[0], 2)
    search = GridSearchCV(
        NegativeDownsampler(SkLogisticRegression(), random_state=0),
        {"estimator__C": [0.01, 1.0], "negative_rate": [0.1, "balanced"]},
        scoring="neg_log_loss",
        cv=2,
    ).fit(X, y)
    assert set(search.cv_results_["param_negative_rate"]) == {0.1, "balanced"}
    assert search.best_estimator_.negative_rate_ > 0


@pytest.mark.parametrize("rate", [0, 0.0, -0.1, 1.5, "auto"])
def test_bad_negative_rate(small, rate):
    X, y = small
    with pytest.raises(ValueError, match=r"The 'negative_rate' parameter of NegativeDownsampler must be"):
        NegativeDownsampler(SkLogisticRegression(), negative_rate=rate).fit(X, y)


def test_bad_estimator_and_targets(small):
    X, y = small
    with pytest.raises(
        ValueError,
        match=r"The 'estimator' parameter .* must be an object implementing 'fit' and 'predict_proba'",
    ):
        NegativeDownsampler(LinearSVC()).fit(X, y)
    for Xi, yi in (
        (X, np.zeros_like(y)),
        (da.from_array(X, chunks=5000), da.zeros(y.shape[0], chunks=5000, dtype=int)),
    ):
        with pytest.raises(ValueError, match="only one class: 0"):
            NegativeDownsampler(SkLogisticRegression()).fit(Xi, yi)
    y3 = np.arange(y.shape[0]) % 3
    for Xi, yi in ((X, y3), (da.from_array(X, chunks=5000), da.from_array(y3, chunks=5000))):
        with pytest.raises(ValueError, match="Only binary classification is supported"):
            NegativeDownsampler(SkLogisticRegression()).fit(Xi, yi)
    with pytest.raises(ValueError, match="Unknown label type"):
        NegativeDownsampler(SkLogisticRegression()).fit(X, X[:, 0])


def test_pandas_feature_names(small):
    import pandas as pd

    X, y = small
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    ds = NegativeDownsampler(SkLogisticRegression(), negative_rate=0.2, random_state=0).fit(df, y)
    assert list(ds.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_allclose(ds.predict_proba(df), ds.predict_proba(X))
    with pytest.raises(ValueError, match="The feature names should match those that were passed during fit"):
        ds.predict(df[["b", "a", "c"]])


def test_kernels_are_namespace_generic():
    xps = pytest.importorskip("array_api_strict")
    y = (np.random.default_rng(0).random(500) < 0.1).astype(np.int64)
    got = keep_mask(xps.asarray(y), xp=xps, row_offset=123, seed=7, rate=0.3, pos_label=1)
    np.testing.assert_array_equal(
        np.asarray(got), keep_mask(y, xp=np, row_offset=123, seed=7, rate=0.3, pos_label=1)
    )
    # a chunk starting at row 123 draws what rows 123... of the whole draw
    whole = keep_mask(
        np.concatenate([np.zeros(123, np.int64), y]), xp=np, row_offset=0, seed=7, rate=0.3, pos_label=1
    )
    np.testing.assert_array_equal(whole[123:], np.asarray(got))


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.int8, np.uint16, bool])
def test_compiled_draws_equal_the_hash_expression(dtype):
    """Numeric host labels take the compiled loop: the same rows as the SplitMix64
    expression (``hash_uniform(row) < rate`` or positive)."""
    from dml.imbalance._downsample_kernels import hash_uniform

    y = (np.random.default_rng(1).random(20_000) < 0.05).astype(dtype)
    got = keep_mask(y, xp=np, row_offset=10**9, seed=11, rate=0.07, pos_label=dtype(1))
    idx = np.arange(10**9, 10**9 + y.shape[0], dtype=np.int64)
    expected = (hash_uniform(idx, 11, xp=np) < 0.07) | (y == 1)
    np.testing.assert_array_equal(got, expected)
    assert 0.05 < expected.mean() < 0.2
    # a label the dtype cannot hold marks no row positive
    none_positive = keep_mask(y, xp=np, row_offset=10**9, seed=11, rate=0.07, pos_label=0.5)
    np.testing.assert_array_equal(none_positive, hash_uniform(idx, 11, xp=np) < 0.07)


def test_dask_csr_chunks_equal_memory(small):
    """Dask arrays of CSR chunks: each chunk's kept rows gathered (still CSR) equal the
    in-memory sample."""
    sp = pytest.importorskip("scipy.sparse")
    X, y = small
    Xs = sp.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0))
    mem = NegativeDownsampler(LogisticRegression(), negative_rate=0.3, random_state=0).fit(Xs, y)
    blocks = [Xs[a : a + 4096] for a in range(0, Xs.shape[0], 4096)]
    Xd = da.concatenate(
        [
            da.from_delayed(dask.delayed(b), shape=b.shape, dtype=b.dtype, meta=sp.csr_matrix((0, 3)))
            for b in blocks
        ]
    )
    got = NegativeDownsampler(LogisticRegression(), negative_rate=0.3, random_state=0).fit(
        Xd, da.from_array(y, chunks=4096)
    )
    np.testing.assert_allclose(got.estimator_.coef_, mem.estimator_.coef_, rtol=1e-6)
    assert got.negative_rate_ == mem.negative_rate_
