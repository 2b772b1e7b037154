"""LogisticRegression: every penalty / solver pair against scikit-learn, chunking and
scheduler invariance, class weights, sparsity, pass counts, errors, array-API kernels."""

import dask.array as da
import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from dml._engine.mapreduce import count_passes
from dml.linear_model import LogisticRegression


def _data(n_classes, n=400, p=6, seed=0):
    X, y = make_classification(
        n, p, n_informative=4, n_redundant=0, n_classes=n_classes, n_clusters_per_class=1, random_state=seed
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture(params=[2, 3], ids=["binary", "multinomial"])
def data(request):
    return _data(request.param)


def _dask(X, y, w=None, chunks=(70, 151, 29)):
    rows = list(chunks) + [X.shape[0] - sum(chunks)]
    out = [da.from_array(X, chunks=(tuple(rows), -1)), da.from_array(y, chunks=(tuple(rows),))]
    if w is not None:
        out.append(da.from_array(w, chunks=(tuple(rows),)))
    return out


# (solver, params) pairs: every penalty dml solves, on the same objective as scikit-learn
PAIRS = [
    ("lbfgs", dict(C=1.0)),
    ("lbfgs", dict(C=np.inf)),
    ("newton-cholesky", dict(C=0.5)),
    ("newton-cholesky", dict(C=np.inf)),
    ("newton-cholesky", dict(C=2.0, fit_intercept=False)),
    ("saga", dict(C=0.1, l1_ratio=1.0)),
    ("saga", dict(C=0.2, l1_ratio=0.5)),
    ("saga", dict(C=0.5, l1_ratio=0.0)),
]


def _rel(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12)


@pytest.mark.parametrize("solver,params", PAIRS, ids=lambda v: str(v))
def test_matches_sklearn_every_penalty_solver_pair(data, solver, params):
    X, y = data
    rng = np.random.default_rng(1)
    w = rng.uniform(0.5, 2.0, size=len(y))
    est = LogisticRegression(solver=solver, tol=1e-10, max_iter=500, **params).fit(X, y, sample_weight=w)
    ref = sk.LogisticRegression(
        solver=solver, tol=1e-10 if solver != "saga" else 1e-12, max_iter=100_000, **params
    ).fit(X, y, sample_weight=w)
    assert _rel(est.coef_, ref.coef_) < 1e-4
    assert _rel(est.intercept_, ref.intercept_) < 1e-4 or np.max(np.abs(ref.intercept_)) < 1e-8
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert len(est.objective_history_) == est.n_iter_[0]


@pytest.mark.parametrize("solver,params", [("newton-cholesky", {}), ("saga", dict(C=0.1, l1_ratio=0.7))])
def test_chunking_and_scheduler_invariance(scheduler, data, solver, params):
    X, y = data
    ref = LogisticRegression(solver=solver, tol=1e-8, **params).fit(X, y)
    est = LogisticRegression(solver=solver, tol=1e-8, **params).fit(*_dask(X, y))
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-6, atol=1e-9)
    assert est.n_iter_[0] == ref.n_iter_[0]
    out = est.predict_proba(da.from_array(X, chunks=(100, -1)))
    assert isinstance(out, da.Array)
    np.testing.assert_allclose(out.compute(), ref.predict_proba(X), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("solver,params", [("newton-cholesky", {}), ("saga", dict(C=0.1, l1_ratio=1.0))])
def test_class_weight_equals_sample_weight(data, solver, params):
    X, y = data
    classes = np.unique(y)
    cw = {c: 1.0 + i for i, c in enumerate(classes)}
    a = LogisticRegression(solver=solver, class_weight=cw, tol=1e-10, **params).fit(X, y)
    b = LogisticRegression(solver=solver, tol=1e-10, **params).fit(
        X, y, sample_weight=np.array([cw[v] for v in y])
    )
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-7, atol=1e-10)
    bal = LogisticRegression(solver=solver, class_weight="balanced", tol=1e-10, **params).fit(X, y)
    ref = sk.LogisticRegression(
        solver=solver,
        class_weight="balanced",
        tol=1e-10 if solver != "saga" else 1e-12,
        max_iter=100_000,
        **params,
    ).fit(X, y)
    assert _rel(bal.coef_, ref.coef_) < 1e-4


