"""LogisticRegressionCV: the same folds choose the same C as scikit-learn, the same
paths and attributes (both layouts), on NumPy and Dask input."""

import warnings

import dask.array as da
import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold

from dml.linear_model import LogisticRegressionCV


def _data(n_classes, n=300, seed=0):
    return make_classification(
        n,
        5,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        flip_y=0.2,
        random_state=seed,
    )


def _sk(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sk.LogisticRegressionCV(**kw)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(
    "solver,l1_ratios,scoring",
    [
        ("lbfgs", (0,), "accuracy"),
        ("newton-cholesky", (0,), "neg_log_loss"),
        ("newton-cholesky", (0,), "roc_auc_ovr"),
        ("saga", (0.5, 1.0), "neg_log_loss"),
    ],
)
def test_same_folds_same_choice_as_sklearn(n_classes, solver, l1_ratios, scoring):
    X, y = _data(n_classes)
    w = np.random.default_rng(0).uniform(0.5, 2, len(y))
    folds = list(StratifiedKFold(3).split(X, y))
    kw = dict(
        Cs=4, cv=folds, solver=solver, scoring=scoring, l1_ratios=l1_ratios, use_legacy_attributes=False
    )
    est = LogisticRegressionCV(tol=1e-10, max_iter=300, **kw).fit(X, y, sample_weight=w)
    ref = _sk(
        tol=1e-10 if solver != "saga" else 1e-12, max_iter=100_000 if solver == "saga" else 300, **kw
    ).fit(X, y, sample_weight=w)
    assert est.C_ == ref.C_
    assert est.l1_ratio_ == ref.l1_ratio_
    np.testing.assert_array_equal(est.Cs_, ref.Cs_)
    for att in ("coefs_paths_", "scores_", "n_iter_"):
        assert getattr(est, att).shape == getattr(ref, att).shape, att
    # small Cs are skipped for saga: there scikit-learn's saga stops (on its relative
    # change of the weights) before its intercepts converge
    sl = slice(2, None) if solver == "saga" else slice(None)
    np.testing.assert_allclose(est.scores_[:, :, sl], ref.scores_[:, :, sl], atol=1e-5)
    rel = np.max(np.abs(est.coef_ - ref.coef_)) / np.max(np.abs(ref.coef_))
    assert rel < 1e-4
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), atol=1e-5)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_legacy_attributes_match_sklearn(n_classes):
    X, y = _data(n_classes)
    kw = dict(Cs=4, cv=3, solver="newton-cholesky", scoring="accuracy", use_legacy_attributes=True)
    with pytest.warns(FutureWarning, match="l1_ratios"):
        est = LogisticRegressionCV(tol=1e-10, **kw).fit(X, y)
    ref = _sk(tol=1e-10, **kw).fit(X, y)
    np.testing.assert_array_equal(est.C_, ref.C_)
    assert list(est.coefs_paths_) == list(ref.coefs_paths_)
    for k in ref.coefs_paths_:
        np.testing.assert_allclose(est.coefs_paths_[k], ref.coefs_paths_[k], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(est.scores_[k], ref.scores_[k])
    assert est.n_iter_.shape == ref.n_iter_.shape
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5)


def test_refit_false_and_class_weight():
    X, y = _data(3)
    kw = dict(
        Cs=4,
        cv=3,
        solver="newton-cholesky",
        scoring="accuracy",
        refit=False,
        class_weight="balanced",
        l1_ratios=(0,),
        use_legacy_attributes=False,
    )
    est = LogisticRegressionCV(tol=1e-10, **kw).fit(X, y)
    ref = _sk(tol=1e-10, **kw).fit(X, y)
    assert est.C_ == pytest.approx(ref.C_)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5)


