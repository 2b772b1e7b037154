"""Chunk kernels of PowerTransformer: pure functions of ``(chunk, ..., *, xp)``.

- :func:`power_grid_kernel` / :func:`combine_power_grid`: for a grid of candidate
  lambdas per column, the NaN-ignoring count, mean and centred sum of squares of the
  transformed column (merged with Chan's update), from which the caller evaluates the
  log-likelihood of every candidate; the first pass also returns the per-column sums
  the likelihood needs besides the variance, and the value checks;
- :func:`power_transform_block` / :func:`power_inverse_block`: blockwise transforms.

The transforms are written with ``expm1`` / ``log1p`` (``expm1(lmbda * log1p(x)) /
lmbda`` for the Yeo-Johnson branch of ``x >= 0``, ``expm1(lmbda * log(x)) / lmbda`` for
Box-Cox), equal to scikit-learn's ``((x + 1)**lmbda - 1) / lmbda`` and SciPy's ``boxcox``
and accurate near ``lmbda = 0`` (and ``2``), where the power form cancels.
"""

from __future__ import annotations

import numpy as np

from dml._engine.blockwise import guard_finite
from dml._engine.kernels import row_blocks
from dml._engine.namespace import as_float64, get_namespace, is_numpy_namespace

#: Box-Cox's error for data that are not strictly positive (scikit-learn's wording).
BOX_COX_POSITIVE = "The Box-Cox transformation can only be applied to strictly positive data"


def _expm1_over(mu, L, xp):
    """``expm1(mu * L) / mu`` with ``L`` where ``mu == 0`` (the limit)."""
    zero = mu == 0
    safe = xp.where(zero, xp.ones_like(mu), mu)
    return xp.where(zero, L, xp.expm1(mu * L) / safe)


def _yj_parts(X, xp):
    """``(pos, L)``: ``x >= 0`` and ``log1p(|x|)`` (NaN stays NaN)."""
    return X >= 0, xp.log1p(xp.abs(X))


def yeo_johnson(X, lmbdas, xp):
    """The Yeo-Johnson transform of every column of ``X`` by its ``lmbdas`` (p,)."""
    pos, L = _yj_parts(X, xp)
    lam = xp.asarray(lmbdas, dtype=X.dtype)[None, :]
    mu = xp.where(pos, lam, 2.0 - lam)
    sign = xp.where(pos, xp.ones_like(X), -xp.ones_like(X))
    return sign * _expm1_over(mu, L, xp)


def box_cox(X, lmbdas, xp):
    """The Box-Cox transform of every column of ``X`` by its ``lmbdas`` (p,)."""
    lam = xp.asarray(lmbdas, dtype=X.dtype)[None, :]
    L = xp.log(X)
    return _expm1_over(xp.broadcast_to(lam, X.shape), L, xp)


