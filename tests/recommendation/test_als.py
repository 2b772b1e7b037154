"""ALS against a direct NumPy reference of the same alternating updates, and its API."""

from __future__ import annotations

import pickle

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import nnls

from dml.recommendation import ALS
from dml.recommendation._als_kernels import init_factors


def _ratings(n_users=40, n_items=30, n=500, rank=3, seed=0, implicit=False):
    rng = np.random.default_rng(seed)
    U = rng.normal(size=(n_users, rank))
    V = rng.normal(size=(n_items, rank))
    df = pd.DataFrame({"user": rng.integers(0, n_users, n), "item": rng.integers(0, n_items, n)})
    df = df.drop_duplicates(["user", "item"]).reset_index(drop=True)
    r = (U[df.user] * V[df.item]).sum(1) + 0.1 * rng.normal(size=len(df))
    if implicit:
        r = np.round(np.abs(r) * 2)  # counts, some zero
    df["rating"] = r
    return df


def _initial(model, n_users, n_items):
    seeds = np.random.RandomState(model.random_state).randint(0, 2**31 - 1, size=2)
    U0 = init_factors(n_users, model.rank, int(seeds[0]), model.nonnegative)
    V0 = init_factors(n_items, model.rank, int(seeds[1]), model.nonnegative)
    return U0, V0


def _reference(df, model):
    """Dense, row-by-row ALS: Spark's ALS-WR (explicit) or Hu et al. (implicit)."""
    users, items = np.unique(df.user), np.unique(df.item)
    R = np.zeros((len(users), len(items)))
    M = np.zeros_like(R, dtype=bool)
    ui, ii = np.searchsorted(users, df.user), np.searchsorted(items, df.item)
    R[ui, ii] = df.rating
    M[ui, ii] = True
    U, V = _initial(model, len(users), len(items))
    rank, lam = model.rank, model.reg_param

    def solve(A, b):
        if not model.nonnegative:
            return np.linalg.solve(A, b)
        L = np.linalg.cholesky(A)
        return nnls(L.T, np.linalg.solve(L, b), maxiter=1000)[0]

    def side(R, M, Y):
        X = np.zeros((R.shape[0], rank))
        for u in range(R.shape[0]):
            m = M[u]
            if model.implicit_prefs:
                c = np.where(m, 1 + model.alpha * R[u], 1.0)
                p = (m & (R[u] > 0)).astype(float)
                A = Y.T @ (c[:, None] * Y) + lam * p.sum() * np.eye(rank)
                X[u] = solve(A, Y.T @ (c * p))
            elif m.any():
                Yu = Y[m]
                X[u] = solve(Yu.T @ Yu + lam * m.sum() * np.eye(rank), Yu.T @ R[u, m])
        return X

    for _ in range(model.max_iter):
        V = side(R.T, M.T, U)
        U = side(R, M, V)
    return U, V


@pytest.mark.parametrize(
    "params",
    [
        {"reg_param": 0.1},
        {"reg_param": 0.01, "rank": 4},
        {"implicit_prefs": True, "alpha": 2.0, "reg_param": 0.1},
        {"nonnegative": True, "reg_param": 0.05},
        {"implicit_prefs": True, "nonnegative": True, "alpha": 1.0},
    ],
)
def test_als_equals_dense_reference(params):
    df = _ratings(implicit=params.get("implicit_prefs", False))
    model = ALS(
        rank=params.pop("rank", 3), max_iter=4, random_state=0, n_user_blocks=3, n_item_blocks=2, **params
    )
    model.fit(df)
    U, V = _reference(df, model)
    tol = 1e-6 if model.nonnegative else 1e-8
    np.testing.assert_allclose(model.user_factors_, U, atol=tol, rtol=tol)
    np.testing.assert_allclose(model.item_factors_, V, atol=tol, rtol=tol)
    if model.nonnegative:
        assert model.user_factors_.min() >= 0 and model.item_factors_.min() >= 0