@pytest.mark.parametrize("l1_ratio", [1.0, 0.6])
def test_sparse_penalties_give_exact_zeros(l1_ratio):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 12))
    y = (X[:, 0] - 0.8 * X[:, 1] + rng.normal(scale=0.5, size=500) > 0).astype(int)
    est = LogisticRegression(solver="saga", C=0.05, l1_ratio=l1_ratio, tol=1e-10).fit(X, y)
    ref = sk.LogisticRegression(solver="saga", C=0.05, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000).fit(
        X, y
    )
    zeros = est.coef_ == 0.0
    assert zeros.sum() >= 5
    np.testing.assert_array_equal(zeros, ref.coef_ == 0.0)


def test_newton_one_pass_per_iteration(data):
    X, y = data
    with count_passes() as c:
        est = LogisticRegression(solver="newton-cholesky", tol=1e-8).fit(*_dask(X, y))
    newton = [k for k in c.kernels if k != "label_counts_kernel"]
    assert c.kernels[0] == "label_counts_kernel"
    # one pass at the start, one per iteration when the full step is accepted
    assert len(newton) == 1 + est.n_iter_[0]
    assert set(newton) <= {"glm_kernel", "multinomial_newton_kernel"}
    assert est.n_iter_[0] <= 10


def test_proximal_newton_passes_and_history():
    X, y = _data(2, n=600)
    with count_passes() as c:
        est = LogisticRegression(solver="saga", C=0.1, l1_ratio=1.0, tol=1e-6).fit(*_dask(X, y))
    assert c.passes <= 2 + 3 * est.n_iter_[0]
    hist = np.asarray(est.objective_history_)
    assert len(hist) == est.n_iter_[0] and np.all(np.diff(hist) <= 1e-15)


def test_warm_start_newton(data):
    X, y = data
    est = LogisticRegression(solver="newton-cholesky", warm_start=True, tol=1e-8).fit(X, y)
    first = est.n_iter_[0]
    est.fit(X, y)
    assert est.n_iter_[0] < first


def test_newton_objective_history_decreases(data):
    X, y = data
    est = LogisticRegression(solver="newton-cholesky", tol=1e-10).fit(X, y)
    hist = np.asarray(est.objective_history_)
    assert len(hist) == est.n_iter_[0] and np.all(np.diff(hist) <= 0)
    lb = LogisticRegression(tol=1e-10).fit(X, y)
    assert len(lb.objective_history_) == lb.n_iter_[0]
    assert hist[-1] == pytest.approx(lb.objective_history_[-1], rel=1e-9)


@pytest.mark.parametrize(
    "params,match",
    [
        (
            dict(solver="lbfgs", l1_ratio=1.0),
            "Solver lbfgs supports only 'l2' or None penalties, got l1 penalty.",
        ),
        (
            dict(solver="newton-cholesky", l1_ratio=1.0),
            "Solver newton-cholesky supports only 'l2' or None penalties, got l1 penalty.",
        ),
        (
            dict(solver="newton-cholesky", l1_ratio=0.5),
            "Solver newton-cholesky supports only 'l2' or None penalties, got elasticnet penalty.",
        ),
        (
            dict(solver="newton-cholesky", dual=True),
            "Solver newton-cholesky supports only dual=False, got dual=True",
        ),
        (
            dict(solver="newton-cg", l1_ratio=1.0),
            "Solver newton-cg supports only 'l2' or None penalties, got l1 penalty.",
        ),
        (dict(solver="sag", l1_ratio=0.5), "Solver sag supports only 'l2' or None penalties, got elasticnet"),
        (dict(solver="sag", dual=True), "Solver sag supports only dual=False, got dual=True"),
        (
            dict(solver="liblinear", C=np.inf),
            "C=np.inf as well as penalty=None is not supported for the liblinear",
        ),
        (
            dict(solver="liblinear", l1_ratio=0.5),
            "Only 'saga' solver supports elasticnet penalty, got solver=liblinear.",
        ),
        (
            dict(solver="liblinear", l1_ratio=1.0, dual=True),
            "Unsupported set of arguments: The combination of penalty='l1' and loss='logistic_regression'",
        ),
        (dict(l1_ratio=1.5), "The 'l1_ratio' parameter of LogisticRegression must be"),
        (dict(l1_ratio=-0.1), "The 'l1_ratio' parameter of LogisticRegression must be"),
        (dict(solver="bogus"), "The 'solver' parameter of LogisticRegression must be"),
    ],
)
def test_bad_parameters_get_sklearns_errors(params, match):
    X, y = _data(2, n=60)
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        LogisticRegression(**params).fit(X, y)


