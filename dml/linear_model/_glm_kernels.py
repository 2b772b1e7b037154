"""Chunk kernels of the generalised linear models: pure functions of ``(chunk, ..., *, xp)``.

One kernel, :func:`glm_kernel`, serves every single-output GLM loss (binomial,
Tweedie with log or identity link, hence Poisson, Gamma, normal, inverse Gaussian):
for each cache-sized row block it computes the linear predictor, the pointwise loss,
gradient and (optionally) Hessian, and accumulates the loss, ``X^T g`` and
``X^T diag(h) X`` from the block while it is in cache. So a Newton iteration reads X
from memory once.

The pointwise losses are scikit-learn's half losses (``sklearn._loss``), written with
array-API operations so the kernels run on NumPy, CuPy and ``array_api_strict``.
"""

from __future__ import annotations

import numpy as np

from dml._engine.blockwise import guard_finite
from dml._engine.namespace import is_sparse
from dml.linear_model._base_kernels import block, chunk_blocks, matmul_x, rmatmul_x, weighted_gram
from dml.linear_model._logistic_kernels import _sample_weights

#: Families understood by the kernels: ``(family, power)`` pairs.
#: ``binomial`` (logit link), ``tweedie_log`` (log link, any power; 1 = Poisson,
#: 2 = Gamma), ``tweedie_identity`` (identity link).


def _itemsize(X):
    return X.dtype.itemsize if hasattr(X.dtype, "itemsize") else 8


def pointwise(raw, y, *, xp, family, power=0.0, hessian=True):
    """Pointwise half loss, its gradient and Hessian w.r.t. the raw prediction.

    Parameters
    ----------
    raw, y : arrays of the same shape
    family : {'binomial', 'tweedie_log', 'tweedie_identity'}
    power : float
        Tweedie power.
    hessian : bool
        Compute the Hessian too (else ``None``).

    Returns
    -------
    loss, grad, hess : arrays (``hess`` may be ``None``)
    """
    dt = raw.dtype
    zero = xp.asarray(0.0, dtype=dt)
    if family == "binomial":
        ez = xp.exp(-xp.abs(raw))
        loss = xp.log1p(ez) + xp.maximum(raw, zero) - y * raw
        prob = xp.where(raw >= 0, 1.0 / (1.0 + ez), ez / (1.0 + ez))
        grad = prob - y
        hess = prob * (1.0 - prob) if hessian else None
        return loss, grad, hess
    p = float(power)
    if family == "tweedie_log":
        if p == 0.0:
            e1 = xp.exp(raw)
            loss = 0.5 * (e1 - y) ** 2
            grad = e1 * (e1 - y)
            hess = e1 * (2.0 * e1 - y) if hessian else None
        elif p == 1.0:
            e1 = xp.exp(raw)
            loss = e1 - y * raw
            grad = e1 - y
            hess = e1 if hessian else None
        elif p == 2.0:
            em = xp.exp(-raw)
            loss = raw + y * em
            grad = 1.0 - y * em
            hess = y * em if hessian else None
        else:
            e1 = xp.exp((1.0 - p) * raw)
            e2 = xp.exp((2.0 - p) * raw)
            loss = e2 / (2.0 - p) - y * e1 / (1.0 - p)
            grad = e2 - y * e1
            hess = (2.0 - p) * e2 - (1.0 - p) * y * e1 if hessian else None
        return loss, grad, hess
    if family == "tweedie_identity":
        if p == 0.0:
            loss = 0.5 * (raw - y) ** 2
            grad = raw - y
            hess = xp.ones_like(raw) if hessian else None
        elif p == 1.0:
            safe_y = xp.where(y == 0, xp.asarray(1.0, dtype=dt), y)
            loss = xp.where(y == 0, raw, y * xp.log(safe_y / raw) + raw - y)
            grad = 1.0 - y / raw
            hess = y / (raw * raw) if hessian else None
        elif p == 2.0:
            loss = xp.log(raw / y) + y / raw - 1.0
            grad = (raw - y) / (raw * raw)
            hess = (2.0 * y - raw) / (raw * raw * raw) if hessian else None
        else:
            t = raw ** (1.0 - p)
            loss = raw * t / (2.0 - p) - y * t / (1.0 - p)
            ypos = xp.where(y > 0, y, zero)
            loss = loss + xp.where(y > 0, ypos ** (2.0 - p) / ((1.0 - p) * (2.0 - p)), zero)
            grad = raw ** (-p) * (raw - y)
            hess = raw ** (-p - 1.0) * ((1.0 - p) * raw + p * y) if hessian else None
        return loss, grad, hess
    raise ValueError(f"Unknown GLM family {family!r}.")


