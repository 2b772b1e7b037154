"""Chunk kernels of the multi-layer perceptrons: the whole network's forward and backward
pass over one chunk (or over the chunk's share of a global minibatch).

Parameters travel packed as scikit-learn packs them (every layer's coefficients, then
every layer's intercepts, row-major). Kernels use ``xp`` only, so CuPy chunks run on
their device; the small results come back in the chunk's namespace.
"""

from __future__ import annotations

import numpy as np

from dml._engine.blockwise import guard_finite
from dml._engine.compiled import compiled
from dml._engine.namespace import is_sparse, to_numpy

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def row_uniform(idx, seed, *, xp):
    """Uniform numbers in (0, 1), one per global row index in ``idx`` (SplitMix64 of
    ``idx`` and ``seed``): the same draw for a row whatever the chunking."""
    z = xp.astype(idx, xp.uint64) * _GOLDEN + np.uint64(int(seed) & 0xFFFFFFFFFFFFFFFF)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (xp.astype(z >> np.uint64(11), xp.float64) + 0.5) * (2.0**-53)


def unpack(theta, layer_units, xp):
    """``(coefs, intercepts)`` lists from the packed vector (scikit-learn's order)."""
    coefs, intercepts, start = [], [], 0
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        end = start + fan_in * fan_out
        coefs.append(xp.reshape(theta[start:end], (fan_in, fan_out)))
        start = end
    for fan_out in layer_units[1:]:
        intercepts.append(theta[start : start + fan_out])
        start += fan_out
    return coefs, intercepts


def _activate(Z, name, xp):
    if name == "identity":
        return Z
    if name == "logistic":
        return 1.0 / (1.0 + xp.exp(-Z))
    if name == "tanh":
        return xp.tanh(Z)
    if name == "relu":
        return xp.maximum(Z, xp.zeros_like(Z))
    if name == "exp":
        return xp.exp(Z)
    if name == "softmax":
        Z = Z - xp.max(Z, axis=1, keepdims=True)
        E = xp.exp(Z)
        return E / xp.sum(E, axis=1, keepdims=True)
    raise ValueError(f"Unknown activation {name!r}.")


def _derivative(A, delta, name, xp):
    """``delta`` times the activation's derivative, from the activation's output ``A``."""
    if name == "identity":
        return delta
    if name == "logistic":
        return delta * A * (1.0 - A)
    if name == "tanh":
        return delta * (1.0 - A * A)
    if name == "relu":
        return xp.where(A == 0, xp.zeros_like(delta), delta)
    raise ValueError(f"Unknown activation {name!r}.")


def forward(X, coefs, intercepts, activation, out_activation, xp):
    """Every layer's activations (``X`` first, the output last)."""
    acts = [X]
    last = len(coefs) - 1
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = acts[-1] @ W + b
        acts.append(_activate(Z, out_activation if i == last else activation, xp))
    return acts


def _row_losses(Y, P, loss, xp):
    """Per-row loss whose weighted mean is scikit-learn's loss function."""
    if loss == "squared_error":
        return 0.5 * xp.sum((Y - P) ** 2, axis=1) / Y.shape[1]
    if loss == "poisson":
        ratio = xp.where(Y > 0, Y / P, xp.ones_like(P))
        return xp.sum(Y * xp.log(ratio) - Y + P, axis=1)
    eps = float(np.finfo(np.dtype(str(P.dtype).split(".")[-1])).eps)
    P = xp.clip(P, eps, 1.0 - eps)
    if loss == "binary_log_loss" or P.shape[1] == 1:
        return -xp.sum(Y * xp.log(P) + (1.0 - Y) * xp.log(1.0 - P), axis=1)
    return -xp.sum(Y * xp.log(P), axis=1)


def _batch(X, y, w, rows, row_offset, xp):
    """The chunk's rows among the sorted global ``rows`` (all of them when None)."""
    if rows is None:
        return X, y, w
    n = X.shape[0]
    lo, hi = np.searchsorted(rows, [row_offset, row_offset + n])
    local = rows[lo:hi] - row_offset
    if local.shape[0] and int(local[-1]) - int(local[0]) + 1 == local.shape[0]:
        sel = slice(int(local[0]), int(local[-1]) + 1)  # contiguous: a view, as slices
        return X[sel], y[sel], None if w is None else w[sel]
    return _take(X, local, xp), _take(y, local, xp), None if w is None else _take(w, local, xp)


