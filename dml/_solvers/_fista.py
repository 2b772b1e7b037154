"""Accelerated proximal gradient (FISTA) for the elastic net, on a callable residual
operator (one pass over the data per iteration).

FISTA with adaptive restart: the operator is evaluated at the prox point ``X_k``
(sparse), so the exact duality gap is known there; the gradient at the extrapolated
point follows by linearity. Stops when the gap is below ``tol * ||yc||^2``
(scikit-learn's rule).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from dml._solvers._coordinate_descent import MESSAGE_CONV
from dml._solvers._penalties import enet_duality_gap, soft_threshold
from dml._solvers._result import SolverResult

#: Power iterations used to bound the largest eigenvalue of Xc^T W Xc (FISTA's step).
POWER_ITERATIONS = 12


def power_iteration(matvec, p, n_iter=POWER_ITERATIONS):
    """Estimate of the largest eigenvalue of a PSD operator (``matvec(v)``, v (p, 1)).

    Deterministic: starts from ``RandomState(0).normal(size=(p, 1))``.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._fista import power_iteration
    >>> A = np.diag([1.0, 5.0])
    >>> round(power_iteration(lambda v: A @ v, 2, n_iter=50), 6)
    5.0
    """
    v = np.random.RandomState(0).normal(size=(p, 1))
    v /= np.linalg.norm(v)
    lam = 0.0
    for _ in range(n_iter):
        Sv = matvec(v)
        lam = float(np.linalg.norm(Sv))
        if lam == 0:
            break
        v = Sv / lam
    return lam


def _step(Xk, gk, X_prev, g_prev, tk, l1, l2, L, positive):
    """One FISTA step from the prox point ``Xk``: ``(X_new, t_next)``."""
    if X_prev is None:
        Y, gY = Xk, gk
        t_next = 1.0
    else:
        t_next = (1.0 + np.sqrt(1.0 + 4.0 * tk * tk)) / 2.0
        beta = (tk - 1.0) / t_next
        Y = Xk + beta * (Xk - X_prev)
        gY = (1.0 + beta) * gk - beta * g_prev
    grad = -gY + l2 * Y
    return soft_threshold(Y - grad / L, l1 / L, positive), t_next


def fista(residual, rhs, yy, *, l1, l2, lipschitz, n, tol, max_iter, positive=False, coef_init=None):
    """Minimise ``1/2 ||yc - Xc B||_W^2 + l1 ||B||_1 + l2/2 ||B||^2`` column by column.

    Parameters
    ----------
    residual : callable
        ``residual(B) -> (g, rr)``: ``g = Xc^T W r`` (p, t) and ``rr = ||r||_W^2`` (t,)
        for ``r = yc - Xc B``; one pass over the data per call.
    rhs : ndarray of shape (p, t)
        ``Xc^T W yc``.
    yy : ndarray of shape (t,)
        ``||yc||_W^2``.
    l1, l2 : float
        Unnormalised penalties.
    lipschitz : float
        Lipschitz constant of the smooth part's gradient (step ``1 / lipschitz``).
    n : float
        Sum of the weights: the history and the gaps are divided by it.
    tol, max_iter : float, int
        Stop when every column's gap is below ``tol * yy``.
    positive : bool, default=False
    coef_init : ndarray of shape (p, t), default=None

    Returns
    -------
    SolverResult
        ``coef`` (p, t), ``dual_gap`` (t,) normalised by ``n``, ``n_iter`` (a list, the
        same count per column), ``converged`` (t,) and the normalised objective per
        column after every iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._fista import fista
    >>> X = np.eye(2); y = np.array([[3.0], [0.5]])
    >>> def residual(B):
    ...     r = y - X @ B
    ...     return X.T @ r, np.sum(r * r, axis=0)
    >>> res = fista(residual, X.T @ y, np.sum(y * y, axis=0), l1=1.0, l2=0.0, lipschitz=1.0,
    ...             n=1.0, tol=1e-10, max_iter=100)
    >>> res.coef.ravel().tolist(), bool(res.converged.all())
    ([2.0, 0.0], True)
    """
    C = rhs
    p, t = C.shape
    Xk = np.zeros((p, t)) if coef_init is None else coef_init
    tol_abs = tol * yy
    gk, rr = residual(Xk)
    X_prev = g_prev = None
    tk = 1.0
    history = [[] for _ in range(t)]
    gap = np.full(t, np.inf)
    n_iter = 0
    prev_obj = np.full(t, np.inf)
    for n_iter in range(1, max_iter + 1):
        gap, primal = enet_duality_gap(Xk, gk, rr, yy - np.sum(Xk * C, axis=0), l1, l2, positive)
        for k in range(t):
            history[k].append(float(primal[k] / n))
        if np.all(gap <= tol_abs):
            break
        if np.any(primal > prev_obj):  # adaptive restart of the momentum
            tk, X_prev, g_prev = 1.0, None, None
        prev_obj = primal
        X_new, t_next = _step(Xk, gk, X_prev, g_prev, tk, l1, l2, lipschitz, positive)
        X_prev, g_prev, tk = Xk, gk, t_next
        Xk = X_new
        gk, rr = residual(Xk)
    else:
        gap, primal = enet_duality_gap(Xk, gk, rr, yy - np.sum(Xk * C, axis=0), l1, l2, positive)
        if np.any(gap > tol_abs):
            warnings.warn(
                f"{MESSAGE_CONV} Duality gap: {float(np.max(gap)):.6e}, tolerance: "
                f"{float(np.min(tol_abs)):.3e}",
                ConvergenceWarning,
                stacklevel=4,
            )
    return SolverResult(
        coef=Xk, dual_gap=gap / n, n_iter=[n_iter] * t, converged=gap <= tol_abs, objective_history=history
    )