def constant_to_optimal_zero(y, *, xp, family, power=0.0):
    """The term scikit-learn drops from the loss (so a perfect fit has zero loss)."""
    dt = y.dtype
    zero = xp.asarray(0.0, dtype=dt)
    if family == "binomial" or family == "tweedie_identity":
        return xp.zeros_like(y)
    p = float(power)
    if p == 0.0:
        return xp.zeros_like(y)
    if p == 1.0:
        safe = xp.where(y > 0, y, xp.asarray(1.0, dtype=dt))
        return xp.where(y > 0, y * xp.log(safe), zero) - y
    if p == 2.0:
        return -xp.log(y) - 1.0
    return xp.maximum(y, zero) ** (2.0 - p) / (1.0 - p) / (2.0 - p)


def _block_weights(w, y, class_weight, xp, a, b, dt):
    return _sample_weights(w, y, class_weight, xp, a, b, dt)


def glm_kernel(X, y, w, coef, class_weight=None, *, xp, fit_intercept, family, power=0.0, hessian=False):
    """Sum over the chunk of the weighted pointwise loss, its gradient and Hessian.

    Parameters
    ----------
    X : (n, p) chunk; y : (n,) float targets; w : (n,) weights or None
    coef : (p + fit_intercept,) host array
    class_weight : (2,) host array or None (binomial only; y holds 0/1)
    family, power : the loss (see :func:`pointwise`)
    hessian : bool
        Also return ``hess`` = ``[X, 1]^T diag(s * |h|) [X, 1]`` and ``hneg``, the
        weight of rows whose pointwise Hessian is not positive.

    Returns
    -------
    dict: ``loss`` (scalar), ``grad`` (q,), ``sw`` (scalar), and with ``hessian``
    ``hess`` (q, q) and ``hneg`` (scalar); ``q = p + fit_intercept``. Sums are float64.
    """
    n, p = X.shape
    dt = X.dtype
    coef = np.asarray(coef, dtype=np.float64)
    beta = xp.asarray(coef[:p], dtype=dt)
    b0 = float(coef[p]) if fit_intercept else 0.0
    q = p + int(fit_intercept)
    loss = xp.asarray(0.0, dtype=xp.float64)
    sw = xp.asarray(0.0, dtype=xp.float64)
    hneg = xp.asarray(0.0, dtype=xp.float64)
    g = xp.zeros((p,), dtype=xp.float64)
    g0 = xp.asarray(0.0, dtype=xp.float64)
    H = xp.zeros((q, q), dtype=xp.float64) if hessian else None
    f64 = xp.float64
    for a, b in chunk_blocks(X, p, _itemsize(X)):
        Xb = block(X, a, b)
        yb = y[a:b] if y.dtype == dt else xp.astype(y[a:b], dt)
        z = matmul_x(Xb, beta, xp) + b0
        lb, gb, hb = pointwise(z, yb, xp=xp, family=family, power=power, hessian=hessian)
        wb = _block_weights(w, y, class_weight, xp, a, b, dt)
        if wb is not None:
            lb = lb * wb
            gb = gb * wb
            sw = sw + xp.sum(wb, dtype=f64)
        else:
            sw = sw + float(b - a)
        loss = loss + xp.sum(lb, dtype=f64)
        gX = rmatmul_x(gb, Xb, xp)
        g = g + (gX if gX.dtype == f64 else xp.astype(gX, f64))
        g0 = g0 + xp.sum(gb, dtype=f64)
        if hessian:
            nonpos = hb <= 0
            hb = xp.abs(hb)
            if wb is not None:
                hb = hb * wb
                hneg = hneg + xp.sum(xp.where(nonpos, wb, xp.zeros_like(wb)), dtype=f64)
            else:
                hneg = hneg + xp.sum(xp.astype(nonpos, dt), dtype=f64)
            if is_sparse(Xb):
                # a sparse product made dense (q, q): the Newton solvers' Hessian
                Hb = weighted_gram(Xb, hb)
            else:
                # sqrt-weighted rows: A^T A is one symmetric rank-k update (syrk in BLAS)
                A = xp.sqrt(hb)[:, None] * Xb
                Hb = xp.matmul(xp.permute_dims(A, (1, 0)), A)
                Hb = Hb if Hb.dtype == f64 else xp.astype(Hb, f64)
            if fit_intercept:
                col = rmatmul_x(hb, Xb, xp)
                col = col if col.dtype == f64 else xp.astype(col, f64)
                corner = xp.reshape(xp.sum(hb, dtype=f64), (1, 1))
                Hb = xp.concat(
                    [xp.concat([Hb, col[:, None]], axis=1), xp.concat([col[None, :], corner], axis=1)],
                    axis=0,
                )
            H = H + Hb
    if fit_intercept:
        g = xp.concat([g, xp.reshape(g0, (1,))])
    out = {"loss": loss, "grad": g, "sw": sw}
    if hessian:
        out["hess"] = H
        out["hneg"] = hneg
    return out


