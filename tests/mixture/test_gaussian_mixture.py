"""GaussianMixture: scikit-learn's model from the same explicit initialisation, for
every covariance type, on NumPy and Dask input whatever the chunking; one pass per EM
iteration; the initialisations; lazy predictions; bad input."""

from __future__ import annotations

import re
import warnings

import array_api_strict as xps
import dask.array as da
import numpy as np
import pytest
import sklearn.mixture as sk
from sklearn.exceptions import ConvergenceWarning

from dml._engine.mapreduce import count_passes
from dml._engine.namespace import get_namespace, to_numpy
from dml.mixture import GaussianMixture
from dml.mixture._gaussian_mixture_kernels import em_stats_kernel, mixture_predict_kernel

COV_TYPES = ["full", "tied", "diag", "spherical"]
ATTRS = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]
# float64 EM from the same start: the statistics are summed in another order (and
# around the current means), so the models agree to rounding, iteration after iteration
RTOL, ATOL = 1e-9, 1e-11


def _blobs(rng, offset=0.0):
    return (
        np.vstack(
            [
                rng.normal(size=(120, 3)) + 5,
                rng.normal(size=(90, 3)) * 0.5 - 2,
                rng.normal(size=(90, 3)) * np.array([2.0, 1.0, 0.5]),
            ]
        )
        + offset
    )


