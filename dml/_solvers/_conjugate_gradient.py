"""Conjugate gradient on shifted normal equations, every right-hand side at once."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from dml._solvers._result import SolverResult


def conjugate_gradient(matvec, rhs, *, shift, yy, tol, max_iter=None, warn=True):
    """Solve ``(A + shift_t I) b_t = rhs_t`` for every column ``t`` by conjugate gradient.

    ``A`` (symmetric positive semi-definite, e.g. ``Xc^T W Xc``) is given only through
    ``matvec``, as :class:`scipy.sparse.linalg.LinearOperator` does, so a distributed
    operator costs one round trip per iteration. The columns share the iterations but
    have their own step sizes; a column stops when ``||residual|| <= tol ||rhs||``.

    Parameters
    ----------
    matvec : callable
        ``matvec(P) -> A @ P`` for ``P`` of shape (p, t).
    rhs : ndarray of shape (p, t)
    shift : ndarray of shape (t,)
        Ridge penalty per column.
    yy : ndarray of shape (t,)
        ``||yc||_W^2`` per column, for the objective ``yy - 2 rhs.b + b.(A + shift) b``.
    tol : float
    max_iter : int or None, default=None
        ``10 * p`` when None.
    warn : bool, default=True
        Warn (``ConvergenceWarning``) when a column is still above its tolerance after
        ``max_iter`` iterations. A truncated Newton solver, whose inner solves are
        inexact by design, passes False.

    Returns
    -------
    SolverResult
        ``coef`` (p, t), ``n_iter`` (t,), ``converged`` (t,) and the objective per
        column after each of its iterations.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._conjugate_gradient import conjugate_gradient
    >>> A = np.array([[2.0, 0.0], [0.0, 4.0]])
    >>> res = conjugate_gradient(lambda P: A @ P, np.array([[2.0], [4.0]]), shift=np.zeros(1),
    ...                          yy=np.array([10.0]), tol=1e-12)
    >>> res.coef.ravel().round(12).tolist(), res.n_iter.tolist()
    ([1.0, 1.0], [2])
    """
    C = rhs
    p, t = C.shape
    max_iter = 10 * p if max_iter is None else max_iter
    B = np.zeros((p, t))
    R = C.copy()
    P = R.copy()
    gamma = np.sum(R * R, axis=0)
    stop = (tol * np.sqrt(np.sum(C * C, axis=0))) ** 2
    n_iter = np.zeros(t, dtype=np.int32)
    history = [[] for _ in range(t)]
    active = gamma > stop
    it = 0
    while active.any() and it < max_iter:
        it += 1
        AP = matvec(P) + shift[None, :] * P
        pAp = np.sum(P * AP, axis=0)
        step = np.where(active & (pAp > 0), gamma / np.where(pAp > 0, pAp, 1.0), 0.0)
        B += step * P
        R -= step * AP
        new_gamma = np.sum(R * R, axis=0)
        beta = np.where(gamma > 0, new_gamma / np.where(gamma > 0, gamma, 1.0), 0.0)
        P = R + beta * P
        gamma = new_gamma
        n_iter[active] = it
        # objective ||yc - Xc B||_W^2 + alpha ||B||^2 = yy - C.B - B.R (as A B = C - R)
        obj = yy - np.sum(C * B, axis=0) - np.sum(B * R, axis=0)
        for k in np.flatnonzero(active):
            history[k].append(float(obj[k]))
        active = active & (gamma > stop)
    if warn and active.any():
        warnings.warn(
            f"The conjugate gradient did not converge in {max_iter} iterations; increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=4,
        )
    return SolverResult(coef=B, n_iter=n_iter, converged=~active, objective_history=history)
