"""Chunk kernels of the naive Bayes classifiers: pure functions of ``(chunk, ..., *, xp)``.

Every fit is one pass of :func:`gaussian_stats_kernel`, :func:`class_counts_kernel` or
:func:`category_counts_kernel`. Each finds the chunk's own labels and returns its
per-class statistics keyed by them, so the classes need no pass of their own:
:func:`combine_class_stats` merges partials over the union of their labels (on the
host: the statistics are small), adding counts and merging Gaussian moments with
Chan, Golub and LeVeque's exact pairwise update, as scikit-learn's
``GaussianNB._update_mean_variance`` does between batches. Sums are accumulated in
float64 whatever the chunk's dtype.

The blockwise :func:`nb_predict_kernel` gives the joint log likelihood of a chunk and,
from it, the predicted labels or the (log) probabilities.
"""

from __future__ import annotations

import numpy as np
from array_api_compat import is_numpy_namespace

from dml._engine.blockwise import guard_finite
from dml._engine.kernels import block_rows, row_blocks
from dml._engine.namespace import as_float64, assert_finite_chunk, is_sparse, to_numpy

# --------------------------------------------------------------------------- labels


def _unique_inverse_numpy(y):
    """``np.unique(y, return_inverse=True)``; integer labels of a small range take a
    counting path (no sort)."""
    if y.dtype.kind in "iu" and y.size:
        lo, hi = int(y.min()), int(y.max())
        span = hi - lo + 1
        if span <= max(65536, y.size):
            shifted = y - y.dtype.type(lo) if lo else y
            present = np.flatnonzero(np.bincount(shifted, minlength=span))
            lookup = np.zeros(span, dtype=np.int64)
            lookup[present] = np.arange(present.size)
            return (present + lo).astype(y.dtype), lookup[shifted]
    values, inverse = np.unique(y, return_inverse=True)
    return values, inverse.ravel().astype(np.int64, copy=False)


def chunk_labels(y, *, xp):
    """The sorted distinct labels of a chunk's ``y`` (host NumPy) and every row's index
    into them (int64, in ``xp``: the namespace of the chunk's X).

    Labels of any dtype (strings too) are handled on the host when ``y`` is a NumPy
    array; other namespaces use ``xp.unique_inverse``.
    """
    if isinstance(y, np.ndarray):
        if y.dtype.kind == "f" and np.isnan(y).any():
            raise ValueError("Input y contains NaN.")
        values, inverse = _unique_inverse_numpy(y)
        return values, inverse if is_numpy_namespace(xp) else xp.asarray(inverse)
    yp = y.__array_namespace__() if hasattr(y, "__array_namespace__") else xp
    if yp.isdtype(y.dtype, "real floating") and bool(yp.any(yp.isnan(y))):
        raise ValueError("Input y contains NaN.")
    values, inverse = yp.unique_inverse(y)
    return to_numpy(values), xp.astype(xp.asarray(inverse), xp.int64)


def _nonzero(w, xp):
    """The number of non-zero weights of a chunk (0 without weights)."""
    return xp.asarray(0 if w is None else int(xp.sum(xp.astype(w != 0, xp.int64))), dtype=xp.int64)


def _one_hot(inv, k, w, xp):
    """(rows, k) float64 indicator of each row's class, times its weight."""
    Y = xp.astype(inv[:, None] == xp.arange(k, dtype=xp.int64)[None, :], xp.float64)
    return Y if w is None else Y * as_float64(w, xp)[:, None]


def _chan(na, ma, sa, nb, mb, sb, xp):
    """Chan et al.'s merge of per-class (weight, mean, centred sum of squares):
    ``n`` of shape (k,), the others (k, p). Classes of zero weight are neutral."""
    n = na + nb
    safe = xp.where(n != 0, n, 1.0)
    delta = mb - ma
    mean = ma + delta * (nb / safe)[:, None]
    m2 = sa + sb + (na * nb / safe)[:, None] * (delta * delta)
    return n, mean, m2


# ------------------------------------------------------------------------ fit kernels


