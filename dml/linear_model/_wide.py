"""Distributed iterative solvers for squared-error models on very wide data.

Used when ``n_features > GRAM_MAX_FEATURES`` (8192; see ``dml.linear_model._base``),
where a (p, p) Gram matrix per task would not fit, or when asked for
(``Ridge(solver='sparse_cg')``). The data stay on the workers; each iteration is one
round trip that ships the (p, t) coefficients out and brings a (p, t) gradient back.

- Ridge: conjugate gradient on ``(Xc^T W Xc + alpha I) B = Xc^T W yc``, every target
  at once (column-wise step sizes), stopping at ``||residual|| <= tol ||rhs||``.
- ElasticNet / Lasso: FISTA (accelerated proximal gradient) with adaptive restart.
  The pass evaluates the gradient at the prox point ``X_k`` (sparse), so the exact
  duality gap is known there; the gradient at the extrapolated point follows by
  linearity. Stops when the gap is below ``tol * ||yc||^2`` (scikit-learn's rule).
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from dml._engine.inputs import raise_if_not_finite
from dml._engine.mapreduce import map_reduce
from dml._engine.namespace import to_numpy
from dml.linear_model._cd_solver import MESSAGE_CONV
from dml.linear_model._wide_kernels import wide_matvec_kernel, wide_moments_kernel

#: Power iterations used to bound the largest eigenvalue of Xc^T W Xc (FISTA's step).
POWER_ITERATIONS = 12


def wide_moments(data, fit_intercept):
    """One pass: means, ``C = Xc^T W yc`` (p, t) and ``yy = ||yc||_W^2`` (t,)."""
    m = {k: to_numpy(v) for k, v in map_reduce(wide_moments_kernel, data).items()}
    raise_if_not_finite(data, m["sxy"], m["syy"], m["sx"])
    if data.sample_weight is not None:
        if int(m["w_neg"]):
            raise ValueError("Negative values in data passed to `sample_weight`")
        if int(m["w_nonzero"]) == 0:
            raise ValueError("Sample weights must contain at least one non-zero number.")
    n = float(m["n"])
    p = m["sx"].shape[0]
    if fit_intercept:
        x_mean, y_mean = m["sx"] / n, m["sy"] / n
        C = m["sxy"] - n * np.outer(x_mean, y_mean)
        yy = m["syy"] - n * y_mean**2
    else:
        x_mean, y_mean = np.zeros(p), np.zeros(m["sy"].shape[0])
        C, yy = m["sxy"], m["syy"]
    return SimpleNamespace(n=n, n_rows=int(m["n_rows"]), x_mean=x_mean, y_mean=y_mean, C=C,
                           yy=np.maximum(yy, 0.0))


def _matvec(data, B, mo, residual=False):
    out = map_reduce(wide_matvec_kernel, data, broadcast=(B, mo.x_mean, mo.y_mean), residual=residual)
    return {k: to_numpy(v) for k, v in out.items()}


def ridge_cg(estimator, data):
    """Ridge by distributed conjugate gradient.

    Returns ``(coef (t, p), n_iter (t,), means, objective history per target)``.
    """
    from dml.linear_model._ridge import _alpha_vector

    mo = wide_moments(data, estimator.fit_intercept)
    C = mo.C
    p, t = C.shape
    alphas = _alpha_vector(estimator.alpha, t)
    max_iter = estimator.max_iter if estimator.max_iter is not None else 10 * p
    B = np.zeros((p, t))
    R = C.copy()
    P = R.copy()
    gamma = np.sum(R * R, axis=0)
    stop = (estimator.tol * np.sqrt(np.sum(C * C, axis=0))) ** 2
    n_iter = np.zeros(t, dtype=np.int32)
    history = [[] for _ in range(t)]
    active = gamma > stop
    it = 0
    while active.any() and it < max_iter:
        it += 1
        AP = _matvec(data, P, mo)["g"] + alphas[None, :] * P
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
        obj = mo.yy - np.sum(C * B, axis=0) - np.sum(B * R, axis=0)
        for k in np.flatnonzero(active):
            history[k].append(float(obj[k]))
        active = active & (gamma > stop)
    if active.any():
        warnings.warn(
            f"The conjugate gradient did not converge in {max_iter} iterations; increase "
            "max_iter or tol.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return B.T, n_iter, mo, history


def _soft(Z, thr, positive):
    if positive:
        return np.maximum(Z - thr, 0.0)
    return np.sign(Z) * np.maximum(np.abs(Z) - thr, 0.0)


def _gap_and_objective(B, g, rr, C, yy, l1, l2, positive):
    """Duality gap and primal (unnormalised) per target, at B, from the pass results.

    ``g = Xc^T W r``, ``rr = ||r||_W^2`` with ``r = yc - Xc B``.
    """
    w_l1 = np.abs(B).sum(axis=0)
    w_l2 = (B * B).sum(axis=0)
    primal = 0.5 * (rr + l2 * w_l2) + l1 * w_l1
    Ry = yy - np.sum(B * C, axis=0)
    XtA = g - l2 * B
    if l1 == 0:
        dn = np.sum(g * g, axis=0)
        if l2 == 0:
            return dn, primal
        return rr + 0.5 * l2 * w_l2 - Ry + dn / (2 * l2), primal
    dn = XtA.max(axis=0) if positive else np.abs(XtA).max(axis=0)
    scale = np.where(dn > l1, l1 / np.where(dn > 0, dn, 1.0), 1.0)
    dual = -0.5 * scale**2 * (rr + l2 * w_l2) + scale * Ry
    return primal - dual, primal


def enet_fista(estimator, data, *, max_iter):
    """ElasticNet by distributed FISTA. Returns what ``ElasticNet.fit`` stores."""
    mo = wide_moments(data, estimator.fit_intercept)
    C, yy, n = mo.C, mo.yy, mo.n
    p, t = C.shape
    if estimator.positive and t > 1:
        raise ValueError("positive=True is not allowed for multi-output (y.ndim != 1)")
    # Largest eigenvalue of Xc^T W Xc by power iteration (a few passes).
    v = np.random.RandomState(0).normal(size=(p, 1))
    v /= np.linalg.norm(v)
    lam = 0.0
    for _ in range(POWER_ITERATIONS):
        Sv = _matvec(data, v, mo)["g"]
        lam = float(np.linalg.norm(Sv))
        if lam == 0:
            break
        v = Sv / lam
    l1 = estimator.alpha * estimator.l1_ratio * n
    l2 = estimator.alpha * (1.0 - estimator.l1_ratio) * n
    L = 1.05 * lam + l2  # Lipschitz constant of the smooth part (unnormalised)
    if estimator.warm_start and hasattr(estimator, "coef_") and np.size(estimator.coef_) == p * t:
        Xk = np.asarray(estimator.coef_, dtype=np.float64).reshape(t, p).T.copy()
    else:
        Xk = np.zeros((p, t))
    tol_abs = estimator.tol * yy
    out = _matvec(data, Xk, mo, residual=True)
    gk, rr = out["g"], out["rr"]
    X_prev = g_prev = None
    tk = 1.0
    history = [[] for _ in range(t)]
    gap = np.full(t, np.inf)
    n_iter = 0
    prev_obj = np.full(t, np.inf)
    for n_iter in range(1, max_iter + 1):
        gap, primal = _gap_and_objective(Xk, gk, rr, C, yy, l1, l2, estimator.positive)
        for k in range(t):
            history[k].append(float(primal[k] / n))
        if np.all(gap <= tol_abs):
            break
        if np.any(primal > prev_obj):  # adaptive restart of the momentum
            tk, X_prev, g_prev = 1.0, None, None
        prev_obj = primal
        if X_prev is None:
            Y, gY = Xk, gk
            t_next = 1.0
        else:
            t_next = (1.0 + np.sqrt(1.0 + 4.0 * tk * tk)) / 2.0
            beta = (tk - 1.0) / t_next
            Y = Xk + beta * (Xk - X_prev)
            gY = (1.0 + beta) * gk - beta * g_prev
        grad = -gY + l2 * Y
        X_new = _soft(Y - grad / L, l1 / L, estimator.positive)
        X_prev, g_prev, tk = Xk, gk, t_next
        Xk = X_new
        out = _matvec(data, Xk, mo, residual=True)
        gk, rr = out["g"], out["rr"]
    else:
        gap, primal = _gap_and_objective(Xk, gk, rr, C, yy, l1, l2, estimator.positive)
        if np.any(gap > tol_abs):
            warnings.warn(
                f"{MESSAGE_CONV} Duality gap: {float(np.max(gap)):.6e}, tolerance: "
                f"{float(np.min(tol_abs)):.3e}",
                ConvergenceWarning,
                stacklevel=3,
            )
    return Xk.T, list(gap / n), [n_iter] * t, history, mo