def test_dask_input_same_result(scheduler):
    X, y = _data(2, n=240)
    kw = dict(
        Cs=3,
        cv=3,
        solver="newton-cholesky",
        scoring="neg_log_loss",
        l1_ratios=(0,),
        use_legacy_attributes=False,
        tol=1e-8,
    )
    ref = LogisticRegressionCV(**kw).fit(X, y)
    est = LogisticRegressionCV(**kw).fit(da.from_array(X, chunks=(70, -1)), da.from_array(y, chunks=70))
    assert est.C_ == ref.C_
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-7)
    np.testing.assert_allclose(est.scores_, ref.scores_, rtol=1e-9)
    assert est.score(da.from_array(X, chunks=100), da.from_array(y, chunks=100)) == pytest.approx(
        est.score(X, y)
    )


@pytest.mark.parametrize(
    "params,match",
    [
        (
            dict(solver="lbfgs", l1_ratios=(1,)),
            "Solver lbfgs supports only 'l2' or None penalties, got l1 penalty.",
        ),
        (
            dict(solver="newton-cholesky", l1_ratios=(0.5,)),
            "Solver newton-cholesky supports only 'l2' or None penalties, got elasticnet penalty.",
        ),
        (
            dict(solver="saga", l1_ratios=(0.5, 2.0)),
            "l1_ratios must be an array-like of numbers between 0 and 1",
        ),
        (dict(solver="newton-cg", l1_ratios=(1,)), "Solver newton-cg supports only 'l2' or None penalties"),
        (dict(solver="sag", l1_ratios=(0.5,)), "Solver sag supports only 'l2' or None penalties"),
        (dict(solver="liblinear", l1_ratios=(0.5,)), "Only 'saga' solver supports elasticnet penalty"),
        (dict(scoring="not-a-scorer"), "The 'scoring' parameter of LogisticRegressionCV must be"),
    ],
)
def test_bad_parameters(params, match):
    import re

    X, y = _data(2, n=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(ValueError, match=re.escape(match)):
            LogisticRegressionCV(use_legacy_attributes=False, **params).fit(X, y)


@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("metric", ["accuracy", "neg_log_loss"])
def test_fold_score_kernel_on_array_api_strict_and_sklearn(K, metric):
    xps = pytest.importorskip("array_api_strict")
    from sklearn.metrics import accuracy_score, log_loss

    from dml.linear_model import LogisticRegression
    from dml.linear_model._logistic_kernels import fold_score_kernel

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    n_classes = 2 if K == 1 else K
    labels = rng.integers(0, n_classes, size=300)
    y = labels.astype(np.float64) if K == 1 else labels.astype(np.int64)
    w = rng.uniform(0, 2, size=300) * (rng.random(300) < 0.4)
    coefs = rng.normal(size=(3, K, 5))
    ref = fold_score_kernel(X, y, w, coefs, xp=np, fit_intercept=True, metric=metric, n_classes=n_classes)
    out = fold_score_kernel(
        xps.asarray(X),
        xps.asarray(y),
        xps.asarray(w),
        coefs,
        xp=xps,
        fit_intercept=True,
        metric=metric,
        n_classes=n_classes,
    )
    for k in ref:
        np.testing.assert_allclose(np.asarray(out[k]), ref[k], rtol=1e-12)
    for m in range(3):
        est = LogisticRegression()
        est.classes_ = np.arange(n_classes)
        est.n_features_in_ = 4
        est.coef_, est.intercept_ = coefs[m, :, :4], coefs[m, :, 4]
        if metric == "accuracy":
            expected = accuracy_score(labels, est.predict(X), sample_weight=w)
        else:
            expected = log_loss(labels, est.predict_proba(X), sample_weight=w, labels=est.classes_)
        assert ref["num"][m] / ref["den"] == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    "solver,l1_ratios,n_classes,extra",
    [
        ("newton-cg", (0,), 2, {}),
        ("newton-cg", (0,), 3, {}),
        ("sag", (0,), 3, {}),
        ("liblinear", (0,), 2, dict(intercept_scaling=5.0)),
        ("liblinear", (1,), 2, {}),
    ],
)
def test_new_solvers_same_choice_as_sklearn(solver, l1_ratios, n_classes, extra):
    X, y = _data(n_classes)
    folds = list(StratifiedKFold(3).split(X, y))
    kw = dict(
        Cs=[0.05, 0.5, 5.0],
        cv=folds,
        solver=solver,
        scoring="neg_log_loss",
        l1_ratios=l1_ratios,
        use_legacy_attributes=False,
        **extra,
    )
    est = LogisticRegressionCV(tol=1e-10, max_iter=300, **kw).fit(X, y)
    ref = _sk(tol=1e-12 if solver in ("sag", "liblinear") else 1e-10, max_iter=100_000, **kw).fit(X, y)
    assert est.C_ == ref.C_
    np.testing.assert_allclose(est.scores_, ref.scores_, atol=1e-6)
    np.testing.assert_allclose(est.coefs_paths_, ref.coefs_paths_, rtol=1e-5, atol=1e-7)
    if "intercept_scaling" in extra:
        # scikit-learn's refit leaves intercept_scaling out of its path call (it refits
        # with 1); dml refits with the folds' objective: LogisticRegression's at C_
        ref = sk.LogisticRegression(solver=solver, C=est.C_, tol=1e-12, max_iter=100_000, **extra).fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-5, atol=1e-8)


