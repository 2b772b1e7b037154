"""Squared-error fits on very wide data: the data-bound operators of the iterative solvers.

Used when ``n_features > GRAM_MAX_FEATURES`` (8192; see ``dml.linear_model._base``),
where a (p, p) Gram matrix per task would not fit, or when asked for
(``Ridge(solver='sparse_cg')``). The data stay on the workers; one pass gives the means
and ``Xc^T W yc``, then every iteration of the solver is one round trip that ships the
(p, t) coefficients out and brings a (p, t) gradient back:

- Ridge / LinearRegression: :func:`dml._solvers._conjugate_gradient.conjugate_gradient`
  on ``(Xc^T W Xc + alpha I) B = Xc^T W yc``, every target at once;
- ElasticNet / Lasso: :func:`dml._solvers._fista.fista`, its step bounded by a power
  iteration on ``Xc^T W Xc``.

The functions here take the data handle and plain values, and return the solver's
:class:`~dml._solvers._result.SolverResult` with ``intercept`` set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dml._engine.inputs import raise_if_not_finite
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import to_numpy
from dml._solvers._conjugate_gradient import conjugate_gradient
from dml._solvers._fista import fista, power_iteration
from dml.linear_model._base import alpha_vector, check_sample_weights
from dml.linear_model._wide_kernels import wide_matvec_kernel, wide_moments_kernel


@dataclass
class WideMoments:
    """The first pass of a wide fit: sum of weights ``n``, rows, the means, ``C = Xc^T W
    yc`` (p, t) and ``yy = ||yc||_W^2`` (t,) (about the origin without intercept)."""

    n: float
    n_rows: int
    x_mean: np.ndarray
    y_mean: np.ndarray
    C: np.ndarray
    yy: np.ndarray

    def intercept(self, B, fit_intercept):
        """``y_mean - B^T x_mean`` (t,) for coefficients ``B`` (p, t); zeros without
        an intercept."""
        if fit_intercept:
            return self.y_mean - B.T @ self.x_mean
        return np.zeros(B.shape[1])


def wide_moments(data, fit_intercept):
    """One pass: means, ``C = Xc^T W yc`` (p, t) and ``yy = ||yc||_W^2`` (t,)."""
    m = {k: to_numpy(v) for k, v in map_reduce(wide_moments_kernel, data).items()}
    raise_if_not_finite(data, m["sxy"], m["syy"], m["sx"])
    check_sample_weights(data, negative=m["w_neg"], nonzero=m["w_nonzero"])
    n = float(m["n"])
    p = m["sx"].shape[0]
    if fit_intercept:
        x_mean, y_mean = m["sx"] / n, m["sy"] / n
        C = m["sxy"] - n * np.outer(x_mean, y_mean)
        yy = m["syy"] - n * y_mean**2
    else:
        x_mean, y_mean = np.zeros(p), np.zeros(m["sy"].shape[0])
        C, yy = m["sxy"], m["syy"]
    return WideMoments(
        n=n, n_rows=int(m["n_rows"]), x_mean=x_mean, y_mean=y_mean, C=C, yy=np.maximum(yy, 0.0)
    )


def _pass(data, B, mo, residual=False):
    out = map_reduce(wide_matvec_kernel, data, broadcast=(B, mo.x_mean, mo.y_mean), residual=residual)
    return {k: to_numpy(v) for k, v in out.items()}


def ridge_cg(data, *, alpha, fit_intercept, tol, max_iter=None):
    """Ridge (``alpha=0``: least squares, the minimum-norm solution) by distributed CG.

    Returns
    -------
    SolverResult
        ``coef`` (p, t), ``intercept`` (t,), ``n_iter`` (t,), and the objective
        ``||yc - Xc B||_W^2 + alpha ||B||^2`` per target after every iteration.
    """
    mo = wide_moments(data, fit_intercept)
    res = conjugate_gradient(
        lambda P: _pass(data, P, mo)["g"],
        mo.C,
        shift=alpha_vector(alpha, mo.C.shape[1]),
        yy=mo.yy,
        tol=tol,
        max_iter=max_iter,
    )
    res.intercept = mo.intercept(res.coef, fit_intercept)
    return res


def enet_fista(data, *, alpha, l1_ratio, fit_intercept, positive, tol, max_iter, coef_init=None):
    """ElasticNet by distributed FISTA.

    ``coef_init`` (t, p) or None (zeros): the warm start. Returns the solver's
    :class:`~dml._solvers._result.SolverResult` (``coef`` (p, t), ``dual_gap`` per
    target in scikit-learn's normalisation) with ``intercept`` (t,).
    """
    mo = wide_moments(data, fit_intercept)
    C, n = mo.C, mo.n
    p, t = C.shape
    if positive and t > 1:
        raise ValueError("positive=True is not allowed for multi-output (y.ndim != 1)")
    lam = power_iteration(lambda v: _pass(data, v, mo)["g"], p)
    l1 = alpha * l1_ratio * n
    l2 = alpha * (1.0 - l1_ratio) * n
    L = 1.05 * lam + l2  # Lipschitz constant of the smooth part (unnormalised)
    Xk = None
    if coef_init is not None and np.size(coef_init) == p * t:
        Xk = np.asarray(coef_init, dtype=np.float64).reshape(t, p).T.copy()

    def residual(B):
        out = _pass(data, B, mo, residual=True)
        return out["g"], out["rr"]

    res = fista(
        residual,
        C,
        mo.yy,
        l1=l1,
        l2=l2,
        lipschitz=L,
        n=n,
        tol=tol,
        max_iter=max_iter,
        positive=positive,
        coef_init=Xk,
    )
    res.intercept = mo.intercept(res.coef, fit_intercept)
    return res
