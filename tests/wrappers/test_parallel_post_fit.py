"""ParallelPostFit: in-memory fit, blockwise lazy predict on Dask."""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression as SkLinear

from dml.wrappers import ParallelPostFit


@pytest.fixture
def data(rng):
    X = rng.normal(size=(400, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def test_predict_is_lazy_and_matches(scheduler, data):
    X, y = data
    clf = ParallelPostFit(RandomForestClassifier(n_estimators=5, random_state=0)).fit(X[:200], y[:200])
    Xd = da.from_array(X, chunks=(90, 2))
    for m in ("predict", "predict_proba", "predict_log_proba"):
        out = getattr(clf, m)(Xd)
        assert isinstance(out, da.Array)
        np.testing.assert_allclose(out.compute(), getattr(clf.estimator_, m)(X))
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    assert clf.score(Xd, da.from_array(y, chunks=50)) == pytest.approx(clf.estimator_.score(X, y))


def test_fit_on_dask_input_and_transform(data):
    X, y = data
    pca = ParallelPostFit(PCA(2)).fit(da.from_array(X, chunks=100))
    out = pca.transform(da.from_array(X, chunks=100))
    assert out.shape == (400, 2)
    np.testing.assert_allclose(out.compute(), pca.estimator_.transform(X))


def test_regressor_score_and_scoring(data):
    X, _ = data
    y = X @ np.arange(4.0)
    reg = ParallelPostFit(SkLinear()).fit(X, y)
    Xd, yd = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    assert reg.score(Xd, yd) == pytest.approx(1.0)
    reg2 = ParallelPostFit(SkLinear(), scoring="neg_mean_squared_error").fit(X, y)
    assert reg2.score(Xd, yd) == pytest.approx(0.0, abs=1e-20)


def test_dask_dataframe_keeps_feature_names(data):
    X, y = data
    df = pd.DataFrame(X, columns=list("abcd"))
    clf = ParallelPostFit(RandomForestClassifier(n_estimators=3, random_state=0)).fit(df, y)
    ddf = dd.from_pandas(df, npartitions=3)
    np.testing.assert_array_equal(clf.predict(ddf).compute(), clf.estimator_.predict(df))


def test_requires_an_estimator(data):
    with pytest.raises(ValueError, match="needs an estimator"):
        ParallelPostFit().fit(*data)


def test_fitted_attributes_pass_through(data):
    import copy
    import pickle

    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    X, y = data
    ppf = ParallelPostFit(LogisticRegression())
    with pytest.raises(AttributeError, match="'ParallelPostFit' object has no attribute 'coef_'"):
        ppf.coef_
    ppf.fit(X, y)
    assert ppf.coef_ is ppf.estimator_.coef_ and ppf.n_iter_ is ppf.estimator_.n_iter_
    np.testing.assert_array_equal(ppf.classes_, [0, 1])
    with pytest.raises(AttributeError, match="'ParallelPostFit' object has no attribute 'nope_'"):
        ppf.nope_
    assert not hasattr(ppf, "fit_transform")  # a method of the inner model is not passed on
    forest = ParallelPostFit(RandomForestClassifier(n_estimators=3, random_state=0)).fit(X, y)
    assert forest.feature_importances_.shape == (4,)
    for other in (pickle.loads(pickle.dumps(ppf)), copy.deepcopy(ppf)):
        np.testing.assert_array_equal(other.coef_, ppf.coef_)
    assert not hasattr(clone(ppf), "coef_")


def test_metric_function_as_scoring_is_rejected_at_fit(data):
    from sklearn.metrics import accuracy_score

    X, y = data
    with pytest.raises(ValueError, match="looks like it is a metric function rather than a scorer"):
        ParallelPostFit(RandomForestClassifier(n_estimators=3), scoring=accuracy_score).fit(X, y)
