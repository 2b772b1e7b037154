"""Chunk kernels of the k-means seedings (k-means||, k-means++, 'random'): pure
functions of ``(chunk, idx, w, ..., *, xp)``, each ``<name>_kernel`` paired with its
combine ``combine_<name>``.

- :func:`first_pass_kernel` / :func:`combine_first_pass`: the first pass of a fit,
  per-feature moments (tolerance, centring shift, value checks) fused with the first
  draws;
- :func:`races_kernel` / :func:`combine_races`: exponential races for the D^2 draws of
  greedy k-means++, with the potentials of the candidate centers;
- :func:`smallest_keys_kernel` / :func:`combine_smallest_keys`: the rows with the
  smallest sampling keys (k-means|| rounds, and 'random' as weighted sampling without
  replacement);
- :func:`candidate_weights_kernel` / :func:`combine_candidate_weights`: the weight of
  the rows closest to each k-means|| candidate.

Random draws that must not depend on how the data is chunked use a counter-based
generator: the uniform number of a row is a hash of ``(seed, stream, global row index)``
(SplitMix64), so the same rows are drawn whatever the chunking or the number of workers.
The global row index travels in the ``y`` slot of the data (see
:func:`dml._engine.mapreduce.with_row_index`).
"""

from __future__ import annotations

import numpy as np

from dml._engine.kernels import combine_centered, moments_kernel, row_blocks
from dml._engine.mapreduce import sum_partials
from dml._engine.namespace import as_float64, get_namespace, is_numpy_namespace, is_sparse
from dml.cluster._lloyd_kernels import (
    _BlockScores,
    _host,
    _itemsize,
    _n_nonzero,
    _sq_dist,
    lloyd_kernel,
    sparse_rows,
    sparse_sq_dist,
)

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


# ------------------------------------------------------------------ hashed draws


def _mix(seed, stream):
    """A 64-bit key of (seed, stream), computed on the host."""
    z = (int(seed) * 0xD1342543DE82EF95 + int(stream) * _GOLDEN + 0x632BE59BD9B4E019) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def hash_uniform(idx, seed, stream, *, xp):
    """Uniform numbers in (0, 1), one per global row index in ``idx`` (SplitMix64)."""
    z = xp.astype(idx, xp.uint64) * _GOLDEN + _mix(seed, stream)
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    z = z ^ (z >> 31)
    return (xp.astype(z >> 11, xp.float64) + 0.5) * (2.0**-53)


def hash_exponential(idx, seed, stream, *, xp):
    """Standard exponential numbers, one per global row index (``-log(u)``)."""
    return -xp.log(hash_uniform(idx, seed, stream, xp=xp))


# ------------------------------------------------------- distance to the candidates


def _min_sq_dist(Xb, C, c_sq, xp):
    """Squared distance (b,) of each (already shifted) row of ``Xb`` to its closest center."""
    if C.shape[0] == 0:
        return xp.ones((Xb.shape[0],), dtype=Xb.dtype)
    if is_numpy_namespace(xp):
        # centers along axis 0: the minimum over centers runs across contiguous rows
        S = C @ Xb.T
        S *= -2.0
        S += c_sq[:, None]
        d = S.min(axis=0)
        d += np.einsum("ij,ij->i", Xb, Xb)
        return np.maximum(d, 0.0, out=d)
    return xp.min(_sq_dist(Xb, C, c_sq, xp), axis=1)


# -------------------------------------------------------------------- first pass


_MOMENTS = ("n", "mean", "m2", "n_rows", "w_nonzero")
_RACE = ("pot", "key", "rows", "ridx")


def first_pass_kernel(X, idx, w, *, xp, seed, n_races):
    """Per-feature moments of X (unweighted: the tolerance and the centring shift, as
    scikit-learn), the weight sum, and ``n_races`` draws proportional to the weights."""
    out = moments_kernel(X, None, None, xp=xp)
    out["wsum"] = xp.asarray(0.0, dtype=xp.float64) if w is None else xp.sum(xp.astype(w, xp.float64))
    if w is not None:
        out["w_nonzero"] = _n_nonzero(w, xp)
    if n_races:
        p = X.shape[1]
        empty = np.zeros((0, p))
        out.update(
            races_kernel(X, idx, w, np.zeros(p), empty, None, xp=xp, seed=seed, stream=0, n_races=n_races)
        )
    return out