def _take(a, idx, xp):
    """Rows ``idx`` (host integers) of ``a``: CSR chunks by indexing, arrays by integer
    array indexing (which reads only those rows: NumPy's ``take`` first copies a chunk
    that is not C-contiguous, such as a Fortran-ordered one, whole)."""
    if is_sparse(a):
        return a[to_numpy(idx)]
    return a[xp.asarray(idx)]


def mlp_loss_grad_kernel(
    X, y, w, theta, rows, *, xp, layer_units, activation, out_activation, loss, row_offset=0
):
    """Summed loss and gradient of the network over the chunk (or its share of ``rows``).

    Returns ``{"loss": sum_i w_i l_i, "grad": sum_i w_i dl_i/dtheta (packed), "sw":
    sum_i w_i, "n": rows used}``; the driver divides by the global ``sw`` and adds the
    L2 term, so the sum over chunks is the full-batch (or minibatch) gradient.
    """
    X, y, w = _batch(X, y, w, rows, row_offset, xp)
    theta = xp.asarray(theta)
    n = X.shape[0]
    if n == 0:
        return {
            "loss": xp.zeros((), dtype=xp.float64),
            "grad": xp.zeros(theta.shape, dtype=theta.dtype),
            "sw": xp.zeros((), dtype=xp.float64),
            "n": 0,
        }
    Y = xp.astype(xp.reshape(y, (n, -1)), X.dtype)
    coefs, intercepts = unpack(theta, layer_units, xp)
    acts = forward(X, coefs, intercepts, activation, out_activation, xp)
    losses = _row_losses(Y, acts[-1], loss, xp)
    delta = acts[-1] - Y
    if w is not None:
        w = xp.astype(w, X.dtype)
        losses = losses * w
        delta = delta * w[:, None]
        sw = xp.sum(xp.astype(w, xp.float64))
    else:
        sw = xp.asarray(float(n), dtype=xp.float64)
    coef_grads = [None] * len(coefs)
    intercept_grads = [None] * len(coefs)
    for i in range(len(coefs) - 1, -1, -1):
        coef_grads[i] = acts[i].T @ delta
        intercept_grads[i] = xp.sum(delta, axis=0)
        if i > 0:
            delta = _derivative(acts[i], delta @ coefs[i].T, activation, xp)
    grad = xp.concat([xp.reshape(g, (-1,)) for g in coef_grads + intercept_grads])
    return {"loss": xp.sum(xp.astype(losses, xp.float64)), "grad": grad, "sw": sw, "n": int(n)}


def mlp_predict_kernel(X, *, xp, theta, layer_units, activation, out_activation, output, classes=None):
    """Blockwise prediction: the network's output, probabilities or labels."""
    theta = xp.asarray(theta)
    coefs, intercepts = unpack(theta, layer_units, xp)
    P = guard_finite(forward(X, coefs, intercepts, activation, out_activation, xp)[-1], X)
    if output == "raw":
        return P[:, 0] if P.shape[1] == 1 else P
    if output == "proba":
        return xp.concat([1.0 - P, P], axis=1) if P.shape[1] == 1 else P
    if output == "multilabel":
        return xp.astype(P > 0.5, xp.int64)
    code = P[:, 0] > 0.5 if P.shape[1] == 1 else xp.argmax(P, axis=1)
    return classes[to_numpy(code).astype(np.int64)]


