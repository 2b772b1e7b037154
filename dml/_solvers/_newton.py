"""Newton-Cholesky on a callable objective that returns loss, gradient and Hessian.

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
from sklearn.exceptions import ConvergenceWarning

from dml._solvers._quasi_newton import lbfgs
from dml._solvers._result import SolverResult


class Multinomial:
    """Index bookkeeping for the multinomial's singular directions (class-major coef).

    The multinomial loss is invariant to adding one vector to every class's
    coefficients; scikit-learn fixes that direction by holding the last class's
    coefficients (unpenalised) or intercept (penalised, with intercept) at zero during
    the solve and re-centring afterwards.

    Parameters
    ----------
    n_classes : int
    n_dof : int
        Coefficients per class (``n_features + fit_intercept``).
    fit_intercept : bool
    penalized : bool
        Whether the coefficients carry an L2 / L1 penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._newton import Multinomial
    >>> m = Multinomial(3, 2, fit_intercept=True, penalized=True)
    >>> m.fixed.tolist(), m.setup(np.arange(6.0)).tolist()
    ([5], [0.0, -4.0, 2.0, -2.0, 4.0, 0.0])
    """

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
        """Move ``coef`` (flat) onto the solver's subspace (fixed entries zero)."""
        c = coef.reshape(self.K, self.q).copy()
        if self.no_penalty:
            c -= c[-1, :]
        elif self.with_intercept:
            c[:, -1] -= c[-1, -1]
        return c.ravel()

    def finalize(self, coef):
        """scikit-learn's symmetric (mean-zero) representative of the solution."""
        c = coef.reshape(self.K, self.q).copy()
        if self.no_penalty:
            c -= c.mean(axis=0)
        elif self.with_intercept:
            c[:, -1] -= c[:, -1].mean()
        return c.ravel()


def _newton_direction(grad, hess, multinomial, *, name, iteration):
    """The Newton step ``d`` and the gradient it is measured against (fixed entries
    zeroed), or ``(None, grad)`` when the Hessian is singular (warned)."""
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
        return None, grad
    if free is None:
        return step, grad
    d = np.zeros_like(grad)
    d[free] = step
    return d, grad


def _line_search(evaluate, coef, d, loss, grad, g_dot_d, eps):
    """Backtracking (Armijo, tiny-improvement rule); each trial is one pass returning
    loss, gradient and Hessian. Returns ``(trial, loss, grad, hess, hwarn, t)`` of the
    accepted point, or None after 21 halvings."""
    beta, sigma = 0.5, 0.00048828125
    t = 1.0
    armijo = sigma * g_dot_d
    sum_abs_grad_old = -1.0
    for _ in range(21):
        trial = coef + t * d
        loss_t, grad_t, hess_t, hwarn_t = evaluate(trial, hessian=True)
        improvement = loss_t - loss
        if improvement <= t * armijo:
            return trial, loss_t, grad_t, hess_t, hwarn_t, t
        if abs(improvement) <= abs(loss * eps):
            if sum_abs_grad_old < 0:
                sum_abs_grad_old = float(np.sum(np.abs(grad)))
            if float(np.sum(np.abs(grad_t))) < sum_abs_grad_old:
                return trial, loss_t, grad_t, hess_t, hwarn_t, t
        t *= beta
    return None


def newton_cholesky(
    evaluate,
    coef0,
    *,
    tol,
    max_iter,
    verbose=0,
    multinomial=None,
    eps=16 * np.finfo(np.float64).eps,
    name="NewtonCholeskySolver",
):
    """Newton's method with a Cholesky-type solve and backtracking line search.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(coef, hessian=True) -> (loss, grad, hess, hessian_warning)`` of the
        scaled, penalised objective; with ``hessian=False`` ``hess`` may be None. Each
        call is one pass over the data.
    coef0 : ndarray of shape (n_coef,)
    tol, max_iter, verbose : as scikit-learn
    multinomial : Multinomial or None
    eps : float
        ``16 * finfo(X.dtype).eps`` (the line search's tiny-improvement threshold).
    name : str
        Named in the warnings.

    Returns
    -------
    SolverResult
        ``coef`` of shape (n_coef,), ``n_iter``, ``converged`` and the objective
        after every iteration (including those of an L-BFGS fallback).

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._newton import newton_cholesky
    >>> def evaluate(w, hessian=True):  # (w - 1)^2 / 2 per coordinate
    ...     return float((w - 1) @ (w - 1)) / 2, w - 1, np.eye(2), False
    >>> res = newton_cholesky(evaluate, np.zeros(2), tol=1e-8, max_iter=10)
    >>> res.coef.tolist(), res.n_iter, bool(res.converged)
    ([1.0, 1.0], 2, True)
    """
    coef = np.asarray(coef0, dtype=np.float64).copy()
    if multinomial is not None:
        coef = multinomial.setup(coef)
    loss, grad, hess, hwarn = evaluate(coef, hessian=True)
    history = []
    iteration = 1
    converged = fallback = False
    while iteration <= max_iter and not converged:
        if verbose:
            print(f"Newton iter={iteration}")
        if hwarn:
            warnings.warn(
                f"The inner solver of {name} detected a pointwise hessian with many "
                f"negative values at iteration #{iteration}. It will now resort to "
                "lbfgs instead.",
                ConvergenceWarning,
            )
            fallback = True
            break
        d, grad = _newton_direction(grad, hess, multinomial, name=name, iteration=iteration)
        if d is None:
            fallback = True
            break
        g_dot_d = float(grad @ d)
        if g_dot_d > 0:
            if verbose:
                print(
                    "  The inner solver found a Newton step that is not a descent "
                    "direction and resorts to LBFGS steps instead."
                )
            fallback = True
            break
        accepted = _line_search(evaluate, coef, d, loss, grad, g_dot_d, eps)
        if accepted is None:
            warnings.warn(
                f"Line search of Newton solver {name} at iteration #{iteration} did not "
                "converge after 21 line search refinement iterations. It will now resort "
                "to lbfgs instead.",
                ConvergenceWarning,
            )
            fallback = True
            break
        hess_old = hess
        coef, loss, grad, hess, hwarn, t = accepted
        history.append(float(loss))
        if verbose:
            print(f"  objective={loss:.10g} step={t}")
        # convergence: max|grad| <= tol and half the Newton decrement <= tol
        if np.max(np.abs(grad)) <= tol:
            if 0.5 * float(d @ hess_old @ d) <= tol:
                converged = True
        iteration += 1
    if fallback and not converged:
        more = lbfgs(
            lambda c: evaluate(c, hessian=False)[:2],
            coef,
            tol=tol,
            max_iter=max(max_iter - iteration, 1),
            verbose=verbose,
        )
        coef, converged = more.coef, more.converged
        iteration += more.n_iter
        history.extend(more.objective_history)
    elif not converged:
        warnings.warn(f"Newton solver did not converge after {iteration - 1} iterations.", ConvergenceWarning)
    if multinomial is not None:
        coef = multinomial.finalize(coef)
    return SolverResult(coef=coef, n_iter=iteration - 1, converged=converged, objective_history=history)