def power_grid_kernel(X, y, w, lmbdas, *, xp, method, first=False):
    """Moments of the transformed columns for a grid of lambdas, in one read of X.

    Parameters
    ----------
    X : (n, p) chunk; y, w : ignored
    lmbdas : (g, p) host array, the candidate lambdas of every column
    method : {'yeo-johnson', 'box-cox'}
    first : bool
        Also return the first pass's column statistics: ``slog`` (p,), the sum of
        ``sign(x) log1p(|x|)`` (Yeo-Johnson) or of ``log(x)`` (Box-Cox) over the
        non-NaN values, ``xmin`` / ``xmax`` / ``absmax`` (p,) (NaN-ignoring), ``n_nan`` (p,),
        ``n_inf`` (scalar) and ``n_rows``.

    Returns
    -------
    dict: ``n``, ``mean``, ``m2`` (g, p) float64 of the transformed values (NaN
    ignored); combine with :func:`combine_power_grid`.
    """
    if is_numpy_namespace(xp):
        return _power_grid_numpy(np.asarray(X), np.asarray(lmbdas, dtype=np.float64), method, first)
    n_rows, p = X.shape
    lam_x = xp.astype(xp.asarray(lmbdas, dtype=xp.float64), X.dtype)
    g = lam_x.shape[0]
    acc = None
    out = {}
    if first:
        slog = xp.zeros((p,), dtype=xp.float64)
        xmin = xp.full((p,), float("inf"), dtype=xp.float64)
        xmax = xp.full((p,), -float("inf"), dtype=xp.float64)
        absmax = xp.zeros((p,), dtype=xp.float64)
        n_nan = xp.zeros((p,), dtype=xp.int64)
        n_inf = xp.asarray(0, dtype=xp.int64)
    for a, b in row_blocks(n_rows, max(p, 1) * 4, 8):
        Xb = X[a:b, :]
        ok = ~xp.isnan(Xb)
        okf = xp.astype(ok, xp.float64)
        if method == "yeo-johnson":
            pos, L = _yj_parts(Xb, xp)
            sign = xp.where(pos, xp.ones_like(Xb), -xp.ones_like(Xb))
        else:
            pos, L, sign = None, xp.log(Xb), None
        if first:
            t = L if sign is None else sign * L
            slog = slog + xp.sum(xp.where(ok, as_float64(t, xp), 0.0), axis=0)
            xf = as_float64(Xb, xp)
            xmin = xp.minimum(xmin, xp.min(xp.where(ok, xf, float("inf")), axis=0))
            xmax = xp.maximum(xmax, xp.max(xp.where(ok, xf, -float("inf")), axis=0))
            absmax = xp.maximum(absmax, xp.max(xp.where(ok, xp.abs(xf), 0.0), axis=0))
            n_nan = n_nan + xp.sum(xp.astype(~ok, xp.int64), axis=0)
            n_inf = n_inf + xp.sum(xp.astype(xp.isinf(Xb), xp.int64))
        cnt = xp.sum(okf, axis=0)
        safe = xp.where(cnt > 0, cnt, 1.0)
        means, m2s = [], []
        for k in range(g):
            lk = lam_x[k, :][None, :]
            if method == "yeo-johnson":
                T = sign * _expm1_over(xp.where(pos, lk, 2.0 - lk), L, xp)
            else:
                T = _expm1_over(xp.broadcast_to(lk, Xb.shape), L, xp)
            T = xp.where(ok, as_float64(T, xp), 0.0)
            mk = xp.sum(T, axis=0) / safe
            d = (T - mk[None, :]) * okf
            means.append(mk)
            m2s.append(xp.sum(d * d, axis=0))
        part = {
            "n": xp.broadcast_to(cnt[None, :], (g, p)),
            "mean": xp.stack(means, axis=0),
            "m2": xp.stack(m2s, axis=0),
        }
        acc = part if acc is None else _merge_moments(acc, part, xp)
    if acc is None:
        zeros = xp.zeros((g, p), dtype=xp.float64)
        acc = {"n": zeros, "mean": zeros, "m2": zeros}
    out.update(acc)
    if first:
        out.update(
            {
                "slog": slog,
                "xmin": xmin,
                "xmax": xmax,
                "absmax": absmax,
                "n_nan": n_nan,
                "n_inf": n_inf,
                "n_rows": xp.asarray(n_rows, dtype=xp.int64),
            }
        )
    return out


def _power_grid_numpy(X, lmbdas, method, first):
    """:func:`power_grid_kernel` for NumPy chunks: the same quantities with fewer
    temporaries. NaN entries are set to the value whose transform is 0 (0 for
    Yeo-Johnson, 1 for Box-Cox), so the sums need no mask (the centred squares do);
    a block without negative values skips Yeo-Johnson's per-element exponent."""
    n_rows, p = X.shape
    dt = X.dtype
    lam_x = lmbdas.astype(dt)
    g = lam_x.shape[0]
    yj = method == "yeo-johnson"
    acc = None
    if first:
        slog = np.zeros(p)
        xmin, xmax = np.full(p, np.inf), np.full(p, -np.inf)
        absmax = np.zeros(p)
        n_nan = np.zeros(p, dtype=np.int64)
        n_inf = 0
    for a, b in row_blocks(n_rows, max(p, 1) * 4, 8):
        Xb = X[a:b]
        nan = np.isnan(Xb)
        has_nan = bool(nan.any())
        ok = ~nan
        Xz = np.where(nan, 0.0 if yj else 1.0, Xb).astype(dt, copy=False) if has_nan else Xb
        neg = Xz < 0 if yj else None
        any_neg = yj and bool(neg.any())
        L = np.log1p(np.abs(Xz)) if yj else np.log(Xz)
        if first:
            t = np.where(neg, -L, L) if any_neg else L
            slog += np.sum(t, axis=0, dtype=np.float64)
            xmin = np.minimum(xmin, np.min(np.where(nan, np.inf, Xb), axis=0))
            xmax = np.maximum(xmax, np.max(np.where(nan, -np.inf, Xb), axis=0))
            absmax = np.maximum(absmax, np.max(np.where(nan, 0.0, np.abs(Xb)), axis=0))
            n_nan += nan.sum(axis=0)
            n_inf += int(np.isinf(Xb).sum())
        cnt = ok.sum(axis=0).astype(np.float64) if has_nan else np.full(p, float(b - a))
        safe = np.where(cnt > 0, cnt, 1.0)
        okf = ok.astype(dt) if has_nan else None
        T = np.empty_like(L)
        means = np.empty((g, p))
        m2s = np.empty((g, p))
        for k in range(g):
            lk = lam_x[k]
            mu = np.where(neg, 2.0 - lk, lk) if any_neg else lk
            zero = mu == 0
            np.multiply(mu, L, out=T)
            np.expm1(T, out=T)
            if zero.any():
                np.divide(T, np.where(zero, 1.0, mu), out=T)
                np.copyto(T, L, where=np.broadcast_to(zero, T.shape))
            else:
                np.divide(T, mu, out=T)
            if any_neg:
                np.negative(T, out=T, where=neg)
            mk = np.sum(T, axis=0, dtype=np.float64) / safe
            T -= mk.astype(dt)
            if has_nan:
                T *= okf
            means[k] = mk
            m2s[k] = np.einsum("ij,ij->j", T, T, dtype=np.float64)
        part = {"n": np.broadcast_to(cnt, (g, p)), "mean": means, "m2": m2s}
        acc = part if acc is None else _merge_moments(acc, part, np)
    if acc is None:
        acc = {"n": np.zeros((g, p)), "mean": np.zeros((g, p)), "m2": np.zeros((g, p))}
    out = dict(acc)
    if first:
        out.update(
            slog=slog,
            xmin=xmin,
            xmax=xmax,
            absmax=absmax,
            n_nan=n_nan,
            n_inf=np.asarray(n_inf, dtype=np.int64),
            n_rows=np.asarray(n_rows, dtype=np.int64),
        )
    return out


