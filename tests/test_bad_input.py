"""Bad input: each case asserts the exact error type and message (scikit-learn's wording
where it has one), on NumPy and on Dask input; and inputs that must simply work."""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from dml.linear_model import LinearRegression, LogisticRegression
from dml.preprocessing import MinMaxScaler, StandardScaler

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y_cls = (X[:, 0] > 0).astype(int)
y_reg = X @ np.array([1.0, 2.0, 3.0])


def _with(value, at=(5, 1)):
    Z = X.copy()
    Z[at] = value
    return Z


ESTIMATORS = {
    "LogisticRegression": (LogisticRegression, y_cls),
    "LinearRegression": (LinearRegression, y_reg),
    "StandardScaler": (StandardScaler, None),
    "MinMaxScaler": (MinMaxScaler, None),
}

# (case id, X, y-override or "same", sample_weight, error type, message regex, applies to)
ALL = tuple(ESTIMATORS)
SUPERVISED = ("LogisticRegression", "LinearRegression")
BAD = [
    ("nan", _with(np.nan), "same", None, ValueError, "Input X contains NaN", SUPERVISED),
    (
        "inf",
        _with(np.inf),
        "same",
        None,
        ValueError,
        r"Input X contains infinity or a value too large for dtype\('float64'\)",
        ALL,
    ),
    ("-inf", _with(-np.inf), "same", None, ValueError, "Input X contains infinity", ALL),
    (
        "length-mismatch",
        X,
        "short",
        None,
        ValueError,
        r"Found input variables with inconsistent numbers of samples: \[60, 59\]",
        SUPERVISED,
    ),
    ("1d-X", X[:, 0], "same", None, ValueError, "Expected 2D array, got 1D array instead", ALL),
    ("3d-X", X.reshape(60, 3, 1), "same", None, ValueError, "Found array with dim 3", ALL),
    ("zero-rows", X[:0], "empty", None, ValueError, r"Found array with 0 sample\(s\)", ALL),
    ("zero-features", X[:, :0], "same", None, ValueError, r"0 feature\(s\)", ALL),
    (
        "strings",
        np.array([["a", "b", "c"]] * 60),
        "same",
        None,
        ValueError,
        "(could not convert|numeric|dtype)",
        ALL,
    ),
    (
        "weights-shape",
        X,
        "same",
        np.ones(59),
        ValueError,
        r"sample_weight.shape == \(59,\), expected \(60,\)!",
        ("LogisticRegression", "LinearRegression", "StandardScaler"),
    ),
    (
        "weights-2d",
        X,
        "same",
        np.ones((60, 2)),
        ValueError,
        "Sample weights must be 1D array or scalar",
        ("LogisticRegression", "LinearRegression", "StandardScaler"),
    ),
    (
        "weights-nan",
        X,
        "same",
        np.r_[np.nan, np.ones(59)],
        ValueError,
        "Input sample_weight contains NaN",
        SUPERVISED,
    ),
    (
        "negative-weights",
        X,
        "same",
        np.r_[-1.0, np.ones(59)],
        ValueError,
        "Negative values in data passed to `sample_weight`",
        ("LinearRegression",),
    ),
    ("y-nan", X, "nan", None, ValueError, "Input y contains NaN", SUPERVISED),
]


def _y(name, how):
    y = ESTIMATORS[name][1]
    if y is None:
        return None
    if how == "short":
        return y[:59]
    if how == "empty":
        return y[:0]
    if how == "nan":
        y = y.astype(float).copy()
        y[3] = np.nan
        return y
    return y


def _cases():
    for case in BAD:
        for name in case[-1]:
            for lazy in (False, True):
                yield pytest.param(
                    name, lazy, *case[1:-1], id=f"{name}-{case[0]}-{'dask' if lazy else 'numpy'}"
                )


def _lazy(a):
    if a is None or a.ndim == 0 or a.dtype.kind in "US":
        return a
    return da.from_array(a, chunks=(20,) + a.shape[1:] if a.shape[0] else -1)


@pytest.mark.parametrize("name,lazy,Xb,how,sw,err,msg", list(_cases()))
def test_bad_input_is_rejected_with_a_clear_error(name, lazy, Xb, how, sw, err, msg):
    cls = ESTIMATORS[name][0]
    yb = _y(name, how)
    if lazy:
        if Xb.dtype.kind in "US":
            Xb = da.from_array(Xb.astype(object), chunks=20)
        else:
            Xb, yb, sw = _lazy(Xb), _lazy(yb), _lazy(sw)
    kwargs = {} if sw is None else {"sample_weight": sw}
    args = (Xb,) if yb is None else (Xb, yb)
    with pytest.raises(err, match=msg):
        cls().fit(*args, **kwargs)


def test_nan_in_predict_and_transform_is_rejected():
    est = LogisticRegression().fit(X, y_cls)
    for data in (_with(np.nan), _lazy(_with(np.nan))):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            out = est.predict(data)
            if hasattr(out, "compute"):
                out.compute()
    sc = StandardScaler().fit(X)
    with pytest.raises(ValueError, match="Input X contains infinity"):
        sc.transform(_lazy(_with(np.inf))).compute()


def test_single_class_is_rejected():
    for yb in (np.zeros(60, dtype=int), da.zeros(60, chunks=20, dtype=int)):
        with pytest.raises(
            ValueError,
            match="needs samples of at least 2 classes in the data, but the data contains only one class: (np.int64\\(0\\)|0)",
        ):
            LogisticRegression().fit(X, yb)


def test_continuous_target_for_classifier_is_rejected():
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        LogisticRegression().fit(_lazy(X), _lazy(y_reg))


def test_wrong_number_of_features_at_predict():
    est = LinearRegression().fit(X, y_reg)
    with pytest.raises(
        ValueError, match="X has 2 features, but LinearRegression is expecting 3 features as input"
    ):
        est.predict(_lazy(X[:, :2]))


def test_unsupported_parameters_are_rejected_not_ignored():
    with pytest.raises(ValueError, match="Solver lbfgs supports only 'l2' or None penalties, got l1 penalty"):
        LogisticRegression(l1_ratio=1.0).fit(X, y_cls)
    with pytest.raises(ValueError, match="dual=False"):
        LogisticRegression(dual=True).fit(X, y_cls)
    with pytest.raises(ValueError, match="not supported for the liblinear solver"):
        LogisticRegression(solver="liblinear", C=np.inf).fit(X, y_cls)
    with pytest.raises(ValueError, match="feature range must be smaller"):
        MinMaxScaler(feature_range=(1, 0)).fit(X)
    with pytest.raises(ValueError, match="The 'C' parameter"):
        LogisticRegression(C=-1).fit(X, y_cls)


def test_inputs_that_must_simply_work():
    """Column-chunked X, X and y chunked differently, Dask DataFrame with unknown lengths."""
    ref = LogisticRegression().fit(X, y_cls).coef_
    df = dd.from_pandas(pd.DataFrame(X, columns=["a", "b", "c"]), npartitions=4)
    ys = dd.from_pandas(pd.Series(y_cls), npartitions=4)
    cases = [
        (da.from_array(X, chunks=(15, 1)), y_cls),
        (da.from_array(X, chunks=(25, 3)), da.from_array(y_cls, chunks=7)),
        (df, ys),
        (df.to_dask_array(), ys.to_dask_array()),
    ]
    for Xi, yi in cases:
        np.testing.assert_allclose(LogisticRegression().fit(Xi, yi).coef_, ref, rtol=1e-6, atol=1e-8)