def gaussian_stats_kernel(X, y, w, *, xp):
    """Per-class weight, mean and centred sum of squares of a chunk (GaussianNB).

    Each cache-sized row block is centred on its own per-class means (exact to
    rounding) and merged into the running moments with Chan's update, so large
    feature offsets do not cancel. With weights, the unweighted moments of all rows
    are returned too (``g_n``, ``g_mean``, ``g_m2``): scikit-learn's ``epsilon_`` is
    the unweighted variance; without weights they follow from the class moments.

    Returns
    -------
    dict with ``labels`` (k,) host labels, ``n`` (k,), ``mean`` (k, p), ``m2`` (k, p)
    and, when weighted, ``g_n`` (scalar), ``g_mean`` (p,), ``g_m2`` (p,).
    """
    labels, inv = chunk_labels(y, xp=xp)
    if is_numpy_namespace(xp) and isinstance(X, np.ndarray):
        out = _gaussian_numpy(X, inv, None if w is None else np.asarray(w), labels)
        out["w_nonzero"] = _nonzero(w, xp)
        return out
    k = labels.shape[0]
    n_rows, p = X.shape
    f64 = xp.float64
    cnt = xp.zeros((k,), dtype=f64)
    mean = xp.zeros((k, p), dtype=f64)
    m2 = xp.zeros((k, p), dtype=f64)
    g = None
    for a, b in row_blocks(n_rows, p, 8):
        Xb = as_float64(X[a:b, :], xp)
        ib = inv[a:b]
        Yb = _one_hot(ib, k, None if w is None else w[a:b], xp)
        nb = xp.sum(Yb, axis=0)
        mb = xp.matmul(xp.permute_dims(Yb, (1, 0)), Xb) / xp.where(nb != 0, nb, 1.0)[:, None]
        D = Xb - xp.take(mb, ib, axis=0)
        sb = xp.matmul(xp.permute_dims(Yb, (1, 0)), D * D)
        cnt, mean, m2 = _chan(cnt, mean, m2, nb, mb, sb, xp)
        if w is not None:
            gm = xp.mean(Xb, axis=0)
            Dg = Xb - gm
            gb = (xp.asarray([float(b - a)], dtype=f64), gm[None, :], xp.sum(Dg * Dg, axis=0)[None, :])
            g = gb if g is None else _chan(*g, *gb, xp)
    out = {"labels": labels, "n": cnt, "mean": mean, "m2": m2, "w_nonzero": _nonzero(w, xp)}
    if g is not None:
        out.update(g_n=g[0][0], g_mean=g[1][0, :], g_m2=g[2][0, :])
    return out


def _gaussian_numpy(X, inv, w, labels):
    """:func:`gaussian_stats_kernel` for NumPy chunks: the same per-block moments,
    with per-chunk block buffers (Dask's workers hand freed memory back to the OS at
    once, so a fresh block-sized temporary page-faults every time)."""
    k = labels.shape[0]
    n_rows, p = X.shape
    step = block_rows(p)
    m0 = min(step, n_rows)
    D_buf = np.empty((m0, p))
    X_buf = np.empty((m0, p)) if X.dtype != np.float64 else None
    ids = np.arange(k)
    cnt, mean, m2 = np.zeros(k), np.zeros((k, p)), np.zeros((k, p))
    g = None
    for a in range(0, n_rows, step):
        b = min(n_rows, a + step)
        m = b - a
        Xb = X[a:b]
        if X_buf is not None:
            Xb = np.copyto(X_buf[:m], Xb) or X_buf[:m]
        ib = inv[a:b]
        Yt = (ids[:, None] == ib[None, :]).astype(np.float64)  # (k, rows): contiguous for BLAS
        if w is not None:
            Yt *= w[None, a:b]
        nb = Yt.sum(axis=1)
        mb = (Yt @ Xb) / np.where(nb != 0, nb, 1.0)[:, None]
        # mode="clip" (the indices are valid): with out= and the default "raise", NumPy
        # gathers into a temporary first (5x slower)
        D = np.take(mb, ib, axis=0, out=D_buf[:m], mode="clip")
        np.subtract(Xb, D, out=D)
        np.multiply(D, D, out=D)
        cnt, mean, m2 = _chan(cnt, mean, m2, nb, mb, Yt @ D, np)
        if w is not None:
            gm = Xb.sum(axis=0) / m
            D = np.subtract(Xb, gm, out=D_buf[:m])
            gb = (np.array([float(m)]), gm[None, :], np.einsum("ij,ij->j", D, D)[None, :])
            g = gb if g is None else _chan(*g, *gb, np)
    out = {"labels": labels, "n": cnt, "mean": mean, "m2": m2}
    if g is not None:
        out.update(g_n=g[0][0], g_mean=g[1][0], g_m2=g[2][0])
    return out