def glm_deviance_kernel(X, y, w, coef, *, xp, fit_intercept, family, power, null_raw):
    """Weighted sums for D^2: loss at the model, loss at ``null_raw``, the dropped
    constant, and the weight sum (one pass)."""
    n, p = X.shape
    dt = X.dtype
    coef = np.asarray(coef, dtype=np.float64)
    beta = xp.asarray(coef[:p], dtype=dt)
    b0 = float(coef[p]) if fit_intercept else 0.0
    f64 = xp.float64
    dev = xp.asarray(0.0, dtype=f64)
    dev0 = xp.asarray(0.0, dtype=f64)
    const = xp.asarray(0.0, dtype=f64)
    sw = xp.asarray(0.0, dtype=f64)
    for a, b in chunk_blocks(X, p, _itemsize(X)):
        Xb = block(X, a, b)
        yb = xp.astype(y[a:b], dt)
        z = matmul_x(Xb, beta, xp) + b0
        lb, _, _ = pointwise(z, yb, xp=xp, family=family, power=power, hessian=False)
        z0 = xp.full(yb.shape, float(null_raw), dtype=dt)
        l0, _, _ = pointwise(z0, yb, xp=xp, family=family, power=power, hessian=False)
        cb = constant_to_optimal_zero(yb, xp=xp, family=family, power=power)
        if w is not None:
            wb = xp.astype(w[a:b], dt)
            lb, l0, cb = lb * wb, l0 * wb, cb * wb
            sw = sw + xp.sum(xp.astype(wb, f64))
        else:
            sw = sw + float(b - a)
        dev = dev + xp.sum(xp.astype(lb, f64))
        dev0 = dev0 + xp.sum(xp.astype(l0, f64))
        const = const + xp.sum(xp.astype(cb, f64))
    return {"dev": dev, "dev0": dev0, "const": const, "sw": sw}


def y_stats_kernel(X, y, w, *, xp, low, low_closed):
    """Weighted sum of y, weight sum, count of y outside the loss's range, count of
    negative and of non-zero weights (one pass over y and the weights only)."""
    f64 = xp.float64
    yv = xp.astype(y, f64)
    if low is None:
        bad = xp.zeros_like(yv)
    elif low_closed:
        bad = xp.astype(yv < low, f64)
    else:
        bad = xp.astype(yv <= low, f64)
    if w is None:
        sw = xp.asarray(float(y.shape[0]), dtype=f64)
        sy = xp.sum(yv)
        wneg = xp.asarray(0.0, dtype=f64)
        wnz = sw
    else:
        wv = xp.astype(w, f64)
        sw = xp.sum(wv)
        sy = xp.sum(wv * yv)
        wneg = xp.sum(xp.astype(wv < 0, f64))
        wnz = xp.sum(xp.astype(wv != 0, f64))
    return {"sy": sy, "sw": sw, "bad": xp.sum(bad), "wneg": wneg, "wnz": wnz}