def test_elasticnet_penalty_needs_saga_as_sklearn():
    X, y = _data(2, n=60)
    for est in (
        LogisticRegression(penalty="elasticnet", l1_ratio=0.5, solver="lbfgs"),
        sk.LogisticRegression(penalty="elasticnet", l1_ratio=0.5, solver="lbfgs"),
    ):
        with pytest.warns(FutureWarning), pytest.raises(ValueError, match="supports only 'l2' or None"):
            est.fit(X, y)


def test_nan_input_rides_along():
    X, y = _data(2, n=60)
    X = X.copy()
    X[3, 1] = np.nan
    for solver, kw in (("newton-cholesky", {}), ("saga", dict(l1_ratio=1.0))):
        with pytest.raises(ValueError, match="Input X contains NaN"):
            LogisticRegression(solver=solver, **kw).fit(*_dask(X, y, chunks=(20, 20)))


# ------------------------------------------------------------------ array-API kernels


def test_multinomial_newton_kernel_on_array_api_strict():
    xps = pytest.importorskip("array_api_strict")
    from dml.linear_model._logistic_kernels import multinomial_newton_kernel

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = rng.integers(0, 3, size=300).astype(np.int64)
    w = rng.uniform(0.5, 2, size=300)
    coef = rng.normal(size=(3, 5)) * 0.3
    cw = np.array([1.0, 2.0, 0.5])
    ref = multinomial_newton_kernel(X, y, w, coef, cw, xp=np, fit_intercept=True, n_classes=3)
    out = multinomial_newton_kernel(
        xps.asarray(X), xps.asarray(y), xps.asarray(w), coef, cw, xp=xps, fit_intercept=True, n_classes=3
    )
    for k in ("loss", "grad", "hess", "sw"):
        np.testing.assert_allclose(np.asarray(out[k]), ref[k], rtol=1e-12, atol=1e-12)
    # Hessian against finite differences of the gradient
    from dml.linear_model._logistic_kernels import multinomial_loss_grad_kernel

    eps = 1e-6
    H = ref["hess"]
    for i in range(coef.size):
        c2 = coef.ravel().copy()
        c2[i] += eps
        g2 = multinomial_loss_grad_kernel(
            X, y, w, c2.reshape(3, 5), cw, xp=np, fit_intercept=True, n_classes=3
        )["grad"]
        np.testing.assert_allclose((g2.ravel() - ref["grad"].ravel()) / eps, H[:, i], rtol=1e-4, atol=1e-3)


def test_binomial_glm_kernel_on_array_api_strict():
    xps = pytest.importorskip("array_api_strict")
    from dml.linear_model._glm_kernels import glm_kernel

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (rng.random(200) < 0.4).astype(np.float64)
    coef = np.array([0.3, -0.2, 0.1, 0.05])
    cw = np.array([1.5, 0.5])
    ref = glm_kernel(X, y, None, coef, cw, xp=np, fit_intercept=True, family="binomial", hessian=True)
    out = glm_kernel(
        xps.asarray(X),
        xps.asarray(y),
        None,
        coef,
        cw,
        xp=xps,
        fit_intercept=True,
        family="binomial",
        hessian=True,
    )
    for k in ("loss", "grad", "hess", "sw", "hneg"):
        np.testing.assert_allclose(np.asarray(out[k]), ref[k], rtol=1e-12)