def test_rmse_decreases_over_sweeps():
    df = _ratings(n=800)
    rmse = []
    for it in range(1, 6):
        pred = ALS(rank=3, max_iter=it, reg_param=0.01, random_state=1).fit(df).predict(df)["prediction"]
        rmse.append(np.sqrt(np.mean((pred - df.rating) ** 2)))
    assert all(b <= a + 1e-12 for a, b in zip(rmse, rmse[1:])), rmse
    assert rmse[-1] < 0.5 * rmse[0]


def test_chunking_and_blocking_invariance_dask_equals_pandas():
    df = _ratings()
    ref = ALS(rank=3, max_iter=3, random_state=0).fit(df)
    for nparts, ub, ib in [(1, 1, 1), (3, 4, 2), (7, 10, 10)]:
        m = ALS(rank=3, max_iter=3, random_state=0, n_user_blocks=ub, n_item_blocks=ib)
        m.fit(dd.from_pandas(df.sample(frac=1, random_state=nparts), npartitions=nparts))
        np.testing.assert_allclose(m.user_factors_, ref.user_factors_, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(m.item_factors_, ref.item_factors_, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(m.user_ids_, ref.user_ids_)


def test_sparse_matrix_input_equals_frame_input():
    df = _ratings(n_users=20, n_items=15, n=250)
    assert df.user.nunique() == 20 and df.item.nunique() == 15
    X = sp.csr_matrix((df.rating, (df.user, df.item)), shape=(20, 15))
    a = ALS(rank=2, max_iter=3, random_state=0).fit(X)
    b = ALS(rank=2, max_iter=3, random_state=0).fit(df)
    np.testing.assert_allclose(a.user_factors_, b.user_factors_, rtol=1e-12, atol=1e-12)
    # a row without ratings keeps a zero factor
    X2 = sp.vstack([X, sp.csr_matrix((1, 15))]).tocsr()
    c = ALS(rank=2, max_iter=2, random_state=0).fit(X2)
    assert c.user_factors_.shape == (21, 2) and not c.user_factors_[20].any()


def test_string_ids_and_custom_columns():
    df = _ratings(n=200)
    named = pd.DataFrame({"u": "u" + df.user.astype(str), "i": "i" + df.item.astype(str), "r": df.rating})
    m = ALS(rank=2, max_iter=2, user_col="u", item_col="i", rating_col="r", random_state=0).fit(named)
    assert m.user_ids_.dtype == object and m.user_ids_[0].startswith("u")
    pred = m.predict(named)
    assert pred["prediction"].notna().all()
    rec = m.recommend_for_all_users(2)
    assert list(rec.columns) == ["u", "i", "score", "rank"]


def test_determinism_and_seed():
    df = _ratings()
    a = ALS(rank=3, max_iter=2, random_state=5).fit(df)
    b = ALS(rank=3, max_iter=2, random_state=5).fit(df)
    c = ALS(rank=3, max_iter=2, random_state=6).fit(df)
    np.testing.assert_array_equal(a.user_factors_, b.user_factors_)
    assert not np.allclose(a.user_factors_, c.user_factors_)


def test_cold_start_strategies_and_lazy_predict():
    df = _ratings()
    m = ALS(rank=3, max_iter=2, random_state=0).fit(df)
    pairs = pd.DataFrame({"user": [df.user[0], 10_000, df.user[1]], "item": [df.item[0], df.item[0], 99_999]})
    out = m.predict(pairs)
    assert out["prediction"].isna().tolist() == [False, True, True]
    expected = (
        m.user_factors_[np.searchsorted(m.user_ids_, df.user[0])]
        @ m.item_factors_[np.searchsorted(m.item_ids_, df.item[0])]
    )
    assert out["prediction"].iloc[0] == pytest.approx(expected)
    m.set_params(cold_start_strategy="drop")
    assert len(m.predict(pairs)) == 1
    lazy_pairs = dd.from_pandas(pairs, npartitions=2)
    with dask.config.set(scheduler="sync"):
        lazy = m.predict(lazy_pairs)
    assert isinstance(lazy, dd.DataFrame)
    pd.testing.assert_frame_equal(lazy.compute(), m.predict(pairs))


def test_recommend_shapes_and_ordering():
    df = _ratings()
    m = ALS(rank=3, max_iter=3, random_state=0).fit(df)
    scores = m.user_factors_ @ m.item_factors_.T
    rec = m.recommend_for_all_users(5)
    assert rec.shape == (len(m.user_ids_) * 5, 4)
    for user, group in rec.groupby("user"):
        row = scores[np.searchsorted(m.user_ids_, user)]
        best = m.item_ids_[np.argsort(-row, kind="stable")[:5]]
        np.testing.assert_array_equal(group["item"].to_numpy(), best)
        assert group["rank"].tolist() == [1, 2, 3, 4, 5]
        assert np.all(np.diff(group["score"].to_numpy()) <= 0)
    items = m.recommend_for_all_items(3)
    assert items.shape == (len(m.item_ids_) * 3, 4) and list(items.columns) == [
        "item",
        "user",
        "score",
        "rank",
    ]
    top_user = m.user_ids_[np.argmax(scores[:, 0])]
    assert items[items["item"] == m.item_ids_[0]]["user"].iloc[0] == top_user
    subset = m.recommend_for_user_subset(pd.Series([m.user_ids_[3], m.user_ids_[1], -5]), 4)
    assert sorted(set(subset["user"])) == sorted([m.user_ids_[1], m.user_ids_[3]])
    pd.testing.assert_frame_equal(
        subset[subset.user == m.user_ids_[1]].reset_index(drop=True),
        m.recommend_for_all_users(4).query(f"user == {m.user_ids_[1]}").reset_index(drop=True),
    )
    assert len(m.recommend_for_all_users(10_000)) == len(m.user_ids_) * len(m.item_ids_)
    assert len(m.recommend_for_item_subset([m.item_ids_[0]], 2)) == 2


def test_pickles_without_cluster():
    m = ALS(rank=2, max_iter=2, random_state=0).fit(_ratings())
    m2 = pickle.loads(pickle.dumps(m))
    np.testing.assert_array_equal(m2.user_factors_, m.user_factors_)


def test_bad_input():
    df = _ratings()
    with pytest.raises(ValueError, match="NaN"):
        ALS().fit(df.assign(rating=np.where(df.index == 3, np.nan, df.rating)))
    with pytest.raises(ValueError, match="ratings >= 0"):
        ALS(implicit_prefs=True).fit(df)
    with pytest.raises(TypeError, match="integers or strings"):
        ALS().fit(df.assign(user=df.user.astype(float)))
    with pytest.raises(ValueError, match="not found"):
        ALS().fit(df.rename(columns={"item": "movie"}))
    with pytest.raises(ValueError, match="rank"):
        ALS(rank=0).fit(df)
    with pytest.raises(ValueError, match="cold_start_strategy"):
        ALS(cold_start_strategy="skip").fit(df)
    with pytest.raises(TypeError, match="DataFrame"):
        ALS().fit(np.ones((3, 3)))
    with pytest.raises(ValueError, match="k must be"):
        ALS(max_iter=1).fit(df).recommend_for_all_users(0)


@pytest.mark.slow
def test_rmse_matches_spark_als(tmp_path):
    pyspark = pytest.importorskip("pyspark")
    from pyspark.ml.recommendation import ALS as SparkALS
    from pyspark.sql import SparkSession

    df = _ratings(n_users=200, n_items=100, n=4000, rank=4)
    try:
        spark = SparkSession.builder.master("local[2]").getOrCreate()
    except Exception as exc:  # no Java
        pytest.skip(f"Spark does not start: {exc}")
    assert pyspark
    # Spark's ALS checkpoints its factors every 10 iterations where a checkpoint folder
    # is set; without one the lineage of 15 iterations can overflow the JVM's stack
    spark.sparkContext.setCheckpointDir(str(tmp_path))
    sdf = spark.createDataFrame(df.astype({"user": int, "item": int}))
    spark_model = SparkALS(rank=4, maxIter=15, regParam=0.05, seed=0, userCol="user", itemCol="item").fit(sdf)
    spark_pred = spark_model.transform(sdf).toPandas()
    spark_rmse = np.sqrt(np.mean((spark_pred.prediction - spark_pred.rating) ** 2))
    pred = ALS(rank=4, max_iter=15, reg_param=0.05, random_state=0).fit(df).predict(df)
    rmse = np.sqrt(np.mean((pred.prediction - df.rating) ** 2))
    assert rmse == pytest.approx(spark_rmse, abs=1e-3)


def test_same_model_on_every_scheduler(scheduler):
    """Sync, threads and a process cluster (blocks persisted on the workers) agree."""
    df = _ratings()
    ref = ALS(rank=3, max_iter=2, implicit_prefs=True, random_state=0)
    ref.fit(df.assign(rating=np.abs(df.rating)))
    m = ALS(rank=3, max_iter=2, implicit_prefs=True, random_state=0, n_user_blocks=3, n_item_blocks=3)
    m.fit(dd.from_pandas(df.assign(rating=np.abs(df.rating)), npartitions=4))
    np.testing.assert_allclose(m.user_factors_, ref.user_factors_, rtol=1e-12, atol=1e-12)
    assert "distributed" not in {type(v).__module__.split(".")[0] for v in vars(m).values()}
    pickle.loads(pickle.dumps(m))


@pytest.mark.parametrize("implicit", [False, True])
def test_cg_with_rank_steps_equals_cholesky(implicit):
    """CG solves a (rank, rank) system exactly in rank steps: the same model as Cholesky."""
    df = _ratings(implicit=implicit)
    kw = {"rank": 3, "max_iter": 5, "implicit_prefs": implicit, "alpha": 2.0, "random_state": 0}
    chol = ALS(**kw).fit(df)
    cg = ALS(solver="cg", cg_steps=3, n_user_blocks=3, n_item_blocks=2, **kw).fit(df)
    np.testing.assert_allclose(cg.user_factors_, chol.user_factors_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(cg.item_factors_, chol.item_factors_, rtol=1e-6, atol=1e-6)
    U, V = _reference(df, chol)
    np.testing.assert_allclose(cg.user_factors_, U, rtol=1e-6, atol=1e-6)


def _implicit_loss(df, m):
    ui, ii = np.searchsorted(m.user_ids_, df.user), np.searchsorted(m.item_ids_, df.item)
    C = np.ones((len(m.user_ids_), len(m.item_ids_)))
    P = np.zeros_like(C)
    C[ui, ii] += m.alpha * df.rating
    P[ui, ii] = df.rating > 0
    n_u = np.bincount(ui, weights=df.rating > 0, minlength=C.shape[0])
    n_i = np.bincount(ii, weights=df.rating > 0, minlength=C.shape[1])
    fit = np.sum(C * (P - m.user_factors_ @ m.item_factors_.T) ** 2)
    reg = n_u @ (m.user_factors_**2).sum(1) + n_i @ (m.item_factors_**2).sum(1)
    return fit + m.reg_param * reg


@pytest.mark.parametrize("implicit", [False, True])
def test_cg_few_steps_reaches_cholesky_fit(implicit):
    """Fewer CG steps than the rank, warm-started: each sweep is inexact, but the fit
    converges to Cholesky's (training RMSE to 1e-3, predictions close)."""
    df = _ratings(n_users=60, n_items=40, n=1200, rank=4, implicit=implicit)
    kw = {"rank": 6, "max_iter": 40, "reg_param": 0.05, "implicit_prefs": implicit, "random_state": 0}
    chol = ALS(**kw).fit(df)
    cg = ALS(solver="cg", cg_steps=2, **kw).fit(df)
    if implicit:  # Hu et al.'s objective over all pairs, Spark's regularisation
        loss = [_implicit_loss(df, m) for m in (chol, cg)]
        assert loss[1] == pytest.approx(loss[0], rel=1e-3)
    else:
        p_chol, p_cg = chol.predict(df)["prediction"], cg.predict(df)["prediction"]
        rmse = [np.sqrt(np.mean((p - df.rating) ** 2)) for p in (p_chol, p_cg)]
        assert rmse[1] == pytest.approx(rmse[0], abs=1e-3)
        assert np.max(np.abs(p_cg - p_chol)) < 0.05 * np.max(np.abs(p_chol))
    one_sweep = ALS(**{**kw, "max_iter": 1}, solver="cg", cg_steps=1).fit(df)
    assert not np.allclose(one_sweep.user_factors_, ALS(**{**kw, "max_iter": 1}).fit(df).user_factors_)


def test_kernels_cholesky_and_cg_equal_lapack():
    from dml.recommendation._als_kernels import cholesky_solve, conjugate_gradient

    rng = np.random.default_rng(0)
    n, rank = 50, 5
    lengths = rng.integers(1, 12, n)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    G = rng.normal(size=(indptr[-1], rank))
    idx = np.arange(indptr[-1])
    w, t = rng.uniform(0.5, 3, indptr[-1]), rng.normal(size=indptr[-1])
    YtY = (lambda M: M.T @ M)(rng.normal(size=(30, rank)))
    lam = rng.uniform(0.1, 1, n)
    A = np.stack([G[a:b].T @ (w[a:b, None] * G[a:b]) for a, b in zip(indptr[:-1], indptr[1:])])
    A += YtY + lam[:, None, None] * np.eye(rank)
    b = np.stack([G[a:b].T @ t[a:b] for a, b in zip(indptr[:-1], indptr[1:])])
    exact = np.linalg.solve(A, b[:, :, None])[:, :, 0]
    np.testing.assert_allclose(cholesky_solve(A, b), exact, rtol=1e-10, atol=1e-12)
    x = conjugate_gradient(indptr, idx, G, w, t, YtY, lam, np.zeros((n, rank)), steps=rank)
    np.testing.assert_allclose(x, exact, rtol=1e-7, atol=1e-9)
    x1 = conjugate_gradient(indptr, idx, G, w, t, YtY, lam, np.zeros((n, rank)), steps=1)
    assert np.linalg.norm(x1 - exact) > 1e-3 * np.linalg.norm(exact)
    # the other side's rows reached through the ratings' indices: the same solves
    perm = rng.permutation(indptr[-1])
    Y = np.empty_like(G)
    Y[perm] = G
    np.testing.assert_array_equal(
        conjugate_gradient(indptr, perm, Y, w, t, YtY, lam, x1, steps=2),
        conjugate_gradient(indptr, idx, G, w, t, YtY, lam, x1, steps=2),
    )
    x0 = x1.copy()
    conjugate_gradient(indptr, idx, G, w, t, YtY, lam, x0, steps=2)
    np.testing.assert_array_equal(x0, x1)  # the input factors are not modified
    # explicit feedback (no YtY) against its own exact solve
    A0 = A - YtY
    np.testing.assert_allclose(
        conjugate_gradient(indptr, idx, G, w, t, None, lam, np.zeros((n, rank)), steps=rank),
        np.linalg.solve(A0, b[:, :, None])[:, :, 0],
        rtol=1e-7,
        atol=1e-9,
    )
    # compiled and Python loops agree
    from dml.recommendation._als_kernels import _cg_rows

    args = (indptr, idx, G, w, t, YtY, True, lam)
    xa, xb = np.zeros((n, rank)), np.zeros((n, rank))
    _cg_rows(*args, xa, 3)
    _cg_rows.py_func(*args, xb, 3)
    np.testing.assert_allclose(xa, xb, rtol=1e-12, atol=1e-14)
    # warm start at the solution stays there
    np.testing.assert_allclose(
        conjugate_gradient(indptr, idx, G, w, t, YtY, lam, exact, steps=2), exact, atol=1e-10
    )


def test_cg_bad_input():
    df = _ratings()
    with pytest.raises(ValueError, match="solver='cholesky'"):
        ALS(nonnegative=True, solver="cg").fit(df)
    with pytest.raises(ValueError, match="solver"):
        ALS(solver="lu").fit(df)
    with pytest.raises(ValueError, match="cg_steps"):
        ALS(solver="cg", cg_steps=0).fit(df)