def glm_predict_kernel(X, *, xp, coef, intercept, link):
    """Blockwise prediction ``inverse_link(X @ coef + intercept)``."""
    beta = xp.asarray(np.asarray(coef), dtype=X.dtype)
    raw = matmul_x(X, beta, xp) + float(intercept)
    out = xp.exp(raw) if link == "log" else raw
    return guard_finite(out, X)


def logistic_hessp_kernel(X, y, w, coef, vec, class_weight=None, *, xp, fit_intercept, n_classes):
    """Hessian-vector product of the summed weighted logistic loss at ``coef``.

    One read of X: each cache-sized row block gives the probabilities at ``coef`` and
    the directional derivative ``X v``, then ``X^T (s * h * X v)`` is accumulated.
    The truncated Newton solver ('newton-cg') calls it once per conjugate-gradient
    step.

    Parameters
    ----------
    X : (n, p) chunk; y : (n,) encoded targets (0/1 floats for binary, int64 class
    indices otherwise; only read through ``class_weight``); w : (n,) weights or None
    coef, vec : host arrays of shape (q,) (binary) or (K, q) (multinomial, class-major),
        ``q = p + fit_intercept``; ``vec`` is the direction
    class_weight : (n_classes,) host array or None
    n_classes : int
        2 for the binomial loss, ``K > 2`` for the multinomial one.

    Returns
    -------
    dict: ``hessp`` of the shape of ``coef`` (float64): for binary
    ``[X, 1]^T diag(s p (1 - p)) [X, 1] v``; for the multinomial, class ``k``'s block
    ``[X, 1]^T (s * p_k * (u_k - sum_l p_l u_l))`` with ``u = [X, 1] V^T``.
    """
    n, p = X.shape
    dt = X.dtype
    f64 = xp.float64
    coef = np.asarray(coef, dtype=np.float64)
    vec = np.asarray(vec, dtype=np.float64)
    binary = n_classes == 2
    if binary:
        coef, vec = coef.reshape(1, -1), vec.reshape(1, -1)
    K = coef.shape[0]
    W = xp.asarray(np.ascontiguousarray(coef[:, :p].T), dtype=dt)  # (p, K)
    V = xp.asarray(np.ascontiguousarray(vec[:, :p].T), dtype=dt)
    b0 = xp.asarray(coef[:, p] if fit_intercept else np.zeros(K), dtype=dt)
    v0 = xp.asarray(vec[:, p] if fit_intercept else np.zeros(K), dtype=dt)
    HV = xp.zeros((p, K), dtype=f64)
    hv0 = xp.zeros((K,), dtype=f64)
    for a, b in chunk_blocks(X, p + 2 * K, _itemsize(X)):
        Xb = block(X, a, b)
        Z = matmul_x(Xb, W, xp) + b0
        U = matmul_x(Xb, V, xp) + v0
        if binary:
            prob = 1.0 / (1.0 + xp.exp(-Z))
            T = prob * (1.0 - prob) * U
        else:
            E = xp.exp(Z - xp.max(Z, axis=1, keepdims=True))
            P = E / xp.sum(E, axis=1, keepdims=True)
            T = P * (U - xp.sum(P * U, axis=1, keepdims=True))
        wb = _block_weights(w, y, class_weight, xp, a, b, dt)
        if wb is not None:
            T = T * wb[:, None]
        hx = (
            rmatmul_x(xp.permute_dims(T, (1, 0)), Xb, xp).T
            if is_sparse(Xb)
            else xp.matmul(xp.permute_dims(Xb, (1, 0)), T)
        )
        HV = HV + (hx if hx.dtype == f64 else xp.astype(hx, f64))
        hv0 = hv0 + xp.sum(T, axis=0, dtype=f64)
    out = xp.permute_dims(HV, (1, 0))
    if fit_intercept:
        out = xp.concat([out, hv0[:, None]], axis=1)
    return {"hessp": out[0, :] if binary else out}
