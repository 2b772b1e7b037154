"""Second-order and quasi-Newton drivers for the linear models, on distributed passes.

The drivers keep the small state (coefficients, gradient, Hessian) in the calling
process and ask an ``evaluate(coef, hessian)`` callback for the objective; each call
is one :func:`~dml._engine.mapreduce.map_reduce` pass over the data that returns the
loss, the gradient and (for Newton) the Hessian together.

:func:`newton_cholesky` mirrors scikit-learn's ``NewtonCholeskySolver``
(``sklearn/linear_model/_glm/_newton_solver.py``): the same Newton step by a
symmetric solve, the same backtracking line search (Armijo with ``sigma = 2**-11``,
21 halvings at most, the tiny-improvement rule), the same stopping rule
(``max|grad| <= tol`` and half the Newton decrement ``<= tol``), the same handling of
the multinomial's singular Hessian and the same L-BFGS fallback. The difference is the
bookkeeping of passes: every trial point of the line search returns its gradient *and
Hessian*, so when the full step is accepted (the usual case) the next iteration needs
no further pass: one pass per Newton iteration.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg
from scipy import optimize
from sklearn.exceptions import ConvergenceWarning

from dml._compat.sklearn import check_optimize_result


class _Multinomial:
    """Index bookkeeping for the multinomial's singular directions (class-major coef)."""

    def __init__(self, n_classes, n_dof, fit_intercept, penalized):
        self.K, self.q = n_classes, n_dof
        self.fit_intercept = fit_intercept
        self.no_penalty = not penalized
        self.with_intercept = penalized and fit_intercept
        if self.no_penalty:
            self.fixed = np.arange((self.K - 1) * self.q, self.K * self.q)
        elif self.with_intercept:
            self.fixed = np.array([(self.K - 1) * self.q + self.q - 1])
        else:
            self.fixed = np.array([], dtype=int)
        mask = np.ones(self.K * self.q, dtype=bool)
        mask[self.fixed] = False
        self.free = mask

    def setup(self, coef):
        c = coef.reshape(self.K, self.q).copy()
        if self.no_penalty:
            c -= c[-1, :]
        elif self.with_intercept:
            c[:, -1] -= c[-1, -1]
        return c.ravel()

    def finalize(self, coef):
        c = coef.reshape(self.K, self.q).copy()
        if self.no_penalty:
            c -= c.mean(axis=0)
        elif self.with_intercept:
            c[:, -1] -= c[:, -1].mean()
        return c.ravel()


def lbfgs(func, coef0, *, tol, max_iter, verbose=0, name="lbfgs", callback=None):
    """scikit-learn's L-BFGS settings on ``func(coef) -> (loss, grad)``.

    Returns ``(coef, n_iter, objective_history)``.
    """
    history = []

    def cb(intermediate_result):
        history.append(float(intermediate_result.fun))
        if callback is not None:
            callback(intermediate_result)
        if verbose:
            print(f"[{name}] iteration {len(history)}: objective={intermediate_result.fun:.10g}")

    with np.errstate(over="ignore"):
        res = optimize.minimize(
            func,
            coef0,
            method="L-BFGS-B",
            jac=True,
            options={
                "maxiter": max_iter,
                "maxls": 50,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
            },
            callback=cb,
        )
    n_iter = check_optimize_result("lbfgs", res, max_iter)
    return res.x, n_iter, history