def test_liblinear_multiclass_refused_as_sklearn():
    X, y = _data(3, n=90)
    for cls in (LogisticRegressionCV, sk.LogisticRegressionCV):
        with pytest.raises(ValueError, match="The 'liblinear' solver does not support multiclass"):
            cls(
                solver="liblinear",
                cv=3,
                Cs=2,
                l1_ratios=(0,),
                scoring="accuracy",
                use_legacy_attributes=False,
            ).fit(X, y)


@pytest.mark.parametrize("n_jobs", [None, 1, 2, 4, -1])
def test_n_jobs_runs_folds_concurrently_same_model(scheduler, n_jobs):
    """n_jobs bounds how many (fold, l1_ratio) paths run at once; every value gives
    the same model."""
    X, y = _data(3, n=240)
    kw = dict(
        Cs=3, cv=3, solver="newton-cholesky", scoring="accuracy", l1_ratios=(0,), use_legacy_attributes=False
    )
    ref = LogisticRegressionCV(**kw).fit(X, y)
    est = LogisticRegressionCV(n_jobs=n_jobs, **kw).fit(
        da.from_array(X, chunks=(70, -1)), da.from_array(y, chunks=70)
    )
    assert est.C_ == ref.C_
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(est.coefs_paths_, ref.coefs_paths_, rtol=1e-7, atol=1e-10)
    np.testing.assert_array_equal(est.n_iter_, ref.n_iter_)
    np.testing.assert_allclose(est.scores_, ref.scores_, rtol=1e-9)


def test_n_jobs_overlaps_fold_paths(monkeypatch):
    """With n_jobs=3 the three folds' paths are in flight at the same time."""
    import threading
    import time

    from dml.linear_model import _logistic_cv

    X, y = _data(2, n=120)
    active, peak, lock = [0], [0], threading.Lock()
    real = _logistic_cv.solve_logistic

    def slow(*args, **kwargs):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(_logistic_cv, "solve_logistic", slow)
    kw = dict(Cs=2, cv=3, scoring="accuracy", l1_ratios=(0,), use_legacy_attributes=False)
    LogisticRegressionCV(n_jobs=3, **kw).fit(X, y)
    assert peak[0] == 3
    peak[0] = 0
    LogisticRegressionCV(n_jobs=None, **kw).fit(X, y)
    assert peak[0] == 1


def test_fit_params_without_routing_get_scikit_learns_error():
    import sklearn
    from sklearn.linear_model import LogisticRegressionCV as SkLRCV

    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.arange(30) % 2
    with pytest.raises(ValueError) as theirs:
        SkLRCV(cv=2).fit(X, y, groups=np.arange(30) % 3)
    with pytest.raises(ValueError) as ours:
        LogisticRegressionCV(cv=2).fit(X, y, groups=np.arange(30) % 3)
    assert str(ours.value) == str(theirs.value)
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(ValueError, match="does not support metadata routing"):
            LogisticRegressionCV(cv=2).fit(X, y, groups=np.arange(30) % 3)