def class_counts_kernel(X, y, w, *, xp, binarize=None):
    """Per-class (weighted) row counts and feature sums of a chunk (MultinomialNB,
    ComplementNB, BernoulliNB: ``feature_count_ += Y^T X``).

    Parameters
    ----------
    binarize : float or None
        BernoulliNB's threshold: features are ``X > binarize`` before counting.

    Returns
    -------
    dict with ``labels`` (k,) host labels, ``class_count`` (k,), ``feature_count``
    (k, p), the chunk's ``x_min`` (the negativity check; NaN and inf in X reach it or
    the counts) and, when binarizing, ``x_max`` (binarized counts hide NaN and inf:
    the minimum and maximum show them).
    """
    labels, inv = chunk_labels(y, xp=xp)
    k = labels.shape[0]
    if is_sparse(X):
        out = _class_counts_sparse(X, np.asarray(inv), None if w is None else np.asarray(w), k, binarize)
    elif is_numpy_namespace(xp) and isinstance(X, np.ndarray):
        out = _class_counts_numpy(X, inv, None if w is None else np.asarray(w), k, binarize)
    else:
        out = _class_counts_generic(X, inv, w, k, binarize, xp)
    out["labels"] = labels
    out["w_nonzero"] = _nonzero(w, xp)
    return out


def _binarized(X, threshold):
    """A CSR chunk with its stored values replaced by ``value > threshold`` (float64);
    the structure is shared, nothing is densified (a threshold >= 0 maps zeros to 0)."""
    out = X.copy() if X.dtype == np.float64 else X.astype(np.float64)
    out.data = (X.data > threshold).astype(np.float64)
    return out


def _class_counts_sparse(X, inv, w, k, binarize):
    """:func:`class_counts_kernel` for a CSR chunk: ``feature_count = Y^T X`` as one
    sparse product ``X^T Y`` (O(nnz * k)); minima and maxima of the stored values
    (implicit zeros are 0: they move neither the negativity check nor NaN / inf)."""
    data = X.data
    lo = np.asarray(np.min(data) if data.size else 0.0, dtype=np.float64)
    hi = np.asarray(np.max(data) if data.size else 0.0, dtype=np.float64)
    if binarize is not None:
        X = _binarized(X, binarize)
    elif X.dtype != np.float64:
        X = X.astype(np.float64)
    Yt = (np.arange(k)[:, None] == inv[None, :]).astype(np.float64)  # (k, rows)
    if w is not None:
        Yt *= np.asarray(w, dtype=np.float64)[None, :]
    fc = np.asarray(X.T @ Yt.T).T  # (k, p), dense: k * p
    out = {"class_count": Yt.sum(axis=1), "feature_count": np.ascontiguousarray(fc), "x_min": lo}
    if binarize is not None:
        out["x_max"] = hi
    return out


def _class_counts_generic(X, inv, w, k, binarize, xp):
    n_rows, p = X.shape
    fc = xp.zeros((k, p), dtype=xp.float64)
    cc = xp.zeros((k,), dtype=xp.float64)
    lo = hi = None
    for a, b in row_blocks(n_rows, p, 8):
        Xb = as_float64(X[a:b, :], xp)
        blo = xp.min(Xb)
        lo = blo if lo is None else xp.minimum(lo, blo)
        if binarize is not None:
            bhi = xp.max(Xb)
            hi = bhi if hi is None else xp.maximum(hi, bhi)
            Xb = xp.astype(Xb > binarize, xp.float64)
        Yb = _one_hot(inv[a:b], k, None if w is None else w[a:b], xp)
        fc = fc + xp.matmul(xp.permute_dims(Yb, (1, 0)), Xb)
        cc = cc + xp.sum(Yb, axis=0)
    out = {"class_count": cc, "feature_count": fc, "x_min": lo}
    if hi is not None:
        out["x_max"] = hi
    return out


