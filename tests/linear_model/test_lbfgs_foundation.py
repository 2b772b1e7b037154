"""LinearRegression and LogisticRegression (lbfgs) agree with scikit-learn on every scheduler."""

import dask.array as da
import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.datasets import make_classification

import dml
from dml._engine.mapreduce import count_passes
from dml.linear_model import LinearRegression, LogisticRegression


@pytest.fixture
def binary():
    return make_classification(800, 8, n_informative=5, random_state=0)


@pytest.fixture
def multiclass():
    return make_classification(900, 8, n_informative=6, n_classes=4, random_state=1)


def _dask(*arrays, chunks=(130, 311, 59, 300)):
    out = []
    for a in arrays:
        n = a.shape[0]
        c = list(chunks)
        c[-1] = n - sum(c[:-1])
        out.append(da.from_array(a, chunks=(tuple(c),) + a.shape[1:]))
    return out


def test_linear_regression_matches_sklearn(scheduler, rng):
    X = rng.normal(size=(700, 6)) + 100.0  # large offset: centring must be exact
    Y = np.column_stack([X @ rng.normal(size=6) + 3, X @ rng.normal(size=6) - 1]) + rng.normal(size=(700, 2))
    w = rng.uniform(0.1, 3, size=700)
    for y in (Y[:, 0], Y):
        for fi in (True, False):
            ref = sk.LinearRegression(fit_intercept=fi).fit(X, y, sample_weight=w)
            Xd, yd, wd = _dask(X, y, w)
            est = LinearRegression(fit_intercept=fi).fit(Xd, yd, sample_weight=wd)
            np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6)
            np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-6, atol=1e-6)
            assert est.rank_ == ref.rank_
            pred = est.predict(Xd)
            assert isinstance(pred, da.Array)
            np.testing.assert_allclose(pred.compute(), ref.predict(X), rtol=1e-8)


def test_linear_regression_is_one_pass(rng):
    X = rng.normal(size=(500, 4))
    with count_passes() as c:
        LinearRegression().fit(da.from_array(X, chunks=100), da.from_array(X[:, 0], chunks=100))
    assert c.passes == 1


def test_linear_regression_rank_deficient_min_norm(rng):
    X = rng.normal(size=(200, 3))
    X = np.column_stack([X, X[:, 0]])  # duplicate column
    y = X[:, 0] + 2 * X[:, 1]
    ref = sk.LinearRegression().fit(X, y)
    est = LinearRegression().fit(da.from_array(X, chunks=50), y)
    assert est.rank_ == ref.rank_ == 3
    np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-8)


def test_linear_regression_positive(rng):
    X = rng.normal(size=(300, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + rng.normal(size=300)
    ref = sk.LinearRegression(positive=True).fit(X, y)
    est = LinearRegression(positive=True).fit(da.from_array(X, chunks=70), y)
    np.testing.assert_allclose(est.coef_, ref.coef_, atol=1e-8)
    assert (est.coef_ >= 0).all()


def test_logistic_binary_matches_sklearn(scheduler, binary):
    X, y = binary
    ref = sk.LogisticRegression().fit(X, y)
    est = LogisticRegression().fit(*_dask(X, y))
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)
    assert est.n_iter_.tolist() == ref.n_iter_.tolist()
    Xd = _dask(X)[0]
    np.testing.assert_allclose(est.predict_proba(Xd).compute(), ref.predict_proba(X), atol=1e-8)
    np.testing.assert_allclose(est.predict_log_proba(Xd).compute(), ref.predict_log_proba(X), atol=1e-7)
    np.testing.assert_allclose(est.decision_function(Xd).compute(), ref.decision_function(X), atol=1e-7)
    np.testing.assert_array_equal(est.predict(Xd).compute(), ref.predict(X))
    assert est.score(Xd, _dask(y)[0]) == pytest.approx(ref.score(X, y))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_multinomial_weights_match_sklearn(scheduler, multiclass, fit_intercept):
    X, y = multiclass
    w = np.random.default_rng(3).uniform(0.2, 2, size=len(y))
    kw = dict(C=0.5, class_weight="balanced", fit_intercept=fit_intercept)
    ref = sk.LogisticRegression(**kw).fit(X, y, sample_weight=w)
    est = LogisticRegression(**kw).fit(*_dask(X, y, w))
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), atol=1e-7)


def test_logistic_string_labels_and_dict_class_weight(binary):
    X, y = binary
    labels = np.array(["no", "yes"])[y]
    ref = sk.LogisticRegression(class_weight={"no": 1.0, "yes": 3.0}).fit(X, labels)
    est = LogisticRegression(class_weight={"no": 1.0, "yes": 3.0}).fit(*_dask(X, labels))
    assert est.classes_.tolist() == ["no", "yes"]
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(est.predict(_dask(X)[0]).compute(), ref.predict(X))


def test_logistic_class_weight_equals_sample_weight(binary):
    X, y = binary
    a = LogisticRegression(class_weight={0: 2.0, 1: 0.5}).fit(X, y)
    b = LogisticRegression().fit(X, y, sample_weight=np.where(y == 0, 2.0, 0.5))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)


def test_logistic_no_penalty_and_float32(binary):
    X, y = binary
    ref = sk.LogisticRegression(C=np.inf).fit(X, y)
    est = LogisticRegression(C=np.inf).fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-4)
    est32 = LogisticRegression().fit(da.from_array(X.astype(np.float32), chunks=200), y)
    assert est32.coef_.dtype == np.float32
    assert est32.predict_proba(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(est32.coef_, sk.LogisticRegression().fit(X, y).coef_, rtol=1e-3, atol=1e-4)


def test_logistic_warm_start_converges_faster(binary):
    X, y = binary
    est = LogisticRegression(warm_start=True).fit(X, y)
    first = est.n_iter_[0]
    est.fit(X, y)
    assert est.n_iter_[0] < first


def test_logistic_round_trips_per_iteration(binary):
    X, y = binary
    with count_passes() as c:
        est = LogisticRegression().fit(*_dask(X, y))
    evaluations = c.kernels.count("binary_loss_grad_kernel")
    assert c.kernels[0] == "label_counts_kernel"
    # L-BFGS evaluates about once per iteration (line searches occasionally add one).
    assert est.n_iter_[0] <= evaluations <= 2 * est.n_iter_[0] + 2


def test_logistic_convergence_warning(binary):
    from sklearn.exceptions import ConvergenceWarning

    X, y = binary
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
        LogisticRegression(max_iter=2).fit(X, y)


def test_progress_bar_and_verbose(binary, capsys):
    X, y = binary
    with dml.config_context(progress=True):
        LogisticRegression(verbose=1).fit(X, y)
    captured = capsys.readouterr()
    assert "LogisticRegression (lbfgs)" in captured.err  # tqdm writes to stderr
    assert "iteration 1: " in captured.out


def test_penalty_deprecation_mirrors_sklearn(binary):
    X, y = binary
    with pytest.warns(FutureWarning, match="'penalty' was deprecated"):
        est = LogisticRegression(penalty=None).fit(X, y)
    ref = sk.LogisticRegression(C=np.inf).fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-4)
