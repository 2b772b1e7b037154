"""Truncated Newton ('newton-cg') on a callable objective and a Hessian-vector product.

Each outer iteration solves the Newton system ``H d = -g`` only approximately, by
conjugate gradient (:func:`~dml._solvers._conjugate_gradient.conjugate_gradient`),
where ``H`` is never formed: every CG step is one Hessian-vector product, which on
chunked data is one pass. The inner solve stops at the forcing-sequence tolerance
``||r|| <= min(0.5, sqrt(||g||)) ||g||`` (superlinear convergence, as scikit-learn's
``_newton_cg`` and Nocedal & Wright, "Numerical Optimization", algorithm 7.1), or after
``max_inner`` steps. A backtracking (Armijo) line search along ``d`` follows; each trial
is one loss-and-gradient pass, and the accepted trial's gradient is the next
iteration's, so an iteration costs ``1 + n_cg`` passes when the full step is accepted.

The stopping rule is scikit-learn's: the largest gradient component is at most
``tol``.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from dml._solvers._conjugate_gradient import conjugate_gradient
from dml._solvers._result import SolverResult


def newton_cg(
    evaluate,
    hessp,
    coef0,
    *,
    tol,
    max_iter,
    max_inner=200,
    verbose=0,
    name="newton-cg",
    callback=None,
):
    """Minimise a smooth convex objective by truncated Newton steps.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(coef) -> (loss, grad)``; one pass over the data per call.
    hessp : callable
        ``hessp(coef, v) -> H(coef) @ v``; one pass over the data per call.
    coef0 : ndarray of shape (n_coef,)
    tol : float
        Stop when ``max|grad| <= tol``.
    max_iter : int
        Maximum number of outer (Newton) iterations.
    max_inner : int, default=200
        Maximum conjugate-gradient steps per Newton system (scikit-learn's
        ``maxinner``).
    verbose : int, default=0
        Positive values print the objective after every iteration.
    name : str, default="newton-cg"
        Named in the warnings and the verbose output.
    callback : callable, default=None
        Called with the objective after every iteration.

    Returns
    -------
    SolverResult
        ``coef`` of shape (n_coef,), ``n_iter`` (outer iterations), ``converged`` and
        the objective after every iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._newton_cg import newton_cg
    >>> A = np.array([[3.0, 1.0], [1.0, 2.0]]); b = np.array([1.0, -1.0])
    >>> def evaluate(w):  # w.A w / 2 - b.w
    ...     return float(w @ A @ w / 2 - b @ w), A @ w - b
    >>> res = newton_cg(evaluate, lambda w, v: A @ v, np.zeros(2), tol=1e-10, max_iter=10)
    >>> np.allclose(res.coef, np.linalg.solve(A, b)), res.n_iter, bool(res.converged)
    (True, 3, True)
    """
    w = np.asarray(coef0, dtype=np.float64).copy()
    loss, grad = evaluate(w)
    history = []
    n_iter = 0
    converged = False
    sigma, beta = 1e-4, 0.5
    while True:
        if np.max(np.abs(grad), initial=0.0) <= tol:
            converged = True
            break
        if n_iter >= max_iter:
            break
        gnorm = float(np.linalg.norm(grad))
        forcing = min(0.5, np.sqrt(gnorm))
        inner = conjugate_gradient(
            lambda P, w=w: hessp(w, P[:, 0])[:, None],
            -grad[:, None],
            shift=np.zeros(1),
            yy=np.zeros(1),
            tol=forcing,
            max_iter=max_inner,
            warn=False,
        )
        d = inner.coef[:, 0]
        slope = float(grad @ d)
        if not np.isfinite(slope) or slope >= 0:
            d, slope = -grad, -float(grad @ grad)  # no descent direction: steepest descent
        t = 1.0
        for _ in range(40):
            trial = w + t * d
            loss_t, grad_t = evaluate(trial)
            if loss_t <= loss + sigma * t * slope:
                break
            if abs(loss_t - loss) <= 16 * np.finfo(np.float64).eps * abs(loss):
                break  # no measurable decrease left: the rounding floor of the loss
            t *= beta
        else:
            warnings.warn(
                f"Line Search failed in the {name} solver at iteration {n_iter + 1}.", ConvergenceWarning
            )
            break
        w, loss, grad = trial, loss_t, grad_t
        n_iter += 1
        history.append(float(loss))
        if callback is not None:
            callback(float(loss))
        if verbose:
            print(
                f"[{name}] iteration {n_iter}: objective={loss:.10g} step={t} cg_steps={int(inner.n_iter[0])}"
            )
    if not converged and n_iter >= max_iter:
        warnings.warn(
            f"{name} failed to converge at loss = {loss}. Increase the number of iterations.",
            ConvergenceWarning,
        )
    return SolverResult(coef=w, n_iter=n_iter, converged=converged, objective_history=history)
