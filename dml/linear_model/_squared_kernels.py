"""The one-pass sufficient-statistics kernel of the squared-error models.

Same contract and numerics as :func:`dml._engine.kernels.gram_kernel` (weighted mean
and centred cross-product of ``[X, y]`` around a per-chunk shift, float64, merged with
``combine_centered``), tuned for the pass that dominates every squared-error fit:

- one float64 row-block buffer per chunk is reused: ``[X_b, y_b]`` is written into it
  and the shift subtracted in place (no per-block concatenation or temporaries);
- the cross-product is a symmetric rank-k update ``A^T A`` of the buffer with itself
  (NumPy dispatches it to BLAS ``syrk``: half the flops of a general product); with
  non-negative weights the block is scaled by ``sqrt(w)`` first, so the weighted case
  is a ``syrk`` too.
"""

from __future__ import annotations

import numpy as np
from array_api_compat import is_numpy_namespace

from dml._engine.kernels import row_blocks


def sufficient_stats_kernel(X, y, w, *, xp):
    """Weighted mean and centred cross-product of the augmented chunk ``[X, y]``.

    Returns
    -------
    dict with ``n`` (weight sum), ``mean`` (p + t,), ``scatter`` (p + t, p + t),
    ``n_rows``, and the counts ``w_neg`` / ``w_nonzero`` of negative / non-zero
    weights (as :func:`dml._engine.kernels.gram_kernel`).
    """
    n_rows, p = X.shape
    t = 0 if y is None else (1 if y.ndim == 1 else y.shape[1])
    q = p + t
    f64 = xp.float64
    S = xp.zeros((q, q), dtype=f64)
    s1 = xp.zeros((q,), dtype=f64)
    sw = 0.0
    shift = None
    w_neg = w_nonzero = 0
    buf = None
    fused = is_numpy_namespace(xp)
    for a, b in row_blocks(n_rows, q, 8):
        m = b - a
        if buf is None:
            buf = xp.empty((m, q), dtype=f64)
        A = buf[:m, :]
        Xb = X[a:b, :]
        yb = None
        if t:
            yb = y[a:b, ...]
            yb = yb[:, None] if yb.ndim == 1 else yb
        if shift is not None and fused:
            # NumPy: write the shifted block into the buffer in one sweep
            np.subtract(Xb, shift[:p], out=A[:, :p])
            if t:
                np.subtract(yb, shift[p:], out=A[:, p:])
        else:
            A[:, :p] = Xb if Xb.dtype == f64 else xp.astype(Xb, f64)
            if t:
                A[:, p:] = yb if yb.dtype == f64 else xp.astype(yb, f64)
        if w is None:
            wb = None
            sw_b = float(m)
        else:
            wb = w[a:b]
            wb = wb if wb.dtype == f64 else xp.astype(wb, f64)
            sw_b = xp.sum(wb)
            neg = int(xp.sum(xp.astype(wb < 0, xp.int64)))
            w_neg += neg
            w_nonzero += int(xp.sum(xp.astype(wb != 0, xp.int64)))
        if shift is None:
            if wb is None:
                shift = xp.mean(A, axis=0)
            else:
                shift = xp.sum(wb[:, None] * A, axis=0) / xp.where(sw_b > 0, sw_b, 1.0)
            A -= shift
        elif not fused:
            A -= shift
        if wb is None:
            s1 = s1 + xp.sum(A, axis=0)
            S = S + xp.matmul(xp.permute_dims(A, (1, 0)), A)
        elif neg == 0:
            s1 = s1 + xp.matmul(wb[None, :], A)[0, :]
            A *= xp.sqrt(wb)[:, None]
            S = S + xp.matmul(xp.permute_dims(A, (1, 0)), A)
        else:  # negative weights: reported after the pass; keep the sums finite
            WA = wb[:, None] * A
            s1 = s1 + xp.sum(WA, axis=0)
            S = S + xp.matmul(xp.permute_dims(WA, (1, 0)), A)
        sw = sw + sw_b
    sw = xp.asarray(sw, dtype=f64)
    safe = xp.where(sw > 0, sw, 1.0)
    d = s1 / safe
    mean = shift + d
    S = S - sw * (d[:, None] * d[None, :])
    return {
        "n": sw,
        "mean": mean,
        "scatter": S,
        "n_rows": xp.asarray(n_rows, dtype=xp.int64),
        "w_neg": xp.asarray(w_neg, dtype=xp.int64),
        "w_nonzero": xp.asarray(w_nonzero, dtype=xp.int64),
    }
