"""The k-means kernels are namespace-generic: array_api_strict gives NumPy's results."""

from __future__ import annotations

import numpy as np
import pytest

from dml._engine.namespace import get_namespace, to_numpy
from dml.cluster import _bounds_kernels as B
from dml.cluster import _lloyd_kernels as L
from dml.cluster import _minibatch_kernels as M
from dml.cluster import _seeding_kernels as S

xps = pytest.importorskip("array_api_strict")


def _data(n=700, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + 3.0
    w = rng.uniform(0.5, 2.0, size=n)
    idx = np.arange(100, 100 + n, dtype=np.int64)
    return X, w, idx


def _both(kernel, X, y, w, *broadcast, **kw):
    ref = kernel(X, y, w, *broadcast, xp=get_namespace(X), **kw)
    s = kernel(
        xps.asarray(X),
        None if y is None else xps.asarray(y),
        None if w is None else xps.asarray(w),
        *broadcast,
        xp=xps,
        **kw,
    )
    return ref, s


def _close(ref, s):
    assert ref.keys() == s.keys()
    for k in ref:
        np.testing.assert_allclose(to_numpy(s[k]), np.asarray(ref[k]), rtol=1e-12, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("weighted", [False, True])
def test_lloyd_kernel(weighted):
    X, w, idx = _data()
    C = X[:3].copy()
    ref, s = _both(L.lloyd_kernel, X, None, w if weighted else None, C, X.mean(0), counts=True)
    _close(ref, s)
    lab = np.argmin(((X[:, None] - C[None]) ** 2).sum(-1), axis=1)
    ww = w if weighted else np.ones(len(X))
    np.testing.assert_allclose(ref["weights"], np.bincount(lab, ww, minlength=3))
    np.testing.assert_allclose(ref["inertia"], np.sum(ww * ((X - C[lab]) ** 2).sum(1)))


def test_sampling_kernels():
    X, w, idx = _data()
    C = X[:2].copy()
    ref, s = _both(S.races_kernel, X, idx, w, X.mean(0), C, X[5:8], seed=3, stream=7, n_races=2)
    _close(ref, s)
    ref, s = _both(S.smallest_keys_kernel, X, idx, w, X.mean(0), C, seed=3, stream=1, cap=9)
    _close(ref, s)
    ref, s = _both(L.far_points_kernel, X, None, w, C, n_far=3)
    _close(ref, s)
    ref, s = _both(M.gather_rows_kernel, X, idx, w, indices=np.array([100, 103, 103, 799]))
    _close(ref, s)
    np.testing.assert_allclose(ref["rows"], X[[0, 3, 3, 699]])


@pytest.mark.parametrize("weighted", [False, True])
def test_first_draw_races_match_the_blocked_races(weighted):
    """No centers and no candidates: the races skip X (every D^2 is 1). A candidate far
    beyond every row leaves every D^2 at 1 too, through the blocked computation: the
    same keys, winners and potential. Zero weights never win."""
    X, w, idx = _data()
    w = w.copy() if weighted else None
    if weighted:
        w[::3] = 0.0
    empty = np.zeros((0, X.shape[1]))
    fast = S.races_kernel(X, idx, w, X.mean(0), empty, None, xp=np, seed=3, stream=0, n_races=4)
    far = np.full((1, X.shape[1]), 1e6)
    blocked = S.races_kernel(X, idx, w, X.mean(0), empty, far, xp=np, seed=3, stream=0, n_races=4)
    for key in ("key", "ridx", "rows"):
        np.testing.assert_array_equal(fast[key], blocked[key], err_msg=key)
    np.testing.assert_allclose(fast["pot"], blocked["pot"], rtol=1e-12)
    if weighted:
        assert np.all(w[np.searchsorted(idx, fast["ridx"][0])] > 0)
    strict = S.races_kernel(
        xps.asarray(X),
        xps.asarray(idx),
        None if w is None else xps.asarray(w),
        X.mean(0),
        empty,
        None,
        xp=xps,
        seed=3,
        stream=0,
        n_races=4,
    )
    np.testing.assert_array_equal(to_numpy(strict["ridx"]), fast["ridx"])


def test_hash_uniform_is_uniform_and_generic():
    idx = np.arange(200_000, dtype=np.int64)
    u = S.hash_uniform(idx, 1, 2, xp=get_namespace(idx))
    assert 0 < u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 3e-3 and abs(u.var() - 1 / 12) < 2e-3
    us = S.hash_uniform(xps.asarray(idx[:100]), 1, 2, xp=xps)
    np.testing.assert_array_equal(to_numpy(us), u[:100])
    assert not np.array_equal(u[:100], S.hash_uniform(idx[:100], 1, 3, xp=get_namespace(idx)))


def test_predict_kernels():
    X, _, _ = _data(n=50)
    C = X[:3]
    a = L.labels_kernel(X, xp=get_namespace(X), centers=C)
    b = L.labels_kernel(xps.asarray(X), xp=xps, centers=C)
    np.testing.assert_array_equal(to_numpy(b), a)
    a = L.distances_kernel(X, xp=get_namespace(X), centers=C)
    b = L.distances_kernel(xps.asarray(X), xp=xps, centers=C)
    np.testing.assert_allclose(to_numpy(b), a, rtol=1e-12)


def _lloyd_sequence(X, w, k, n_iter, seed=0):
    """Centers of ``n_iter`` Lloyd steps (full kernel), from k random rows."""
    rng = np.random.default_rng(seed)
    C = X[rng.choice(X.shape[0], k, replace=False)].copy()
    mu = X.mean(0).astype(X.dtype)
    seq = []
    for _ in range(n_iter):
        seq.append(C)
        out = L.lloyd_kernel(X, None, w, C, mu, xp=np)
        C = np.where(
            out["weights"][:, None] > 0, out["sums"] / np.maximum(out["weights"], 1e-300)[:, None], C
        )
        C = C.astype(X.dtype)
    return seq, mu


@pytest.mark.parametrize("elkan", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_lloyd_bounds_kernel_matches_the_full_step(dtype, weighted, elkan):
    rng = np.random.default_rng(4)
    k, p = 6, 5
    centers = rng.normal(scale=3.0, size=(k, p))
    X = (centers[rng.integers(0, k, 3000)] + rng.normal(size=(3000, p)) + 50.0).astype(dtype)
    w = rng.uniform(0.5, 2.0, size=3000) if weighted else None
    seq, mu = _lloyd_sequence(X, w, k, 12)
    rtol = 1e-11 if dtype == np.float64 else 2e-6
    cache, recomputed = {}, []
    for i, C in enumerate(seq):
        if i == 7:
            cache.clear()  # the chunk ran elsewhere: everything is recomputed, same result
        ref = L.lloyd_kernel(X, None, w, C, mu, xp=np)
        out = B.lloyd_bounds_kernel(X, None, w, C, mu, xp=np, cache=cache, elkan=elkan)
        np.testing.assert_allclose(out["weights"], ref["weights"], rtol=rtol)
        np.testing.assert_allclose(out["sums"], ref["sums"], rtol=rtol, atol=rtol * np.abs(ref["sums"]).max())
        recomputed.append(int(out["recomputed"]))
    assert recomputed[0] == recomputed[7] == X.shape[0]
    assert recomputed[6] < X.shape[0] // 4 and recomputed[-1] < X.shape[0] // 4  # the bounds prune


@pytest.mark.parametrize("elkan", [False, True])
def test_lloyd_bounds_kernel_recomputes_near_ties(elkan):
    # every row is equidistant from the two centers: a label may only come from computing
    X = np.array([[0.0, y] for y in np.linspace(-1, 1, 50)])
    C = np.array([[-1.0, 0.0], [1.0, 0.0]])
    mu = np.zeros(2)
    cache = {}
    first = B.lloyd_bounds_kernel(X, None, None, C, mu, xp=np, cache=cache, elkan=elkan)
    again = B.lloyd_bounds_kernel(X, None, None, C, mu, xp=np, cache=cache, elkan=elkan)
    assert int(again["recomputed"]) == 50
    np.testing.assert_array_equal(first["weights"], [50.0, 0.0])  # ties go to the first center
    np.testing.assert_array_equal(again["weights"], [50.0, 0.0])
    np.testing.assert_array_equal(cache["lloyd"].labels, 0)


def test_elkan_bounds_settle_more_rows_when_few_centers_move():
    """Many clusters, two of them drifting, the rest still: Hamerly's single lower bound
    drops by the largest shift for every row, Elkan's per-center bounds only toward the
    drifting centers. Same sums and weights, fewer rows read again."""
    rng = np.random.default_rng(11)
    k, p = 16, 4
    centers = rng.normal(scale=6.0, size=(k, p))
    X = centers[rng.integers(0, k, 8000)] + rng.normal(size=(8000, p))
    mu = X.mean(0)
    seq = [centers + 0.0]
    for i in range(1, 8):
        C = centers.copy()
        C[:2] += 0.05 * i  # two centers keep moving
        seq.append(C)
    caches = {False: {}, True: {}}
    read = {False: 0, True: 0}
    for i, C in enumerate(seq):
        outs = {
            e: B.lloyd_bounds_kernel(X, None, None, C, mu, xp=np, cache=caches[e], elkan=e) for e in caches
        }
        np.testing.assert_array_equal(outs[True]["weights"], outs[False]["weights"])
        np.testing.assert_allclose(outs[True]["sums"], outs[False]["sums"], rtol=1e-12)
        np.testing.assert_array_equal(caches[True]["lloyd"].labels, caches[False]["lloyd"].labels)
        if i:
            for e in caches:
                read[e] += int(outs[e]["recomputed"])
    assert caches[True]["lloyd"].lower.shape == (k, 8000)
    assert read[True] < read[False] / 2


def test_lloyd_bounds_kernel_generic_namespace_is_the_full_step():
    X, w, idx = _data()
    C = X[:3].copy()
    out = B.lloyd_bounds_kernel(xps.asarray(X), None, xps.asarray(w), C, X.mean(0), xp=xps, cache={})
    ref = L.lloyd_kernel(X, None, w, C, X.mean(0), xp=np)
    np.testing.assert_allclose(to_numpy(out["sums"]), ref["sums"], rtol=1e-12)
    np.testing.assert_allclose(to_numpy(out["weights"]), ref["weights"], rtol=1e-12)
    assert float(to_numpy(out["recomputed"])) == X.shape[0]


@pytest.mark.parametrize("elkan", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_lloyd_bounds_kernel_final_gives_inertia_and_sizes(weighted, elkan):
    from dml.cluster._kmeans import _inertia_from_sums

    rng = np.random.default_rng(5)
    X = rng.normal(size=(2000, 4)) * [1.0, 2.0, 0.5, 1.0] + 7.0
    w = rng.uniform(0.5, 2.0, size=2000) if weighted else None
    seq, mu = _lloyd_sequence(X, w, 5, 6)
    cache = {}
    for C in seq[:-1]:
        B.lloyd_bounds_kernel(X, None, w, C, mu, xp=np, cache=cache, elkan=elkan)
    out = B.lloyd_bounds_kernel(X, None, w, seq[-1], mu, xp=np, cache=cache, final=True, elkan=elkan)
    ref = L.lloyd_kernel(X, None, w, seq[-1], mu, xp=np, counts=True)
    np.testing.assert_array_equal(out["n"], ref["n"])
    assert _inertia_from_sums(out, seq[-1], mu) == pytest.approx(float(ref["inertia"]), rel=1e-12)


def test_inertia_from_sums_declines_when_cancellation_would_cost_accuracy():
    from dml.cluster._kmeans import _inertia_from_sums

    rng = np.random.default_rng(6)
    centers = np.array([[0.0, 0.0], [1e3, 0.0]])
    X = centers[rng.integers(0, 2, 500)] + rng.normal(scale=1e-6, size=(500, 2))
    mu = X.mean(0)
    cache = {}
    out = B.lloyd_bounds_kernel(X, None, None, centers, mu, xp=np, cache=cache, final=True)
    assert _inertia_from_sums(out, centers, mu) is None


@pytest.mark.parametrize("weighted", [False, True])
def test_cached_kmeans_parallel_rounds_match_uncached(weighted):
    X, w, idx = _data(n=900, p=3)
    w = w if weighted else None
    cands = [X[[3]], X[[3, 10, 11]], X[[3, 10, 11, 500, 501]]]  # only ever appended
    cache = {}
    for r, C in enumerate(cands):
        ref = S.smallest_keys_kernel(X, idx, w, X.mean(0), C, xp=np, seed=2, stream=r, cap=25)
        got = S.smallest_keys_kernel(X, idx, w, X.mean(0), C, xp=np, seed=2, stream=r, cap=25, cache=cache)
        np.testing.assert_allclose(got["phi"], ref["phi"], rtol=1e-12)
        np.testing.assert_array_equal(got["ridx"], ref["ridx"])
        np.testing.assert_allclose(got["key"], ref["key"], rtol=1e-10)
    final = np.vstack([cands[-1], X[[42, 43]]])
    got = S.candidate_weights_kernel(X, idx, w, X.mean(0), final, xp=np, cache=cache)
    ref = L.lloyd_kernel(X, None, w, final, X.mean(0), xp=np)
    np.testing.assert_allclose(got["weights"], ref["weights"], rtol=1e-12)
    # without the rounds' cache the weights are computed from scratch, the same
    np.testing.assert_allclose(
        S.candidate_weights_kernel(X, idx, w, X.mean(0), final, xp=np, cache={})["weights"], ref["weights"]
    )
    s = S.candidate_weights_kernel(
        xps.asarray(X), None, None if w is None else xps.asarray(w), X.mean(0), final, xp=xps
    )
    np.testing.assert_allclose(to_numpy(s["weights"]), ref["weights"], rtol=1e-12)


def test_candidate_weights_ties_go_to_the_first_candidate():
    rng = np.random.default_rng(8)
    X = rng.integers(-4, 5, size=(600, 3)).astype(np.float64)  # every distance is exact
    idx = np.arange(600)
    shift = np.zeros(3)
    cache = {}
    S.smallest_keys_kernel(X, idx, None, shift, X[[0]], xp=np, seed=1, stream=0, cap=5, cache=cache)
    final = np.vstack([X[[0]], X[[7, 0]]])  # candidate 2 repeats candidate 0
    got = S.candidate_weights_kernel(X, idx, None, shift, final, xp=np, cache=cache)
    assert got["weights"][2] == 0 and got["weights"].sum() == 600
    np.testing.assert_array_equal(
        got["weights"], L.lloyd_kernel(X, None, None, final, shift, xp=np)["weights"]
    )


@pytest.mark.parametrize("weighted", [False, True])
def test_lloyd_bounds_kernel_moments_agree_across_namespaces(weighted):
    X, w, idx = _data()
    w = w if weighted else None
    C, shift = X[:3].copy(), X[:3].mean(0)
    ours = B.lloyd_bounds_kernel(X, None, w, C, shift, xp=np, cache={}, moments=True)
    strict = B.lloyd_bounds_kernel(
        xps.asarray(X), None, None if w is None else xps.asarray(w), C, shift, xp=xps, cache={}, moments=True
    )
    Xc = X - shift
    np.testing.assert_allclose(ours["xs"], Xc.sum(0), rtol=1e-12)
    np.testing.assert_allclose(float(ours["xss"]), (Xc**2).sum(), rtol=1e-12)
    for key in ("xs", "xss", "w_nonzero", "sums", "weights"):
        np.testing.assert_allclose(to_numpy(strict[key]), np.asarray(ours[key]), rtol=1e-12, err_msg=key)
