"""Proximal Newton for L1 / elastic-net penalised linear models, on distributed passes.

Minimises ``F(w) = f(w) + sum_j l1_j |w_j|`` where ``f`` (the scaled data term plus the
L2 part of the penalty) is smooth. Every outer iteration:

1. uses the loss, gradient ``g`` and Hessian ``H`` of ``f`` at ``w`` (one pass over the
   data, fused: the same kernels as Newton-Cholesky);
2. solves the L1-penalised quadratic model
   ``min_z g.(z - w) + 1/2 (z - w)^T H (z - w) + sum_j l1_j |z_j|`` on the host by
   cyclic coordinate descent on the small ``H`` (no data access);
3. backtracks along ``d = z - w`` until ``F`` decreases by the Armijo amount
   ``sigma * t * (g.d + l1.(|w + d| - |w|))``; each trial is one pass, and returns the
   next iteration's gradient and Hessian with it.

It stops when the largest component of the minimum-norm subgradient of ``F`` is at
most ``tol``. This is the successive quadratic approximation of Lee, Sun & Saunders
("Proximal Newton-type methods", 2014), also known from glmnet's and newGLMNET's
outer loops; on tall data it needs a handful of passes where first-order proximal
methods need hundreds.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
from sklearn.exceptions import ConvergenceWarning

from dml._solvers._penalties import min_norm_subgradient, soft_threshold_scalar
from dml._solvers._result import SolverResult


def _active_set_solve(H, b, l1, z):
    """Exact minimiser for the sign pattern of ``z``, or None if it is not optimal.

    Solves ``H_AA z_A = -(b_A + l1_A sign(z_A))`` on the active set ``A`` (non-zero or
    unpenalised coordinates) and accepts it when the signs hold and every inactive
    coordinate satisfies ``|b_j + H_jA z_A| <= l1_j``.
    """
    active = (z != 0) | (l1 == 0)
    if not np.any(active):
        return None
    s = np.where(l1 > 0, np.sign(z), 0.0)
    A = np.flatnonzero(active)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            zA = scipy.linalg.solve(
                H[np.ix_(A, A)], -(b[A] + l1[A] * s[A]), assume_a="sym", check_finite=False
            )
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning, RuntimeWarning):
        return None
    pen = l1[A] > 0
    if np.any(np.sign(zA[pen]) != s[A][pen]):
        return None
    out = np.zeros_like(z)
    out[A] = zA
    inactive = np.flatnonzero(~active)
    if inactive.size:
        r = b[inactive] + H[np.ix_(inactive, A)] @ zA
        if np.any(np.abs(r) > l1[inactive] * (1 + 1e-12)):
            return None
    return out


def quadratic_l1_cd(H, b, l1, z0, *, tol, max_sweeps=300):
    """Minimise ``b.z + 1/2 z^T H z + sum_j l1_j |z_j|`` (``H`` small, PSD).

    Cyclic coordinate descent identifies the sign pattern; every few sweeps an exact
    solve on the active set is tried (:func:`_active_set_solve`) and returned when it
    satisfies the optimality conditions, so ill-conditioned ``H`` does not stall the
    sweeps. Otherwise stops when a sweep changes no coordinate by more than ``tol``
    in gradient units (``|dz_j| * H_jj``), or after ``max_sweeps`` sweeps.
    """
    z = np.array(z0, dtype=np.float64, copy=True)
    diag = np.diag(H).copy()
    Hz = H @ z
    n = z.size
    Hcols = [np.ascontiguousarray(H[:, j]) for j in range(n)]
    bl, l1l, dl = b.tolist(), l1.tolist(), diag.tolist()

    def sweep():
        biggest = 0.0
        for j in range(n):
            hjj = dl[j]
            if hjj <= 0.0:
                continue
            zj = z[j]
            r = bl[j] + Hz[j] - hjj * zj
            new = -soft_threshold_scalar(r, l1l[j]) / hjj if l1l[j] else -r / hjj
            delta = new - zj
            if delta != 0.0:
                z[j] = new
                Hz[:] += delta * Hcols[j]
                change = abs(delta) * hjj
                if change > biggest:
                    biggest = change
        return biggest

    for k in range(max_sweeps):
        if sweep() <= tol:
            return z
        if k % 5 == 4:
            exact = _active_set_solve(H, b, l1, z)
            if exact is not None:
                return exact
    return z


def proximal_newton(evaluate, coef0, l1, *, tol, max_iter, verbose=0, fixed=None, name="proximal Newton"):
    """Minimise ``f + sum_j l1_j |w_j|`` with ``evaluate(w, hessian=True) -> (f, g, H, _)``.

    Parameters
    ----------
    evaluate : callable
        One pass over the data per call: value, gradient and Hessian of the smooth part.
    coef0 : ndarray of shape (n_coef,)
    l1 : ndarray of shape (n_coef,)
        Per-coefficient L1 strength (0 for intercepts).
    fixed : ndarray of int, optional
        Coefficients held at their initial value (a singular direction of ``f``).
    tol : float
        Stop when the largest component of the minimum-norm subgradient is at most
        ``tol``.
    max_iter : int
    verbose : int, default=0
    name : str, default="proximal Newton"
        Named in the warnings and the verbose output.

    Returns
    -------
    SolverResult
        ``coef`` of shape (n_coef,), ``n_iter``, ``converged`` and the objective
        ``F`` after every iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._proximal import proximal_newton
    >>> def evaluate(w, hessian=True):  # (w - 2)^2 / 2 per coordinate
    ...     return float((w - 2) @ (w - 2)) / 2, w - 2, np.eye(2), False
    >>> res = proximal_newton(evaluate, np.zeros(2), np.array([1.0, 3.0]), tol=1e-8, max_iter=20)
    >>> res.coef.tolist(), bool(res.converged)
    ([1.0, 0.0], True)
    """
    w = np.asarray(coef0, dtype=np.float64).copy()
    l1 = np.asarray(l1, dtype=np.float64)
    free = np.ones(w.size, dtype=bool)
    if fixed is not None and len(fixed):
        free[fixed] = False
    f, g, H, _ = evaluate(w, hessian=True)
    F = f + float(l1 @ np.abs(w))
    history = []
    n_iter = 0
    converged = False
    sigma, beta = 1e-4, 0.5
    while n_iter < max_iter:
        sub = min_norm_subgradient(w, g, l1)[free]
        if np.max(np.abs(sub), initial=0.0) <= tol:
            converged = True
            break
        n_iter += 1
        Hf = H[np.ix_(free, free)]
        gf, wf, l1f = g[free], w[free], l1[free]
        b = gf - Hf @ wf
        z = quadratic_l1_cd(Hf, b, l1f, wf, tol=0.1 * tol)
        d = np.zeros_like(w)
        d[free] = z - wf
        delta = float(g @ d) + float(l1 @ (np.abs(w + d) - np.abs(w)))
        if not np.isfinite(delta) or delta >= 0:
            # no descent direction left: the quadratic model is optimal at w
            converged = True
            n_iter -= 1
            break
        t = 1.0
        for _ in range(40):
            trial = w + t * d
            f_t, g_t, H_t, _ = evaluate(trial, hessian=True)
            F_t = f_t + float(l1 @ np.abs(trial))
            if F_t <= F + sigma * t * delta or abs(F_t - F) <= 16 * np.finfo(float).eps * abs(F):
                break
            t *= beta
        else:
            warnings.warn(
                f"Line search of the {name} solver did not find a decrease at iteration {n_iter}; stopping.",
                ConvergenceWarning,
            )
            break
        w, f, g, H, F = trial, f_t, g_t, H_t, F_t
        history.append(float(F))
        if verbose:
            print(f"[{name}] iteration {n_iter}: objective={F:.10g} step={t}")
    if not converged and n_iter >= max_iter:
        sub = min_norm_subgradient(w, g, l1)[free]
        converged = bool(np.max(np.abs(sub), initial=0.0) <= tol)
        if not converged:
            warnings.warn(
                f"The {name} solver did not converge after {max_iter} iterations; increase max_iter.",
                ConvergenceWarning,
            )
    return SolverResult(coef=w, n_iter=n_iter, converged=converged, objective_history=history)
