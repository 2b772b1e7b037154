"""The solver contract: plain values in, one SolverResult out, no estimator families imported."""

import ast
import pathlib

import numpy as np
import pytest

from dml._solvers._conjugate_gradient import conjugate_gradient
from dml._solvers._coordinate_descent import cd_gram, dual_gap, enet_path_gram
from dml._solvers._fista import fista, power_iteration
from dml._solvers._gram import lstsq_gram, nnls_gram, ridge_gram, ridge_solve_eigh
from dml._solvers._newton import Multinomial, newton_cholesky
from dml._solvers._newton_cg import newton_cg
from dml._solvers._penalties import (
    enet_duality_gap,
    min_norm_subgradient,
    soft_threshold,
    soft_threshold_scalar,
)
from dml._solvers._proximal import proximal_newton
from dml._solvers._quasi_newton import lbfgs
from dml._solvers._result import SolverResult

SOLVERS = pathlib.Path(__file__).resolve().parents[1] / "dml" / "_solvers"


def _problem(seed=0, n=80, p=5, t=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    Y = X @ rng.normal(size=(p, t)) + 0.1 * rng.normal(size=(n, t))
    return X, Y


def test_solver_modules_import_no_family():
    for path in SOLVERS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                assert not name.startswith("dml.") or name.startswith(("dml._solvers", "dml._compat")), (
                    f"{path.name} imports {name}: solvers depend on _compat and themselves only"
                )


def test_soft_threshold_scalar_matches_array():
    z = np.array([-2.5, -0.3, 0.0, 0.4, 3.0])
    for positive in (False, True):
        ref = soft_threshold(z, 0.5, positive)
        got = [soft_threshold_scalar(float(v), 0.5, positive) for v in z]
        np.testing.assert_array_equal(ref, got)
    np.testing.assert_array_equal(
        min_norm_subgradient(np.zeros(3), np.array([-2.0, 0.1, 3.0]), 1.0), [-1.0, 0.0, 2.0]
    )


@pytest.mark.parametrize(
    "l1,l2,positive",
    [(1.0, 0.0, False), (0.5, 0.5, False), (0.0, 1.0, False), (0.0, 0.0, False), (1.0, 0.2, True)],
)
def test_duality_gap_one_and_many_targets_agree(l1, l2, positive):
    X, Y = _problem(t=2)
    W = np.random.default_rng(1).normal(size=(X.shape[1], 2))
    R = Y - X @ W
    gap2, primal2 = enet_duality_gap(
        W, X.T @ R, np.sum(R * R, axis=0), np.sum(R * Y, axis=0), l1, l2, positive
    )
    for k in range(2):
        gap1, primal1 = enet_duality_gap(
            W[:, k], X.T @ R[:, k], R[:, k] @ R[:, k], R[:, k] @ Y[:, k], l1, l2, positive
        )
        np.testing.assert_allclose([gap1, primal1], [gap2[k], primal2[k]], rtol=1e-10)
        Q, q, yy = X.T @ X, X.T @ Y[:, k], Y[:, k] @ Y[:, k]
        np.testing.assert_allclose(
            dual_gap(W[:, k], l1, l2, Q @ W[:, k], q, yy, positive), [gap1, primal1], rtol=1e-8
        )


def test_every_solver_returns_a_solver_result():
    X, Y = _problem(t=2)
    Q, C, yy = X.T @ X, X.T @ Y, Y.T @ Y
    y = Y[:, 0]

    def quad(w, hessian=True):
        r = X @ w - y
        return 0.5 * float(r @ r), X.T @ r, Q.copy(), False

    results = [
        lbfgs(lambda w: quad(w)[:2], np.zeros(5), tol=1e-10, max_iter=200),
        newton_cholesky(quad, np.zeros(5), tol=1e-10, max_iter=20),
        proximal_newton(quad, np.zeros(5), np.full(5, 1.0), tol=1e-8, max_iter=50),
        cd_gram(np.zeros(5), 1.0, 0.0, Q, C[:, 0].copy(), float(yy[0, 0]), max_iter=1000, tol=1e-10),
        enet_path_gram(
            Q,
            C[:, 0],
            float(yy[0, 0]),
            1.0,
            np.array([2.0, 1.0]),
            l1_ratio=1.0,
            max_iter=1000,
            tol=1e-10,
            rng=np.random.RandomState(0),
            random=False,
            positive=False,
        ),
        lstsq_gram(Q, C, cond=1e-12),
        nnls_gram(Q, C),
        ridge_gram(Q, C, yy, np.ones(2), solver="cholesky"),
        ridge_gram(Q, C, yy, np.ones(2), solver="lbfgs", tol=1e-10),
        conjugate_gradient(lambda P: Q @ P, C, shift=np.ones(2), yy=np.diag(yy), tol=1e-12),
        newton_cg(lambda w: quad(w)[:2], lambda w, v: Q @ v, np.zeros(5), tol=1e-10, max_iter=50),
    ]
    for res in results:
        assert isinstance(res, SolverResult)
        assert np.all(res.converged)
    # the direct ridge, CG and the bounded ridge solve the same problem here
    ref = ridge_solve_eigh(Q, C, np.ones(2))
    np.testing.assert_allclose(results[7].coef, ref, rtol=1e-10)
    np.testing.assert_allclose(results[9].coef, ref, rtol=1e-8)
    # L-BFGS and Newton agree with least squares; proximal Newton with coordinate descent
    ls = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(results[0].coef, ls, rtol=1e-6)
    np.testing.assert_allclose(results[1].coef, ls, rtol=1e-10)
    np.testing.assert_allclose(results[10].coef, ls, rtol=1e-8)
    np.testing.assert_allclose(results[2].coef, results[3].coef, atol=1e-7)
    assert results[3].dual_gap <= 1e-10 * yy[0, 0]


def test_fista_matches_coordinate_descent():
    X, Y = _problem(seed=3)
    y = Y[:, 0]
    Q = X.T @ X
    l1, l2 = 2.0, 0.5

    def residual(B):
        R = Y - X @ B
        return X.T @ R, np.sum(R * R, axis=0)

    L = 1.05 * power_iteration(lambda v: Q @ v, X.shape[1]) + l2
    res = fista(
        residual, X.T @ Y, np.sum(Y * Y, axis=0), l1=l1, l2=l2, lipschitz=L, n=1.0, tol=1e-12, max_iter=5000
    )
    ref = cd_gram(np.zeros(5), l1, l2, Q, X.T @ y, float(y @ y), max_iter=5000, tol=1e-12)
    np.testing.assert_allclose(res.coef[:, 0], ref.coef, atol=1e-6)
    assert res.converged.all() and len(res.objective_history[0]) == res.n_iter[0]


def test_multinomial_round_trip():
    m = Multinomial(3, 2, fit_intercept=True, penalized=False)
    c = np.arange(6.0)
    fin = m.finalize(m.setup(c)).reshape(3, 2)
    np.testing.assert_allclose(fin.sum(axis=0), 0.0, atol=1e-12)
    assert not m.free[m.fixed].any()


def test_newton_cg_counts_hessian_products_and_stops_on_the_gradient():
    """Each CG step is one Hessian-vector product; the rule is max|grad| <= tol; an
    inexact inner solve (forcing term) still converges; max_iter warns."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X, Y = _problem(t=1)
    y = Y[:, 0]
    Q = X.T @ X
    calls = {"f": 0, "hv": 0}

    def f(w):
        calls["f"] += 1
        r = X @ w - y
        return 0.5 * float(r @ r), X.T @ r

    def hv(w, v):
        calls["hv"] += 1
        return Q @ v

    res = newton_cg(f, hv, np.zeros(5), tol=1e-9, max_iter=50)
    assert res.converged and np.max(np.abs(f(res.coef)[1])) <= 1e-9
    assert calls["hv"] >= res.n_iter and len(res.objective_history) == res.n_iter
    assert np.all(np.diff(res.objective_history) <= 1e-12)  # (the rounding floor)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        short = newton_cg(f, hv, np.zeros(5), tol=1e-14, max_iter=1, max_inner=1)
    assert not short.converged and short.n_iter == 1
    assert any(issubclass(w.category, ConvergenceWarning) for w in rec)
