"""The naive Bayes classifiers: scikit-learn's fitted attributes and predictions on the
same data whatever the chunking, one pass per fit, partial_fit, bad input."""

from __future__ import annotations

import array_api_strict as xps
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn.naive_bayes as sk

import dml.naive_bayes as nb
from dml._engine.mapreduce import count_passes
from dml._engine.namespace import get_namespace, to_numpy
from dml.naive_bayes._naive_bayes_kernels import (
    category_counts_kernel,
    class_counts_kernel,
    combine_class_stats,
    gaussian_stats_kernel,
    joint_log_likelihood,
)

NAMES = ["GaussianNB", "MultinomialNB", "ComplementNB", "BernoulliNB", "CategoricalNB"]
ATTRIBUTES = [
    "class_count_",
    "class_prior_",
    "theta_",
    "var_",
    "epsilon_",
    "feature_count_",
    "class_log_prior_",
    "feature_log_prob_",
    "feature_all_",
    "category_count_",
    "n_categories_",
    "n_features_in_",
]
METHODS = ["predict_joint_log_proba", "predict_log_proba", "predict_proba", "predict"]


def _data(name, n=900, p=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    if name == "GaussianNB":  # offset features: the moments must not cancel
        X = 1e4 + rng.normal(size=(n, p)) * (1 + y[:, None])
    elif name == "BernoulliNB":
        X = rng.normal(size=(n, p)) + 0.3 * y[:, None]
    elif name == "CategoricalNB":
        X = rng.integers(0, 4, size=(n, p)) + (y[:, None] == 2)
    else:
        X = rng.poisson(2.0 + y[:, None], size=(n, p))
    return X.astype(dtype), y


def _assert_same_model(est, ref, rtol=1e-10):
    np.testing.assert_array_equal(est.classes_, ref.classes_)
    for key in ATTRIBUTES:
        assert hasattr(est, key) == hasattr(ref, key), key
        if not hasattr(ref, key):
            continue
        a, b = getattr(est, key), getattr(ref, key)
        if isinstance(b, list):
            assert len(a) == len(b)
            for u, v in zip(a, b):
                np.testing.assert_allclose(u, v, rtol=rtol, err_msg=key)
            continue
        np.testing.assert_allclose(a, b, rtol=rtol, atol=0, err_msg=key)
        assert np.asarray(a).dtype == np.asarray(b).dtype, key


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("chunks", [None, -1, 100, (50, 400, 7, 443)])
def test_matches_sklearn_whatever_the_chunking(name, weighted, chunks):
    X, y = _data(name)
    w = np.random.default_rng(1).uniform(0, 2, len(y)) if weighted else None
    ref = getattr(sk, name)().fit(X, y, sample_weight=w)
    if chunks is None:  # NumPy in: the fast path
        Xi, yi, wi = X, y, w
    else:
        Xi = da.from_array(X, chunks=(chunks, -1))
        yi = da.from_array(y, chunks=100)  # y chunked differently: realigned to X
        wi = None if w is None else da.from_array(w, chunks=chunks)
    with count_passes() as c:
        est = getattr(nb, name)().fit(Xi, yi, sample_weight=wi)
    assert c.passes == 1, c.kernels
    _assert_same_model(est, ref)
    for m in METHODS:
        out = getattr(est, m)(Xi)
        assert isinstance(out, da.Array) == (chunks is not None), m
        got = out.compute() if isinstance(out, da.Array) else out
        want = getattr(ref, m)(X)
        if m == "predict":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=m)
            assert got.dtype == want.dtype, m


def test_many_chunks_local_data():
    """In-memory data larger than the fast path runs chunked on the local scheduler."""
    import dml

    X, y = _data("GaussianNB", n=3000)
    with dml.config_context(chunk_bytes=10_000, fast_path_bytes=1000):
        est = nb.GaussianNB().fit(X, y)
    _assert_same_model(est, sk.GaussianNB().fit(X, y))