def _class_counts_numpy(X, inv, w, k, binarize):
    """:func:`class_counts_kernel` for NumPy chunks: the transposed one-hot block
    (k, rows) is contiguous for BLAS, and float32 or binarized blocks go through one
    float64 buffer per chunk."""
    n_rows, p = X.shape
    step = block_rows(p)
    m0 = min(step, n_rows)
    buf = np.empty((m0, p)) if X.dtype != np.float64 or binarize is not None else None
    mask = np.empty((m0, p), dtype=bool) if binarize is not None else None
    ids = np.arange(k)
    fc, cc = np.zeros((k, p)), np.zeros(k)
    lo, hi = np.inf, -np.inf
    for a in range(0, n_rows, step):
        b = min(n_rows, a + step)
        Xb = X[a:b]
        lo = np.minimum(lo, Xb.min())
        if binarize is not None:
            hi = np.maximum(hi, Xb.max())
            np.copyto(buf[: b - a], np.greater(Xb, binarize, out=mask[: b - a]))
            Xb = buf[: b - a]
        elif buf is not None:
            Xb = np.copyto(buf[: b - a], Xb) or buf[: b - a]
        Yt = (ids[:, None] == inv[None, a:b]).astype(np.float64)
        if w is not None:
            Yt *= w[None, a:b]
        fc += Yt @ Xb
        cc += Yt.sum(axis=1)
    out = {"class_count": cc, "feature_count": fc, "x_min": np.asarray(lo)}
    if binarize is not None:
        out["x_max"] = np.asarray(hi)
    return out


def category_counts_kernel(X, y, w, *, xp):
    """Per-class (weighted) counts of every category of every feature (CategoricalNB).

    Categories are X's values cast to integers (truncated, as scikit-learn's
    ``dtype="int"`` validation does). The chunk's column minima and maxima are read
    first: a chunk holding NaN, inf or a negative category returns them without
    counts (the fit raises scikit-learn's error).

    Returns
    -------
    dict with ``labels`` (k,), ``class_count`` (k,), ``x_min`` / ``x_max`` (p,) and
    ``category_count``: a tuple with one (k, max_j + 1) array per feature (``None``
    for a bad chunk).
    """
    labels, inv = chunk_labels(y, xp=xp)
    k = labels.shape[0]
    n_rows, p = X.shape
    lo = as_float64(xp.min(X, axis=0), xp)
    hi = as_float64(xp.max(X, axis=0), xp)
    out = {"labels": labels, "x_min": lo, "x_max": hi, "w_nonzero": _nonzero(w, xp)}
    lo_h, hi_h = to_numpy(lo), to_numpy(hi)
    if not (np.all(np.isfinite(lo_h)) and np.all(np.isfinite(hi_h))) or np.any(lo_h <= -1):
        out["class_count"] = xp.zeros((k,), dtype=xp.float64)
        out["category_count"] = None
        return out
    n_cat = [int(v) + 1 for v in hi_h]
    if is_numpy_namespace(xp) and isinstance(X, np.ndarray):
        ww = None if w is None else np.asarray(w, dtype=np.float64)
        cc = np.bincount(inv, weights=ww, minlength=k).astype(np.float64)
        counts = []
        for j in range(p):
            codes = inv * n_cat[j] + X[:, j].astype(np.int64)
            c = np.bincount(codes, weights=ww, minlength=k * n_cat[j]).astype(np.float64)
            counts.append(c.reshape(k, n_cat[j]))
    else:
        cc = xp.zeros((k,), dtype=xp.float64)
        counts = [xp.zeros((k, c), dtype=xp.float64) for c in n_cat]
        for a, b in row_blocks(n_rows, max(n_cat), 8):
            Yb = _one_hot(inv[a:b], k, None if w is None else w[a:b], xp)
            Yt = xp.permute_dims(Yb, (1, 0))
            cc = cc + xp.sum(Yb, axis=0)
            Xi = xp.astype(X[a:b, :], xp.int64)
            for j in range(p):
                cats = xp.arange(n_cat[j], dtype=xp.int64)[None, :]
                counts[j] = counts[j] + xp.matmul(Yt, xp.astype(Xi[:, j : j + 1] == cats, xp.float64))
    out["class_count"] = cc
    out["category_count"] = tuple(counts)
    return out


# --------------------------------------------------------------------------- combine

_CLASS_SUMS = ("class_count", "feature_count")


def _expand(a, idx, K):
    """Rows of ``a`` (one per label of a partial) placed at ``idx`` of ``K`` rows."""
    out = np.zeros((K,) + a.shape[1:], dtype=np.float64)
    out[idx] = a
    return out


