"""Chunk kernels of LogisticRegression: pure functions of ``(chunk, ..., *, xp)``.

The loss kernels fuse the whole L-BFGS step's data work: for each cache-sized row
block they compute the linear predictor, the pointwise loss and the residual, and
accumulate ``X_block^T @ residual``, so each block of X is read from memory once per
iteration.
"""

from __future__ import annotations

import numpy as np

from dml._engine.kernels import block_rows, row_blocks
from dml._engine.namespace import is_sparse, to_numpy
from dml.linear_model._base_kernels import (
    block,
    chunk_blocks,
    linear_predict_kernel,
    matmul_x,
    rmatmul_x,
    scale_rows,
)


def label_counts_kernel(X, y, w, *, xp):
    """Distinct labels of a chunk's ``y`` with their (weighted) counts.

    Labels may be any dtype (strings too): they are handled on the host.
    """
    y_np = to_numpy(y)
    if y_np.dtype.kind == "f" and np.isnan(y_np).any():
        raise ValueError("Input y contains NaN.")
    values, inverse = np.unique(y_np, return_inverse=True)
    weights = None if w is None else to_numpy(w).astype(np.float64)
    counts = np.bincount(inverse.ravel(), weights=weights, minlength=len(values)).astype(np.float64)
    return {"labels": values, "label_counts": counts}


def _host_labels(y):
    """True for labels only NumPy can hold (strings, objects)."""
    return isinstance(y, np.ndarray) and y.dtype.kind in "OUS"


def encode_binary(y, *, xp, positive):
    """y -> float 1.0 where ``y == positive`` else 0.0 (HalfBinomialLoss's encoding)."""
    if _host_labels(y):
        return np.asarray(to_numpy(y) == positive, dtype=np.float64)
    return xp.astype(y == positive, xp.float64)


def encode_multiclass(y, *, xp, classes):
    """y -> int64 index into the sorted ``classes``."""
    if _host_labels(y):
        return np.searchsorted(classes, to_numpy(y)).astype(np.int64)
    return xp.astype(xp.searchsorted(xp.asarray(classes, dtype=y.dtype), y), xp.int64)


def _sample_weights(w, y_enc, class_weight, xp, a, b, dtype):
    """Per-row weights of a block: sample_weight times class weight (None if both absent)."""
    wb = None if w is None else xp.astype(w[a:b], dtype)
    if class_weight is not None:
        cw = xp.asarray(class_weight, dtype=dtype)
        idx = y_enc[a:b] if y_enc.dtype == xp.int64 else xp.astype(y_enc[a:b], xp.int64)
        cwb = xp.take(cw, idx)
        wb = cwb if wb is None else wb * cwb
    return wb


def binary_loss_grad_kernel(X, y, w, coef, class_weight, *, xp, fit_intercept):
    """Sum over the chunk of the weighted binomial log-loss and its gradient.

    Parameters
    ----------
    X : (n, p) chunk; y : (n,) 0/1 float targets; w : (n,) weights or None
    coef : (p + fit_intercept,) host array
    class_weight : (2,) host array or None

    Returns
    -------
    dict: ``loss`` (scalar), ``grad`` (p + fit_intercept,), ``sw`` (scalar weight sum).
    """
    n, p = X.shape
    dt = X.dtype
    beta = xp.asarray(np.asarray(coef[:p]), dtype=dt)
    b0 = float(coef[p]) if fit_intercept else 0.0
    loss = 0.0
    sw = 0.0
    g = xp.zeros((p,), dtype=xp.float64)
    g0 = 0.0
    for a, b in chunk_blocks(X, p, X.dtype.itemsize if hasattr(X.dtype, "itemsize") else 8):
        Xb = block(X, a, b)
        yb = xp.astype(y[a:b], dt, copy=False)
        z = matmul_x(Xb, beta, xp) + b0
        # loss log(1 + exp(z)) - y z = log1p(exp(-|z|)) + max(z, 0) - y z, stable for any
        # z; expit(z) = 1 / (1 + exp(-z)) is exact in IEEE arithmetic (exp overflowing to
        # inf gives 0; overflow warnings are silenced around every kernel).
        az = xp.abs(z)
        lossb = xp.log1p(xp.exp(-az)) + 0.5 * (z + az) - yb * z
        r = 1.0 / (1.0 + xp.exp(-z)) - yb
        wb = _sample_weights(w, y, class_weight, xp, a, b, dt)
        if wb is not None:
            lossb = lossb * wb
            r = r * wb
            sw += float(xp.sum(xp.astype(wb, xp.float64, copy=False)))
        else:
            sw += float(b - a)
        loss += float(xp.sum(xp.astype(lossb, xp.float64, copy=False)))
        g = g + xp.astype(rmatmul_x(r, Xb, xp), xp.float64, copy=False)
        g0 += float(xp.sum(xp.astype(r, xp.float64, copy=False)))
    if fit_intercept:
        g = xp.concat([g, xp.asarray([g0], dtype=xp.float64)])
    return {"loss": xp.asarray(loss, dtype=xp.float64), "grad": g, "sw": xp.asarray(sw, dtype=xp.float64)}