@pytest.mark.parametrize("name", NAMES)
def test_under_each_scheduler(name, scheduler):
    X, y = _data(name, n=600)
    Xd, yd = da.from_array(X, chunks=(150, -1)), da.from_array(y, chunks=150)
    est = getattr(nb, name)().fit(Xd, yd)
    ref = getattr(sk, name)().fit(X, y)
    _assert_same_model(est, ref)
    np.testing.assert_allclose(est.predict_proba(Xd).compute(), ref.predict_proba(X), rtol=1e-9)


@pytest.mark.parametrize("name", ["GaussianNB", "MultinomialNB", "BernoulliNB"])
def test_float32_kept_where_sklearn_keeps_it(name):
    X, y = _data(name, dtype=np.float32)
    ref = getattr(sk, name)().fit(X, y)
    est = getattr(nb, name)().fit(da.from_array(X, chunks=(128, -1)), y)
    _assert_same_model(est, ref, rtol=2e-5)  # scikit-learn sums in float32; dml in float64
    if name == "GaussianNB":
        assert est.theta_.dtype == est.var_.dtype == est.class_count_.dtype == np.float32
        assert isinstance(est.epsilon_, np.float32)
    for m in ("predict_joint_log_proba", "predict_proba"):
        assert getattr(est, m)(X).dtype == getattr(ref, m)(X).dtype


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("weighted", [False, True])
def test_partial_fit_matches_sklearn(name, weighted):
    X, y = _data(name)
    w = np.random.default_rng(2).uniform(0, 2, len(y)) if weighted else None
    ref, est = getattr(sk, name)(), getattr(nb, name)()
    bounds = [(0, 200), (200, 210), (210, 900)]
    for i, (a, b) in enumerate(bounds):
        cls = [0, 1, 2] if i == 0 else None
        wb = None if w is None else w[a:b]
        ref.partial_fit(X[a:b], y[a:b], classes=cls, sample_weight=wb)
        Xd = da.from_array(X[a:b], chunks=(64, -1))
        with count_passes() as c:
            est.partial_fit(Xd, y[a:b], classes=cls, sample_weight=wb)
        assert c.passes == 1
    _assert_same_model(est, ref)
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), rtol=1e-9, atol=1e-12)


def test_partial_fit_classes_absent_from_the_batch_and_refit():
    X, y = _data("GaussianNB")
    keep = y != 2
    ref = sk.GaussianNB().partial_fit(X[keep], y[keep], classes=[0, 1, 2])
    est = nb.GaussianNB().partial_fit(da.from_array(X[keep], chunks=(100, -1)), y[keep], classes=[0, 1, 2])
    _assert_same_model(est, ref)
    assert est.class_count_[2] == 0
    est.fit(X, y)  # fit starts again
    _assert_same_model(est, sk.GaussianNB().fit(X, y))


@pytest.mark.parametrize("name", NAMES)
def test_partial_fit_class_errors(name):
    X, y = _data(name, n=60)
    est = getattr(nb, name)()
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit."):
        est.partial_fit(X, y)
    est.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(
        ValueError, match=r"`classes=\[0, 1\]` is not the same as on last call to partial_fit"
    ):
        est.partial_fit(X, y, classes=[0, 1])
    bad = y.copy()
    bad[3] = 7
    msg = r"The target label\(s\) \[7\] in y do not exist in the initial classes \[0 1 2\]"
    with pytest.raises(ValueError, match=msg):
        est.partial_fit(da.from_array(X, chunks=(20, -1)), bad)
    with pytest.raises(ValueError, match="X has 4 features, but"):
        est.partial_fit(X[:, :4], y)


