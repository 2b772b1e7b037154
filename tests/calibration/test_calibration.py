"""CalibratedClassifierCV: scikit-learn's result in memory, and on Dask input the same
calibrated probabilities from the same folds (the folds' classifiers fitted on Dask rows,
the held-out responses gathered, the calibrators fitted by scikit-learn's code)."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV as SkCalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import KFold
from sklearn.naive_bayes import GaussianNB

from dml.calibration import CalibratedClassifierCV
from dml.linear_model import LogisticRegression


def _data(n=1500, n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    score = X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y


def D(a, chunks=(400, 1000, 100)):
    a = np.asarray(a)
    return da.from_array(a, chunks=(chunks,) + a.shape[1:])


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "temperature"])
@pytest.mark.parametrize("ensemble", [True, False])
def test_dask_equals_sklearn_on_the_same_folds(method, ensemble):
    X, y = _data()
    sk = SkCalibratedClassifierCV(LogisticRegression(), method=method, cv=3, ensemble=ensemble).fit(X, y)
    ours = CalibratedClassifierCV(LogisticRegression(), method=method, cv=3, ensemble=ensemble).fit(
        D(X), D(y)
    )
    P = ours.predict_proba(D(X))
    assert isinstance(P, da.Array)
    np.testing.assert_allclose(P.compute(), sk.predict_proba(X), rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(ours.classes_, sk.classes_)
    assert len(ours.calibrated_classifiers_) == len(sk.calibrated_classifiers_)
    assert ours.n_features_in_ == 4


def test_in_memory_is_sklearn():
    X, y = _data()
    sk = SkCalibratedClassifierCV(SkLogisticRegression(), method="isotonic").fit(X, y)
    ours = CalibratedClassifierCV(SkLogisticRegression(), method="isotonic").fit(X, y)
    np.testing.assert_array_equal(ours.predict_proba(X), sk.predict_proba(X))
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "temperature"])
def test_multiclass_and_sklearn_inner_on_dask(method):
    X, y = _data(n_classes=3)
    cv = KFold(4)
    sk = SkCalibratedClassifierCV(SkLogisticRegression(), method=method, cv=cv).fit(X, y)
    ours = CalibratedClassifierCV(SkLogisticRegression(), method=method, cv=cv).fit(D(X), D(y))
    np.testing.assert_allclose(ours.predict_proba(D(X)).compute(), sk.predict_proba(X), rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(ours.predict(D(X)).compute(), sk.predict(X))


def test_predict_proba_response_string_labels_and_weights():
    X, y = _data()
    s = np.where(y == 1, "click", "none")
    w = np.random.default_rng(1).random(y.shape[0]) + 0.5
    for method in ("sigmoid", "temperature"):
        sk = SkCalibratedClassifierCV(GaussianNB(), method=method, cv=3).fit(X, s, sample_weight=w)
        ours = CalibratedClassifierCV(GaussianNB(), method=method, cv=3).fit(D(X), D(s), sample_weight=D(w))
        np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), rtol=1e-7, atol=1e-9)
        np.testing.assert_array_equal(ours.predict(D(X)).compute(), sk.predict(X))


def test_frozen_estimator_and_chunking_invariance():
    X, y = _data()
    fitted = LogisticRegression().fit(X[:500], y[:500])
    sk = SkCalibratedClassifierCV(FrozenEstimator(fitted), method="sigmoid").fit(X[500:], y[500:])
    a = CalibratedClassifierCV(FrozenEstimator(fitted), method="sigmoid").fit(
        D(X[500:], 1000), D(y[500:], 1000)
    )
    b = CalibratedClassifierCV(FrozenEstimator(fitted), method="sigmoid").fit(
        D(X[500:], (1, 600, 399)), D(y[500:], (1, 600, 399))
    )
    assert len(a.calibrated_classifiers_) == 1
    for m in (a, b):
        np.testing.assert_allclose(m.predict_proba(X), sk.predict_proba(X), rtol=1e-10)


def test_lazy_predict_computes_nothing():
    X, y = _data()
    clf = CalibratedClassifierCV(LogisticRegression(), cv=2).fit(D(X), D(y))
    calls = []

    def spy(block):
        if block.size:
            calls.append(1)
        return block

    Xd = D(X).map_blocks(spy, dtype=X.dtype)
    out = [clf.predict_proba(Xd), clf.predict(Xd)]
    assert all(isinstance(o, da.Array) for o in out) and not calls
    assert clf.score(D(X), D(y)) == pytest.approx(clf.score(X, y))


def test_bad_input():
    X, y = _data()
    y_rare = y.copy()
    y_rare[:] = 0
    y_rare[:3] = 1
    with pytest.raises(
        ValueError, match="Requesting 5-fold cross-validation but provided less than 5 examples"
    ):
        CalibratedClassifierCV(LogisticRegression(), cv=5).fit(D(X), D(y_rare))
    with pytest.raises(ValueError, match="The 'method' parameter of CalibratedClassifierCV must be"):
        CalibratedClassifierCV(LogisticRegression(), method="platt").fit(D(X), D(y))
    with pytest.raises(ValueError, match="Unknown label type"):
        CalibratedClassifierCV(LogisticRegression()).fit(D(X), D(X[:, 0]))


def test_dask_dataframe_input():
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    X, y = _data()
    ddf = dd.from_pandas(pd.DataFrame(X, columns=list("abcd")), npartitions=3)
    ys = dd.from_pandas(pd.Series(y), npartitions=3)
    sk = SkCalibratedClassifierCV(LogisticRegression(), cv=3).fit(X, y)
    ours = CalibratedClassifierCV(LogisticRegression(), cv=3).fit(ddf, ys)
    P = ours.predict_proba(ddf)
    assert isinstance(P, da.Array)
    np.testing.assert_allclose(P.compute(), sk.predict_proba(X), rtol=1e-6, atol=1e-8)
