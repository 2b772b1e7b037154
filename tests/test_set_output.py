"""``set_output(transform="pandas")`` on every dml transformer: pandas in gives pandas out
(as scikit-learn), Dask in gives a lazy Dask DataFrame out with the feature names out as
columns and the input's partitions."""

from __future__ import annotations

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone

from dml.utils import all_estimators

# Transformers that need other input than a numeric frame (or whose output is not a
# feature matrix), each with the estimator to try instead or None to leave it out.
_SPECIAL = {
    "LabelEncoder": None,  # y only, no get_feature_names_out (as scikit-learn's)
    "SpectralClustering": None,
    # documents in, CSR out: pandas output is refused for sparse results, as scikit-learn's
    "CountVectorizer": None,
    "TfidfVectorizer": None,
    "HashingVectorizer": None,
    "TfidfTransformer": None,
    "FunctionTransformer": lambda cls: cls(np.log1p, feature_names_out="one-to-one"),
    # pandas output is dense (sparse output is refused with scikit-learn's message)
    "OneHotEncoder": lambda cls: cls(sparse_output=False),
    "QuantileTransformer": lambda cls: cls(n_quantiles=10),
    "KBinsDiscretizer": lambda cls: cls(n_bins=3, encode="ordinal", strategy="uniform"),
}


def _transformers():
    out = []
    for name, cls in all_estimators(type_filter="transformer"):
        if name in _SPECIAL and _SPECIAL[name] is None:
            continue
        try:
            est = _SPECIAL.get(name, lambda c: c())(cls)
        except TypeError:  # meta-estimators need an inner estimator
            continue
        if not hasattr(est, "set_output"):
            continue
        out.append(pytest.param(est, id=name))
    return out


def _frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.uniform(0.5, 2.0, size=(n, 4)), columns=["a", "b", "c", "d"])
    df.index = np.arange(100, 100 + n)
    return df


def _y(X):
    """A target for the transformers that need one (TargetEncoder); the others ignore it."""
    return (X["a"] > 1.2).astype(int)


def _prepare(est):
    params = est.get_params()
    updates = {}
    for key, value in (("n_components", 2), ("n_clusters", 3), ("random_state", 0)):
        if key in params:
            updates[key] = value
    return clone(est).set_params(**updates)


@pytest.mark.parametrize("est", _transformers())
def test_pandas_in_pandas_out(est):
    est = _prepare(est).set_output(transform="pandas")
    df = _frame()
    out = est.fit(df, _y(df)).transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(est.get_feature_names_out())
    assert out.index.equals(df.index)
    default = clone(est).set_output(transform="default").fit(df, _y(df)).transform(df)
    np.testing.assert_allclose(out.to_numpy(), np.asarray(default), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("est", _transformers())
@pytest.mark.parametrize("unknown", [False, True], ids=["known", "unknown_lengths"])
def test_dask_in_dask_frame_out(est, unknown):
    df = _frame()
    ddf = dd.from_pandas(df, npartitions=3)
    if unknown:
        ddf = ddf.clear_divisions()
    est = _prepare(est).set_output(transform="pandas").fit(ddf, _y(ddf))
    computed = []
    with dask.config.set(scheduler="sync"), dask.callbacks.Callback(pretask=lambda *a: computed.append(1)):
        out = est.transform(ddf)
    assert not computed, "transform computed something before it was asked"
    assert isinstance(out, dd.DataFrame)
    assert out.npartitions == ddf.npartitions
    assert list(out.columns) == list(est.get_feature_names_out())
    got = out.compute()
    assert got.index.equals(df.index)
    expected = np.asarray(clone(est).set_output(transform="default").fit(ddf, _y(ddf)).transform(ddf))
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-10, atol=1e-12)


def test_global_config_and_fit_transform():
    from dml.preprocessing import StandardScaler

    df = _frame()
    ddf = dd.from_pandas(df, npartitions=2)
    with sklearn.config_context(transform_output="pandas"):
        out = StandardScaler().fit_transform(ddf)
        pandas_out = StandardScaler().fit_transform(df)
    assert isinstance(out, dd.DataFrame) and isinstance(pandas_out, pd.DataFrame)
    np.testing.assert_allclose(out.compute().to_numpy(), pandas_out.to_numpy(), rtol=1e-12)


def test_dask_array_in_gives_dask_frame_with_default_index():
    from dml.preprocessing import StandardScaler

    X = da.from_array(_frame().to_numpy(), chunks=20)
    out = StandardScaler().set_output(transform="pandas").fit(X).transform(X)
    assert isinstance(out, dd.DataFrame)
    assert list(out.columns) == ["x0", "x1", "x2", "x3"]
    assert out.compute().index.tolist() == list(range(60))


def test_default_keeps_dask_array_and_polars_on_dask_is_refused():
    from dml.preprocessing import StandardScaler

    ddf = dd.from_pandas(_frame(), npartitions=2)
    assert isinstance(StandardScaler().fit(ddf).transform(ddf), da.Array)
    pytest.importorskip("polars")
    with pytest.raises(ValueError, match="not available for Dask input"):
        StandardScaler().set_output(transform="polars").fit(ddf).transform(ddf)


def test_pipeline_set_output_reaches_dml_steps():
    from sklearn.pipeline import make_pipeline

    from dml.decomposition import PCA
    from dml.preprocessing import StandardScaler

    ddf = dd.from_pandas(_frame(), npartitions=2)
    pipe = make_pipeline(StandardScaler(), PCA(n_components=2)).set_output(transform="pandas")
    out = pipe.fit(ddf).transform(ddf)
    assert isinstance(out, dd.DataFrame)
    assert list(out.columns) == ["pca0", "pca1"]
