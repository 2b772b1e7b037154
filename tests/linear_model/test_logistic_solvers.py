"""LogisticRegression's 'newton-cg', 'sag' and 'liblinear' solvers against scikit-learn's
(NumPy and Dask input, float32), their pass structure, and warm starts along paths of C
for every solver."""

import warnings

import dask.array as da
import numpy as np
import pytest
from sklearn import datasets
from sklearn import linear_model as sk
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler
from sklearn.svm import l1_min_c

from dml._engine.mapreduce import count_passes
from dml.linear_model import LogisticRegression


def _data(n_classes, n=400, p=6, seed=0, flip_y=0.01):
    X, y = make_classification(
        n,
        p,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        flip_y=flip_y,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def _dask(*arrays, chunks=(70, 151, 29)):
    n = arrays[0].shape[0]
    rows = (*chunks, n - sum(chunks))
    return [da.from_array(a, chunks=(rows, -1) if a.ndim == 2 else (rows,)) for a in arrays]


def _rel(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12)


# (solver, params, classes): every penalty scikit-learn allows for these solvers
CASES = [
    ("newton-cg", dict(C=1.0), (2, 3)),
    ("newton-cg", dict(C=np.inf), (2, 3)),
    ("newton-cg", dict(C=0.3, fit_intercept=False), (2, 3)),
    ("sag", dict(C=0.5), (2, 3)),
    ("sag", dict(C=np.inf), (2, 3)),
    ("liblinear", dict(C=0.5), (2,)),
    ("liblinear", dict(C=0.5, dual=True), (2,)),
    ("liblinear", dict(C=0.5, intercept_scaling=10.0), (2,)),
    ("liblinear", dict(C=0.5, fit_intercept=False), (2,)),
    ("liblinear", dict(C=0.5, l1_ratio=1.0), (2,)),
    ("liblinear", dict(C=0.3, l1_ratio=1.0, intercept_scaling=0.5), (2,)),
]
PARAMS = [
    pytest.param(s, p, k, id=f"{s}-{k}-{'-'.join(f'{a}={b}' for a, b in p.items())}")
    for s, p, ks in CASES
    for k in ks
]

#: tolerance of the comparison with scikit-learn: both sides run to tight tolerances
#: (dml tol=1e-10; scikit-learn 1e-10, and 1e-12 for its stochastic / dual solvers)
RTOL = 1e-5


def _sk_fit(solver, params, X, y, w):
    ref = sk.LogisticRegression(
        solver=solver, tol=1e-12 if solver in ("sag", "liblinear") else 1e-10, max_iter=200_000, **params
    )
    return ref.fit(X, y, sample_weight=w)


@pytest.mark.parametrize("solver,params,n_classes", PARAMS)
def test_matches_sklearn_numpy_and_dask(solver, params, n_classes):
    X, y = _data(n_classes)
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    ref = _sk_fit(solver, params, X, y, w)
    est = LogisticRegression(solver=solver, tol=1e-10, max_iter=500, **params).fit(X, y, sample_weight=w)
    assert _rel(est.coef_, ref.coef_) < RTOL
    if params.get("fit_intercept", True):
        assert _rel(est.intercept_, ref.intercept_) < RTOL
    else:
        np.testing.assert_array_equal(est.intercept_, 0.0)
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    assert len(est.objective_history_) == est.n_iter_[0] > 0
    lazy = LogisticRegression(solver=solver, tol=1e-10, max_iter=500, **params).fit(*_dask(X, y, w))
    np.testing.assert_allclose(lazy.coef_, est.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(lazy.intercept_, est.intercept_, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("solver,params", [("newton-cg", {}), ("sag", {}), ("liblinear", dict(l1_ratio=1.0))])
def test_float32_is_kept(solver, params):
    X, y = _data(2)
    est64 = LogisticRegression(solver=solver, tol=1e-8, **params).fit(X, y)
    est32 = LogisticRegression(solver=solver, tol=1e-8, **params).fit(*_dask(X.astype(np.float32), y))
    assert est32.coef_.dtype == np.float32 and est32.intercept_.dtype == np.float32
    np.testing.assert_allclose(est32.coef_, est64.coef_, rtol=1e-3, atol=1e-4)
    assert est32.predict_proba(X.astype(np.float32)).dtype == np.float32


def test_liblinear_multiclass_refused_as_sklearn():
    X, y = _data(3, n=90)
    for est in (LogisticRegression(solver="liblinear"), sk.LogisticRegression(solver="liblinear")):
        with pytest.raises(ValueError, match="The 'liblinear' solver does not support multiclass"):
            est.fit(X, y)


def test_liblinear_penalises_the_intercept():
    """A tiny intercept_scaling penalises the intercept hard: it shrinks to zero, as
    scikit-learn's; other solvers ignore intercept_scaling (as scikit-learn's)."""
    X, y = _data(2)
    y = np.where(np.arange(len(y)) % 5 == 0, 1, y)  # unbalanced: the intercept matters
    big = LogisticRegression(solver="liblinear", intercept_scaling=100.0, tol=1e-10).fit(X, y)
    small = LogisticRegression(solver="liblinear", intercept_scaling=0.01, tol=1e-10).fit(X, y)
    assert abs(small.intercept_[0]) < 0.05 * abs(big.intercept_[0])
    ref = sk.LogisticRegression(solver="liblinear", intercept_scaling=0.01, tol=1e-12, max_iter=10_000).fit(
        X, y
    )
    np.testing.assert_allclose(small.intercept_, ref.intercept_, rtol=1e-4, atol=1e-9)
    a = LogisticRegression(solver="newton-cg", intercept_scaling=0.01, tol=1e-10).fit(X, y)
    b = LogisticRegression(solver="newton-cg", tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_newton_cg_passes(n_classes):
    """One loss-and-gradient pass per line-search trial, one pass per Hessian-vector
    product, and no Hessian is ever formed."""
    X, y = _data(n_classes)
    with count_passes() as c:
        est = LogisticRegression(solver="newton-cg", tol=1e-8).fit(*_dask(X, y))
    kernels = c.kernels
    assert kernels[0] == "label_counts_kernel"
    hv = kernels.count("logistic_hessp_kernel")
    loss = len(kernels) - 1 - hv
    assert est.n_iter_[0] <= hv <= est.n_iter_[0] * X.shape[1] * (1 if n_classes == 2 else n_classes + 1) + 1
    assert loss >= est.n_iter_[0] + 1
    assert "glm_kernel" not in kernels and "multinomial_newton_kernel" not in kernels


@pytest.mark.parametrize("n_classes", [2, 3])
def test_hessp_kernel_array_api_and_finite_differences(n_classes):
    xps = pytest.importorskip("array_api_strict")
    from dml.linear_model._glm_kernels import logistic_hessp_kernel
    from dml.linear_model._logistic_kernels import binary_loss_grad_kernel, multinomial_loss_grad_kernel

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    K = 1 if n_classes == 2 else n_classes
    if n_classes == 2:
        y = (rng.random(300) < 0.4).astype(np.float64)
        coef, vec = rng.normal(size=5) * 0.3, rng.normal(size=5)

        def grad(c):
            return binary_loss_grad_kernel(X, y, w, c, cw, xp=np, fit_intercept=True)["grad"]
    else:
        y = rng.integers(0, 3, size=300).astype(np.int64)
        coef, vec = rng.normal(size=(K, 5)) * 0.3, rng.normal(size=(K, 5))

        def grad(c):
            return multinomial_loss_grad_kernel(X, y, w, c, cw, xp=np, fit_intercept=True, n_classes=3)[
                "grad"
            ]

    w = rng.uniform(0.5, 2, size=300)
    cw = np.array([1.0, 2.0, 0.5][:n_classes])
    kw = dict(fit_intercept=True, n_classes=n_classes)
    ref = logistic_hessp_kernel(X, y, w, coef, vec, cw, xp=np, **kw)["hessp"]
    out = logistic_hessp_kernel(xps.asarray(X), xps.asarray(y), xps.asarray(w), coef, vec, cw, xp=xps, **kw)
    np.testing.assert_allclose(np.asarray(out["hessp"]), ref, rtol=1e-12, atol=1e-12)
    eps = 1e-6
    fd = (grad(coef + eps * vec) - grad(coef - eps * vec)) / (2 * eps)
    np.testing.assert_allclose(ref, fd, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------ warm starts

PATH_SOLVERS = [
    ("lbfgs", {}),
    ("newton-cg", {}),
    ("newton-cholesky", {}),
    ("sag", {}),
    ("saga", {}),
    ("saga", dict(l1_ratio=1.0)),
    ("saga", dict(l1_ratio=0.5)),
    ("liblinear", {}),
    ("liblinear", dict(l1_ratio=1.0)),
]


@pytest.mark.parametrize("solver,params", PATH_SOLVERS, ids=lambda v: str(v))
@pytest.mark.parametrize("n_classes", [2, 3])
def test_warm_start_path_equals_cold_fits_and_sklearn(solver, params, n_classes):
    """Along a path of C, every warm-started fit runs new iterations and lands on the
    cold fit's model (and scikit-learn's) at that C."""
    if solver == "liblinear" and n_classes > 2:
        pytest.skip("liblinear is binary only (scikit-learn 1.9)")
    X, y = _data(n_classes, flip_y=0.1)
    warm = LogisticRegression(solver=solver, warm_start=True, tol=1e-8, max_iter=1000, **params)
    # from C=1e-2: at 1e-3 the L1 models are all-zero and scikit-learn's saga stops its
    # intercept after one epoch (its relative-change test), far from the optimum; the
    # multinomial L1 paths stop at C=10, beyond which scikit-learn's saga needs more
    # than 10^4 epochs (and this test would take minutes)
    top = 1 if (n_classes > 2 and params.get("l1_ratio", 0) > 0) else 3
    for i, C in enumerate(np.logspace(-2, top, top + 3)):
        warm.set_params(C=C).fit(X, y)
        cold = LogisticRegression(solver=solver, C=C, tol=1e-8, max_iter=1000, **params).fit(X, y)
        ref = sk.LogisticRegression(
            solver=solver,
            C=C,
            tol=1e-12 if solver in ("sag", "saga", "liblinear") else 1e-10,
            max_iter=100_000,
            **params,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref.fit(X, y)
        assert warm.n_iter_[0] >= 1 or i == 0
        assert len(warm.objective_history_) == warm.n_iter_[0]
        for a, b in ((warm.coef_, cold.coef_), (warm.coef_, ref.coef_), (warm.intercept_, ref.intercept_)):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6 * max(1.0, np.max(np.abs(b))))


def _objective(est, X, y, C, l1_ratio):
    z = X @ est.coef_.ravel() + est.intercept_[0]
    loss = np.sum(np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0) - y * z)
    w = est.coef_.ravel()
    return C * loss + 0.5 * (1 - l1_ratio) * w @ w + l1_ratio * np.abs(w).sum()


@pytest.mark.parametrize(
    "solver,params",
    [
        ("liblinear", dict(l1_ratio=1.0, intercept_scaling=10000.0)),
        ("saga", dict(l1_ratio=1.0)),
        ("lbfgs", {}),
        ("newton-cg", {}),
        ("newton-cholesky", {}),
    ],
    ids=lambda v: str(v),
)
def test_warm_start_regularisation_path_does_not_go_flat(solver, params):
    """scikit-learn's gallery path (plot_logistic_path: iris, two classes, C from
    l1_min_c over ten decades, tol=1e-6): at large C the previous solution already met
    the scaled gradient test of the new objective, so the warm fits stopped after no
    iteration and the path went flat (objective 1.6x the cold fit's). Now every warm fit
    ends at an objective no worse than the cold fit's (to 3%) and the path moves."""
    iris = datasets.load_iris()
    X, y = iris.data[iris.target != 2], iris.target[iris.target != 2]
    X = X / X.max()
    Cs = l1_min_c(X, y, loss="log") * np.logspace(0, 10, 16)
    l1r = params.get("l1_ratio", 0.0)
    warm = LogisticRegression(solver=solver, warm_start=True, tol=1e-6, max_iter=int(1e6), **params)
    coefs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cold fits at huge C hit scikit-learn's own limits
        for C in Cs:
            warm.set_params(C=C).fit(X, y)
            cold = LogisticRegression(solver=solver, C=C, tol=1e-6, max_iter=int(1e6), **params).fit(X, y)
            assert _objective(warm, X, y, C, l1r) <= 1.03 * _objective(cold, X, y, C, l1r)
            coefs.append(warm.coef_.ravel().copy())
    steps = np.abs(np.diff(np.asarray(coefs), axis=0)).max(axis=1)
    assert np.all(steps[1:-2] > 1e-3)


def test_liblinear_tags_binary_only_as_sklearn():
    for solver in ("lbfgs", "liblinear"):
        ours = LogisticRegression(solver=solver).__sklearn_tags__().classifier_tags.multi_class
        ref = sk.LogisticRegression(solver=solver).__sklearn_tags__().classifier_tags.multi_class
        assert ours == ref == (solver != "liblinear")