@pytest.mark.parametrize("name", ["MultinomialNB", "ComplementNB", "CategoricalNB"])
@pytest.mark.parametrize("dask_input", [False, True])
def test_negative_values_raise_sklearns_error(name, dask_input):
    X, y = _data(name, n=120)
    X[7, 2] = -1
    Xi = da.from_array(X, chunks=(50, -1)) if dask_input else X
    msg = f"Negative values in data passed to {name} \\(input X\\)."
    with pytest.raises(ValueError, match=msg):
        getattr(sk, name)().fit(X, y)
    with pytest.raises(ValueError, match=msg):
        getattr(nb, name)().fit(Xi, y)


def test_bernoulli_accepts_negative_values():
    X, y = _data("BernoulliNB")
    assert (X < 0).any()
    _assert_same_model(nb.BernoulliNB().fit(X, y), sk.BernoulliNB().fit(X, y))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("dask_input", [False, True])
def test_nan_and_inf(name, bad, dask_input):
    X, y = _data(name, n=120)
    X[5, 1] = bad
    Xi = da.from_array(X, chunks=(50, -1)) if dask_input else X
    msg = "Input X contains NaN." if np.isnan(bad) else "Input X contains infinity"
    with pytest.raises(ValueError, match=msg):
        getattr(nb, name)().fit(Xi, y)
    good, _ = _data(name, n=120)
    est = getattr(nb, name)().fit(good, y)
    for m in ("predict", "predict_proba"):
        with pytest.raises(ValueError, match=msg):
            out = getattr(est, m)(Xi)
            if isinstance(out, da.Array):
                out.compute()


def test_nan_in_y_and_continuous_y():
    X, y = _data("MultinomialNB", n=100)
    yf = y.astype(float)
    yf[3] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN."):
        nb.MultinomialNB().fit(X, da.from_array(yf, chunks=30))
    with pytest.raises(ValueError, match="Unknown label type: "):
        nb.GaussianNB().fit(X, np.linspace(0, 1, 100))


@pytest.mark.parametrize("name", ["GaussianNB", "CategoricalNB"])
def test_sparse_input_is_refused_clearly(name):
    # the counting models take sparse input: tests/naive_bayes/test_sparse_nb.py
    X, y = _data(name, n=40)
    est = getattr(nb, name)()
    with pytest.raises(TypeError, match="does not support sparse input yet.*scipy.sparse csr"):
        est.fit(sp.csr_matrix(X), y)
    Xs = da.from_array(X, chunks=(10, -1)).map_blocks(sp.csr_matrix, meta=sp.csr_matrix((0, 0)))
    with pytest.raises(TypeError, match="does not support sparse input yet.*Dask array of scipy.sparse"):
        est.fit(Xs, y)
    est.fit(X, y)
    with pytest.raises(TypeError, match="does not support sparse input yet"):
        est.predict(sp.csr_array(X))


def test_string_labels_and_dataframe_feature_names():
    X, y = _data("MultinomialNB", n=200)
    labels = np.array(["ant", "bee", "cat"], dtype=object)[y]
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = nb.MultinomialNB().fit(df, labels)
    ref = sk.MultinomialNB().fit(df, labels)
    _assert_same_model(est, ref)
    np.testing.assert_array_equal(est.feature_names_in_, ref.feature_names_in_)
    np.testing.assert_array_equal(est.predict(df), ref.predict(df))
    out = est.predict(dd.from_pandas(df, npartitions=3))
    np.testing.assert_array_equal(out.compute(), ref.predict(df))


