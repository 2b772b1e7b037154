"""Shared numerics of the L1 / elastic-net solvers: soft-thresholding, the minimum-norm
subgradient and the elastic-net duality gap.

Each rule is written once here; the coordinate-descent, proximal-Newton and FISTA
solvers call it.
"""

from __future__ import annotations

import math

import numpy as np


def soft_threshold(z, threshold, positive=False):
    """The proximal map of ``threshold * ||.||_1``, elementwise.

    ``sign(z) * max(|z| - threshold, 0)``; with ``positive`` (the map of the L1 term
    plus the constraint ``>= 0``) ``max(z - threshold, 0)``.

    Parameters
    ----------
    z : ndarray
    threshold : float or ndarray (broadcast against ``z``)
    positive : bool, default=False

    Returns
    -------
    ndarray of the shape of ``z``

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._penalties import soft_threshold
    >>> soft_threshold(np.array([-2.0, 0.5, 3.0]), 1.0)
    array([-1.,  0.,  2.])
    >>> soft_threshold(np.array([-2.0, 0.5, 3.0]), 1.0, positive=True)
    array([0., 0., 2.])
    """
    if positive:
        return np.maximum(z - threshold, 0.0)
    return np.sign(z) * np.maximum(np.abs(z) - threshold, 0.0)


def soft_threshold_scalar(z, threshold, positive=False):
    """:func:`soft_threshold` of one Python float (the coordinate loops' fast path).

    Examples
    --------
    >>> from dml._solvers._penalties import soft_threshold_scalar
    >>> soft_threshold_scalar(-2.5, 1.0), soft_threshold_scalar(-2.5, 1.0, positive=True)
    (-1.5, 0.0)
    """
    if positive and z < 0:
        return 0.0
    return math.copysign(max(abs(z) - threshold, 0.0), z)


def min_norm_subgradient(w, g, l1):
    """Minimum-norm element of ``g + l1 * d|w|`` (zero exactly at the optimum).

    Parameters
    ----------
    w, g : ndarray of shape (n,)
        Point and gradient of the smooth part there.
    l1 : ndarray of shape (n,) or float
        L1 strength per coordinate.

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._penalties import min_norm_subgradient
    >>> min_norm_subgradient(np.array([1.0, 0.0, 0.0]), np.array([0.5, 0.5, 2.0]), 1.0)
    array([1.5, 0. , 1. ])
    """
    return np.where(
        w != 0,
        g + l1 * np.sign(w),
        np.sign(g) * np.maximum(np.abs(g) - l1, 0.0),
    )


def _reductions(w):
    """Per-target sums: scalars by BLAS dot products for one target (1-D ``w``),
    column sums for several (2-D, one column per target)."""
    if w.ndim == 1:
        return (lambda a, b: float(a @ b)), (lambda a: float(np.abs(a).sum())), (lambda a: float(a.max()))
    return (lambda a, b: np.sum(a * b, axis=0)), (lambda a: np.abs(a).sum(axis=0)), (lambda a: a.max(axis=0))


def enet_duality_gap(w, xtr, rr, ry, l1, l2, positive):
    """Duality gap and primal value of the (unnormalised) elastic net at ``w``.

    The problem is ``1/2 ||r||^2 + l1 ||w||_1 + l2/2 ||w||^2`` with ``r = y - X w``
    (weighted, centred); the gap follows scikit-learn's formulations (its ``l1 = 0``
    branches included), from quantities every solver already has:

    Parameters
    ----------
    w : ndarray of shape (p,) or (p, t)
        Coefficients (one column per target).
    xtr : ndarray like ``w``
        ``X^T r``.
    rr : float or ndarray of shape (t,)
        ``||r||^2``.
    ry : float or ndarray of shape (t,)
        ``r . y`` (``= ||y||^2 - (X^T y) . w``).
    l1, l2 : float
        Unnormalised penalties.
    positive : bool
        Coefficients constrained to be non-negative.

    Returns
    -------
    gap, primal : float (1-D ``w``) or ndarray of shape (t,)

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._penalties import enet_duality_gap
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]]); y = np.array([3.0, 0.5]); w = np.array([2.0, 0.0])
    >>> r = y - X @ w
    >>> gap, primal = enet_duality_gap(w, X.T @ r, r @ r, r @ y, 1.0, 0.0, False)
    >>> float(gap), float(primal)
    (0.0, 2.625)
    """
    dot, l1_norm, top = _reductions(w)
    w_l1 = l1_norm(w)
    w_l2 = dot(w, w)
    primal = 0.5 * (rr + l2 * w_l2) + l1 * w_l1
    if l1 == 0:
        dn = dot(xtr, xtr)
        if l2 == 0:
            return dn, primal
        return rr + 0.5 * l2 * w_l2 - ry + dn / (2 * l2), primal
    XtA = xtr - l2 * w
    dn = top(XtA) if positive else top(np.abs(XtA))
    if w.ndim == 1:
        scale = l1 / dn if dn > l1 else 1.0
    else:
        scale = np.where(dn > l1, l1 / np.where(dn > 0, dn, 1.0), 1.0)
    dual = -0.5 * scale**2 * (rr + l2 * w_l2) + scale * ry
    return primal - dual, primal
