"""L-BFGS with scikit-learn's settings, on a callable objective (one pass per call)."""

from __future__ import annotations

import numpy as np
from scipy import optimize

from dml._compat.sklearn import check_optimize_result
from dml._solvers._result import SolverResult


def lbfgs(func, coef0, *, tol, max_iter, verbose=0, name="lbfgs", callback=None):
    """Minimise ``func(coef) -> (loss, grad)`` by L-BFGS-B with scikit-learn's settings.

    ``maxls=50``, ``gtol=tol``, ``ftol=64 * eps`` (as scikit-learn's ``lbfgs``
    solvers); non-convergence warns as scikit-learn does.

    Parameters
    ----------
    func : callable
        ``func(coef) -> (loss, grad)``; each call is typically one pass over the data.
    coef0 : ndarray of shape (n_coef,)
    tol : float
        Largest gradient component at which to stop (``gtol``).
    max_iter : int
    verbose : int, default=0
        Positive values print the objective after every iteration.
    name : str, default="lbfgs"
        Shown in the verbose output.
    callback : callable, default=None
        Called with scipy's ``intermediate_result`` after every iteration.

    Returns
    -------
    SolverResult
        ``coef`` of shape (n_coef,), ``n_iter``, ``converged`` (scipy's status 0) and
        the objective after every iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._quasi_newton import lbfgs
    >>> res = lbfgs(lambda w: (float((w - 3.0) @ (w - 3.0)), 2 * (w - 3.0)), np.zeros(2),
    ...             tol=1e-8, max_iter=50)
    >>> res.coef.round(6).tolist(), bool(res.converged)
    ([3.0, 3.0], True)
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
    return SolverResult(coef=res.x, n_iter=n_iter, converged=res.status == 0, objective_history=history)