def binary_loss_grad_csr_kernel(X, y, w, coef, class_weight, *, xp, fit_intercept, out=None):
    """:func:`binary_loss_grad_kernel` for a CSR chunk, folding into ``out``.

    For ``map_reduce(..., accumulate=True)``: ``out`` is the partial of the chunks its
    task ran before (``None`` for the first) and its float64 gradient is added into in
    place, so a task over a worker's chunks holds one gradient, not one per chunk (at
    ``n_features = 2**20``, 8 MiB each) and returns it without a combine's copies. The
    sums are the same, in the same order: the result equals
    :func:`binary_loss_grad_kernel`'s with ``sum_partials``.
    """
    n, p = X.shape
    dt = X.dtype
    coef = np.asarray(coef)
    beta = np.asarray(coef[:p], dtype=dt)
    z = np.asarray(X @ beta)
    if fit_intercept:
        z = z + float(coef[p])
    yb = np.asarray(y).astype(dt, copy=False)
    az = np.abs(z)
    lossb = np.log1p(np.exp(-az)) + 0.5 * (z + az) - yb * z
    r = 1.0 / (1.0 + np.exp(-z)) - yb
    wb = _sample_weights(w, y, class_weight, np, 0, n, dt)
    if wb is not None:
        lossb = lossb * wb
        r = r * wb
        sw = float(np.sum(np.asarray(wb, dtype=np.float64)))
    else:
        sw = float(n)
    loss = float(np.sum(np.asarray(lossb, dtype=np.float64)))
    g0 = float(np.sum(np.asarray(r, dtype=np.float64)))
    gx = np.asarray(X.T @ r)
    if out is None:
        grad = np.zeros(p + int(fit_intercept))
        grad[:p] += gx
        if fit_intercept:
            grad[p] = g0
        return {"loss": np.asarray(loss), "grad": grad, "sw": np.asarray(sw)}
    grad = out["grad"]
    grad[:p] += gx
    if fit_intercept:
        grad[p] += g0
    return {"loss": out["loss"] + loss, "grad": grad, "sw": out["sw"] + sw}


def multinomial_loss_grad_kernel(X, y, w, coef, class_weight, *, xp, fit_intercept, n_classes):
    """Sum over the chunk of the weighted multinomial log-loss and its gradient.

    Parameters
    ----------
    X : (n, p) chunk; y : (n,) int64 class indices; w : (n,) weights or None
    coef : (K, p + fit_intercept) host array
    class_weight : (K,) host array or None

    Returns
    -------
    dict: ``loss`` (scalar), ``grad`` (K, p + fit_intercept), ``sw`` (scalar).
    """
    if isinstance(X, np.ndarray):
        return _multinomial_numpy(X, y, w, coef, class_weight, fit_intercept, n_classes)
    if is_sparse(X):
        return _multinomial_csr(X, y, w, coef, class_weight, fit_intercept, n_classes)
    n, p = X.shape
    K = n_classes
    dt = X.dtype
    coef = np.asarray(coef)
    # Classes along axis 0, rows along axis 1: the per-row reductions over the K
    # classes (max, sum, the true class's score) then run across contiguous rows.
    Wt = xp.asarray(np.ascontiguousarray(coef[:, :p]), dtype=dt)  # (K, p)
    b0 = xp.asarray(coef[:, p] if fit_intercept else np.zeros(K), dtype=dt)[:, None]
    loss = 0.0
    sw = 0.0
    G = xp.zeros((K, p), dtype=xp.float64)
    g0 = xp.zeros((K,), dtype=xp.float64)
    ks = xp.arange(K, dtype=xp.int64)[:, None]
    for a, b in row_blocks(n, p + K, X.dtype.itemsize if hasattr(X.dtype, "itemsize") else 8):
        Xb = X[a:b, :]
        Z = xp.matmul(Wt, xp.permute_dims(Xb, (1, 0))) + b0  # (K, m)
        Z = Z - xp.max(Z, axis=0)[None, :]
        E = xp.exp(Z)
        s = xp.sum(E, axis=0)
        onehot = xp.astype(ks == y[None, a:b], dt)
        lossb = xp.log(s) - xp.sum(Z * onehot, axis=0)
        R = E / s[None, :] - onehot
        wb = _sample_weights(w, y, class_weight, xp, a, b, dt)
        if wb is not None:
            lossb = lossb * wb
            R = R * wb[None, :]
            sw += float(xp.sum(xp.astype(wb, xp.float64, copy=False)))
        else:
            sw += float(b - a)
        loss += float(xp.sum(xp.astype(lossb, xp.float64, copy=False)))
        G = G + xp.astype(xp.matmul(R, Xb), xp.float64, copy=False)
        g0 = g0 + xp.astype(xp.sum(R, axis=1), xp.float64, copy=False)
    grad = G
    if fit_intercept:
        grad = xp.concat([G, g0[:, None]], axis=1)
    return {"loss": xp.asarray(loss, dtype=xp.float64), "grad": grad, "sw": xp.asarray(sw, dtype=xp.float64)}


