"""Parity with dask-ml's ``tests/test_parallel_post_fit.py``.

dml's ``ParallelPostFit`` fits in memory and predicts / transforms / scores blockwise on
Dask input. dask-ml's ``predict_meta``, ``predict_proba_meta`` and ``transform_meta``
are gone (dml infers the output from one row of zeros), and so is ``score(...,
compute=False)`` (docs/migrating_from_dask_ml.md, ``dask_ml.wrappers``); the cases
dask-ml needed them for are checked to work without them.
"""

from __future__ import annotations

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.datasets
from scipy.sparse import csr_matrix
from sklearn.decomposition import PCA
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.naive_bayes import CategoricalNB

from dml.datasets import make_classification
from dml.wrappers import ParallelPostFit


def _np(a):
    if hasattr(a, "compute"):
        a = a.compute()
    return np.asarray(a)


def test_it_works():
    clf = ParallelPostFit(GradientBoostingClassifier(n_estimators=10, random_state=0))
    X, y = make_classification(n_samples=400, chunks=100, random_state=0)
    X_, y_ = dask.compute(X, y)
    clf.fit(X_, y_)
    assert isinstance(clf.predict(X), da.Array)
    assert isinstance(clf.predict_proba(X), da.Array)
    assert clf.score(X, y) == pytest.approx(clf.estimator_.score(X_, y_), abs=1e-12)


def test_no_method_raises():
    clf = ParallelPostFit(LinearRegression())
    X, y = make_classification(chunks=50, random_state=0)
    clf.fit(X, y)
    with pytest.raises(AttributeError, match="predict_proba"):
        clf.predict_proba(X)
    assert not hasattr(clf, "predict_proba")


def test_score_is_a_number_after_one_pass():
    # dask-ml's score(compute=False) returned a lazy value; dml's returns the number.
    clf = ParallelPostFit(LinearRegression())
    X, y = make_classification(chunks=50, random_state=0)
    clf.fit(X, y)
    x = clf.score(X, y)
    assert isinstance(x, float) and 0 < x < 1
    assert x == pytest.approx(clf.estimator_.score(*dask.compute(X, y)), rel=1e-10)
    with pytest.raises(TypeError):
        clf.score(X, y, compute=False)


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_value_dependent_output_without_meta(method):
    # dask-ml needs predict_meta / predict_proba_meta here; dml infers the output.
    Xp = pd.DataFrame({"c_0": [1, 2, 3, 4]})
    y = np.array([1, 2, 3, 4])
    base = CategoricalNB().fit(Xp, y)
    wrap = ParallelPostFit(CategoricalNB()).fit(Xp, y)
    result = getattr(wrap, method)(dd.from_pandas(Xp, npartitions=2))
    np.testing.assert_allclose(_np(result), getattr(base, method)(Xp))
    with pytest.raises(TypeError):
        ParallelPostFit(base, predict_meta=np.array([1]))


def test_transform_one_hot_without_meta():
    from sklearn.preprocessing import OneHotEncoder

    Xp = pd.DataFrame({"cat_s": ["a", "b", "c", "d"]})
    wrap = ParallelPostFit(OneHotEncoder(sparse_output=False)).fit(Xp)
    result = wrap.transform(dd.from_pandas(Xp, npartitions=2))
    np.testing.assert_array_equal(_np(result), wrap.estimator_.transform(Xp))


def test_transform_value_dependent_on_arrays():
    # A row of zeros is an unknown category for this encoder: the output is still
    # inferred (from the data's first row) and the transform is blockwise and lazy.
    from sklearn.preprocessing import OneHotEncoder

    Xn = np.array([[1], [2], [3], [2]])
    wrap = ParallelPostFit(OneHotEncoder(sparse_output=False)).fit(Xn)
    result = wrap.transform(da.from_array(Xn, chunks=2))
    assert isinstance(result, da.Array) and result.shape == (4, 3)
    np.testing.assert_array_equal(result.compute(), wrap.estimator_.transform(Xn))
    # an input the model refuses for real still raises the model's error
    with pytest.raises(ValueError, match="unknown categories"):
        wrap.transform(da.from_array(np.array([[7], [8]]), chunks=1))


def test_predict_correct_output_dtype():
    X, y = make_classification(chunks=100, random_state=0)
    X_ddf = dd.from_dask_array(X)
    base = LinearRegression().fit(*dask.compute(X, y))
    wrap = ParallelPostFit(LinearRegression()).fit(X, y)
    assert wrap.predict(X_ddf).dtype == base.predict(X_ddf.compute()).dtype