def mlp_validation_kernel(
    X, y, w, theta, *, xp, layer_units, activation, out_activation, task, seed, fraction, row_offset=0
):
    """Sums for the validation score over the chunk's validation rows (rows whose
    :func:`row_uniform` draw is below ``fraction``): weighted correct predictions for a
    classifier, R^2 sums per output for a regressor."""
    n = X.shape[0]
    idx = xp.arange(int(row_offset), int(row_offset) + n, dtype=xp.int64)
    mask = row_uniform(idx, seed, xp=xp) < fraction
    sel = to_numpy(xp.nonzero(mask)[0])
    Xv = _take(X, sel, xp)
    Y = xp.astype(xp.reshape(_take(y, sel, xp), (Xv.shape[0], -1)), xp.float64)
    wv = xp.ones((Xv.shape[0],), dtype=xp.float64) if w is None else xp.astype(_take(w, sel, xp), xp.float64)
    theta = xp.asarray(theta)
    coefs, intercepts = unpack(theta, layer_units, xp)
    P = xp.astype(forward(Xv, coefs, intercepts, activation, out_activation, xp)[-1], xp.float64)
    if task == "regression":
        return {
            "sw": xp.sum(wv),
            "sy": xp.sum(wv[:, None] * Y, axis=0),
            "syy": xp.sum(wv[:, None] * Y * Y, axis=0),
            "sres": xp.sum(wv[:, None] * (Y - P) ** 2, axis=0),
            "n": int(Xv.shape[0]),
        }
    if task == "multiclass":
        ok = xp.argmax(P, axis=1) == xp.argmax(Y, axis=1)
    else:  # binary or multilabel: every output right
        ok = xp.all((P > 0.5) == (Y > 0.5), axis=1)
    return {"sw": xp.sum(wv), "correct": xp.sum(wv * xp.astype(ok, xp.float64)), "n": int(Xv.shape[0])}


def mlp_local_steps_kernel(
    X,
    y,
    w,
    theta,
    state_1,
    state_2,
    rows,
    bounds,
    *,
    xp,
    layer_units,
    activation,
    out_activation,
    loss,
    alpha,
    solver,
    opt,
    row_offset=0,
):
    """``len(bounds) - 1`` local optimizer steps of one replica on its chunk's shares of
    consecutive global minibatches (``rows[bounds[j]:bounds[j + 1]]``), from the common
    weights and optimizer state (``state_1``, ``state_2``: velocity, or Adam's moments).

    Every step is scikit-learn's update with the gradient of the chunk's share (normalised
    by the share's weight, with the L2 term on it). Returns the weights and optimizer
    state times the rows the replica used (the driver divides the sums by ``"n"``: the
    replicas' parameters averaged in proportion to their data), and ``"loss"``, the sum of
    the steps' share losses times their rows.

    Computation: one task, no pass over the chunk: every step reads only its share's
    rows. A host chunk (NumPy, dense float32 / float64, any memory order; the activations,
    output activations and losses of the estimators; 'sgd' or 'adam') runs the steps in
    one compiled loop (:func:`_local_steps_compiled`: the rows of all the steps gathered
    first, a Fortran-ordered chunk column by column; per step each layer's product by
    ``np.dot``, that is BLAS, the rest in loops), in the chunk's dtype; other chunks
    (CuPy, sparse, other dtypes) run the same steps as namespace expressions, one
    kernel call per step. Both give the same weights to rounding. Memory per task: a
    step's activations (``share x sum(layer_units)``), a few copies of the packed
    weights and, on the compiled path, the rows of all the task's steps
    (``len(rows) / n_chunks x n_features`` on average).
    """
    if _compiled_case(
        X, y, w, theta, state_1, state_2, rows, bounds, activation, out_activation, loss, solver
    ):
        return _local_steps_host(
            X,
            y,
            w,
            theta,
            state_1,
            state_2,
            rows,
            bounds,
            layer_units,
            activation,
            out_activation,
            loss,
            alpha,
            solver,
            opt,
            row_offset,
        )
    theta = xp.asarray(theta)
    s1, s2 = xp.asarray(state_1), xp.asarray(state_2)
    n_coef = int(sum(a * b for a, b in zip(layer_units[:-1], layer_units[1:])))
    used, loss_rows = 0, 0.0
    for j in range(len(bounds) - 1):
        share = rows[int(bounds[j]) : int(bounds[j + 1])]
        out = mlp_loss_grad_kernel(
            X,
            y,
            w,
            theta,
            share,
            xp=xp,
            layer_units=layer_units,
            activation=activation,
            out_activation=out_activation,
            loss=loss,
            row_offset=row_offset,
        )
        if out["n"] == 0:
            continue
        sw = float(out["sw"])
        W = theta[:n_coef]
        loss_rows += (float(out["loss"]) / sw + 0.5 * alpha * float(xp.sum(W * W)) / sw) * out["n"]
        grad = out["grad"] / sw
        grad = xp.concat([grad[:n_coef] + alpha * W / sw, grad[n_coef:]])
        grad = xp.astype(grad, theta.dtype)
        if solver == "sgd":
            lr, mom = opt["learning_rate"], opt["momentum"]
            s1 = mom * s1 - lr * grad
            theta = theta + (mom * s1 - lr * grad if opt["nesterov"] else s1)
        else:
            t = opt["t"] + j + 1
            b1, b2 = opt["beta_1"], opt["beta_2"]
            s1 = b1 * s1 + (1 - b1) * grad
            s2 = b2 * s2 + (1 - b2) * (grad * grad)
            lr = opt["learning_rate_init"] * np.sqrt(1 - b2**t) / (1 - b1**t)
            theta = theta - lr * s1 / (xp.sqrt(s2) + opt["epsilon"])
        used += out["n"]
    if used == 0:
        return {}
    return {"theta": theta * used, "state_1": s1 * used, "state_2": s2 * used, "n": used, "loss": loss_rows}