def _multinomial_numpy(X, y, w, coef, class_weight, fit_intercept, K):
    """:func:`multinomial_loss_grad_kernel` for NumPy chunks: the same sums, with the
    (K, rows) block temporaries allocated once per chunk (Dask workers return freed
    memory to the OS eagerly, so fresh block-sized temporaries cost page faults every
    time) and updated in place."""
    n, p = X.shape
    dt = X.dtype
    coef = np.asarray(coef)
    Wt = np.ascontiguousarray(coef[:, :p], dtype=dt)
    b0 = np.asarray(coef[:, p] if fit_intercept else np.zeros(K), dtype=dt)[:, None]
    y = np.asarray(y)
    w = None if w is None else np.asarray(w)
    cw = None if class_weight is None else np.asarray(class_weight, dtype=dt)
    step = block_rows(p + K, dt.itemsize)
    m0 = min(step, n)
    Z_buf = np.empty((K, m0), dtype=dt)
    E_buf = np.empty((K, m0), dtype=dt)
    OH_buf = np.empty((K, m0), dtype=dt)
    v_buf = np.empty(m0, dtype=dt)
    s_buf = np.empty(m0, dtype=dt)
    G_blk = np.empty((K, p), dtype=dt)
    ks = np.arange(K)[:, None]
    loss = sw = 0.0
    G = np.zeros((K, p))
    g0 = np.zeros(K)
    for a in range(0, n, step):
        b = min(n, a + step)
        m = b - a
        Xb = X[a:b]
        yb = y[a:b]
        Z = np.matmul(Wt, Xb.T, out=Z_buf[:, :m])
        Z += b0
        Z -= np.max(Z, axis=0, out=v_buf[:m])
        E = np.exp(Z, out=E_buf[:, :m])
        s = np.sum(E, axis=0, out=s_buf[:m])
        OH = np.equal(ks, yb[None, :], out=OH_buf[:, :m], casting="unsafe")
        lossb = np.log(s) - np.einsum("ij,ij->j", Z, OH)
        E /= s
        E -= OH  # the residual R = softmax - onehot
        wb = None if w is None else w[a:b].astype(dt, copy=False)
        if cw is not None:
            cwb = cw[yb]
            wb = cwb if wb is None else wb * cwb
        if wb is not None:
            lossb *= wb
            E *= wb
            sw += float(np.sum(wb, dtype=np.float64))
        else:
            sw += float(m)
        loss += float(np.sum(lossb, dtype=np.float64))
        G += np.matmul(E, Xb, out=G_blk)
        g0 += np.sum(E, axis=1)
    grad = np.concatenate([G, g0[:, None]], axis=1) if fit_intercept else G
    return {"loss": np.asarray(loss), "grad": grad, "sw": np.asarray(sw)}