def test_parameters_match_sklearn():
    X, y = _data("MultinomialNB")
    Xc, yc = _data("CategoricalNB")
    Xb, yb = _data("BernoulliNB")
    Xg, yg = _data("GaussianNB")
    cases = [
        ("GaussianNB", dict(priors=[0.2, 0.3, 0.5], var_smoothing=1e-3), Xg, yg),
        ("MultinomialNB", dict(alpha=0.3, fit_prior=False), X, y),
        ("MultinomialNB", dict(alpha=np.arange(1.0, 6.0), class_prior=[0.1, 0.2, 0.7]), X, y),
        ("MultinomialNB", dict(alpha=0.0, force_alpha=True), X, y),
        ("ComplementNB", dict(norm=True, alpha=0.5), X, y),
        ("BernoulliNB", dict(binarize=0.5, alpha=2.0), Xb, yb),
        ("BernoulliNB", dict(binarize=None), (Xb > 0).astype(float), yb),
        ("CategoricalNB", dict(min_categories=7), Xc, yc),
        ("CategoricalNB", dict(min_categories=[2, 9, 1, 6, 5], alpha=0.1), Xc, yc),
    ]
    for name, params, Xi, yi in cases:
        ref = getattr(sk, name)(**params).fit(Xi, yi)
        est = getattr(nb, name)(**params).fit(da.from_array(Xi, chunks=(128, -1)), yi)
        _assert_same_model(est, ref)
        np.testing.assert_allclose(est.predict_log_proba(Xi), ref.predict_log_proba(Xi), rtol=1e-9)


def test_parameter_errors_match_sklearn():
    X, y = _data("MultinomialNB", n=60)
    Xg, yg = _data("GaussianNB", n=60)
    cases = [
        (nb.GaussianNB(priors=[0.5, 0.5]), Xg, "Number of priors must match number of classes."),
        (nb.GaussianNB(priors=[0.5, 0.4, 0.3]), Xg, "The sum of the priors should be 1."),
        (nb.GaussianNB(priors=[1.5, -0.2, -0.3]), Xg, "Priors must be non-negative."),
        (nb.MultinomialNB(class_prior=[0.5, 0.5]), X, "Number of priors must match number of classes."),
        (nb.MultinomialNB(alpha=[1.0, 2.0]), X, "When alpha is an array, it should contains `n_features`"),
        (nb.MultinomialNB(alpha=[1.0, -2.0, 1, 1, 1]), X, "All values in alpha must be greater than 0."),
        (nb.CategoricalNB(min_categories=[2.5] * 5), X, "'min_categories' should have integral type"),
        (nb.CategoricalNB(min_categories=[[2] * 5] * 2), X, r"'min_categories' should have shape \(5,\)"),
        (nb.GaussianNB(var_smoothing=-1.0), Xg, "The 'var_smoothing' parameter of GaussianNB must be"),
    ]
    for est, Xi, msg in cases:
        with pytest.raises(ValueError, match=msg):
            est.fit(Xi, y)
    with pytest.warns(UserWarning, match="alpha too small will result in numeric errors"):
        est = nb.MultinomialNB(alpha=0.0, force_alpha=False).fit(X, y)
    _assert_same_model(est, sk.MultinomialNB(alpha=1e-10).fit(X, y))


def test_categorical_unseen_category_and_partial_fit_categories():
    X, y = _data("CategoricalNB")
    est = nb.CategoricalNB().fit(X, y)
    bad = X[:3].copy()
    bad[1, 2] = 9
    with pytest.raises(IndexError, match="Feature 2 of X holds category 9"):
        est.predict(bad)
    with pytest.raises(ValueError, match=r"Negative values in data passed to CategoricalNB \(input X\)."):
        est.predict(-X[:3] - 1)
    # n_categories_ follows the last batch, category_count_ keeps the widest, as scikit-learn
    ref, est = sk.CategoricalNB(), nb.CategoricalNB()
    for a, b, cap in [(0, 400, 9), (400, 900, 2)]:
        Xb = np.minimum(X[a:b], cap)
        ref.partial_fit(Xb, y[a:b], classes=[0, 1, 2])
        est.partial_fit(da.from_array(Xb, chunks=(128, -1)), y[a:b], classes=[0, 1, 2])
    _assert_same_model(est, ref)
    # non-integer values are truncated to their category, as scikit-learn's int cast
    Xf = X + 0.7
    _assert_same_model(nb.CategoricalNB().fit(Xf, y), sk.CategoricalNB().fit(Xf, y))