# ----------------------------------------------------------- compiled local steps

#: Codes of the compiled local-steps loop (activations, output activations, losses).
_ACTIVATION_CODES = {"identity": 0, "logistic": 1, "tanh": 2, "relu": 3}
_OUT_CODES = {"identity": 0, "logistic": 1, "softmax": 4, "exp": 5}
_LOSS_CODES = {"squared_error": 0, "binary_log_loss": 1, "log_loss": 2, "poisson": 3}


def _compiled_case(X, y, w, theta, state_1, state_2, rows, bounds, activation, out_activation, loss, solver):
    """Whether :func:`_local_steps_compiled` runs these arguments: host dense float32 /
    float64 chunks of any memory order (targets and weights host arrays), the compiled
    activations and losses, 'sgd' or 'adam'."""
    if not (type(X) is np.ndarray and X.ndim == 2 and X.dtype in (np.float32, np.float64)):
        return False
    if not isinstance(y, np.ndarray) or y.shape[0] != X.shape[0]:
        return False
    if y.dtype.kind not in "biuf" or (w is not None and not isinstance(w, np.ndarray)):
        return False
    if any(not isinstance(a, np.ndarray) for a in (theta, state_1, state_2, rows, bounds)):
        return False
    return (
        activation in _ACTIVATION_CODES
        and out_activation in _OUT_CODES
        and loss in _LOSS_CODES
        and solver in ("sgd", "adam")
    )


