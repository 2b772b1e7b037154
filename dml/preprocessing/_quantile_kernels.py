"""Chunk kernels of QuantileTransformer: pure functions of ``(chunk, ..., *, xp)``.

The distribution functions (the normal ppf / cdf) come in as arguments, so this module
imports no SciPy."""

from __future__ import annotations

import numpy as np

from dml._engine.namespace import to_numpy

#: scikit-learn's margin for the normal output's bounds.
BOUNDS_THRESHOLD = 1e-7


def _transform_col(x, quantiles, references, *, inverse, normal, ppf, cdf):
    """scikit-learn's ``QuantileTransformer._transform_col`` on one column (a copy)."""
    if not inverse:
        lower_x, upper_x, lower_y, upper_y = quantiles[0], quantiles[-1], 0, 1
    else:
        lower_x, upper_x, lower_y, upper_y = 0, 1, quantiles[0], quantiles[-1]
        with np.errstate(invalid="ignore"):
            if normal:
                x = cdf(x)
    with np.errstate(invalid="ignore"):
        if normal:
            lower_idx = x - BOUNDS_THRESHOLD < lower_x
            upper_idx = x + BOUNDS_THRESHOLD > upper_x
        else:
            lower_idx = x == lower_x
            upper_idx = x == upper_x
    finite = ~np.isnan(x)
    xf = x[finite]
    if not inverse:
        x[finite] = 0.5 * (
            np.interp(xf, quantiles, references) - np.interp(-xf, -quantiles[::-1], -references[::-1])
        )
    else:
        x[finite] = np.interp(xf, references, quantiles)
    x[upper_idx] = upper_y
    x[lower_idx] = lower_y
    if not inverse and normal:
        with np.errstate(invalid="ignore"):
            x = ppf(x)
            clip_min = ppf(BOUNDS_THRESHOLD - np.spacing(1))
            clip_max = ppf(1 - (BOUNDS_THRESHOLD - np.spacing(1)))
            x = np.clip(x, clip_min, clip_max)
    return x


def quantile_transform_kernel(X, *, xp, quantiles, references, inverse, normal, ppf, cdf):
    """Map every column through its quantiles (or back): a new array of X's dtype."""
    out = np.array(to_numpy(X), copy=True)
    for j in range(out.shape[1]):
        out[:, j] = _transform_col(
            out[:, j], quantiles[:, j], references, inverse=inverse, normal=normal, ppf=ppf, cdf=cdf
        )
    return out
