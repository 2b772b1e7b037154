"""LogisticRegression's objective over row-chunked data, and the choice of its solver
(input already validated).

The objective is built here from the chunk kernels and the data handle; the
optimisation loops are :mod:`dml._solvers`'. All three solvers minimise scikit-learn's objective, scaled by ``1 / (C * sw_sum)``::

    sum_i s_i loss_i / sw_sum + (1 - r) / (2 C sw_sum) ||W||^2 + r / (C sw_sum) ||W||_1

(``s_i`` the sample times class weight, ``sw_sum = sum_i s_i``, ``r`` the effective
``l1_ratio``, intercepts unpenalised), so their tolerances mean what scikit-learn's do.

- ``lbfgs``: one fused loss + gradient pass per function evaluation.
- ``newton-cholesky``: one fused loss + gradient + Hessian pass per Newton iteration
  (plus one per line-search halving), see :mod:`dml._solvers._newton`.
- ``saga``: dml's proximal Newton (:mod:`dml._solvers._proximal`), one fused pass
  per iteration; with no L1 part it is the Newton-Cholesky solver.
"""

from __future__ import annotations

import numpy as np

from dml._engine.inputs import raise_if_not_finite
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import to_numpy
from dml._engine.runtime import progress_bar
from dml._solvers._newton import Multinomial, newton_cholesky
from dml._solvers._proximal import proximal_newton
from dml._solvers._quasi_newton import lbfgs
from dml.linear_model._base import PenalizedObjective
from dml.linear_model._glm_kernels import glm_kernel
from dml.linear_model._logistic_kernels import (
    binary_loss_grad_csr_kernel,
    binary_loss_grad_kernel,
    multinomial_loss_grad_kernel,
    multinomial_newton_kernel,
)


def make_objective(data, *, cw, l2, sw_sum, n_classes, fit_intercept, bar=None):
    """:class:`~dml.linear_model._base.PenalizedObjective` of the scaled smooth
    objective: ``evaluate(coef, hessian)``, one pass per call.

    ``coef`` is flat, class-major ``(K, q)`` (``K = 1`` for binary).
    """
    p = data.n_features
    q = p + int(fit_intercept)
    binary = n_classes == 2
    K = 1 if binary else n_classes
    pen = np.ones((K, q))
    if fit_intercept:
        pen[:, p] = 0.0
    pen = pen.ravel()

    def run(coef, hessian):
        if binary:
            if hessian:
                return map_reduce(
                    glm_kernel,
                    data,
                    broadcast=(coef, cw),
                    fit_intercept=fit_intercept,
                    family="binomial",
                    hessian=True,
                )
            return map_reduce(
                binary_loss_grad_kernel, data, broadcast=(coef, cw), fit_intercept=fit_intercept
            )
        kern = multinomial_newton_kernel if hessian else multinomial_loss_grad_kernel
        return map_reduce(
            kern, data, broadcast=(coef.reshape(K, q), cw), fit_intercept=fit_intercept, n_classes=n_classes
        )

    return PenalizedObjective(data, run, scale=sw_sum, l2=l2, pen=pen, bar=bar)


def fit_logistic(
    data,
    w0,
    *,
    cw,
    C,
    l1_ratio,
    sw_sum,
    n_classes,
    fit_intercept,
    solver,
    tol,
    max_iter,
    verbose,
    name="LogisticRegression",
):
    """Run the solver: a :class:`~dml._solvers._result.SolverResult` with ``coef`` flat,
    class-major ``(K, n_features + fit_intercept)``."""
    p = data.n_features
    q = p + int(fit_intercept)
    binary = n_classes == 2
    K = 1 if binary else n_classes
    strength = 0.0 if C == np.inf else 1.0 / (C * sw_sum)
    l2 = strength * (1.0 - l1_ratio)
    l1 = strength * l1_ratio
    eps = 16 * np.finfo(data.dtype).eps
    if solver == "lbfgs":
        return _lbfgs(data, w0, cw, l2, sw_sum, n_classes, fit_intercept, tol, max_iter, verbose, name)
    with progress_bar(max_iter, f"{name} ({solver})") as bar:
        evaluate = make_objective(
            data, cw=cw, l2=l2, sw_sum=sw_sum, n_classes=n_classes, fit_intercept=fit_intercept, bar=bar
        )
        multinomial = None if binary else Multinomial(K, q, fit_intercept, penalized=strength > 0)
        if solver == "newton-cholesky" or l1 == 0.0:
            return newton_cholesky(
                evaluate, w0, tol=tol, max_iter=max_iter, verbose=verbose, multinomial=multinomial, eps=eps
            )
        l1_vec = np.full((K, q), l1)
        if fit_intercept:
            l1_vec[:, p] = 0.0
        w = w0
        fixed = None
        if multinomial is not None:
            w = multinomial.setup(w0)
            fixed = multinomial.fixed
        res = proximal_newton(
            evaluate, w, l1_vec.ravel(), tol=tol, max_iter=max_iter, verbose=verbose, fixed=fixed
        )
        if multinomial is not None:
            res.coef = multinomial.finalize(res.coef)
        return res


def _lbfgs(data, w0, cw, l2, sw_sum, n_classes, fi, tol, max_iter, verbose, name):
    """L-BFGS on the loss-and-gradient kernels (no Hessian). Its objective is not a
    :class:`PenalizedObjective`: the L2 term sums over the coefficient block without
    the intercept column, the order its results (and L-BFGS's path) depend on."""
    p = data.n_features
    binary = n_classes == 2
    ncol = p + int(fi)
    if binary and data.sparse:
        # CSR chunks: each task folds its chunks' gradients into one, in place
        kernel, kw = binary_loss_grad_csr_kernel, {"fit_intercept": fi, "accumulate": True}
    elif binary:
        kernel, kw = binary_loss_grad_kernel, {"fit_intercept": fi}
    else:
        kernel, kw = multinomial_loss_grad_kernel, {"fit_intercept": fi, "n_classes": n_classes}
    state = {"checked": False}
    bar = progress_bar(max_iter, f"{name} (lbfgs)")

    def func(w):
        coef = w.reshape(-1, ncol)
        out = map_reduce(kernel, data, broadcast=(coef[0] if binary else coef, cw), **kw)
        loss, grad = to_numpy(out["loss"]), to_numpy(out["grad"])
        if not state["checked"]:
            raise_if_not_finite(data, loss, grad)
            state["checked"] = True
        grad = np.asarray(grad, dtype=np.float64).reshape(-1, ncol) / sw_sum
        loss = float(loss) / sw_sum
        beta = coef[:, :p]
        loss += 0.5 * l2 * float(np.sum(beta * beta))
        grad[:, :p] += l2 * beta
        return loss, grad.ravel()

    def callback(intermediate_result):
        bar.update(1)
        bar.set_postfix(loss=f"{intermediate_result.fun:.6g}")

    with bar:
        return lbfgs(func, w0, tol=tol, max_iter=max_iter, verbose=verbose, name=name, callback=callback)