def _multinomial_csr(X, y, w, coef, class_weight, fit_intercept, K):
    """:func:`multinomial_loss_grad_kernel` for a CSR chunk: scores ``X @ W^T`` and
    gradient ``R^T X`` as sparse products, (n, K) temporaries, nothing densified."""
    n, p = X.shape
    dt = X.dtype
    coef = np.asarray(coef)
    W = np.asarray(coef[:, :p], dtype=dt)
    b0 = np.asarray(coef[:, p] if fit_intercept else np.zeros(K), dtype=dt)
    y = np.asarray(y)
    Z = np.asarray(X @ W.T) + b0  # (n, K)
    Z -= np.max(Z, axis=1, keepdims=True) if n else 0.0
    E = np.exp(Z)
    s = np.sum(E, axis=1)
    rows = np.arange(n)
    lossv = np.log(s) - Z[rows, y]
    E /= s[:, None]
    E[rows, y] -= 1.0  # the residual R = softmax - onehot
    wb = None if w is None else np.asarray(w).astype(dt, copy=False)
    if class_weight is not None:
        cwb = np.asarray(class_weight, dtype=dt)[y]
        wb = cwb if wb is None else wb * cwb
    if wb is not None:
        lossv *= wb
        E *= wb[:, None]
        sw = float(np.sum(wb, dtype=np.float64))
    else:
        sw = float(n)
    G = np.asarray(X.T @ E, dtype=np.float64).T  # (K, p)
    loss = float(np.sum(lossv, dtype=np.float64))
    g0 = np.sum(E, axis=0, dtype=np.float64)
    grad = np.concatenate([G, g0[:, None]], axis=1) if fit_intercept else np.ascontiguousarray(G)
    return {"loss": np.asarray(loss), "grad": grad, "sw": np.asarray(sw)}


def decision_kernel(X, *, xp, coef, intercept):
    """Decision values ``X @ coef.T + intercept``: (n,) for binary (one row of
    ``coef``), (n, K) otherwise (:func:`~dml.linear_model._base_kernels.linear_predict_kernel`)."""
    if coef.shape[0] == 1:
        coef, intercept = coef[0], intercept[0]
    return linear_predict_kernel(X, xp=xp, coef=coef, intercept=intercept)


def proba_kernel(X, *, xp, coef, intercept, log=False):
    """Class probabilities (or their logs): logistic for binary, softmax otherwise."""
    d = decision_kernel(X, xp=xp, coef=coef, intercept=intercept)
    if d.ndim == 1:
        d = xp.stack([xp.zeros_like(d), d], axis=1)
    dmax = xp.max(d, axis=1, keepdims=True)
    e = d - dmax
    lse = xp.log(xp.sum(xp.exp(e), axis=1, keepdims=True))
    logp = e - lse
    return logp if log else xp.exp(logp)


def predict_kernel(X, *, xp, coef, intercept, classes):
    """Predicted labels: ``classes[argmax(decision)]`` (host ``classes`` of any dtype)."""
    d = decision_kernel(X, xp=xp, coef=coef, intercept=intercept)
    idx = xp.astype(d > 0, xp.int64) if d.ndim == 1 else xp.argmax(d, axis=1)
    classes = np.asarray(classes)
    if classes.dtype.kind in "OUSb" or xp.__name__.endswith("numpy"):
        return classes[to_numpy(idx)]
    return xp.take(xp.asarray(classes), idx)


