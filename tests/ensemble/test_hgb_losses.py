"""HistGradientBoostingRegressor with loss='absolute_error' / 'quantile': leaf values
re-fitted to the exact (weighted) median / quantile of each leaf's residuals."""

import dask.array as da
import numpy as np
import pytest
from sklearn import ensemble as sk
from threadpoolctl import threadpool_limits

from dml._engine.mapreduce import count_passes
from dml.ensemble import HistGradientBoostingRegressor


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _data(n=2500, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4)
    X[rng.rand(n, 4) < 0.05] = np.nan
    Z = np.nan_to_num(X)
    return X, 2 * Z[:, 0] + Z[:, 1] ** 2 + rng.standard_t(2, n)


@pytest.mark.parametrize(
    "params",
    [
        dict(loss="absolute_error"),
        dict(loss="quantile", quantile=0.8),
        dict(loss="quantile", quantile=0.25, max_leaf_nodes=7, l2_regularization=1.0),
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_sklearn(params, weighted):
    X, y = _data()
    w = np.random.RandomState(1).rand(y.shape[0]) * 3 if weighted else None
    kw = dict(max_iter=10, random_state=0, **params)
    a = sk.HistGradientBoostingRegressor(**kw).fit(X, y, sample_weight=w)
    b = HistGradientBoostingRegressor(**kw).fit(X, y, sample_weight=w)
    assert b.n_iter_ == a.n_iter_
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-9, atol=1e-9)


def test_large_leaves_dask_chunks_and_early_stopping():
    """Leaves of more than 4096 distinct residuals need the bracketing passes; the
    result does not depend on the chunking; early-stopping scores are the pinball
    losses of scikit-learn."""
    X, y = _data(12000)
    kw = dict(loss="quantile", quantile=0.3, max_iter=6, max_leaf_nodes=3, random_state=0, n_iter_no_change=2)
    a = sk.HistGradientBoostingRegressor(**kw).fit(X, y)
    Xd, yd = da.from_array(X, chunks=(3000, -1)), da.from_array(y, chunks=3000)
    with count_passes() as c:
        b = HistGradientBoostingRegressor(**kw).fit(Xd, yd)
    assert b.n_iter_ == a.n_iter_
    np.testing.assert_allclose(b.validation_score_, a.validation_score_, rtol=1e-9)
    np.testing.assert_allclose(b.predict(X), a.predict(X), rtol=1e-9, atol=1e-9)
    # per iteration: the growth pass (the root's, which fetches the 10800 training rows
    # the levels below grow from) plus at least two order-statistics passes
    assert c.passes >= 1 + b.n_iter_ * (1 + 2)


def test_quantile_parameter_errors_as_sklearn():
    X, y = _data(300)
    for q, err in ((None, TypeError), (0.0, ValueError), (1.0, ValueError)):
        with pytest.raises(err, match="quantile"):
            sk.HistGradientBoostingRegressor(loss="quantile", quantile=q, max_iter=2).fit(X, y)
        with pytest.raises(err, match="quantile"):
            HistGradientBoostingRegressor(loss="quantile", quantile=q, max_iter=2).fit(X, y)