def combine_first_pass(parts):
    parts = [p for p in parts if p]
    out = combine_centered([{k: p[k] for k in _MOMENTS} for p in parts])
    out["wsum"] = sum(p["wsum"] for p in parts[1:]) + parts[0]["wsum"]
    if "key" in parts[0]:
        out.update(combine_races([{k: p[k] for k in _RACE} for p in parts]))
    return out


# ------------------------------------------------------------ k-means++ (races)


def races_kernel(X, idx, w, shift, centers, candidates, *, xp, seed, stream, n_races):
    """Exponential races for D^2 sampling (k-means++), with candidate potentials.

    Every row gets, for each race ``r``, the key ``E_r / (w * D^2)`` where ``E_r`` is a
    hashed standard exponential of its global index; the row with the smallest key
    of a race is a draw with probability proportional to ``w * D^2``. ``D^2`` is the
    squared distance to the closest of ``centers`` (1 when there are none: a draw
    proportional to ``w``). With ``candidates`` (m, p), each candidate ``j`` defines a
    group with ``D_j^2 = min(D^2, d(x, cand_j)^2)``: the kernel returns the potential
    ``sum w D_j^2`` of every group and runs the races within every group.

    Returns
    -------
    dict: ``pot`` (g,) float64, ``key`` (g, n_races) float64, ``rows`` (g, n_races, p),
    ``ridx`` (g, n_races) int64; with g = max(1, m). Combine with :func:`combine_races`.
    """
    n, p = X.shape
    m = 0 if candidates is None else candidates.shape[0]
    if m == 0 and centers.shape[0] == 0:
        return _first_draw_races(X, idx, w, xp=xp, seed=seed, stream=stream, n_races=n_races)
    if is_sparse(X):
        return _races_sparse(X, np.asarray(idx), w, centers, candidates, seed, stream, n_races)
    mu = _host(shift, X, xp)
    C = _host(centers, X, xp) - mu
    c_sq = xp.sum(C * C, axis=1)
    if m:
        Cd = _host(candidates, X, xp) - mu
        cd_sq = xp.sum(Cd * Cd, axis=1)
    g = max(1, m)
    inf = float("inf")
    pot = xp.zeros((g,), dtype=xp.float64)
    best_key = xp.full((g, n_races), inf, dtype=xp.float64)
    best_row = xp.zeros((g, n_races), dtype=xp.int64)
    for a, b in row_blocks(n, max(p, C.shape[0] + m), _itemsize(X)):
        Xb = X[a:b, :] - mu
        d2 = as_float64(_min_sq_dist(Xb, C, c_sq, xp), xp)
        if m:
            D = xp.minimum(d2[:, None], as_float64(_sq_dist(Xb, Cd, cd_sq, xp), xp))  # (b, m)
        else:
            D = d2[:, None]
        WD = D if w is None else as_float64(w[a:b], xp)[:, None] * D
        pot = pot + xp.sum(WD, axis=0)
        ib = idx[a:b]
        for r in range(n_races):
            E = hash_exponential(ib, seed, stream * 4096 + r, xp=xp)
            pos = WD > 0
            key = xp.where(pos, E[:, None] / xp.where(pos, WD, 1.0), inf)  # (b, g)
            j = xp.argmin(key, axis=0)  # (g,)
            kmin = xp.min(key, axis=0)
            better = kmin < best_key[:, r]
            best_key_r = xp.where(better, kmin, best_key[:, r])
            best_row_r = xp.where(better, j + a, best_row[:, r])
            best_key = _set_col(best_key, r, best_key_r, xp)
            best_row = _set_col(best_row, r, best_row_r, xp)
    flat = xp.reshape(best_row, (-1,))
    rows = xp.reshape(xp.take(X, flat, axis=0), (g, n_races, p))
    ridx = xp.reshape(xp.take(idx, flat), (g, n_races))
    return {"pot": pot, "key": best_key, "rows": rows, "ridx": xp.astype(ridx, xp.int64)}


def _sparse_min_sq_dist(X, centers):
    """Squared distance (n,) float64 of each row of a CSR chunk to its closest center
    (1 with no centers, as :func:`_min_sq_dist`)."""
    if centers.shape[0] == 0:
        return np.ones(X.shape[0])
    return sparse_sq_dist(X, centers).min(axis=1)


