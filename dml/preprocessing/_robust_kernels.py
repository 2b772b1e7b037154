"""Chunk kernels of RobustScaler: pure functions of ``(chunk, ..., *, xp)``."""

from __future__ import annotations


def robust_scale_kernel(X, *, xp, center, scale):
    """``(X - center) / scale`` as scikit-learn's in-place ``X -= center_; X /= scale_``:
    the subtraction in X's dtype, the division in ``scale``'s dtype, rounded to X's."""
    out = X
    if center is not None:
        out = out - xp.astype(xp.asarray(center), X.dtype)
    if scale is not None:
        out = xp.astype(out / xp.asarray(scale), X.dtype)
    return out


def robust_unscale_kernel(X, *, xp, center, scale):
    """Inverse of :func:`robust_scale_kernel` (``X *= scale_; X += center_``)."""
    out = X
    if scale is not None:
        out = xp.astype(out * xp.asarray(scale), X.dtype)
    if center is not None:
        out = out + xp.astype(xp.asarray(center), X.dtype)
    return out
