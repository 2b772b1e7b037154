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
from dml._solvers._penalties import enet_duality_gap, soft_threshold_scalar
from dml._solvers._result import SolverResult

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
    """Duality gap and primal (unnormalised) of the Gram problem at ``w``.

    :func:`~dml._solvers._penalties.enet_duality_gap` from the Gram quantities:
    ``X^T r = q - Q w``, ``||r||^2 = yy + w.Qw - 2 q.w``, ``r.y = yy - q.w``.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._coordinate_descent import dual_gap
    >>> Q = np.eye(2); q = np.array([3.0, 0.5]); w = np.array([2.0, 0.0])
    >>> tuple(float(v) for v in dual_gap(w, 1.0, 0.0, Q @ w, q, 9.25, False))
    (0.0, 2.625)
    """
    q_w = float(q @ w)
    R2 = yy + float(w @ Qw) - 2.0 * q_w
    return enet_duality_gap(w, q - Qw, R2, yy - q_w, l1, l2, positive)


def cd_gram(w, l1, l2, Q, q, yy, *, max_iter, tol, rng=None, random=False, positive=False, n=1.0, warn=True):
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
    random : bool, default=False
        Visit the coordinates in random order (``selection='random'``).
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    n : float
        Sum of weights; ``objective_history`` is divided by it (scikit-learn's
        normalised objective).
    warn : bool, default=True
        Warn (``ConvergenceWarning``) when the gap stays above ``tol * yy``.

    Returns
    -------
    SolverResult
        ``coef`` (``w``), ``dual_gap`` (unnormalised), ``n_iter`` (sweeps),
        ``converged`` and the normalised objective after every sweep.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._coordinate_descent import cd_gram
    >>> Q = np.array([[2.0, 0.0], [0.0, 2.0]]); q = np.array([4.0, 0.5])
    >>> res = cd_gram(np.zeros(2), 1.0, 0.0, Q, q, 10.0, max_iter=100, tol=1e-8)
    >>> res.coef.tolist(), res.n_iter, bool(res.converged)
    ([1.5, 0.0], 2, True)
    """
    p = q.shape[0]
    Qw = Q @ w
    diag = np.diag(Q).tolist()
    qv = q.tolist()
    tol_abs = tol * yy
    history = []
    gap, _ = dual_gap(w, l1, l2, Qw, q, yy, positive)
    if 0 <= gap <= tol_abs:
        return SolverResult(coef=w, dual_gap=gap, n_iter=0, converged=True, objective_history=history)
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
            new = soft_threshold_scalar(qv[j] - Qw[j] + w_j * d, l1, positive) / (d + l2)
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
    return SolverResult(
        coef=w, dual_gap=gap, n_iter=n_iter + 1, converged=converged, objective_history=history
    )


def _primal(w, l1, l2, Qw, q, yy):
    """The primal alone (the sweeps between gap checks need no gap)."""
    return 0.5 * (yy + float(w @ Qw) - 2.0 * float(q @ w) + l2 * float(w @ w)) + l1 * float(np.abs(w).sum())


def enet_gram(
    Q, q, yy, n, *, alpha, l1_ratio, max_iter, tol, rng, random=False, positive=False, coef_init=None
):
    """Elastic net on one Gram system, every target in turn (:func:`cd_gram`).

    Parameters
    ----------
    Q, q, yy : ndarray of shape (p, p), (p, t), (t, t)
        ``X^T W X``, ``X^T W y``, ``y^T W y`` (centred for a model with intercept).
    n : float
        Sum of the sample weights (the penalties are ``alpha * ... * n``).
    alpha, l1_ratio, max_iter, tol, positive : as :class:`dml.linear_model.ElasticNet`
    rng : numpy RandomState
        Coordinate order with ``random``.
    random : bool, default=False
    coef_init : ndarray of shape (t, p), default=None
        Warm start (zeros when None).

    Returns
    -------
    SolverResult
        ``coef`` (p, t), ``dual_gap`` (t,) normalised by ``n``, ``n_iter`` (list),
        ``converged`` (t,) and the normalised objective per target after every sweep.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._coordinate_descent import enet_gram
    >>> Q = np.array([[2.0, 0.0], [0.0, 2.0]]); q = np.array([[4.0], [0.5]])
    >>> res = enet_gram(Q, q, np.array([[10.0]]), 2.0, alpha=0.5, l1_ratio=1.0, max_iter=100,
    ...                 tol=1e-8, rng=np.random.RandomState(0))
    >>> res.coef.ravel().tolist(), res.n_iter
    ([1.5, 0.0], [2])
    """
    p, t = q.shape
    coef = np.zeros((t, p)) if coef_init is None else coef_init
    l1 = alpha * l1_ratio * n
    l2 = alpha * (1.0 - l1_ratio) * n
    gaps, n_iters, histories, converged = [], [], [], []
    for k in range(t):
        res = cd_gram(
            coef[k],
            l1,
            l2,
            Q,
            np.ascontiguousarray(q[:, k]),
            float(yy[k, k]),
            max_iter=max_iter,
            tol=tol,
            rng=rng,
            random=random,
            positive=positive,
            n=n,
        )
        coef[k] = res.coef
        gaps.append(res.dual_gap / n)
        n_iters.append(res.n_iter)
        histories.append(res.objective_history)
        converged.append(res.converged)
    return SolverResult(
        coef=coef.T,
        dual_gap=np.asarray(gaps),
        n_iter=n_iters,
        converged=np.asarray(converged),
        objective_history=histories,
    )


def enet_path_gram(Q, q, yy, n, alphas, *, l1_ratio, max_iter, tol, rng, random, positive, coef_init=None):
    """Elastic-net path on one Gram system, warm-started from alpha to alpha.

    ``alphas`` in decreasing order (scikit-learn's convention). Non-convergence
    warnings are emitted as scikit-learn does.

    Parameters
    ----------
    Q, q, yy : Gram matrix (p, p), ``X^T y`` (p,), ``y^T y`` (float), weighted.
    n : float
        Sum of the sample weights (the penalties are ``alpha * ... * n``).
    alphas : ndarray of shape (n_alphas,)
    l1_ratio, max_iter, tol, positive : as :class:`dml.linear_model.ElasticNet`
    rng : numpy RandomState
    random : bool
        Random coordinate order.
    coef_init : ndarray of shape (p,), default=None

    Returns
    -------
    SolverResult
        ``coef`` of shape (p, n_alphas), ``dual_gap`` (n_alphas,) normalised by ``n``,
        ``n_iter`` (list, per alpha) and ``converged`` (per alpha).

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._coordinate_descent import enet_path_gram
    >>> Q = np.array([[2.0, 0.0], [0.0, 2.0]]); q = np.array([4.0, 0.5])
    >>> res = enet_path_gram(Q, q, 10.0, 2.0, np.array([1.0, 0.5]), l1_ratio=1.0,
    ...                      max_iter=100, tol=1e-8, rng=np.random.RandomState(0),
    ...                      random=False, positive=False)
    >>> res.coef.tolist()
    [[1.0, 1.5], [0.0, 0.0]]
    """
    p = q.shape[0]
    Q = np.ascontiguousarray(Q, dtype=np.float64)
    q = np.ascontiguousarray(q, dtype=np.float64)
    w = np.zeros(p) if coef_init is None else np.array(coef_init, dtype=np.float64)
    y_proxy = np.array([math.sqrt(max(yy, 0.0))])
    coefs = np.empty((p, len(alphas)))
    gaps = np.empty(len(alphas))
    n_iters, converged = [], []
    for i, alpha in enumerate(alphas):
        l1 = alpha * l1_ratio * n
        l2 = alpha * (1.0 - l1_ratio) * n
        if _compiled_cd is not None:
            w, gap, tol_abs, it = _compiled_cd(w, l1, l2, Q, q, y_proxy, max_iter, tol, rng, random, positive)
            w = np.asarray(w)
            ok = gap <= tol_abs
        else:
            res = cd_gram(
                w, l1, l2, Q, q, yy, max_iter=max_iter, tol=tol, rng=rng, random=random, positive=positive
            )
            w, gap, it, ok = res.coef, res.dual_gap, res.n_iter, res.converged
        coefs[:, i] = w
        gaps[i] = gap / n
        n_iters.append(it)
        converged.append(bool(ok))
    return SolverResult(coef=coefs, dual_gap=gaps, n_iter=n_iters, converged=np.asarray(converged))
