"""Direct solves of the normal equations of squared-error models, from one-pass
statistics held in memory (``xx = X^T W X`` (p, p), ``xy = X^T W y`` (p, t), centred
or not): least squares, non-negative least squares, ridge (Cholesky or
eigendecomposition) and non-negative ridge (L-BFGS-B).

The solvers return a :class:`~dml._solvers._result.SolverResult` with ``coef`` of
shape (p, t); :func:`ridge_solve_eigh` is the linear-algebra primitive they share with
the cross-validation paths (it returns the array alone).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from joblib import Parallel, delayed
from scipy import optimize

from dml._solvers._result import SolverResult


def lstsq_gram(xx, xy, *, cond):
    """Minimum-norm least squares from the normal equations, via ``eigh(xx)``.

    Singular values ``s = sqrt(eig(xx))`` below ``cond * s.max()`` (and eigenvalues
    at round-off level) count as zero, as ``scipy.linalg.lstsq(cond=...)`` does.

    Returns
    -------
    SolverResult
        ``coef`` (p, t), ``rank`` and ``singular`` (p,), descending.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._gram import lstsq_gram
    >>> res = lstsq_gram(np.array([[2.0, 2.0], [2.0, 2.0]]), np.array([[2.0], [2.0]]), cond=1e-6)
    >>> res.coef.ravel().round(6).tolist(), res.rank
    ([0.5, 0.5], 1)
    """
    lam, V = np.linalg.eigh(xx)
    lam = np.clip(lam, 0.0, None)
    lam_max = lam.max() if lam.size else 0.0
    s = np.sqrt(lam)
    noise = lam_max * xx.shape[0] * np.finfo(np.float64).eps
    keep = (s > cond * np.sqrt(lam_max)) & (lam > noise)
    inv = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
    coef = V @ (inv[:, None] * (V.T @ xy))
    return SolverResult(coef=coef, n_iter=1, rank=int(keep.sum()), singular=s[::-1].copy())


def nnls_gram(xx, xy, *, n_jobs=None):
    """Non-negative least squares from the normal equations, one NNLS per target.

    With ``xx = V L V^T``, ``||X c - y||^2 = ||R c - r||^2 + const`` where
    ``R = L^(1/2) V^T`` and ``r = L^(-1/2) V^T X^T y`` (on the non-null eigenspace).

    Returns
    -------
    SolverResult
        ``coef`` (p, t).

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._gram import nnls_gram
    >>> nnls_gram(np.eye(2), np.array([[1.0], [-1.0]])).coef.ravel().tolist()
    [1.0, 0.0]
    """
    lam, V = np.linalg.eigh(xx)
    keep = lam > lam.max() * xx.shape[0] * np.finfo(np.float64).eps
    lam, V = lam[keep], V[:, keep]
    R = np.sqrt(lam)[:, None] * V.T
    r = (V.T @ xy) / np.sqrt(lam)[:, None]
    outs = Parallel(n_jobs=n_jobs)(delayed(optimize.nnls)(R, r[:, j]) for j in range(r.shape[1]))
    return SolverResult(coef=np.stack([o[0] for o in outs], axis=1), n_iter=1)


def ridge_solve_eigh(xx, xy, alphas):
    """``(xx + a_t I)^{-1} xy_t`` for every target t via one eigendecomposition.

    Directions with ``lam + a`` at round-off level get 0 (minimum-norm solution, e.g.
    ``alpha=0`` on rank-deficient data). Returns coef (p, t).

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._gram import ridge_solve_eigh
    >>> ridge_solve_eigh(np.eye(2), np.array([[2.0], [4.0]]), np.array([1.0])).ravel().tolist()
    [1.0, 2.0]
    """
    lam, V = np.linalg.eigh(xx)
    lam = np.clip(lam, 0.0, None)
    cut = max(lam.max(initial=0.0), 1.0) * xx.shape[0] * np.finfo(np.float64).eps
    den = lam[:, None] + alphas[None, :]
    inv = np.where(den > cut, 1.0 / np.where(den > cut, den, 1.0), 0.0)
    return V @ (inv * (V.T @ xy))


def _ridge_direct(xx, xy, alphas, solver):
    """Cholesky (one alpha for all targets) or eigh; Cholesky falls back to eigh."""
    if solver == "cholesky" and np.all(alphas == alphas[0]):
        A = xx + alphas[0] * np.eye(xx.shape[0])
        try:
            return scipy.linalg.solve(A, xy, assume_a="pos", check_finite=False)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgError, ValueError):
            pass
    return ridge_solve_eigh(xx, xy, alphas)


def ridge_objective(xx, xy, yy, coef, alphas):
    """``||sqrt(s)(y - X w - b)||^2 + alpha ||w||^2`` per target from the statistics
    (coef (p, t), ``yy`` the (t, t) ``y^T W y``).

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._gram import ridge_objective
    >>> ridge_objective(np.eye(1), np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1)), np.zeros(1))
    array([0.])
    """
    return (
        np.diag(yy)
        - 2.0 * np.sum(xy * coef, axis=0)
        + np.sum(coef * (xx @ coef), axis=0)
        + alphas * np.sum(coef * coef, axis=0)
    )


def _ridge_positive(xx, xy, yy, alphas, *, tol, max_iter):
    """Non-negative ridge by L-BFGS-B on the Gram matrix (scikit-learn's 'lbfgs'),
    target by target; ``yy`` the diagonal of ``y^T W y``."""
    p, t = xy.shape
    coef = np.zeros((p, t))
    n_iter = np.zeros(t, dtype=np.int32)
    converged = np.zeros(t, dtype=bool)
    histories = []
    for k in range(t):
        A = xx + alphas[k] * np.eye(p)
        b = xy[:, k]

        def f(w, A=A, b=b):
            Aw = A @ w
            return 0.5 * w @ Aw - b @ w, Aw - b

        hist = []
        res = optimize.minimize(
            f,
            np.zeros(p),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0, None)] * p,
            callback=lambda w, hist=hist, f=f, k=k: hist.append(float(yy[k] + 2.0 * f(w)[0])),
            options={
                "maxiter": 15000 if max_iter is None else max_iter,
                "gtol": tol,
                "ftol": 64 * np.finfo(float).eps,
            },
        )
        coef[:, k] = res.x
        n_iter[k] = res.nit
        converged[k] = res.status == 0
        histories.append(hist)
    return SolverResult(coef=coef, n_iter=n_iter, converged=converged, objective_history=histories)


def ridge_gram(xx, xy, yy, alphas, *, solver, tol=1e-4, max_iter=None):
    """Ridge on the normal equations: ``min ||y - X w||^2 + alpha_t ||w||^2`` per target.

    Parameters
    ----------
    xx, xy, yy : ndarray of shape (p, p), (p, t), (t, t)
        ``X^T W X``, ``X^T W y``, ``y^T W y`` (centred for a model with intercept).
    alphas : ndarray of shape (t,)
    solver : {'cholesky', 'svd', 'lbfgs'}
        'cholesky': a Cholesky solve (an eigendecomposition when the alphas differ or
        the matrix is singular); 'svd': the eigendecomposition; 'lbfgs': L-BFGS-B with
        the coefficients bounded below by 0 (non-negative ridge).
    tol, max_iter : float, int or None
        Of 'lbfgs' (projected-gradient tolerance; 15000 iterations by default).

    Returns
    -------
    SolverResult
        ``coef`` (p, t), ``n_iter`` (t,) (1 for the direct solves), ``converged`` and
        the objective per target: after every iteration for 'lbfgs', the optimum alone
        for the direct solves.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._gram import ridge_gram
    >>> res = ridge_gram(np.eye(2), np.array([[2.0], [4.0]]), np.array([[20.0]]),
    ...                  np.array([1.0]), solver="cholesky")
    >>> res.coef.ravel().round(6).tolist(), np.round(res.objective_history, 6).tolist()
    ([1.0, 2.0], [[10.0]])
    """
    if solver == "lbfgs":
        return _ridge_positive(xx, xy, np.diag(yy), alphas, tol=tol, max_iter=max_iter)
    coef = _ridge_direct(xx, xy, alphas, solver)
    hist = [[float(v)] for v in ridge_objective(xx, xy, yy, coef, alphas)]
    return SolverResult(coef=coef, n_iter=np.ones(xy.shape[1], dtype=np.int32), objective_history=hist)
