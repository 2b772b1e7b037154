"""Coordinate descent for the elastic net on a Gram matrix (in memory).

Solves, for one target,

    minimise  (1/2) w^T Q w - q^T w + (1/2) yy + l1 ||w||_1 + (l2/2) ||w||^2

with ``Q = Xc^T W Xc``, ``q = Xc^T W yc``, ``yy = yc^T W yc`` from one pass over the
data, ``l1 = alpha * l1_ratio * sum(w)`` and ``l2 = alpha * (1 - l1_ratio) * sum(w)``:
scikit-learn's ``enet_coordinate_descent_gram`` problem, with the same coordinate
updates and the same stopping rule (largest coordinate change below ``tol`` relative
to the largest coefficient, then the duality gap below ``tol * yy``).

Two implementations: :func:`cd_gram` (NumPy, records the objective after every sweep;
used for single fits) and :func:`enet_path_gram` (a path of alphas with warm starts;
uses scikit-learn's compiled solver when available, as the CV estimators fit hundreds
of problems).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from dml._compat.sklearn import enet_coordinate_descent_gram as _compiled_cd

MESSAGE_CONV = (
    "Objective did not converge. You might want to increase the number of iterations, "
    "check the scale of the features or consider increasing regularisation."
)
MESSAGE_RIDGE = (
    "Linear regression models with a zero l1 penalization strength are more efficiently "
    "fitted using one of the solvers implemented in dml.linear_model.Ridge/RidgeCV "
    "instead."
)


def dual_gap(w, l1, l2, Qw, q, yy, positive):
    """Duality gap of the Gram problem at ``w`` (scikit-learn's formulations).

    Returns ``(gap, primal)``; ``primal`` is the objective above (unnormalised).
    """
    w_l1 = float(np.abs(w).sum())
    w_l2 = float(w @ w)
    q_w = float(q @ w)
    wQw = float(w @ Qw)
    R2 = yy + wQw - 2.0 * q_w
    primal = 0.5 * (R2 + l2 * w_l2) + l1 * w_l1
    Ry = yy - q_w
    if l1 == 0:
        XtA = q - Qw
        dn = float(XtA @ XtA)
        if l2 == 0:
            return dn, primal
        return R2 + 0.5 * l2 * w_l2 - Ry + dn / (2 * l2), primal
    XtA = q - Qw - l2 * w
    dn = float(XtA.max()) if positive else float(np.abs(XtA).max())
    scale = l1 / dn if dn > l1 else 1.0
    dual = -0.5 * scale**2 * (R2 + l2 * w_l2) + scale * Ry
    return primal - dual, primal


def cd_gram(w, l1, l2, Q, q, yy, *, max_iter, tol, rng=None, random=False,
            positive=False, n=1.0, warn=True):
    """Coordinate descent on the Gram matrix, recording the objective per sweep.

    Parameters
    ----------
    w : ndarray of shape (p,)
        Initial coefficients (modified in place).
    l1, l2 : float
        Unnormalised penalties (see the module docstring).
    Q, q, yy : Gram matrix (p, p), ``X^T y`` (p,), ``y^T y`` (float).
    max_iter, tol : int, float
        As scikit-learn: ``tol`` is relative to ``yy``.
    rng : numpy RandomState, used when ``random``.
    n : float
        Sum of weights; ``objective_history`` is divided by it (scikit-learn's
        normalised objective).

    Returns
    -------
    w, gap, tol_abs, n_iter, history (list of normalised objectives, one per sweep)
    """
    p = q.shape[0]
    Qw = Q @ w
    diag = np.diag(Q).tolist()
    qv = q.tolist()
    tol_abs = tol * yy
    history = []
    gap, _ = dual_gap(w, l1, l2, Qw, q, yy, positive)
    if 0 <= gap <= tol_abs:
        return w, gap, tol_abs, 0, history
    n_iter = 0
    converged = False
    for n_iter in range(max_iter):
        w_max = d_w_max = 0.0
        order = rng.randint(0, p, size=p).tolist() if random else range(p)
        for j in order:
            d = diag[j]
            if d == 0.0:
                continue
            w_j = w[j]
            tmp = qv[j] - Qw[j] + w_j * d
            if positive and tmp < 0:
                new = 0.0
            else:
                new = math.copysign(max(abs(tmp) - l1, 0.0), tmp) / (d + l2)
            if new != w_j:
                Qw += (new - w_j) * Q[j]
                w[j] = new
            d_w = abs(new - w_j)
            if d_w > d_w_max:
                d_w_max = d_w
            if abs(new) > w_max:
                w_max = abs(new)
        if w_max == 0.0 or d_w_max / w_max <= tol or n_iter == max_iter - 1:
            gap, primal = dual_gap(w, l1, l2, Qw, q, yy, positive)
            history.append(primal / n)
            if gap <= tol_abs:
                converged = True
                break
        else:
            history.append(_primal(w, l1, l2, Qw, q, yy) / n)
    if not converged and warn:
        msg = f"{MESSAGE_CONV} Duality gap: {gap:.6e}, tolerance: {tol_abs:.3e}"
        if l1 < np.finfo(np.float64).eps:
            msg += "\n" + MESSAGE_RIDGE
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    return w, gap, tol_abs, n_iter + 1, history


def _primal(w, l1, l2, Qw, q, yy):
    return 0.5 * (yy + float(w @ Qw) - 2.0 * float(q @ w) + l2 * float(w @ w)) + l1 * float(np.abs(w).sum())


def enet_path_gram(Q, q, yy, n, alphas, *, l1_ratio, max_iter, tol, rng, random, positive,
                   coef_init=None):
    """Elastic-net path on one Gram system, warm-started from alpha to alpha.

    ``alphas`` in decreasing order (scikit-learn's convention). Returns
    ``coefs`` (p, n_alphas), ``gaps`` (normalised by ``n``) and ``n_iters``.
    Non-convergence warnings are emitted as scikit-learn does.
    """
    p = q.shape[0]
    Q = np.ascontiguousarray(Q, dtype=np.float64)
    q = np.ascontiguousarray(q, dtype=np.float64)
    w = np.zeros(p) if coef_init is None else np.array(coef_init, dtype=np.float64)
    y_proxy = np.array([math.sqrt(max(yy, 0.0))])
    coefs = np.empty((p, len(alphas)))
    gaps = np.empty(len(alphas))
    n_iters = []
    for i, alpha in enumerate(alphas):
        l1 = alpha * l1_ratio * n
        l2 = alpha * (1.0 - l1_ratio) * n
        if _compiled_cd is not None:
            w, gap, _, it = _compiled_cd(w, l1, l2, Q, q, y_proxy, max_iter, tol, rng, random, positive)
            w = np.asarray(w)
        else:
            w, gap, _, it, _ = cd_gram(w, l1, l2, Q, q, yy, max_iter=max_iter, tol=tol, rng=rng,
                                       random=random, positive=positive)
        coefs[:, i] = w
        gaps[i] = gap / n
        n_iters.append(it)
    return coefs, gaps, n_iters
