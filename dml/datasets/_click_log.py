"""A Criteo-style click log: integer-count features, long-tailed categorical fields, rare
clicks."""

from __future__ import annotations

import numbers

import numpy as np

from dml.datasets._samples_generator import _base_seed, _chunk_rng, _row_chunks

#: Rows drawn per seed: chunks are cut from these blocks, so the data does not depend on
#: the chunking.
BLOCK_ROWS = 4096


def _check_int(name, value, low):
    if not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}.")


def _field_levels(rng, n_categorical, max_levels):
    """Cardinalities spread log-uniformly from 3 to ``max_levels`` (Criteo's fields range
    from a handful of levels to millions)."""
    if n_categorical == 0:
        return np.zeros(0, dtype=np.int64)
    logs = rng.uniform(np.log(3), np.log(max_levels), n_categorical)
    return np.maximum(np.exp(logs).astype(np.int64), 2)


def _zipf_levels(u, levels, a):
    """Level ranks ``0..levels-1`` with ``P(rank k) ~ (k + 1) ** -a`` (a continuous, bounded
    power law inverted at ``u``; rank 0 the most frequent)."""
    top = (levels + 1.0) ** (1.0 - a)
    r = (1.0 + u * (top - 1.0)) ** (1.0 / (1.0 - a)) - 1.0
    return np.minimum(r.astype(np.int64), levels - 1)