def test_all_zero_weights_and_single_class():
    X, y = _data("MultinomialNB", n=50)
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero number."):
        nb.MultinomialNB().fit(X, y, sample_weight=da.zeros(50, chunks=20))
    for name in NAMES:
        Xi, _ = _data(name, n=50)
        ones = np.zeros(50, dtype=int)
        _assert_same_model(getattr(nb, name)().fit(Xi, ones), getattr(sk, name)().fit(Xi, ones))


def test_caller_data_not_modified_and_score():
    X, y = _data("BernoulliNB")
    before = X.copy()
    est = nb.BernoulliNB().fit(X, y)
    np.testing.assert_array_equal(X, before)
    assert est.score(X, y) == pytest.approx(sk.BernoulliNB().fit(X, y).score(X, y))
    assert est.score(da.from_array(X, chunks=(100, -1)), da.from_array(y, chunks=100)) == pytest.approx(
        est.score(X, y)
    )


def test_gaussian_variance_is_stable_with_large_offsets():
    """Chan's pairwise merge keeps the variance exact where naive sums would cancel."""
    rng = np.random.default_rng(3)
    X = 1e8 + rng.normal(size=(4000, 3))
    y = rng.integers(0, 2, 4000)
    est = nb.GaussianNB(var_smoothing=0.0).fit(da.from_array(X, chunks=(333, -1)), y)
    exact = np.stack([X[y == c].var(axis=0) for c in (0, 1)])
    np.testing.assert_allclose(est.var_, exact, rtol=1e-8)


# ----------------------------------------------------------- kernels: namespace-generic


def _both(kernel, arrays, **kwargs):
    np_out = kernel(*arrays, xp=get_namespace(np.zeros(1)), **kwargs)
    strict = [None if a is None else xps.asarray(a) for a in arrays]
    return np_out, kernel(*strict, xp=xps, **kwargs)


def _assert_same(a, b):
    a, b = combine_class_stats([a]), combine_class_stats([b])
    assert a.keys() == b.keys()
    for k in a:
        u, v = a[k], b[k]
        if isinstance(u, tuple):
            for s, t in zip(u, v):
                np.testing.assert_allclose(s, t, rtol=1e-12, err_msg=k)
        elif k == "labels":
            np.testing.assert_array_equal(u, v)
        else:
            np.testing.assert_allclose(to_numpy(u), to_numpy(v), rtol=1e-12, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernels_array_api(weighted, dtype):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 70)
    w = rng.uniform(0.5, 1.5, 70) if weighted else None
    Xg = (5 + rng.normal(size=(70, 4))).astype(dtype)
    _assert_same(*_both(gaussian_stats_kernel, (Xg, y, w)))
    Xc = rng.poisson(2.0, size=(70, 4)).astype(dtype)
    _assert_same(*_both(class_counts_kernel, (Xc, y, w)))
    _assert_same(*_both(class_counts_kernel, (Xc, y, w), binarize=1.5))
    _assert_same(*_both(category_counts_kernel, (Xc, y, w)))


@pytest.mark.parametrize("name", NAMES)
def test_predict_kernels_array_api(name):
    X, y = _data(name, n=80)
    est = getattr(nb, name)().fit(X, y)
    model, params, _ = est._predict_params(X.dtype)
    a = joint_log_likelihood(X, xp=get_namespace(X), model=model, params=params)
    b = joint_log_likelihood(xps.asarray(X), xp=xps, model=model, params=params)
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-12)


def test_label_fast_path_matches_unique():
    from dml.naive_bayes._naive_bayes_kernels import _unique_inverse_numpy

    rng = np.random.default_rng(0)
    for y in (rng.integers(-5, 40, 300), rng.integers(0, 10**9, 50), np.array([3], dtype=np.int32)):
        values, inverse = _unique_inverse_numpy(y)
        ref_values, ref_inverse = np.unique(y, return_inverse=True)
        np.testing.assert_array_equal(values, ref_values)
        assert values.dtype == y.dtype
        np.testing.assert_array_equal(inverse, ref_inverse)