@compiled(fastmath={"nsz", "arcp", "contract", "afn", "reassoc"}, error_model="numpy")
def _local_steps_compiled(
    X,
    transposed,
    YB,
    WB,
    has_w,
    theta,
    s1,
    s2,
    src,
    count,
    units,
    act,
    out_act,
    loss,
    clip_eps,
    alpha,
    adam,
    learning_rate,
    momentum,
    nesterov,
    t0,
    beta_1,
    beta_2,
    epsilon,
):
    """:func:`mlp_local_steps_kernel`'s loop for one host chunk (``theta``, ``s1``, ``s2``
    updated in place, in ``X``'s dtype): returns ``(rows used, loss times rows)``.

    Step ``j`` uses the next ``count[j]`` of the chunk's rows ``src`` (its share), whose
    targets and weights are ``YB`` and ``WB`` (in ``X``'s dtype); ``X`` is the chunk, or
    its transpose (``transposed``) for a chunk whose columns are contiguous. The rows of
    all the steps are gathered first into one buffer (a transposed chunk column by
    column, so each column's reads stay within that column); per step every layer's
    product is one ``np.dot`` (BLAS), the activations, loss, deltas and the optimizer
    update are loops.
    """
    p = X.shape[0] if transposed else X.shape[1]
    k = YB.shape[1]
    n_layers = units.shape[0] - 1
    coef_start = np.zeros(n_layers + 1, dtype=np.int64)
    for i in range(n_layers):
        coef_start[i + 1] = coef_start[i] + units[i] * units[i + 1]
    n_coef = coef_start[n_layers]
    bias_start = np.zeros(n_layers + 1, dtype=np.int64)
    bias_start[0] = n_coef
    for i in range(n_layers):
        bias_start[i + 1] = bias_start[i] + units[i + 1]
    n_theta = theta.shape[0]
    grad = np.empty(n_theta, dtype=theta.dtype)
    n_steps = count.shape[0]
    total = src.shape[0]
    XB = np.empty((total, p), dtype=X.dtype)
    if transposed:
        for c in range(p):
            for r in range(total):
                XB[r, c] = X[c, src[r]]
    else:
        for r in range(total):
            for c in range(p):
                XB[r, c] = X[src[r], c]
    used = 0
    loss_rows = 0.0
    off = 0
    for j in range(n_steps):
        m = count[j]
        if m == 0:
            continue
        Xb = XB[off : off + m]
        Yb = YB[off : off + m]
        wb = WB[off : off + m]
        off += m
        sw = 0.0
        if has_w:
            for r in range(m):
                sw += np.float64(wb[r])
        else:
            sw = np.float64(m)
        # forward
        coefs = []
        acts = [Xb]
        for i in range(n_layers):
            W = theta[coef_start[i] : coef_start[i + 1]].reshape((units[i], units[i + 1]))
            coefs.append(W)
            Z = np.dot(acts[i], W)
            code = out_act if i == n_layers - 1 else act
            fo = units[i + 1]
            bias = theta[bias_start[i] : bias_start[i + 1]]
            for r in range(m):
                for c in range(fo):
                    Z[r, c] += bias[c]
            if code == 1:
                for r in range(m):
                    for c in range(fo):
                        Z[r, c] = 1.0 / (1.0 + np.exp(-Z[r, c]))
            elif code == 2:
                for r in range(m):
                    for c in range(fo):
                        Z[r, c] = np.tanh(Z[r, c])
            elif code == 3:
                for r in range(m):
                    for c in range(fo):
                        if Z[r, c] < 0:
                            Z[r, c] = 0.0
            elif code == 4:
                for r in range(m):
                    zmax = Z[r, 0]
                    for c in range(1, fo):
                        if Z[r, c] > zmax:
                            zmax = Z[r, c]
                    tot = 0.0
                    for c in range(fo):
                        Z[r, c] = np.exp(Z[r, c] - zmax)
                        tot += Z[r, c]
                    for c in range(fo):
                        Z[r, c] = Z[r, c] / tot
            elif code == 5:
                for r in range(m):
                    for c in range(fo):
                        Z[r, c] = np.exp(Z[r, c])
            acts.append(Z)
        P = acts[n_layers]
        # loss and the output delta
        loss_sum = 0.0
        delta = np.empty((m, k), dtype=X.dtype)
        for r in range(m):
            row_loss = 0.0
            for c in range(k):
                yv = np.float64(Yb[r, c])
                pv = np.float64(P[r, c])
                if loss == 0:
                    row_loss += (yv - pv) ** 2
                elif loss == 3:
                    row_loss += yv * np.log(yv / pv if yv > 0 else 1.0) - yv + pv
                else:
                    q = min(max(pv, clip_eps), 1.0 - clip_eps)
                    if loss == 1 or k == 1:
                        row_loss -= yv * np.log(q) + (1.0 - yv) * np.log(1.0 - q)
                    else:
                        row_loss -= yv * np.log(q)
                delta[r, c] = (P[r, c] - Yb[r, c]) * wb[r]
            if loss == 0:
                row_loss = 0.5 * row_loss / k
            loss_sum += row_loss * np.float64(wb[r])
        # backward
        for i in range(n_layers - 1, -1, -1):
            G = np.dot(acts[i].T, delta)
            fi = units[i]
            fo = units[i + 1]
            base = coef_start[i]
            for r in range(fi):
                for c in range(fo):
                    grad[base + r * fo + c] = G[r, c]
            bs = bias_start[i]
            for c in range(fo):
                grad[bs + c] = 0.0
            for r in range(m):
                for c in range(fo):
                    grad[bs + c] += delta[r, c]
            if i > 0:
                D = np.dot(delta, coefs[i].T)
                A = acts[i]
                if act == 1:
                    for r in range(m):
                        for c in range(fi):
                            D[r, c] = D[r, c] * A[r, c] * (1.0 - A[r, c])
                elif act == 2:
                    for r in range(m):
                        for c in range(fi):
                            D[r, c] = D[r, c] * (1.0 - A[r, c] * A[r, c])
                elif act == 3:
                    for r in range(m):
                        for c in range(fi):
                            if A[r, c] == 0:
                                D[r, c] = 0.0
                delta = D
        # the step
        ww = 0.0
        for q in range(n_coef):
            ww += np.float64(theta[q]) * np.float64(theta[q])
        loss_rows += (loss_sum / sw + 0.5 * alpha * ww / sw) * m
        for q in range(n_coef):
            grad[q] = grad[q] / sw + alpha * theta[q] / sw
        for q in range(n_coef, n_theta):
            grad[q] = grad[q] / sw
        if adam:
            t = t0 + j + 1
            lr = learning_rate * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
            for q in range(n_theta):
                g = grad[q]
                s1[q] = beta_1 * s1[q] + (1.0 - beta_1) * g
                s2[q] = beta_2 * s2[q] + (1.0 - beta_2) * (g * g)
                theta[q] = theta[q] - lr * s1[q] / (np.sqrt(s2[q]) + epsilon)
        elif nesterov:
            for q in range(n_theta):
                s1[q] = momentum * s1[q] - learning_rate * grad[q]
                theta[q] = theta[q] + (momentum * s1[q] - learning_rate * grad[q])
        else:
            for q in range(n_theta):
                s1[q] = momentum * s1[q] - learning_rate * grad[q]
                theta[q] = theta[q] + s1[q]
        used += m
    return used, loss_rows