def _races_sparse(X, idx, w, centers, candidates, seed, stream, n_races):
    """:func:`races_kernel` for a CSR chunk: the distances from sparse products (no
    centring: scikit-learn does not centre sparse data), the races over the whole chunk
    (the same keys and winners: ties go to the first row), the winning rows densified."""
    n, p = X.shape
    m = 0 if candidates is None else candidates.shape[0]
    d2 = _sparse_min_sq_dist(X, centers)
    D = np.minimum(d2[:, None], sparse_sq_dist(X, candidates)) if m else d2[:, None]
    WD = D if w is None else np.asarray(w, dtype=np.float64)[:, None] * D
    g = max(1, m)
    pos = WD > 0
    safe = np.where(pos, WD, 1.0)
    key = np.full((g, n_races), np.inf)
    row = np.zeros((g, n_races), dtype=np.int64)
    for r in range(n_races):
        E = hash_exponential(idx, seed, stream * 4096 + r, xp=np)
        keys = np.where(pos, E[:, None] / safe, np.inf)  # (n, g)
        if n:
            row[:, r] = np.argmin(keys, axis=0)
            key[:, r] = keys[row[:, r], np.arange(g)]
    flat = row.reshape(-1)
    rows = sparse_rows(X, flat).astype(X.dtype) if n else np.zeros((flat.size, p), dtype=X.dtype)
    ridx = idx[flat] if n else np.zeros(flat.size, dtype=np.int64)
    return {
        "pot": WD.sum(axis=0),
        "key": key,
        "rows": rows.reshape(g, n_races, p),
        "ridx": np.asarray(ridx, dtype=np.int64).reshape(g, n_races),
    }


def _first_draw_races(X, idx, w, *, xp, seed, stream, n_races):
    """:func:`races_kernel` with no centers and no candidates: every ``D^2`` is 1, so the
    races need the weights and the hashed keys only, not X (whose winning rows alone are
    gathered). Same keys and winners as the blocked computation (ties: the first row)."""
    n, p = X.shape
    WD = xp.ones((n,), dtype=xp.float64) if w is None else as_float64(w, xp)
    pos = WD > 0
    safe = xp.where(pos, WD, 1.0)
    keys, rows = [], []
    for r in range(n_races):
        E = hash_exponential(idx, seed, stream * 4096 + r, xp=xp)
        key = xp.where(pos, E / safe, float("inf"))
        j = xp.argmin(key)
        keys.append(key[j])
        rows.append(j)
    best_row = xp.reshape(xp.astype(xp.stack(rows), xp.int64), (1, n_races))
    flat = xp.reshape(best_row, (-1,))
    if is_sparse(X):
        return {
            "pot": xp.reshape(xp.sum(WD), (1,)),
            "key": xp.reshape(xp.stack(keys), (1, n_races)),
            "rows": sparse_rows(X, flat).astype(X.dtype).reshape(1, n_races, p),
            "ridx": np.asarray(idx)[flat].astype(np.int64).reshape(1, n_races),
        }
    return {
        "pot": xp.reshape(xp.sum(WD), (1,)),
        "key": xp.reshape(xp.stack(keys), (1, n_races)),
        "rows": xp.reshape(xp.take(X, flat, axis=0), (1, n_races, p)),
        "ridx": xp.astype(xp.reshape(xp.take(idx, flat), (1, n_races)), xp.int64),
    }


def _set_col(M, r, col, xp):
    cols = [M[:, i] if i != r else col for i in range(M.shape[1])]
    return xp.stack(cols, axis=1)


def combine_races(parts):
    """Keep the winner of every race; potentials (and other keys) are summed."""
    parts = [p for p in parts if p]
    out = dict(parts[0])
    xp = get_namespace(out["key"])
    for p in parts[1:]:
        better = p["key"] < out["key"]
        out["rows"] = xp.where(better[:, :, None], p["rows"], out["rows"])
        out["ridx"] = xp.where(better, p["ridx"], out["ridx"])
        out["key"] = xp.where(better, p["key"], out["key"])
        for k in p:
            if k not in ("rows", "ridx", "key"):
                out[k] = out[k] + p[k]
    return out


# ---------------------------------------------------- k-means|| and 'random'