def multinomial_newton_kernel(X, y, w, coef, class_weight, *, xp, fit_intercept, n_classes):
    """Multinomial log-loss, gradient and full Hessian of a chunk, in one read of X.

    Parameters
    ----------
    X : (n, p) chunk; y : (n,) int64 class indices; w : (n,) weights or None
    coef : (K, q) host array, ``q = p + fit_intercept``
    class_weight : (K,) host array or None

    Returns
    -------
    dict: ``loss`` (scalar), ``grad`` (K, q), ``hess`` (K * q, K * q) with the
    coefficient of class ``k`` and column ``j`` at index ``k * q + j`` (class-major),
    ``sw`` (scalar). The Hessian block of classes ``(k, l)`` is
    ``[X, 1]^T diag(s * (p_k [k == l] - p_k p_l)) [X, 1]``.
    """
    if is_sparse(X):
        return _multinomial_newton_csr(X, y, w, coef, class_weight, fit_intercept, n_classes)
    n, p = X.shape
    K = n_classes
    q = p + int(fit_intercept)
    dt = X.dtype
    f64 = xp.float64
    coef = np.asarray(coef, dtype=np.float64).reshape(K, q)
    W = xp.asarray(np.ascontiguousarray(coef[:, :p].T), dtype=dt)  # (p, K)
    b0 = xp.asarray(coef[:, p] if fit_intercept else np.zeros(K), dtype=dt)
    loss = xp.asarray(0.0, dtype=f64)
    sw = xp.asarray(0.0, dtype=f64)
    G = xp.zeros((q, K), dtype=f64)
    blocks = {(k, l): xp.zeros((q, q), dtype=f64) for k in range(K) for l in range(k, K)}
    classes = xp.arange(K, dtype=xp.int64)
    for a, b in row_blocks(n, p + K, X.dtype.itemsize if hasattr(X.dtype, "itemsize") else 8):
        Xb = X[a:b, :]
        if fit_intercept:
            Xb = xp.concat([Xb, xp.ones((b - a, 1), dtype=dt)], axis=1)
            Z = xp.matmul(Xb[:, :p], W) + b0
        else:
            Z = xp.matmul(Xb, W) + b0
        yb = y[a:b]
        zmax = xp.max(Z, axis=1, keepdims=True)
        E = xp.exp(Z - zmax)
        s = xp.sum(E, axis=1, keepdims=True)
        lse = xp.log(s) + zmax
        P = E / s
        onehot = xp.astype(yb[:, None] == classes[None, :], dt)
        lossb = lse[:, 0] - xp.sum(Z * onehot, axis=1)
        R = P - onehot
        wb = _sample_weights(w, y, class_weight, xp, a, b, dt)
        if wb is not None:
            lossb = lossb * wb
            R = R * wb[:, None]
            Pw = P * wb[:, None]
            sw = sw + xp.sum(xp.astype(wb, f64))
        else:
            Pw = P
            sw = sw + float(b - a)
        loss = loss + xp.sum(xp.astype(lossb, f64))
        XbT = xp.permute_dims(Xb, (1, 0))
        G = G + xp.astype(xp.matmul(XbT, R), f64)
        for k in range(K):
            for l in range(k, K):
                d = -Pw[:, k] * P[:, l]
                if k == l:
                    d = d + Pw[:, k]
                blocks[(k, l)] = blocks[(k, l)] + xp.astype(xp.matmul(XbT, d[:, None] * Xb), f64)
    rows = []
    for k in range(K):
        row = []
        for l in range(K):
            row.append(blocks[(k, l)] if k <= l else xp.permute_dims(blocks[(l, k)], (1, 0)))
        rows.append(xp.concat(row, axis=1))
    H = xp.concat(rows, axis=0)
    return {"loss": loss, "grad": xp.permute_dims(G, (1, 0)), "hess": H, "sw": sw}


def _multinomial_newton_csr(X, y, w, coef, class_weight, fit_intercept, K):
    """:func:`multinomial_newton_kernel` for a CSR chunk: each Hessian block
    ``X^T diag(d) X`` is a sparse product made dense (p, p) (the Newton solvers need the
    dense Hessian; scikit-learn's newton-cholesky does the same)."""
    n, p = X.shape
    q = p + int(fit_intercept)
    dt = X.dtype
    coef = np.asarray(coef, dtype=np.float64).reshape(K, q)
    W = np.asarray(coef[:, :p].T, dtype=dt)
    b0 = np.asarray(coef[:, p] if fit_intercept else np.zeros(K), dtype=dt)
    Z = np.asarray(X @ W) + b0
    zmax = np.max(Z, axis=1, keepdims=True) if n else np.zeros((0, 1), dtype=dt)
    E = np.exp(Z - zmax)
    s = np.sum(E, axis=1, keepdims=True)
    P = E / s
    onehot = (np.asarray(y)[:, None] == np.arange(K)[None, :]).astype(dt)
    lossv = (np.log(s) + zmax)[:, 0] - np.sum(Z * onehot, axis=1)
    R = P - onehot
    wb = _sample_weights(w, y, class_weight, np, 0, n, dt)
    if wb is not None:
        lossv = lossv * wb
        R = R * wb[:, None]
        Pw = P * wb[:, None]
        sw = float(np.sum(wb, dtype=np.float64))
    else:
        Pw = P
        sw = float(n)
    G = np.asarray(X.T @ R, dtype=np.float64)  # (p, K)
    if fit_intercept:
        G = np.concatenate([G, np.sum(R, axis=0, dtype=np.float64)[None, :]], axis=0)
    H = np.zeros((K * q, K * q))
    for k in range(K):
        for l in range(k, K):
            d = -Pw[:, k] * P[:, l]
            if k == l:
                d = d + Pw[:, k]
            # d may be negative off the diagonal: X^T diag(d) X as (diag(d) X)^T X
            blk = np.asarray((scale_rows(X, d).T @ X).toarray(), dtype=np.float64)
            if fit_intercept:
                col = np.asarray(X.T @ d, dtype=np.float64)
                blk = np.block(
                    [[blk, col[:, None]], [col[None, :], np.sum(d, dtype=np.float64).reshape(1, 1)]]
                )
            H[k * q : (k + 1) * q, l * q : (l + 1) * q] = blk
            if l != k:
                H[l * q : (l + 1) * q, k * q : (k + 1) * q] = blk.T
    return {
        "loss": np.asarray(float(np.sum(lossv, dtype=np.float64))),
        "grad": G.T,
        "hess": H,
        "sw": np.asarray(sw),
    }