def _local_steps_host(
    X,
    y,
    w,
    theta,
    state_1,
    state_2,
    rows,
    bounds,
    layer_units,
    activation,
    out_activation,
    loss,
    alpha,
    solver,
    opt,
    row_offset,
):
    """:func:`mlp_local_steps_kernel` by :func:`_local_steps_compiled` (weights, state
    and arithmetic in the chunk's dtype)."""
    dtype = X.dtype
    theta = np.array(theta, dtype=dtype)
    s1 = np.array(state_1, dtype=dtype)
    s2 = np.array(state_2, dtype=dtype)
    n = X.shape[0]
    # the chunk's rows of every share (sorted shares: a contiguous run of each), in order
    rows = np.asarray(rows, dtype=np.int64)
    inside = (rows >= row_offset) & (rows < row_offset + n)
    ends = np.concatenate([[0], np.cumsum(inside)])
    bounds = np.asarray(bounds, dtype=np.int64)
    count = ends[bounds[1:]] - ends[bounds[:-1]]
    src = rows[inside] - row_offset
    YB = np.ascontiguousarray(y.reshape(n, -1)[src], dtype=dtype)
    has_w = w is not None
    WB = np.ascontiguousarray(w[src], dtype=dtype) if has_w else np.ones(src.shape[0], dtype=dtype)
    # columns contiguous (a Fortran-ordered chunk): read through the C-ordered transpose
    transposed = bool(X.strides[0] < X.strides[1])
    adam = solver == "adam"
    used, loss_rows = _local_steps_compiled(
        X.T if transposed else X,
        transposed,
        YB,
        WB,
        has_w,
        theta,
        s1,
        s2,
        src,
        count,
        np.asarray(layer_units, dtype=np.int64),
        _ACTIVATION_CODES[activation],
        _OUT_CODES[out_activation],
        _LOSS_CODES[loss],
        float(np.finfo(dtype).eps),
        float(alpha),
        adam,
        float(opt["learning_rate_init"] if adam else opt["learning_rate"]),
        0.0 if adam else float(opt["momentum"]),
        False if adam else bool(opt["nesterov"]),
        int(opt["t"]) if adam else 0,
        float(opt["beta_1"]) if adam else 0.0,
        float(opt["beta_2"]) if adam else 0.0,
        float(opt["epsilon"]) if adam else 0.0,
    )
    if used == 0:
        return {}
    return {
        "theta": theta * used,
        "state_1": s1 * used,
        "state_2": s2 * used,
        "n": int(used),
        "loss": float(loss_rows),
    }
