"""make_counts, make_classification_df and random_date (dask-ml's generators)."""

from datetime import date, datetime

import dask
import dask.array as da
import numpy as np
import pytest

from dml.datasets import make_classification, make_classification_df, make_counts, random_date


def test_make_counts_is_lazy_reproducible_and_poisson():
    X, y = make_counts(
        n_samples=30_000, n_features=6, n_informative=2, scale=1.0, chunks=5_000, random_state=4
    )
    assert isinstance(X, da.Array) and X.chunks[0] == (5_000,) * 6 and y.dtype == np.int64
    with dask.config.set(scheduler="sync"):
        Xa, ya = dask.compute(X, y)
    Xb, yb = dask.compute(*make_counts(30_000, 6, 2, 1.0, 5_000, 4), scheduler="threads")
    np.testing.assert_array_equal(Xa, Xb)
    np.testing.assert_array_equal(ya, yb)
    assert (ya >= 0).all()
    from sklearn.linear_model import PoissonRegressor

    from dml.datasets._samples_generator import _base_seed, _chunk_rng

    rng = _chunk_rng(_base_seed(4), -1)  # the generator's own draw of the true model
    truth = np.zeros(6)
    informative = np.sort(rng.choice(6, 2, replace=False))
    truth[informative] = rng.random(2) - 1.0
    assert (truth != 0).sum() == 2 and (truth <= 0).all() and (truth > -1).all()
    coef = PoissonRegressor(alpha=0.0, max_iter=300, tol=1e-8).fit(Xa, ya).coef_
    np.testing.assert_allclose(coef, truth, atol=0.03)
    assert not np.array_equal(ya, make_counts(30_000, 6, 2, 1.0, 5_000, 5)[1].compute())


def test_make_counts_defaults_and_errors():
    X, y = make_counts(random_state=0)
    assert X.shape == (1000, 100) and X.chunks[0] == (100,) * 10 and y.shape == (1000,)
    X32, _ = make_counts(200, 3, chunks=50, random_state=0, dtype=np.float32)
    assert X32.dtype == np.float32 and X32.compute().dtype == np.float32
    with pytest.raises(ValueError, match="n_informative must be an int between 0 and n_features=3"):
        make_counts(100, 3, n_informative=4)
    with pytest.raises(ValueError, match="n_samples must be an int >= 1"):
        make_counts(0, 3)


def test_make_classification_df_is_make_classification_as_frames():
    X, y = make_classification_df(
        n_samples=20_000, response_rate=0.2, predictability=0.9, random_state=7, chunks=6_000, n_features=5
    )
    assert list(X.columns) == [f"var{i}" for i in range(5)] and y.name == "target"
    assert X.npartitions == 4 and X.known_divisions and X.divisions == y.divisions
    assert X.divisions == (0, 6_000, 12_000, 18_000, 19_999)
    Xp, yp = dask.compute(X, y)
    Xa, ya = dask.compute(
        *make_classification(20_000, 5, weights=[0.8, 0.2], flip_y=0.1, random_state=7, chunks=6_000)
    )
    np.testing.assert_array_equal(Xp.to_numpy(), Xa)
    np.testing.assert_array_equal(yp.to_numpy(), ya)
    np.testing.assert_array_equal(Xp.index, np.arange(20_000))
    assert yp.mean() == pytest.approx(0.2 * 0.9 + 0.1 / 2, abs=0.015)
    _, clean = make_classification_df(n_samples=20_000, response_rate=0.3, predictability=1.0, random_state=0)
    assert clean.mean().compute() == pytest.approx(0.3, abs=0.015)


def test_make_classification_df_dates():
    bounds = (date(2021, 1, 1), date(2021, 2, 1))
    X, _ = make_classification_df(n_samples=3_000, chunks=1_000, random_state=1, dates=bounds, n_features=4)
    assert list(X.columns) == ["var0", "var1", "var2", "var3", "date"]
    assert X.dtypes["date"] == np.dtype("datetime64[ns]")
    d = X["date"].compute()
    assert d.min() >= np.datetime64("2021-01-01") and d.max() < np.datetime64("2021-02-01")
    assert d.nunique() > 2_900  # one date per row (dask-ml repeats one date)
    again, _ = make_classification_df(
        n_samples=3_000, chunks=1_000, random_state=1, dates=bounds, n_features=4
    )
    np.testing.assert_array_equal(again["date"].compute(), d)
    plain, _ = make_classification_df(n_samples=3_000, chunks=1_000, random_state=1, n_features=4)
    np.testing.assert_array_equal(
        plain.compute().to_numpy(), X.compute()[["var0", "var1", "var2", "var3"]].to_numpy()
    )


def test_make_classification_df_errors():
    with pytest.raises(ValueError, match="n_classes must be 2"):
        make_classification_df(100, n_classes=3)
    with pytest.raises(ValueError, match=r"response_rate must be in \(0, 1\)"):
        make_classification_df(100, response_rate=0.0)
    with pytest.raises(ValueError, match=r"predictability must be in \[0, 1\]"):
        make_classification_df(100, predictability=1.5)
    with pytest.raises(TypeError, match="sets flip_y"):
        make_classification_df(100, flip_y=0.2)
    with pytest.raises(ValueError, match="must be at least one second after start"):
        make_classification_df(100, dates=(date(2021, 2, 1), date(2021, 1, 1)))


def test_random_date():
    start, end = datetime(2020, 1, 1), datetime(2020, 1, 2)
    draws = [random_date(start, end, random_state=s) for s in range(50)]
    assert all(start <= d < end for d in draws) and len(set(draws)) > 40
    assert random_date(start, end, random_state=3) == random_date(start, end, random_state=3)
    np.random.seed(0)
    a = random_date(start, end)
    np.random.seed(0)
    assert random_date(start, end) == a  # None: NumPy's global state, as dask-ml
    d = random_date(date(2020, 1, 1), date(2020, 3, 1), random_state=0)
    assert type(d) is date and date(2020, 1, 1) <= d < date(2020, 3, 1)
    with pytest.raises(ValueError, match="at least one second after start"):
        random_date(end, start)
    with pytest.raises(TypeError, match="datetime.date or datetime.datetime"):
        random_date("2020-01-01", end)