def newton_cholesky(evaluate, coef0, *, tol, max_iter, verbose=0, multinomial=None,
                    eps=16 * np.finfo(np.float64).eps, name="NewtonCholeskySolver"):
    """Newton's method with a Cholesky-type solve and backtracking line search.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(coef, hessian=True) -> (loss, grad, hess, hessian_warning)`` of the
        scaled, penalised objective; with ``hessian=False`` ``hess`` may be None. Each
        call is one pass over the data.
    coef0 : ndarray of shape (n_coef,)
    tol, max_iter, verbose : as scikit-learn
    multinomial : _Multinomial or None
    eps : float
        ``16 * finfo(X.dtype).eps`` (the line search's tiny-improvement threshold).

    Returns
    -------
    coef : ndarray of shape (n_coef,)
    n_iter : int
    objective_history : list of float
        The objective after every iteration.
    """
    coef = np.asarray(coef0, dtype=np.float64).copy()
    if multinomial is not None:
        coef = multinomial.setup(coef)
    loss, grad, hess, hwarn = evaluate(coef, hessian=True)
    history = []
    iteration = 1
    converged = False
    fallback = False
    while iteration <= max_iter and not converged:
        if verbose:
            print(f"Newton iter={iteration}")
        if hwarn:
            warnings.warn(
                f"The inner solver of {name} detected a pointwise hessian with many "
                f"negative values at iteration #{iteration}. It will now resort to lbfgs "
                "instead.",
                ConvergenceWarning,
            )
            fallback = True
            break
        # ---- inner solve
        if multinomial is not None and len(multinomial.fixed):
            grad = grad.copy()
            grad[multinomial.fixed] = 0.0
            free = multinomial.free
            g_in, h_in = grad[free], hess[np.ix_(free, free)]
        else:
            free = None
            g_in, h_in = grad, hess
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
                step = scipy.linalg.solve(h_in, -g_in, check_finite=False, assume_a="sym")
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning) as e:
            warnings.warn(
                f"The inner solver of {name} stumbled upon a singular or very "
                f"ill-conditioned Hessian matrix at iteration {iteration}. It will now "
                "resort to lbfgs instead.\nFurther options are to use another solver or to "
                "avoid such situation in the first place. Possible remedies are removing "
                "collinear features of X or increasing the penalization strengths.\n"
                "The original Linear Algebra message was:\n" + str(e),
                scipy.linalg.LinAlgWarning,
            )
            fallback = True
            break
        if free is not None:
            d = np.zeros_like(coef)
            d[free] = step
        else:
            d = step
        g_dot_d = float(grad @ d)
        if g_dot_d > 0:
            if verbose:
                print("  The inner solver found a Newton step that is not a descent "
                      "direction and resorts to LBFGS steps instead.")
            fallback = True
            break
        # ---- backtracking line search (each trial: one pass, loss + grad + Hessian)
        beta, sigma = 0.5, 0.00048828125
        t = 1.0
        armijo = sigma * g_dot_d
        sum_abs_grad_old = -1.0
        ok = False
        for _ in range(21):
            trial = coef + t * d
            loss_t, grad_t, hess_t, hwarn_t = evaluate(trial, hessian=True)
            improvement = loss_t - loss
            if improvement <= t * armijo:
                ok = True
                break
            if abs(improvement) <= abs(loss * eps):
                if sum_abs_grad_old < 0:
                    sum_abs_grad_old = float(np.sum(np.abs(grad)))
                if float(np.sum(np.abs(grad_t))) < sum_abs_grad_old:
                    ok = True
                    break
            t *= beta
        if not ok:
            warnings.warn(
                f"Line search of Newton solver {name} at iteration #{iteration} did not "
                "converge after 21 line search refinement iterations. It will now resort "
                "to lbfgs instead.",
                ConvergenceWarning,
            )
            fallback = True
            break
        hess_old = hess
        coef, loss, grad, hess, hwarn = trial, loss_t, grad_t, hess_t, hwarn_t
        history.append(float(loss))
        if verbose:
            print(f"  objective={loss:.10g} step={t}")
        # ---- convergence: max|grad| <= tol and half the Newton decrement <= tol
        if np.max(np.abs(grad)) <= tol:
            if 0.5 * float(d @ hess_old @ d) <= tol:
                converged = True
        iteration += 1
    if not converged:
        if fallback:
            remaining = max_iter - iteration
            coef, n_more, more = lbfgs(
                lambda c: evaluate(c, hessian=False)[:2], coef,
                tol=tol, max_iter=max(remaining, 1), verbose=verbose,
            )
            iteration += n_more
            history.extend(more)
        else:
            warnings.warn(
                f"Newton solver did not converge after {iteration - 1} iterations.",
                ConvergenceWarning,
            )
    iteration -= 1
    if multinomial is not None:
        coef = multinomial.finalize(coef)
    return coef, iteration, history