def _level_effects(seed, field, levels, scale):
    """Deterministic per-(field, level) effects on the click log-odds, hashed from the
    seed: N(0, scale) (levels not drawn cost nothing; the map is a hash, no table)."""
    x = (levels.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(
        (seed * 1_000_003 + field * 7919 + 1) % (2**63)
    )
    # splitmix64 finaliser, then two uniforms -> a normal (Box-Muller)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    u1 = ((x >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53
    u2 = ((x & np.uint64(0xFFFFF)).astype(np.float64) + 0.5) / 2.0**20
    return scale * np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def _block(seed, b, n, params):
    """Rows of block ``b`` (``n`` of them): numeric, level ids, click log-odds (no intercept)."""
    rng = _chunk_rng(seed, b)
    mu, sigma, w, levels, zipf, missing = (
        params[k] for k in ("mu", "sigma", "w", "levels", "zipf", "missing")
    )
    num = np.floor(np.exp(rng.normal(mu, sigma, size=(n, mu.size))))
    score = np.log1p(num) @ w
    cat = np.empty((n, levels.size), dtype=np.int64)
    u = rng.random((n, levels.size))
    for j in range(levels.size):
        cat[:, j] = _zipf_levels(u[:, j], levels[j], zipf)
        score += _level_effects(seed, j, cat[:, j], params["effect_scale"])
    if missing > 0:
        num[rng.random(num.shape) < missing] = np.nan
    return num, cat, score, rng.random(n)


def _rows(seed, start, stop, params):
    """Rows ``start:stop`` of the log, cut from the seeded blocks that hold them."""
    parts = []
    first, last = start // BLOCK_ROWS, (stop - 1) // BLOCK_ROWS
    for b in range(first, last + 1):
        b0 = b * BLOCK_ROWS
        n = min(BLOCK_ROWS, params["n_samples"] - b0)
        num, cat, score, u = _block(seed, b, n, params)
        lo, hi = max(start - b0, 0), min(stop - b0, n)
        parts.append((num[lo:hi], cat[lo:hi], score[lo:hi], u[lo:hi]))
    return tuple(np.concatenate(p) for p in zip(*parts))


def _tokens(cat):
    """Level ids as Criteo-like hashed tokens: ``"C<field>=<8 hex digits>"``."""
    out = np.empty(cat.shape, dtype=object)
    for j in range(cat.shape[1]):
        h = (cat[:, j].astype(np.uint64) * np.uint64(2654435761) + np.uint64(j * 40503)) % np.uint64(2**32)
        out[:, j] = [f"C{j + 1}={v:08x}" for v in h.tolist()]
    return out


def _chunk(seed, start, stop, params, intercept, tokens):
    num, cat, score, u = _rows(seed, start, stop, params)
    p = 1.0 / (1.0 + np.exp(-(score + intercept)))
    y = (u < p).astype(np.int64)
    return num, (_tokens(cat) if tokens else cat), y


def _intercept(seed, params, positive_rate):
    """The log-odds intercept giving ``positive_rate`` clicks, solved on a pilot sample of
    the generator's own rows (bisection on the mean click probability)."""
    pilot = dict(params, n_samples=min(params["n_samples"], 8 * BLOCK_ROWS))
    _, _, score, _ = _rows(seed, 0, pilot["n_samples"], pilot)
    lo, hi = -40.0, 40.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if np.mean(1.0 / (1.0 + np.exp(-(score + mid)))) > positive_rate:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


def make_click_log(
    n_samples=100_000,
    n_numeric=13,
    n_categorical=26,
    *,
    positive_rate=0.03,
    max_levels=100_000,
    zipf_exponent=1.2,
    missing_rate=0.0,
    categorical="tokens",
    chunks=None,
    random_state=None,
):
    """Generate a Criteo-style click log as lazy, row-chunked Dask arrays.

    Each row has ``n_numeric`` integer-count features (floors of log-normals, heavy
    tailed, as Criteo's I1-I13), ``n_categorical`` categorical fields (as C1-C26) whose
    cardinalities spread log-uniformly from 3 to ``max_levels`` and whose levels follow a
    power law (a few levels take most rows, a long tail is rare), and a click label drawn
    from a logistic model: a weight per numeric feature on ``log1p`` of the count, a
    hashed per-level effect for every categorical level, and the intercept that gives
    ``positive_rate`` clicks.

    Parameters
    ----------
    n_samples : int, default=100_000
        Number of rows.
    n_numeric : int, default=13
        Number of integer-count features.
    n_categorical : int, default=26
        Number of categorical fields.
    positive_rate : float in (0, 1), default=0.03
        Target fraction of clicks (met to sampling noise).
    max_levels : int, default=100_000
        Cardinality of the largest field.
    zipf_exponent : float > 0 and != 1, default=1.2
        Exponent ``a`` of the level distribution, ``P(level k) ~ (k + 1) ** -a``.
    missing_rate : float in [0, 1), default=0.0
        Fraction of numeric entries set to NaN (Criteo's counts are often missing).
    categorical : {"tokens", "ids"}, default="tokens"
        ``"tokens"``: object array of strings ``"C<field>=<8 hex digits>"``, ready for
        ``FeatureHasher(input_type="string")``; ``"ids"``: int64 level ranks (0 is the
        most frequent level of its field).
    chunks : int, tuple of int or None
        Rows per chunk (default from ``dml.get_config()["chunk_bytes"]``) or explicit row
        chunks.
    random_state : int, RandomState, Generator or None
        The same value gives the same rows whatever ``chunks`` (rows are drawn in seeded
        blocks of ``BLOCK_ROWS``) and on any scheduler.

    Returns
    -------
    X_numeric : dask.array.Array of shape (n_samples, n_numeric), float64
    X_categorical : dask.array.Array of shape (n_samples, n_categorical), object or int64
    y : dask.array.Array of shape (n_samples,), int64
        Clicks (1) and non-clicks (0).

    Notes
    -----
    Computation: lazy; one task per chunk draws the seeded blocks holding its rows
    (memory per task: one chunk plus at most two blocks). Calling the function draws one
    pilot sample (up to ``8 * BLOCK_ROWS`` rows) in the caller to solve the intercept.

    Examples
    --------
    >>> from dml.datasets import make_click_log
    >>> X_num, X_cat, y = make_click_log(20_000, chunks=5_000, random_state=0)
    >>> X_num.shape, X_cat.shape, X_cat.dtype
    ((20000, 13), (20000, 26), dtype('O'))
    >>> str(X_cat[0, 0].compute())[:3]
    'C1='
    >>> 0.02 < float(y.mean().compute()) < 0.04
    True
    """
    _check_int("n_samples", n_samples, 1)
    _check_int("n_numeric", n_numeric, 0)
    _check_int("n_categorical", n_categorical, 0)
    _check_int("max_levels", max_levels, 3)
    if not 0.0 < positive_rate < 1.0:
        raise ValueError(f"positive_rate must be in (0, 1), got {positive_rate!r}.")
    if not 0.0 <= missing_rate < 1.0:
        raise ValueError(f"missing_rate must be in [0, 1), got {missing_rate!r}.")
    if not zipf_exponent > 0 or zipf_exponent == 1:
        raise ValueError(f"zipf_exponent must be > 0 and != 1, got {zipf_exponent!r}.")
    if categorical not in ("tokens", "ids"):
        raise ValueError(f"categorical must be 'tokens' or 'ids', got {categorical!r}.")
    import dask
    import dask.array as da  # driver-side only

    seed = _base_seed(random_state)
    rng = _chunk_rng(seed, -1)
    params = {
        "n_samples": int(n_samples),
        "mu": rng.uniform(0.0, 3.0, n_numeric),
        "sigma": rng.uniform(0.5, 1.5, n_numeric),
        "w": rng.normal(0.0, 0.3, n_numeric) / max(1.0, np.sqrt(n_numeric)),
        "levels": _field_levels(rng, n_categorical, int(max_levels)),
        "zipf": float(zipf_exponent),
        "missing": float(missing_rate),
        "effect_scale": 1.0 / max(1.0, np.sqrt(n_categorical / 4.0)),
    }
    intercept = _intercept(seed, params, positive_rate)
    tokens = categorical == "tokens"
    cat_dtype = np.dtype(object) if tokens else np.dtype(np.int64)
    rows = _row_chunks(n_samples, n_numeric + n_categorical, chunks, 8)
    nums, cats, ys = [], [], []
    start = 0
    for n in rows:
        part = dask.delayed(_chunk, nout=3, pure=True)(seed, start, start + n, params, intercept, tokens)
        nums.append(da.from_delayed(part[0], (n, n_numeric), dtype=np.float64, meta=np.empty((0, 0))))
        cats.append(
            da.from_delayed(part[1], (n, n_categorical), dtype=cat_dtype, meta=np.empty((0, 0), cat_dtype))
        )
        ys.append(da.from_delayed(part[2], (n,), dtype=np.int64, meta=np.empty((0,), np.int64)))
        start += n
    return da.concatenate(nums), da.concatenate(cats), da.concatenate(ys)