def _pad_add(a, b):
    """``a + b`` for two (k, c) count arrays of possibly different widths ``c``."""
    if a.shape[1] < b.shape[1]:
        a, b = b, a
    out = a.copy()
    out[:, : b.shape[1]] += b
    return out


def combine_class_stats(parts):
    """Merge naive Bayes partials over the union of their labels (on the host).

    Per-class counts and sums (``class_count``, ``feature_count``, the per-feature
    ``category_count`` tables, padded to the wider one) and ``w_nonzero`` are added; per-class Gaussian
    moments (``n``, ``mean``, ``m2``) and the global ones (``g_n``, ``g_mean``,
    ``g_m2``) are merged with Chan's update; ``x_min`` / ``x_max`` take the minimum /
    maximum (NaN propagates). Associative and commutative.
    """
    parts = [p for p in parts if p]
    if not parts:
        return {}
    # NaN / inf in the data are reported after the pass (it runs in the caller too)
    with np.errstate(all="ignore"):
        return _combine(parts)


def _combine(parts):
    labels = np.unique(np.concatenate([to_numpy(p["labels"]) for p in parts]))
    K = labels.shape[0]
    out = None
    for p in parts:
        idx = np.searchsorted(labels, to_numpy(p["labels"]))
        q = {"labels": labels}
        for key in _CLASS_SUMS + ("n", "mean", "m2"):
            if key in p:
                q[key] = _expand(to_numpy(p[key]), idx, K)
        for key in ("g_n", "g_mean", "g_m2", "x_min", "x_max", "w_nonzero"):
            if key in p:
                q[key] = np.asarray(to_numpy(p[key]), dtype=np.float64)
        if "category_count" in p:
            cat = p["category_count"]
            q["category_count"] = None if cat is None else tuple(_expand(to_numpy(c), idx, K) for c in cat)
        out = q if out is None else _merge(out, q)
    return out


def _merge(a, b):
    out = {"labels": a["labels"]}
    for key in _CLASS_SUMS + ("w_nonzero",):
        if key in a:
            out[key] = a[key] + b[key]
    if "n" in a:
        out["n"], out["mean"], out["m2"] = _chan(a["n"], a["mean"], a["m2"], b["n"], b["mean"], b["m2"], np)
    if "g_n" in a:
        n, mean, m2 = _chan(
            a["g_n"][None], a["g_mean"][None, :], a["g_m2"][None, :],
            b["g_n"][None], b["g_mean"][None, :], b["g_m2"][None, :], np,
        )  # fmt: skip
        out["g_n"], out["g_mean"], out["g_m2"] = n[0], mean[0], m2[0]
    if "x_min" in a:
        out["x_min"] = np.fmin(a["x_min"], b["x_min"]) * _nan_of(a["x_min"], b["x_min"])
    if "x_max" in a:
        out["x_max"] = np.fmax(a["x_max"], b["x_max"]) * _nan_of(a["x_max"], b["x_max"])
    if "category_count" in a:
        ca, cb = a["category_count"], b["category_count"]
        out["category_count"] = None if ca is None or cb is None else tuple(map(_pad_add, ca, cb))
    return out


def _nan_of(a, b):
    """1.0 where neither ``a`` nor ``b`` is NaN, NaN elsewhere (so min / max propagate NaN)."""
    return np.where(np.isnan(a) | np.isnan(b), np.nan, 1.0)


# ------------------------------------------------------------------ predict (blockwise)


def _gaussian_jll(X, xp, theta, var, log_prior):
    """scikit-learn's per-class sum, in the promoted dtype of X and the model."""
    var_h = np.asarray(var)
    theta = xp.asarray(np.asarray(theta))
    dt = xp.result_type(X.dtype, theta.dtype)
    Xc = xp.astype(X, dt)
    theta = xp.astype(theta, dt)
    var = xp.asarray(var_h, dtype=dt)
    cols = []
    for i in range(theta.shape[0]):
        base = float(log_prior[i]) - 0.5 * float(np.sum(np.log(2.0 * np.pi * var_h[i])))
        D = Xc - theta[i, :]
        cols.append(xp.asarray(base, dtype=dt) - 0.5 * xp.sum((D * D) / var[i, :], axis=1))
    return xp.stack(cols, axis=1)