def _explicit_init(X, covariance_type, n_components=3):
    """An initialisation away from the optimum (scikit-learn's fit perturbed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = sk.GaussianMixture(
            n_components, covariance_type=covariance_type, max_iter=2, random_state=0
        ).fit(X)
    return dict(
        weights_init=ref.weights_,
        means_init=ref.means_ + 0.25,
        precisions_init=ref.precisions_,
    )


def _as_input(X, kind):
    if kind == "numpy":
        return X
    if kind == "dask-one":
        return da.from_array(X, chunks=(-1, -1))
    if kind == "dask-50":
        return da.from_array(X, chunks=(50, -1))
    return da.from_array(X, chunks=((7, 143, 1, 149), (3,)))


def _assert_same_model(ours, ref, rtol=RTOL, atol=ATOL):
    for a in ATTRS:
        np.testing.assert_allclose(getattr(ours, a), getattr(ref, a), rtol=rtol, atol=atol, err_msg=a)
        assert getattr(ours, a).dtype == getattr(ref, a).dtype, a
    assert ours.n_iter_ == ref.n_iter_
    assert ours.converged_ == ref.converged_
    np.testing.assert_allclose(ours.lower_bound_, ref.lower_bound_, rtol=rtol)
    np.testing.assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=rtol)


@pytest.mark.parametrize("kind", ["numpy", "dask-one", "dask-50", "dask-uneven"])
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_same_model_as_sklearn_from_explicit_init(rng, covariance_type, kind):
    X = _blobs(rng)
    init = _explicit_init(X, covariance_type)
    params = dict(n_components=3, covariance_type=covariance_type, tol=1e-8, max_iter=50, **init)
    ref = sk.GaussianMixture(**params).fit(X)
    ours = GaussianMixture(**params).fit(_as_input(X, kind))
    assert ref.n_iter_ > 3
    _assert_same_model(ours, ref)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_far_from_origin_data_keep_their_covariances(rng, covariance_type):
    """Second moments are taken around the current means: data at 1e6 give the model
    of the same data at the origin, shifted (scikit-learn's uncentred 'tied' and 'diag'
    formulas would lose about 12 digits there)."""
    X0 = _blobs(rng)
    init = _explicit_init(X0, covariance_type)
    params = dict(n_components=3, covariance_type=covariance_type, max_iter=5, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = sk.GaussianMixture(**params, **init).fit(X0)
        far = dict(init, means_init=init["means_init"] + 1e6)
        ours = GaussianMixture(**params, **far).fit(da.from_array(X0 + 1e6, chunks=70))
    np.testing.assert_allclose(ours.means_ - 1e6, ref.means_, atol=1e-8)
    np.testing.assert_allclose(ours.covariances_, ref.covariances_, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_float32_as_sklearn(rng, covariance_type):
    X = _blobs(rng).astype(np.float32)
    # float32 initial values: scikit-learn then keeps every attribute in float32 (dml
    # keeps X's dtype whatever the initial values' dtype)
    init = {k: v.astype(np.float32) for k, v in _explicit_init(X.astype(np.float64), covariance_type).items()}
    params = dict(n_components=3, covariance_type=covariance_type, max_iter=10, tol=0, **init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = sk.GaussianMixture(**params).fit(X)
        ours = GaussianMixture(**params).fit(da.from_array(X, chunks=64))
    for a in ATTRS:
        assert getattr(ours, a).dtype == getattr(ref, a).dtype == np.float32, a
        np.testing.assert_allclose(getattr(ours, a), getattr(ref, a), rtol=2e-3, atol=2e-4, err_msg=a)
    for m in ("predict_proba", "score_samples"):
        assert getattr(ours, m)(X).dtype == getattr(ref, m)(X).dtype == np.float32


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_predictions_lazy_and_as_sklearn(rng, covariance_type):
    X = _blobs(rng)
    init = _explicit_init(X, covariance_type)
    params = dict(n_components=3, covariance_type=covariance_type, **init)
    ref = sk.GaussianMixture(**params).fit(X)
    ours = GaussianMixture(**params).fit(X)
    Xd = da.from_array(X, chunks=(64, -1))
    with count_passes() as counter:
        outs = {m: getattr(ours, m)(Xd) for m in ("predict", "predict_proba", "score_samples")}
    assert counter.passes == 0
    for m, out in outs.items():
        assert isinstance(out, da.Array), m
        got = out.compute()
        np.testing.assert_allclose(got, getattr(ref, m)(X), rtol=1e-8, atol=1e-10, err_msg=m)
        np.testing.assert_allclose(getattr(ours, m)(X), got, rtol=1e-12, atol=1e-12, err_msg=m)
    assert outs["predict"].dtype == np.int64
    np.testing.assert_allclose(ours.score(Xd), ref.score(X), rtol=1e-10)
    np.testing.assert_allclose(ours.bic(Xd), ref.bic(X), rtol=1e-10)
    np.testing.assert_allclose(ours.aic(X), ref.aic(X), rtol=1e-10)
    labels = GaussianMixture(**params).fit_predict(Xd)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), ref.fit_predict(X))


def test_scores_on_unknown_lengths_and_dataframes(rng):
    dd = pytest.importorskip("dask.dataframe")
    X = _blobs(rng)
    init = _explicit_init(X, "diag")
    params = dict(n_components=3, covariance_type="diag", **init)
    ref = sk.GaussianMixture(**params).fit(X)
    Xd = da.from_array(X, chunks=(70, -1))
    unknown = Xd[Xd[:, 0] > -1e9]  # the same rows, chunk lengths unknown
    assert np.isnan(unknown.shape[0])
    frame = dd.from_dask_array(Xd, columns=["a", "b", "c"])
    ours = GaussianMixture(**params).fit(unknown)
    _assert_same_model(ours, ref)
    for data in (unknown, frame.to_dask_array()):
        np.testing.assert_allclose(ours.score(data), ref.score(X), rtol=1e-10)
        np.testing.assert_allclose(ours.bic(data), ref.bic(X), rtol=1e-10)
        np.testing.assert_allclose(ours.aic(data), ref.aic(X), rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_sample_as_sklearn(rng, covariance_type):
    X = _blobs(rng)
    init = _explicit_init(X, covariance_type)
    params = dict(n_components=3, covariance_type=covariance_type, random_state=3, **init)
    Xs, ys = GaussianMixture(**params).fit(X).sample(40)
    Xr, yr = sk.GaussianMixture(**params).fit(X).sample(40)
    np.testing.assert_array_equal(ys, yr)
    np.testing.assert_allclose(Xs, Xr, rtol=1e-8, atol=1e-10)


def test_one_pass_per_em_iteration(rng):
    X = _blobs(rng)
    init = _explicit_init(X, "full")
    with count_passes() as counter:
        gm = GaussianMixture(3, tol=1e-8, **init).fit(da.from_array(X, chunks=50))
    assert counter.passes == gm.n_iter_ > 3, counter.kernels
    assert set(counter.kernels) == {"em_stats_kernel"}
    # one component, init 'kmeans': a pass for the mean, one for the statistics
    with count_passes() as counter:
        gm = GaussianMixture(1).fit(da.from_array(X, chunks=50))
    assert counter.passes == gm.n_iter_ + 2, counter.kernels


def test_random_from_data_draws_sklearns_rows(rng):
    """The same rows for the same random_state: the same model as scikit-learn's."""
    X = _blobs(rng)
    for ct in COV_TYPES:
        params = dict(n_components=3, covariance_type=ct, init_params="random_from_data", random_state=4)
        ref = sk.GaussianMixture(**params).fit(X)
        ours = GaussianMixture(**params).fit(da.from_array(X, chunks=45))
        _assert_same_model(ours, ref, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_initialisations_fit_the_blobs_whatever_the_chunking(rng, init_params, covariance_type):
    X = _blobs(rng)
    params = dict(n_components=3, covariance_type=covariance_type, init_params=init_params, random_state=0)
    a = GaussianMixture(**params).fit(da.from_array(X, chunks=-1))
    b = GaussianMixture(**params).fit(da.from_array(X, chunks=((60, 140, 100), (3,))))
    for attr in ATTRS:
        np.testing.assert_allclose(getattr(a, attr), getattr(b, attr), rtol=1e-7, atol=1e-9, err_msg=attr)
    ref = sk.GaussianMixture(**params).fit(X)
    # a good optimum, as scikit-learn's (the initialisations differ in their draws)
    assert a.lower_bound_ > ref.lower_bound_ - 0.05
    assert sorted(np.round(a.weights_, 1)) == sorted(np.round(ref.weights_, 1))


def test_n_init_keeps_the_best_and_random_state_repeats(rng):
    X = _blobs(rng)
    one = GaussianMixture(3, init_params="random", n_init=1, random_state=1).fit(X)
    many = GaussianMixture(3, init_params="random", n_init=4, random_state=1).fit(X)
    again = GaussianMixture(3, init_params="random", n_init=4, random_state=1).fit(X)
    assert many.lower_bound_ >= one.lower_bound_ - 1e-12
    np.testing.assert_array_equal(many.means_, again.means_)


def test_warm_start_continues_as_sklearn(rng):
    X = _blobs(rng)
    init = _explicit_init(X, "diag")
    params = dict(n_components=3, covariance_type="diag", max_iter=2, tol=0, warm_start=True, **init)
    ours, ref = GaussianMixture(**params), sk.GaussianMixture(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(3):
            ours.fit(da.from_array(X, chunks=80))
            ref.fit(X)
            _assert_same_model(ours, ref)


def test_max_iter_zero_keeps_the_initial_model(rng):
    X = _blobs(rng)
    params = dict(n_components=3, init_params="random_from_data", random_state=0, max_iter=0)
    ours = GaussianMixture(**params).fit(X)
    ref = sk.GaussianMixture(**params).fit(X)
    assert ours.n_iter_ == 0 and not ours.converged_
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=1e-12)
    np.testing.assert_allclose(ours.weights_, ref.weights_, rtol=1e-12)


def test_convergence_warning(rng):
    X = _blobs(rng)
    with pytest.warns(ConvergenceWarning, match="Best performing initialization did not converge"):
        GaussianMixture(3, max_iter=1, random_state=0).fit(X)


@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_output_as_sklearn(rng, capsys, verbose):
    X = _blobs(rng)
    init = _explicit_init(X, "full")
    params = dict(n_components=3, verbose=verbose, verbose_interval=2, n_init=1, **init)
    GaussianMixture(**params).fit(X)
    ours = capsys.readouterr().out
    sk.GaussianMixture(**params).fit(X)
    ref = capsys.readouterr().out
    times = re.compile(r"\d+\.\d+s")
    assert times.sub("T", ours) == times.sub("T", ref)
    assert "Initialization 0" in ours and "converged" in ours


def test_distributed_scheduler(rng, scheduler):
    X = _blobs(rng)
    init = _explicit_init(X, "tied")
    params = dict(n_components=3, covariance_type="tied", tol=1e-8, **init)
    ref = sk.GaussianMixture(**params).fit(X)
    ours = GaussianMixture(**params).fit(da.from_array(X, chunks=60))
    _assert_same_model(ours, ref)


# ------------------------------------------------------------------ bad input


def _fit_error(X, **params):
    return GaussianMixture(**params).fit(X)


@pytest.mark.parametrize(
    "params, message",
    [
        (
            dict(n_components=400),
            "Expected n_samples >= n_components but got n_components = 400, n_samples = 300",
        ),
        (dict(n_components=2, weights_init=[0.2, 0.2]), "The parameter 'weights' should be normalized"),
        (
            dict(n_components=2, weights_init=[1.5, -0.5]),
            "The parameter 'weights' should be in the range [0, 1]",
        ),
        (dict(n_components=2, weights_init=[1.0]), "The parameter 'weights' should have the shape of (2,)"),
        (
            dict(n_components=2, means_init=np.zeros((2, 4))),
            "The parameter 'means' should have the shape of (2, 3)",
        ),
        (
            dict(n_components=2, covariance_type="diag", precisions_init=-np.ones((2, 3))),
            "'diag precision' should be positive",
        ),
        (
            dict(n_components=1, precisions_init=-np.eye(3)[None]),
            "'full precision' should be symmetric, positive-definite",
        ),
        (dict(n_components=0), "The 'n_components' parameter of GaussianMixture must be"),
        (dict(covariance_type="other"), "The 'covariance_type' parameter of GaussianMixture must be"),
    ],
)
def test_bad_parameters_sklearn_errors(rng, params, message):
    X = _blobs(rng)
    with pytest.raises(ValueError, match=re.escape(message)):
        GaussianMixture(**params).fit(da.from_array(X, chunks=100))
    with pytest.raises(ValueError, match=re.escape(message)):
        sk.GaussianMixture(**params).fit(X)


def test_bad_data(rng):
    X = _blobs(rng)
    Xn = X.copy()
    Xn[5, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        GaussianMixture(2, random_state=0).fit(da.from_array(Xn, chunks=100))
    before = X.copy()
    gm = GaussianMixture(2, random_state=0).fit(X)
    np.testing.assert_array_equal(X, before)  # the caller's data untouched
    with pytest.raises(ValueError, match="Input X contains NaN"):
        gm.predict_proba(da.from_array(Xn, chunks=100)).compute()
    with pytest.raises(ValueError, match="X has 2 features, but GaussianMixture is expecting 3 features"):
        gm.predict(X[:, :2])
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        GaussianMixture().fit(X[:1])
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        GaussianMixture(2, reg_covar=0, init_params="random_from_data", max_iter=1, random_state=0).fit(
            np.ones((20, 3))
        )


# ------------------------------------------------------------------ kernels


def _strict(a):
    return None if a is None else xps.asarray(a)


@pytest.mark.parametrize("mode", ["em", "hard", "random", "rows"])
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_kernels_are_namespace_generic(rng, mode, covariance_type):
    X = _blobs(rng)[:80]
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    k = 3
    log_det = np.zeros(k)
    if mode == "em":
        from dml.mixture._gaussian_mixture import _log_det_cholesky

        log_det = _log_det_cholesky(gm.precisions_cholesky_, covariance_type, 3, k)
    args = (gm.means_, gm.precisions_cholesky_, np.log(gm.weights_), log_det, gm.means_.mean(axis=0))
    rows = np.array([3, 40, 77])
    kw = dict(covariance_type=covariance_type, mode=mode, seed=5, row_offset=10)
    a = em_stats_kernel(X, None, None, *args, rows, xp=get_namespace(X), **kw)
    b = em_stats_kernel(_strict(X), None, None, *args, rows, xp=xps, **kw)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_allclose(to_numpy(a[key]), to_numpy(b[key]), rtol=1e-12, atol=1e-12, err_msg=key)
    for output in ("labels", "proba", "score"):
        pk = dict(
            means=gm.means_,
            prec_chol=gm.precisions_cholesky_,
            log_weights=np.log(gm.weights_),
            log_det=log_det,
            covariance_type=covariance_type,
            output=output,
        )
        if mode == "em":
            np.testing.assert_allclose(
                to_numpy(mixture_predict_kernel(X, xp=get_namespace(X), **pk)),
                to_numpy(mixture_predict_kernel(_strict(X), xp=xps, **pk)),
                rtol=1e-12,
                atol=1e-12,
            )


# ------------------------------------------------------------------ faults


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_worker_killed_during_em_fit():
    """Nothing is pinned: a worker lost mid-fit is replaced by the engine and the EM
    iterations give the same model."""
    import os
    import threading
    import time

    import dask
    from distributed import Client, LocalCluster

    rng = np.random.default_rng(1)
    X_np = np.vstack([_blobs(rng) for _ in range(60)])  # 18,000 x 3
    init = _explicit_init(X_np, "full")
    params = dict(n_components=3, covariance_type="full", tol=0, max_iter=12, **init)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
        ) as cluster,
        Client(cluster) as client,
    ):
        X = client.persist(da.from_array(X_np, chunks=(1_500, -1)))
        dask.compute(X.sum())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            reference = GaussianMixture(**params).fit(X)
            victim = list(client.scheduler_info()["workers"])[0]
            killed = threading.Event()
            at_kill = []

            def kill_when_iterating(counter):
                while counter.passes < 4:
                    time.sleep(0.005)
                # the nanny starts a new worker; the dying one cannot answer
                client.run(os._exit, 1, workers=[victim], on_error="ignore")
                at_kill.append(counter.passes)
                killed.set()

            with count_passes() as counter:
                killer = threading.Thread(target=kill_when_iterating, args=(counter,), daemon=True)
                killer.start()
                survived = GaussianMixture(**params).fit(X)
                killer.join(timeout=60)
        assert killed.is_set() and at_kill[0] < 12  # killed during the iterations
        assert survived.n_iter_ == reference.n_iter_ == 12
        for a in ATTRS:
            np.testing.assert_allclose(getattr(survived, a), getattr(reference, a), rtol=1e-10, atol=1e-12)
