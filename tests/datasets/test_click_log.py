"""make_click_log: shapes, chunking invariance, long tails, the click rate, hashing."""

import dask.array as da
import numpy as np
import pytest
from sklearn.feature_extraction import FeatureHasher as SkFeatureHasher

from dml.datasets import make_click_log
from dml.datasets._click_log import BLOCK_ROWS
from dml.feature_extraction import FeatureHasher


def test_shapes_dtypes_and_laziness():
    X_num, X_cat, y = make_click_log(5_000, chunks=1_000, random_state=0)
    assert all(isinstance(a, da.Array) for a in (X_num, X_cat, y))
    assert X_num.shape == (5_000, 13) and X_cat.shape == (5_000, 26) and y.shape == (5_000,)
    assert X_num.dtype == np.float64 and X_cat.dtype == object and y.dtype == np.int64
    assert X_num.chunks[0] == (1_000,) * 5
    tokens = X_cat[:3].compute()
    assert all(t.startswith(f"C{j + 1}=") for row in tokens for j, t in enumerate(row))
    num = X_num.compute()
    assert np.all(num >= 0) and np.all(num == np.floor(num))


def test_same_rows_whatever_the_chunking():
    n = 2 * BLOCK_ROWS + 123
    a = make_click_log(n, chunks=n, random_state=3, categorical="ids")
    b = make_click_log(
        n, chunks=(1, 4000, BLOCK_ROWS, n - 4001 - BLOCK_ROWS), random_state=3, categorical="ids"
    )
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u.compute(), v.compute())
    c = make_click_log(n, chunks=1000, random_state=4, categorical="ids")
    assert not np.array_equal(a[1].compute(), c[1].compute())


@pytest.mark.parametrize("rate", [0.03, 0.2])
def test_positive_rate_and_long_tails(rate):
    _, X_cat, y = make_click_log(60_000, chunks=20_000, positive_rate=rate, random_state=1, categorical="ids")
    assert abs(float(y.mean().compute()) - rate) < 0.25 * rate
    cat = X_cat.compute()
    counts = np.sort(np.bincount(cat[:, int(np.argmax(cat.max(axis=0)))]))[::-1]
    # long tail: the top level is frequent, most levels are rare
    assert counts[0] > 0.05 * len(cat) and np.median(counts[counts > 0]) < 0.001 * len(cat)
    assert len(np.unique(cat.max(axis=0))) > 10  # cardinalities differ across fields


def test_missing_and_errors():
    X_num, _, _ = make_click_log(3_000, missing_rate=0.2, random_state=0, chunks=1_000)
    frac = float(da.isnan(X_num).mean().compute())
    assert 0.17 < frac < 0.23
    for kwargs, match in [
        ({"positive_rate": 0.0}, "positive_rate"),
        ({"categorical": "names"}, "categorical"),
        ({"zipf_exponent": 1.0}, "zipf_exponent"),
        ({"n_samples": 0}, "n_samples"),
    ]:
        with pytest.raises(ValueError, match=match):
            make_click_log(**{"n_samples": 100, **kwargs})


def test_hashed_click_log_equals_scikit_learn():
    _, X_cat, _ = make_click_log(4_000, chunks=1_500, random_state=2)
    hashed = FeatureHasher(n_features=2**18, input_type="string").transform(X_cat)
    assert hashed.chunks[0] == X_cat.chunks[0]
    expected = SkFeatureHasher(n_features=2**18, input_type="string").transform(X_cat.compute())
    assert (hashed.compute() != expected).nnz == 0