def smallest_keys_kernel(X, idx, w, shift, centers, *, xp, seed, stream, cap, cache=None):
    """The ``cap`` rows with the smallest keys ``u / (w D^2)`` (k-means|| rounds), or
    ``E / w`` when ``centers`` is empty (weighted sampling without replacement).

    With a chunk ``cache`` (NumPy chunks), each row's ``D^2`` and closest candidate are
    kept between rounds: k-means|| only appends candidates, so a round computes the
    distances to the candidates added since the previous one only (see
    :func:`_fold_candidates`), and :func:`candidate_weights_kernel` then needs no
    distances but those to the last round's candidates.

    Returns ``phi`` (the potential ``sum w D^2``), ``key`` (m,), ``rows`` (m, p),
    ``ridx`` (m,), m <= cap, sorted by key; combine with :func:`combine_smallest_keys`.
    """
    n, p = X.shape
    if is_sparse(X):
        return _smallest_keys_sparse(X, np.asarray(idx), w, centers, seed, stream, cap)
    if isinstance(X, np.ndarray):
        return _smallest_keys_numpy(X, idx, w, shift, centers, seed, stream, cap, cache)
    mu = _host(shift, X, xp)
    C = _host(centers, X, xp) - mu
    c_sq = xp.sum(C * C, axis=1)
    keys = []
    phi = xp.asarray(0.0, dtype=xp.float64)
    for a, b in row_blocks(n, max(p, C.shape[0]), _itemsize(X)):
        Xb = X[a:b, :] - mu
        d2 = as_float64(_min_sq_dist(Xb, C, c_sq, xp), xp)
        wd = d2 if w is None else as_float64(w[a:b], xp) * d2
        phi = phi + xp.sum(wd)
        if C.shape[0] == 0:
            num = hash_exponential(idx[a:b], seed, stream, xp=xp)
        else:
            num = hash_uniform(idx[a:b], seed, stream, xp=xp)
        pos = wd > 0
        keys.append(xp.where(pos, num / xp.where(pos, wd, 1.0), float("inf")))
    key = xp.concat(keys) if len(keys) > 1 else keys[0]
    order = xp.argsort(key, stable=True)[:cap]
    return {
        "phi": phi,
        "key": xp.take(key, order),
        "rows": xp.take(X, order, axis=0),
        "ridx": xp.astype(xp.take(idx, order), xp.int64),
    }


def _smallest_keys_sparse(X, idx, w, centers, seed, stream, cap):
    """:func:`smallest_keys_kernel` for a CSR chunk (distances from sparse products, the
    ``cap`` winning rows densified)."""
    d2 = _sparse_min_sq_dist(X, centers)
    wd = d2 if w is None else np.asarray(w, dtype=np.float64) * d2
    if centers.shape[0] == 0:
        num = hash_exponential(idx, seed, stream, xp=np)
    else:
        num = hash_uniform(idx, seed, stream, xp=np)
    pos = wd > 0
    key = np.where(pos, num / np.where(pos, wd, 1.0), np.inf)
    order = np.argsort(key, kind="stable")[:cap]
    return {
        "phi": np.asarray(float(wd.sum())),
        "key": key[order],
        "rows": sparse_rows(X, order).astype(X.dtype),
        "ridx": idx[order].astype(np.int64),
    }


def _fold_candidates(X, shift, centers, cache):
    """Squared distance (float64) of every row to its closest of ``centers`` and that
    candidate's index, for NumPy chunks.

    Each cache-sized row block is centred at ``shift`` into a per-chunk buffer and
    multiplied once by the centred candidates; the minimum is taken across contiguous
    rows of the (candidates, rows) product, and ``argmin`` only for the rows that found
    a closer candidate. With a chunk ``cache`` holding the result for a prefix of
    ``centers`` (candidates are only ever appended), only the new candidates are
    computed, and the rows' squared norms are kept too; a new candidate replaces the
    closest only when strictly closer, so ties keep the first index, as ``argmin``.
    """
    n, p = X.shape
    dt = X.dtype
    kc = centers.shape[0]
    st = None if cache is None else cache.get("candidates")
    if st is None or st["d2"].shape[0] != n or st["k"] > kc or not np.array_equal(st["shift"], shift):
        st = {
            "d2": np.full(n, np.inf),
            "nearest": np.zeros(n, dtype=np.intp),
            "k": 0,
            "shift": np.array(shift, copy=True),
            "x_sq": None,
        }
    j = st["k"]
    if kc > j:
        scores = _BlockScores(centers[j:], shift, dt, n, p)
        kn, step = scores.Cs.shape[0], scores.step
        smin_buf = np.empty(scores.m0, dtype=dt)
        first = st["x_sq"] is None
        if first:
            st["x_sq"] = np.empty(n)
        d2_all, near_all, x_sq = st["d2"], st["nearest"], st["x_sq"]
        for a in range(0, n, step):
            b = min(n, a + step)
            m = b - a
            Xc, S = scores(X[a:b])
            smin = np.min(S, axis=0, out=smin_buf[:m])
            if first:
                x_sq[a:b] = np.vecdot(Xc, Xc)
            d2 = np.add(x_sq[a:b], smin)
            np.maximum(d2, 0.0, out=d2)
            closer = np.flatnonzero(d2 < d2_all[a:b])
            if closer.size:
                arg = np.argmin(S[:, closer], axis=0) if kn > 1 else 0
                d2_all[a + closer] = d2[closer]
                near_all[a + closer] = arg + j
        st["k"] = kc
    if cache is not None:
        cache["candidates"] = st
    return st["d2"], st["nearest"]