def fold_score_kernel(X, y, w, coefs, *, xp, fit_intercept, metric, n_classes):
    """Weighted accuracy or log-loss of many coefficient sets at once (one read of X).

    Parameters
    ----------
    X : (n, p) chunk; y : (n,) encoded labels (0/1 floats for binary, int64 indices
    otherwise); w : (n,) weights (zero outside the rows to score) or None
    coefs : (M, K, q) host array: M models (K = 1 for binary)
    metric : {'accuracy', 'neg_log_loss'}

    Returns
    -------
    dict: ``num`` (M,) weighted sums of hits (accuracy) or of ``-log p_y`` (log-loss,
    probabilities clipped to ``[eps, 1 - eps]`` as scikit-learn), ``den`` weight sum.
    """
    n, p = X.shape
    dt = X.dtype
    f64 = xp.float64
    coefs = np.asarray(coefs, dtype=np.float64)
    M, K, q = coefs.shape
    W = xp.asarray(np.ascontiguousarray(coefs[:, :, :p].reshape(M * K, p).T), dtype=dt)
    b0 = xp.asarray(coefs[:, :, p].reshape(-1) if fit_intercept else np.zeros(M * K), dtype=dt)
    eps = float(np.finfo(np.float32 if dt == xp.float32 else np.float64).eps)
    num = xp.zeros((M,), dtype=f64)
    den = xp.asarray(0.0, dtype=f64)
    for a, b in chunk_blocks(X, p + M * K, X.dtype.itemsize if hasattr(X.dtype, "itemsize") else 8):
        Z = matmul_x(block(X, a, b), W, xp) + b0
        wb = None if w is None else xp.astype(w[a:b], dt)
        if K == 1:
            yb = xp.astype(y[a:b], dt)[:, None]
            if metric == "accuracy":
                s = xp.astype(xp.astype(Z > 0, dt) == yb, dt)
            else:
                ez = xp.exp(-xp.abs(Z))
                p1 = xp.where(Z >= 0, 1.0 / (1.0 + ez), ez / (1.0 + ez))
                py = xp.where(yb > 0.5, p1, 1.0 - p1)
                s = -xp.log(xp.clip(py, eps, 1 - eps))
        else:
            Z3 = xp.reshape(Z, (b - a, M, K))
            yb = y[a:b]
            if metric == "accuracy":
                s = xp.astype(xp.argmax(Z3, axis=2) == yb[:, None], dt)
            else:
                zmax = xp.max(Z3, axis=2, keepdims=True)
                lse = xp.log(xp.sum(xp.exp(Z3 - zmax), axis=2)) + zmax[:, :, 0]
                onehot = xp.astype(yb[:, None] == xp.arange(K, dtype=xp.int64)[None, :], dt)
                zy = xp.sum(Z3 * onehot[:, None, :], axis=2)
                py = xp.exp(zy - lse)
                s = -xp.log(xp.clip(py, eps, 1 - eps))
        if wb is not None:
            s = s * wb[:, None]
            den = den + xp.sum(xp.astype(wb, f64))
        else:
            den = den + float(b - a)
        num = num + xp.sum(xp.astype(s, f64), axis=0)
    return {"num": num, "den": den}