@pytest.mark.parametrize("kind", ["numpy", "dask.dataframe", "dask.array"])
def test_predict(kind):
    X, y = make_classification(chunks=100, random_state=0)
    if kind == "numpy":
        X, y = dask.compute(X, y)
    elif kind == "dask.dataframe":
        X, y = dd.from_dask_array(X), dd.from_dask_array(y)
    Xm, ym = dask.compute(X, y)
    base = LogisticRegression(random_state=0).fit(Xm, ym)
    wrap = ParallelPostFit(LogisticRegression(random_state=0)).fit(X, y)
    np.testing.assert_allclose(wrap.estimator_.coef_, base.coef_)
    np.testing.assert_allclose(wrap.coef_, base.coef_)
    for method in ["predict", "predict_proba", "predict_log_proba", "decision_function"]:
        result = getattr(wrap, method)(X)
        if kind != "numpy":
            assert dask.is_dask_collection(result)
        np.testing.assert_allclose(_np(result), getattr(base, method)(Xm))


@pytest.mark.parametrize("kind", ["numpy", "dask.dataframe", "dask.array"])
def test_transform(kind):
    X, y = make_classification(chunks=100, random_state=0)
    if kind == "numpy":
        X, y = dask.compute(X, y)
    elif kind == "dask.dataframe":
        X, y = dd.from_dask_array(X), dd.from_dask_array(y)
    Xm = dask.compute(X)[0]
    base = PCA(random_state=0).fit(Xm)
    wrap = ParallelPostFit(PCA(random_state=0)).fit(X, y)
    np.testing.assert_allclose(wrap.estimator_.components_, base.components_)
    np.testing.assert_allclose(_np(wrap.transform(X)), base.transform(Xm), atol=1e-12)


def test_multiclass():
    Xn, yn = sklearn.datasets.make_classification(n_classes=3, n_informative=4, random_state=0)
    X, y = da.from_array(Xn, chunks=50), da.from_array(yn, chunks=50)
    clf = ParallelPostFit(LogisticRegression(random_state=0)).fit(*dask.compute(X, y))
    for method in ["predict", "predict_proba", "predict_log_proba"]:
        result = getattr(clf, method)(X)
        assert isinstance(result, da.Array)
        np.testing.assert_allclose(result.compute(), getattr(clf.estimator_, method)(Xn))
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


def test_auto_rechunk():
    clf = ParallelPostFit(GradientBoostingClassifier(n_estimators=10, random_state=0))
    X, y = make_classification(n_samples=400, n_features=20, chunks=100, random_state=0)
    X = X.rechunk({0: 100, 1: 10})
    clf.fit(X, y)
    assert clf.predict(X).compute().shape == (400,)
    assert clf.predict_proba(X).compute().shape == (400, 2)
    assert clf.score(X, y) == pytest.approx(clf.score(X.compute(), y.compute()), abs=1e-12)
    # unknown row chunk sizes
    Xu = dd.from_dask_array(X.rechunk({1: -1})).values
    assert np.isnan(Xu.shape[0])
    np.testing.assert_array_equal(clf.predict(Xu).compute(), clf.predict(X.compute()))


def test_sparse_inputs():
    X = csr_matrix((3, 4))
    y = np.asarray([0, 0, 1], dtype=np.int32)
    base = SGDClassifier(tol=1e-3, random_state=0).fit(X, y)
    wrap = ParallelPostFit(SGDClassifier(tol=1e-3, random_state=0)).fit(X, y)
    result = wrap.predict(da.from_array(X, chunks=(1, 4))).compute()
    np.testing.assert_array_equal(result, base.predict(X))


def test_metric_function_as_scoring_is_refused():
    from dml.metrics import accuracy_score

    X, y = make_classification(n_samples=50, chunks=25, random_state=0)
    with pytest.raises(ValueError, match="metric function rather than a scorer"):
        ParallelPostFit(LogisticRegression(), scoring=accuracy_score).fit(X, y)


def test_mixed_dtype_frame_pipeline():
    # String, categorical, boolean and float columns: the fabricated probe row would be
    # an unknown category for the encoder; the output is inferred from the first row.
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "num": rng.normal(size=40),
            "s": rng.choice(["x", "y", "z"], 40),
            "c": pd.Categorical(rng.choice(["p", "q"], 40)),
            "b": rng.random(40) > 0.5,
        }
    )
    y = (df.num > 0).astype(int).to_numpy()
    pipe = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(), ["s", "c"]), (StandardScaler(), ["num"]), remainder="passthrough"
        ),
        LogisticRegression(),
    )
    wrap = ParallelPostFit(pipe).fit(df, y)
    ddf = dd.from_pandas(df, npartitions=4)
    for method in ["predict", "predict_proba"]:
        out = getattr(wrap, method)(ddf)
        assert dask.is_dask_collection(out)
        np.testing.assert_allclose(out.compute(), getattr(wrap.estimator_, method)(df))
    assert wrap.score(ddf, dd.from_pandas(pd.Series(y), npartitions=4)) == pytest.approx(
        wrap.estimator_.score(df, y)
    )