def _smallest_keys_numpy(X, idx, w, shift, centers, seed, stream, cap, cache):
    """:func:`smallest_keys_kernel` for NumPy chunks: ``D^2`` from
    :func:`_fold_candidates`, and the ``cap`` smallest keys found by partitioning (then
    a stable sort of the few candidates: the same rows, in the same order, as a stable
    sort of all keys)."""
    n = X.shape[0]
    idx = np.asarray(idx)
    w = None if w is None else np.asarray(w, dtype=np.float64)
    if centers.shape[0]:
        d2, _ = _fold_candidates(X, shift, centers, cache)
        num = hash_uniform(idx, seed, stream, xp=np)
    else:
        d2 = np.ones(n)
        num = hash_exponential(idx, seed, stream, xp=np)
    wd = d2 if w is None else w * d2
    phi = float(wd.sum())
    pos = wd > 0
    key = np.where(pos, num / np.where(pos, wd, 1.0), np.inf)
    if cap < n:
        cut = np.partition(key, cap - 1)[cap - 1]
        cand = np.flatnonzero(key <= cut)
        order = cand[np.argsort(key[cand], kind="stable")[:cap]]
    else:
        order = np.argsort(key, kind="stable")
    return {
        "phi": np.asarray(phi),
        "key": key[order],
        "rows": X[order],
        "ridx": idx[order].astype(np.int64),
    }


def combine_smallest_keys(parts):
    """Keep the overall smallest keys of :func:`smallest_keys_kernel` partials."""
    parts = [p for p in parts if p]
    xp = get_namespace(parts[0]["key"])
    cap = max(int(p["key"].shape[0]) for p in parts)
    key = xp.concat([p["key"] for p in parts])
    rows = xp.concat([p["rows"] for p in parts], axis=0)
    ridx = xp.concat([p["ridx"] for p in parts])
    # ties broken by the global row index, so the result does not depend on chunking
    order = xp.argsort(ridx, stable=True)
    key, rows, ridx = xp.take(key, order), xp.take(rows, order, axis=0), xp.take(ridx, order)
    order = xp.argsort(key, stable=True)[:cap]
    return {
        "phi": sum(p["phi"] for p in parts[1:]) + parts[0]["phi"],
        "key": xp.take(key, order),
        "rows": xp.take(rows, order, axis=0),
        "ridx": xp.take(ridx, order),
    }


def candidate_weights_kernel(X, idx, w, shift, centers, *, xp, cache=None):
    """The weight of the rows closest to each k-means|| candidate: ``weights`` (m,).

    NumPy chunks use (and complete) the closest candidates kept in the chunk ``cache``
    by the sampling rounds; other chunks compute the assignment (as :func:`lloyd_kernel`).
    Ties go to the first candidate.
    """
    if not isinstance(X, np.ndarray):
        return {"weights": lloyd_kernel(X, None, w, centers, shift, xp=xp)["weights"]}
    _, nearest = _fold_candidates(X, shift, centers, cache)
    weights = np.bincount(
        nearest, None if w is None else np.asarray(w, dtype=np.float64), minlength=centers.shape[0]
    )
    return {"weights": weights.astype(np.float64)}


#: :func:`candidate_weights_kernel`'s partials add up.
combine_candidate_weights = sum_partials