def _merge_moments(a, b, xp):
    """Chan's exact merge of two (count, mean, centred sum of squares) partials."""
    na, nb = a["n"], b["n"]
    n = na + nb
    safe = xp.where(n > 0, n, 1.0)
    delta = b["mean"] - a["mean"]
    return {
        "n": n,
        "mean": a["mean"] + delta * (nb / safe),
        "m2": a["m2"] + b["m2"] + delta * delta * (na * nb / safe),
    }


_SUMS = ("slog", "n_nan", "n_inf", "n_rows")


def combine_power_grid(parts):
    """Merge :func:`power_grid_kernel` partials: Chan's update of the moments, sums,
    minimum and maximum of the first pass's statistics."""
    parts = [p for p in parts if p]
    out = dict(parts[0])
    xp = get_namespace(out["n"])
    for p in parts[1:]:
        out.update(_merge_moments(out, p, xp))
        for k in _SUMS:
            if k in p:
                out[k] = out[k] + p[k]
        if "xmin" in p:
            out["xmin"] = xp.minimum(out["xmin"], p["xmin"])
            out["xmax"] = xp.maximum(out["xmax"], p["xmax"])
            out["absmax"] = xp.maximum(out["absmax"], p["absmax"])
    return out


# ----------------------------------------------------------------------- blockwise


def _check_box_cox(X, xp):
    if bool(xp.any(X <= 0)):
        raise ValueError(BOX_COX_POSITIVE)


def power_transform_block(X, *, xp, method, lmbdas, mean, scale):
    """The power transform of a chunk by ``lmbdas``, then ``(t - mean) / scale`` when
    given (standardize); NaN stays NaN. Box-Cox refuses non-positive values."""
    if method == "box-cox":
        _check_box_cox(X, xp)
        out = box_cox(X, lmbdas, xp)
    else:
        out = yeo_johnson(X, lmbdas, xp)
    if mean is not None:
        out = (out - xp.asarray(mean, dtype=X.dtype)) / xp.asarray(scale, dtype=X.dtype)
    return guard_finite(out, X, allow_nan=True)


def power_inverse_block(X, *, xp, method, lmbdas, mean, scale):
    """Inverse of :func:`power_transform_block`."""
    if mean is not None:
        X = X * xp.asarray(scale, dtype=X.dtype) + xp.asarray(mean, dtype=X.dtype)
    lam = xp.asarray(lmbdas, dtype=X.dtype)[None, :]
    if method == "box-cox":
        mu = xp.broadcast_to(lam, X.shape)
        zero = mu == 0
        safe = xp.where(zero, xp.ones_like(mu), mu)
        return xp.where(zero, xp.exp(X), xp.exp(xp.log1p(mu * X) / safe))
    pos = X >= 0
    mu = xp.where(pos, lam, 2.0 - lam)
    sign = xp.where(pos, xp.ones_like(X), -xp.ones_like(X))
    A = sign * X  # >= 0 where defined
    zero = mu == 0
    safe = xp.where(zero, xp.ones_like(mu), mu)
    # x = sign * expm1(log1p(mu * A) / mu), the inverse of sign * expm1(mu * L) / mu
    return sign * xp.where(zero, xp.expm1(A), xp.expm1(xp.log1p(mu * A) / safe))