def _linear_jll(X, xp, weights, bias):
    """``X @ weights.T + bias`` in float64 (scikit-learn's discrete models)."""
    W = xp.asarray(np.ascontiguousarray(np.asarray(weights).T), dtype=xp.float64)
    return xp.matmul(as_float64(X, xp), W) + xp.asarray(np.asarray(bias), dtype=xp.float64)[None, :]


def _categorical_jll(X, xp, feature_log_prob, log_prior):
    lo = to_numpy(xp.min(X, axis=0)) if X.shape[0] else np.zeros(X.shape[1])
    hi = to_numpy(xp.max(X, axis=0)) if X.shape[0] else np.zeros(X.shape[1])
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        assert_finite_chunk(X)
    if np.any(lo <= -1):
        raise ValueError("Negative values in data passed to CategoricalNB (input X).")
    Xi = xp.astype(X, xp.int64)
    jll = xp.zeros((X.shape[0], len(log_prior)), dtype=xp.float64)
    for j, flp in enumerate(feature_log_prob):
        if X.shape[0] and int(hi[j]) >= flp.shape[1]:
            raise IndexError(
                f"Feature {j} of X holds category {int(hi[j])}, but CategoricalNB was fitted "
                f"with {flp.shape[1]} categories (0 to {flp.shape[1] - 1}) for it; set "
                "min_categories to cover every category."
            )
        table = xp.asarray(np.ascontiguousarray(np.asarray(flp).T), dtype=xp.float64)
        jll = jll + xp.take(table, Xi[:, j], axis=0)
    return jll + xp.asarray(np.asarray(log_prior), dtype=xp.float64)[None, :]


def joint_log_likelihood(X, *, xp, model, params):
    """``log P(c) + log P(x | c)`` of every row and class, shape (n_rows, n_classes).

    ``model`` is one of ``"gaussian"``, ``"linear"`` (MultinomialNB, ComplementNB),
    ``"bernoulli"``, ``"categorical"``; ``params`` its host arrays.
    """
    if model == "gaussian":
        return guard_finite(_gaussian_jll(X, xp, **params), X)
    if model == "categorical":
        return _categorical_jll(X, xp, **params)
    if is_sparse(X):
        # CSR chunk: NaN / inf on the stored values, binarized on them, one sparse product
        assert_finite_chunk(X)
        if model == "bernoulli" and params["binarize"] is not None:
            X = _binarized(X, params["binarize"])
        W = np.ascontiguousarray(np.asarray(params["weights"], dtype=np.float64).T)
        return np.asarray(X @ W) + np.asarray(params["bias"], dtype=np.float64)[None, :]
    if model == "bernoulli":
        probe = xp.sum(X * 0, axis=1)  # NaN / inf rows, which binarizing would hide
        if not bool(xp.all(xp.isfinite(probe))):
            assert_finite_chunk(X)
        Xb = X if params["binarize"] is None else xp.astype(X > params["binarize"], X.dtype)
        return _linear_jll(Xb, xp, params["weights"], params["bias"])
    return guard_finite(_linear_jll(X, xp, params["weights"], params["bias"]), X)


def _log_normalise(jll, xp):
    top = xp.max(jll, axis=1, keepdims=True)
    top = xp.where(xp.isfinite(top), top, xp.zeros_like(top))
    lse = xp.log(xp.sum(xp.exp(jll - top), axis=1, keepdims=True)) + top
    return jll - lse


def nb_predict_kernel(X, *, xp, model, params, output, classes=None):
    """A naive Bayes output for a chunk: ``output`` is ``"joint"`` (the joint log
    likelihood), ``"log_proba"``, ``"proba"`` or ``"predict"`` (labels from the host
    ``classes``, any dtype)."""
    jll = joint_log_likelihood(X, xp=xp, model=model, params=params)
    if output == "joint":
        return jll
    if output == "predict":
        idx = xp.argmax(jll, axis=1)
        classes = np.asarray(classes)
        if classes.dtype.kind in "OUSb" or is_numpy_namespace(xp):
            return classes[to_numpy(idx)]
        return xp.take(xp.asarray(classes), idx)
    logp = _log_normalise(jll, xp)
    return logp if output == "log_proba" else xp.exp(logp)


def log_prior_of(counts):
    """``log(counts / counts.sum())`` with ``log(0) = -inf`` and no warning."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(counts) - np.log(np.sum(counts))
