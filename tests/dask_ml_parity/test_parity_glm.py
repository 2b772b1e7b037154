"""Parity with dask-ml's ``tests/linear_model/test_glm.py``.

dask-ml's GLMs (``LinearRegression``, ``LogisticRegression``, ``PoissonRegression``) are
dask-glm models with dask-ml's own parameters; dml's follow scikit-learn
(docs/migrating_from_dask_ml.md, ``dask_ml.linear_model``). The behaviours dask-ml checks
(fit / predict / predict_proba on Dask data with and without an intercept, use in a
pipeline and a grid search, unknown chunk sizes, NumPy and Dask input giving the same
model) are checked here against dml's documented behaviour.
"""

from __future__ import annotations

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import sklearn.linear_model as sk
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from dml.datasets import make_classification, make_counts, make_regression
from dml.linear_model import LinearRegression, LogisticRegression, PoissonRegressor
from dml.model_selection import GridSearchCV


class Passthrough(TransformerMixin, BaseEstimator):
    """A transformer that returns its input (dask-ml's DoNothingTransformer)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
def test_init_and_fit_with_scikit_learn_solvers(solver):
    X, y = make_classification(n_samples=100, n_features=5, chunks=50, random_state=0)
    LogisticRegression(solver=solver).fit(X, y)
    PoissonRegressor(solver=solver).fit(*make_counts(n_samples=100, n_features=5, chunks=50, random_state=0))


@pytest.mark.parametrize("solver", ["admm", "gradient_descent", "proximal_grad", "newton"])
def test_dask_glm_solver_names_are_refused(solver):
    # dml follows scikit-learn: dask-glm's solver names do not exist
    # (docs/migrating_from_dask_ml.md); dask-ml accepts them. 'newton' is dask-glm's, not
    # scikit-learn's ('newton-cg' / 'newton-cholesky').
    X, y = make_classification(n_samples=50, n_features=5, chunks=25, random_state=0)
    with pytest.raises(InvalidParameterError, match="solver"):
        LogisticRegression(solver=solver).fit(X, y)
    with pytest.raises(InvalidParameterError, match="solver"):
        PoissonRegressor(solver=solver).fit(X, np.abs(y))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_fit_predict_on_dask(fit_intercept):
    X, y = make_classification(n_samples=100, n_features=5, chunks=50, random_state=0)
    lr = LogisticRegression(fit_intercept=fit_intercept).fit(X, y)
    pred, proba, dec = lr.predict(X), lr.predict_proba(X), lr.decision_function(X)
    for out in (pred, proba, dec):
        assert isinstance(out, da.Array)
    assert proba.shape == (100, 2)
    proba = proba.compute()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(pred.compute(), lr.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(dec.compute(), X.compute() @ lr.coef_.ravel() + lr.intercept_)
    if fit_intercept:
        assert lr.intercept_.shape == (1,) and lr.intercept_[0] != 0
    else:
        np.testing.assert_array_equal(lr.intercept_, [0.0])


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_regression_fit_predict(fit_intercept):
    X, y = make_regression(n_samples=100, n_features=5, chunks=50, random_state=0)
    lr = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    pred = lr.predict(X)
    assert isinstance(pred, da.Array)
    ref = sk.LinearRegression(fit_intercept=fit_intercept).fit(X.compute(), y.compute())
    np.testing.assert_allclose(lr.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    assert lr.intercept_ == pytest.approx(ref.intercept_, abs=1e-8)
    np.testing.assert_allclose(pred.compute(), ref.predict(X.compute()), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_poisson_fit_predict_score(fit_intercept):
    # dask-ml's PoissonRegression.get_deviance has no scikit-learn counterpart; dml's
    # PoissonRegressor.score is scikit-learn's D^2 (fraction of deviance explained).
    X, y = make_counts(n_samples=100, n_features=5, chunks=50, random_state=0)
    pr = PoissonRegressor(fit_intercept=fit_intercept).fit(X, y)
    pred = pr.predict(X)
    assert isinstance(pred, da.Array) and (pred.compute() > 0).all()
    ref = sk.PoissonRegressor(fit_intercept=fit_intercept).fit(X.compute(), y.compute())
    np.testing.assert_allclose(pr.coef_, ref.coef_, rtol=1e-4, atol=1e-6)
    assert pr.score(X, y) == pytest.approx(ref.score(X.compute(), y.compute()), rel=1e-4)
    assert not hasattr(pr, "get_deviance")


def test_in_pipeline():
    X, y = make_classification(n_samples=100, n_features=5, chunks=50, random_state=0)
    pipe = make_pipeline(Passthrough(), LogisticRegression()).fit(X, y)
    direct = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(pipe[-1].coef_, direct.coef_)


def test_gridsearch_over_pipeline():
    X, y = make_classification(n_samples=100, n_features=5, chunks=50, random_state=0)
    grid = {"logisticregression__C": [1000, 100, 10, 2]}
    pipe = make_pipeline(Passthrough(), LogisticRegression())
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert search.best_params_["logisticregression__C"] in grid["logisticregression__C"]
    assert len(search.cv_results_["params"]) == 4
    assert 0.5 < search.best_score_ <= 1


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_unknown_chunks_ok(fit_intercept):
    rng = np.random.default_rng(0)
    Xn, yn = rng.uniform(size=(10, 5)), rng.uniform(size=10)
    X = dd.from_pandas(pd.DataFrame(Xn), npartitions=2).values
    y = dd.from_pandas(pd.Series(yn), npartitions=2).values
    assert np.isnan(X.shape[0])
    reg = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    ref = sk.LinearRegression(fit_intercept=fit_intercept).fit(Xn, yn)
    np.testing.assert_allclose(reg.coef_, ref.coef_, rtol=1e-6, atol=1e-8)


def test_linear_regression_score_on_exact_fit():
    X = da.from_array(np.arange(1000, dtype=float).reshape(1000, 1), chunks=250)
    lr = LinearRegression().fit(X, X)
    assert lr.score(X, X) == pytest.approx(1, abs=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_dask_dataframes_are_accepted(fit_intercept):
    # dask-ml raises TypeError on Dask DataFrames and asks for arrays; dml takes them
    # (docs/migrating_from_dask_ml.md, "input") and fits the same model as on the arrays.
    rng = np.random.RandomState(42)
    n, d = 20, 5
    X = dd.from_pandas(pd.DataFrame(rng.uniform(size=(n, d))).rename(columns=str), npartitions=4)
    y = dd.from_pandas(pd.Series(rng.choice(2, size=n)), npartitions=4)
    from_frames = LogisticRegression(fit_intercept=fit_intercept).fit(X, y)
    from_values = LogisticRegression(fit_intercept=fit_intercept).fit(X.values, y.values)
    from_arrays = LogisticRegression(fit_intercept=fit_intercept).fit(
        X.to_dask_array(lengths=True), y.to_dask_array(lengths=True)
    )
    np.testing.assert_allclose(from_frames.coef_, from_values.coef_, rtol=1e-6)
    np.testing.assert_allclose(from_frames.coef_, from_arrays.coef_, rtol=1e-6)
    assert list(from_frames.feature_names_in_) == [str(i) for i in range(d)]


@pytest.mark.parametrize(
    "est,data",
    [
        (LinearRegression, "single_chunk_regression"),
        (LogisticRegression, "single_chunk_classification"),
        (PoissonRegressor, "single_chunk_counts"),
    ],
)
def test_same_model_from_dask_and_numpy(est, data, request):
    X, y = request.getfixturevalue(data)
    da_mod = est(fit_intercept=True).fit(X, y)
    np_mod = est(fit_intercept=True).fit(X.compute(), y.compute())
    da_coef = np.hstack((np.ravel(da_mod.coef_), np.ravel(da_mod.intercept_)))
    np_coef = np.hstack((np.ravel(np_mod.coef_), np.ravel(np_mod.intercept_)))
    assert np.linalg.norm(da_coef - np_coef) / np.linalg.norm(np_coef) < 1e-8


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "name,sk_name,params,data",
    [
        ("LinearRegression", "LinearRegression", {}, "regression"),
        ("LogisticRegression", "LogisticRegression", {"C": np.inf}, "classification"),
        ("PoissonRegressor", "PoissonRegressor", {"alpha": 0.0}, "counts"),
    ],
)
def test_against_scikit_learn(name, sk_name, params, data, fit_intercept):
    # dask-ml skips this check (its models differ from scikit-learn's); dml's fitted
    # model is scikit-learn's within solver tolerance.
    if data == "regression":
        X, y = make_regression(n_samples=500, n_features=10, n_informative=10, chunks=100, random_state=0)
    elif data == "classification":
        X, y = make_classification(n_samples=300, n_features=5, chunks=100, random_state=0)
    else:
        X, y = make_counts(
            n_samples=500, n_features=10, n_informative=10, chunks=100, random_state=0, scale=0.3
        )
    kw = {} if name == "LinearRegression" else {"tol": 1e-10, "max_iter": 1000}
    import dml.linear_model as dl

    ours = getattr(dl, name)(fit_intercept=fit_intercept, **params, **kw).fit(X, y)
    ref = getattr(sk, sk_name)(fit_intercept=fit_intercept, **params, **kw).fit(X.compute(), y.compute())
    est = np.hstack((np.ravel(ours.intercept_), np.ravel(ours.coef_)))
    truth = np.hstack((np.ravel(ref.intercept_), np.ravel(ref.coef_)))
    assert np.linalg.norm(est - truth) / np.linalg.norm(truth) < 1e-3
    np.testing.assert_allclose(ours.predict(X).compute(), ref.predict(X.compute()), rtol=1e-3, atol=2e-3)


def test_dask_ml_penalised_linear_regression_parameters_are_gone():
    # dask-ml's LinearRegression(penalty=..., C=...) is a penalised GLM; dml's is
    # scikit-learn's unpenalised least squares, and penalties are Ridge / Lasso / ElasticNet.
    for name in ["penalty", "C", "solver", "solver_kwargs"]:
        with pytest.raises(TypeError):
            LinearRegression(**{name: 1})
    with pytest.raises(TypeError):
        LogisticRegression(solver_kwargs={})
