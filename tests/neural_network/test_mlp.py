"""MLPClassifier / MLPRegressor: lbfgs equal to scikit-learn's from the same random_state,
sgd / adam equal to scikit-learn's on one chunk without shuffling, the same model
whatever the chunking, pass counts, lazy predictions, partial_fit, bad input."""

import warnings

import dask.array as da
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_blobs, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

import dml
from dml._engine.mapreduce import count_passes
from dml.neural_network import MLPClassifier, MLPRegressor


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


def _blobs(n=300, centers=3, seed=0):
    X, y = make_blobs(n, 4, centers=centers, cluster_std=2.0, random_state=seed)
    return X, y


def _same_weights(a, b, atol):
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(ca, cb, rtol=0, atol=atol)


@pytest.mark.parametrize(
    "activation, centers", [("relu", 3), ("tanh", 2), ("logistic", 3), ("identity", 2), ("relu", 2)]
)
def test_lbfgs_classifier_equals_sklearn(activation, centers):
    X, y = _blobs(centers=centers)
    kw = dict(hidden_layer_sizes=(7, 5), solver="lbfgs", activation=activation, random_state=0, max_iter=25)
    ref = _quiet(lambda: SkMLPClassifier(**kw).fit(X, y))
    got = _quiet(lambda: MLPClassifier(**kw).fit(da.from_array(X, chunks=(70, -1)), y))
    assert got.n_iter_ == ref.n_iter_
    assert got.loss_ == pytest.approx(ref.loss_, rel=1e-6)
    _same_weights(got, ref, 1e-6)
    np.testing.assert_allclose(got.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(got.predict(X), ref.predict(X))


@pytest.mark.parametrize("weighted", [False, True])
def test_lbfgs_regressor_equals_sklearn(weighted):
    X, y = make_regression(250, 5, n_targets=2, noise=1.0, random_state=0)
    y = y / y.std()
    w = np.random.RandomState(1).uniform(0.5, 2.0, 250) if weighted else None
    kw = dict(hidden_layer_sizes=(6,), solver="lbfgs", random_state=0, max_iter=60, alpha=0.01)
    ref = _quiet(lambda: SkMLPRegressor(**kw).fit(X, y, sample_weight=w))
    wd = None if w is None else da.from_array(w, chunks=60)
    got = _quiet(lambda: MLPRegressor(**kw).fit(da.from_array(X, chunks=(60, -1)), y, sample_weight=wd))
    assert got.n_iter_ == ref.n_iter_
    assert got.loss_ == pytest.approx(ref.loss_, rel=1e-6)
    _same_weights(got, ref, 1e-6)
    np.testing.assert_allclose(got.predict(X), ref.predict(X), atol=1e-5)


def test_lbfgs_poisson_regressor_equals_sklearn():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    kw = dict(loss="poisson", hidden_layer_sizes=(4,), solver="lbfgs", random_state=0, max_iter=30)
    ref = _quiet(lambda: SkMLPRegressor(**kw).fit(X, y))
    got = _quiet(lambda: MLPRegressor(**kw).fit(X, y))
    assert got.loss_ == pytest.approx(ref.loss_, rel=1e-6)
    _same_weights(got, ref, 1e-6)


def test_lbfgs_is_one_pass_per_function_evaluation_and_chunking_invariant():
    X, y = _blobs()
    kw = dict(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0, max_iter=25)
    models = []
    for chunks in [(300, -1), (64, -1), (37, -1)]:
        with count_passes() as c:
            models.append(_quiet(lambda: MLPClassifier(**kw).fit(da.from_array(X, chunks=chunks), y)))
        assert c.kernels.count("mlp_loss_grad_kernel") == c.passes
    ref = _quiet(lambda: SkMLPClassifier(**kw).fit(X, y))
    # scipy's L-BFGS-B evaluates the objective a little more often than it iterates
    assert models[0].n_iter_ <= c.passes <= ref.n_iter_ + 10
    for m in models[1:]:
        _same_weights(m, models[0], 1e-9)


@pytest.mark.parametrize(
    "solver, learning_rate",
    [("sgd", "constant"), ("sgd", "invscaling"), ("sgd", "adaptive"), ("adam", "constant")],
)
def test_stochastic_equals_sklearn_without_shuffling(solver, learning_rate):
    X, y = _blobs()
    kw = dict(
        hidden_layer_sizes=(6,),
        solver=solver,
        learning_rate=learning_rate,
        learning_rate_init=0.01,
        random_state=0,
        max_iter=15,
        shuffle=False,
        batch_size=32,
    )
    ref = _quiet(lambda: SkMLPClassifier(**kw).fit(X, y))
    got = _quiet(lambda: MLPClassifier(**kw).fit(X, y))
    np.testing.assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=1e-10)
    _same_weights(got, ref, 1e-10)
    assert (got.n_iter_, got.t_, got.best_loss_) == (ref.n_iter_, ref.t_, pytest.approx(ref.best_loss_))


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_momentum_regressor_equals_sklearn(nesterov):
    X, y = make_regression(200, 4, noise=1.0, random_state=0)
    y = y / y.std()
    kw = dict(
        hidden_layer_sizes=(5,),
        solver="sgd",
        nesterovs_momentum=nesterov,
        momentum=0.8,
        random_state=0,
        max_iter=10,
        shuffle=False,
        batch_size=50,
    )
    ref = _quiet(lambda: SkMLPRegressor(**kw).fit(X, y))
    got = _quiet(lambda: MLPRegressor(**kw).fit(X, y))
    np.testing.assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=1e-10)
    _same_weights(got, ref, 1e-10)


@pytest.mark.parametrize("solver, early_stopping", [("sgd", True), ("adam", False), ("adam", True)])
def test_stochastic_model_does_not_depend_on_the_chunking(solver, early_stopping):
    X, y = _blobs()
    kw = dict(
        hidden_layer_sizes=(6,),
        solver=solver,
        random_state=0,
        max_iter=8,
        batch_size=40,
        early_stopping=early_stopping,
        learning_rate_init=0.01,
    )
    models = []
    for chunks in [(300, -1), (64, -1), (29, -1)]:
        with count_passes() as c:
            models.append(_quiet(lambda: MLPClassifier(**kw).fit(da.from_array(X, chunks=chunks), y)))
        m = models[-1]
        n_train = m.t_ // m.n_iter_
        n_steps = m.n_iter_ * -(-n_train // 40)
        assert c.kernels.count("mlp_loss_grad_kernel") == n_steps
        assert c.kernels.count("mlp_validation_kernel") == (m.n_iter_ if early_stopping else 0)
    for m in models[1:]:
        np.testing.assert_allclose(m.loss_curve_, models[0].loss_curve_, rtol=1e-9)
        _same_weights(m, models[0], 1e-9)
    if early_stopping:
        assert len(models[0].validation_scores_) == models[0].n_iter_
        assert models[0].best_validation_score_ == max(models[0].validation_scores_)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_accuracy_close_to_sklearn(solver):
    X, y = make_blobs(1200, 6, centers=4, cluster_std=3.0, random_state=0)
    X_test, y_test = X[900:], y[900:]
    X, y = X[:900], y[:900]
    kw = dict(hidden_layer_sizes=(20,), solver=solver, random_state=0, max_iter=30, learning_rate_init=0.01)
    ref = _quiet(lambda: SkMLPClassifier(**kw).fit(X, y)).score(X_test, y_test)
    got = _quiet(lambda: MLPClassifier(**kw).fit(da.from_array(X, chunks=(400, -1)), y)).score(X_test, y_test)
    assert got >= ref - 0.02


def test_lazy_predict_and_score():
    X, y = _blobs()
    Xd = da.from_array(X, chunks=(100, -1))
    clf = _quiet(lambda: MLPClassifier((5,), solver="lbfgs", random_state=0, max_iter=20).fit(Xd, y))
    with count_passes() as c:
        out = [clf.predict(Xd), clf.predict_proba(Xd), clf.predict_log_proba(Xd)]
    assert c.passes == 0 and all(isinstance(o, da.Array) for o in out)
    np.testing.assert_array_equal(out[0].compute(), clf.predict(X))
    np.testing.assert_allclose(out[1].compute(), clf.predict_proba(X))
    np.testing.assert_allclose(out[2].compute(), np.log(clf.predict_proba(X)))
    assert clf.score(Xd, y) == pytest.approx(clf.score(X, y))
    reg = _quiet(
        lambda: MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0, max_iter=20).fit(
            Xd, X[:, 0]
        )
    )
    pred = reg.predict(Xd)
    assert isinstance(pred, da.Array) and pred.ndim == 1
    np.testing.assert_allclose(pred.compute(), reg.predict(X))


def test_string_labels_multilabel_and_sparse():
    X, y = _blobs()
    names = np.array(["a", "b", "c"])[y]
    kw = dict(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0, max_iter=20)
    got = _quiet(lambda: MLPClassifier(**kw).fit(X, names))
    ref = _quiet(lambda: SkMLPClassifier(**kw).fit(X, names))
    np.testing.assert_array_equal(got.predict(X), ref.predict(X))
    Y = np.stack([y == 0, y == 1], axis=1).astype(int)
    got = _quiet(lambda: MLPClassifier(**kw).fit(X, Y))
    ref = _quiet(lambda: SkMLPClassifier(**kw).fit(X, Y))
    np.testing.assert_array_equal(got.predict(X), ref.predict(X))
    np.testing.assert_allclose(got.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    Xs = sp.csr_matrix(np.where(np.abs(X) > 3, X, 0.0))
    got = _quiet(lambda: MLPClassifier(**kw).fit(Xs, y))
    ref = _quiet(lambda: SkMLPClassifier(**kw).fit(Xs, y))
    _same_weights(got, ref, 1e-6)


def test_partial_fit_equals_sklearn_without_shuffling():
    X, y = _blobs()
    kw = dict(hidden_layer_sizes=(5,), solver="adam", random_state=0, shuffle=False, batch_size=25)
    ref, got = SkMLPClassifier(**kw), MLPClassifier(**kw)
    for a, b in [(0, 100), (100, 200), (200, 300)]:
        ref.partial_fit(X[a:b], y[a:b], classes=[0, 1, 2])
        got.partial_fit(da.from_array(X[a:b], chunks=(30, -1)), y[a:b], classes=[0, 1, 2])
    assert got.n_iter_ == ref.n_iter_ == 1 and got.t_ == ref.t_ == 300
    np.testing.assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=1e-9)
    _same_weights(got, ref, 1e-9)
    for est in (MLPClassifier, SkMLPClassifier):
        with pytest.raises(AttributeError, match="has no attribute 'partial_fit'"):
            est(solver="lbfgs").partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        got.partial_fit(X, y + 5)


def test_warm_start_continues_from_the_previous_weights():
    X, y = _blobs()
    kw = dict(
        hidden_layer_sizes=(5,), solver="sgd", random_state=0, shuffle=False, max_iter=3, warm_start=True
    )
    ref, got = SkMLPClassifier(**kw), MLPClassifier(**kw)
    for _ in range(2):
        _quiet(lambda: ref.fit(X, y))
        _quiet(lambda: got.fit(X, y))
    np.testing.assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=1e-9)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same classes"):
        got.fit(X[y < 2], y[y < 2])


def test_float32_kept_as_sklearn():
    X, y = _blobs()
    clf = _quiet(
        lambda: MLPClassifier((4,), solver="lbfgs", random_state=0, max_iter=5).fit(X.astype(np.float32), y)
    )
    ref = _quiet(
        lambda: SkMLPClassifier((4,), solver="lbfgs", random_state=0, max_iter=5).fit(X.astype(np.float32), y)
    )
    # scikit-learn's lbfgs returns float64 weights (scipy's), its stochastic solvers keep float32
    assert clf.coefs_[0].dtype == ref.coefs_[0].dtype
    assert clf.predict_proba(X.astype(np.float32)).dtype == ref.predict_proba(X.astype(np.float32)).dtype
    kw = dict(hidden_layer_sizes=(4,), solver="adam", random_state=0, max_iter=3)
    clf = _quiet(lambda: MLPClassifier(**kw).fit(X.astype(np.float32), y))
    ref = _quiet(lambda: SkMLPClassifier(**kw).fit(X.astype(np.float32), y))
    assert clf.coefs_[0].dtype == ref.coefs_[0].dtype == np.float32


def test_bad_input_as_sklearn():
    X, y = _blobs(n=60)
    for est in (MLPClassifier, SkMLPClassifier):
        with pytest.raises(ValueError, match=r"hidden_layer_sizes must be > 0, got \[3, 0\]"):
            est(hidden_layer_sizes=(3, 0)).fit(X, y)
        with pytest.raises(ValueError, match="The 'solver' parameter"):
            est(solver="newton").fit(X, y)
        with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
            est(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    Xn = X.copy()
    Xn[5, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MLPClassifier(solver="lbfgs").fit(da.from_array(Xn, chunks=(20, -1)), y)
    with pytest.raises(ValueError, match="The validation set is too small"):
        MLPClassifier(early_stopping=True, validation_fraction=0.01).fit(X[:30], y[:30])


def test_many_chunks_local_data():
    X, y = _blobs()
    kw = dict(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0, max_iter=20)
    with dml.config_context(chunk_bytes=4000, fast_path_bytes=1000):
        got = _quiet(lambda: MLPClassifier(**kw).fit(X, y))
    ref = _quiet(lambda: SkMLPClassifier(**kw).fit(X, y))
    _same_weights(got, ref, 1e-6)


@pytest.mark.parametrize("average_every", [1, 3])
def test_partial_fit_epochs_continue_the_fit_shuffles(average_every):
    """Shuffled partial_fit epochs are the epochs of one fit (each epoch its own
    permutation, the optimizer state kept), not the same permutation again."""
    X, y = _blobs()
    Xd = da.from_array(X, chunks=(100, -1))
    kw = dict(
        hidden_layer_sizes=(5,), solver="adam", random_state=0, batch_size=20, average_every=average_every
    )
    ref = _quiet(lambda: MLPClassifier(**kw, max_iter=3).fit(Xd, y))
    got = MLPClassifier(**kw)
    for _ in range(3):
        got.partial_fit(Xd, y, classes=[0, 1, 2])
    np.testing.assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=1e-12)
    _same_weights(got, ref, 1e-12)
    # the second epoch's permutation is not the first's
    two = MLPClassifier(**kw, max_iter=1, shuffle=True)
    two.partial_fit(Xd, y, classes=[0, 1, 2])
    first = [c.copy() for c in two.coefs_]
    two.partial_fit(Xd, y)
    assert two._epochs == 2 and not np.allclose(first[0], two.coefs_[0])


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_average_every_local_steps(solver):
    X, y = _blobs()
    kw = dict(
        hidden_layer_sizes=(6,),
        solver=solver,
        random_state=0,
        max_iter=6,
        batch_size=20,
        learning_rate_init=0.01,
    )
    sync = _quiet(lambda: MLPClassifier(**kw).fit(X, y))
    # one chunk: one replica, whose k local steps are the synchronous steps
    one = _quiet(lambda: MLPClassifier(**kw, average_every=4).fit(X, y))
    np.testing.assert_allclose(one.loss_curve_, sync.loss_curve_, rtol=1e-9)
    _same_weights(one, sync, 1e-9)
    # several chunks: one round trip per 4 steps, a model close in quality
    with count_passes() as c:
        many = _quiet(lambda: MLPClassifier(**kw, average_every=4).fit(da.from_array(X, chunks=(75, -1)), y))
    assert c.kernels.count("mlp_local_steps_kernel") == many.n_iter_ * -(-15 // 4)
    assert "mlp_loss_grad_kernel" not in c.kernels
    assert many.score(X, y) >= sync.score(X, y) - 0.05
    with pytest.raises(ValueError, match="The 'average_every' parameter"):
        MLPClassifier(average_every=0).fit(X, y)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_worker_killed_mid_fit_gives_the_same_model(solver):
    """A worker killed during the fit: its chunks (and the binarized targets sent to
    them) are made again and the model is the undisturbed fit's."""
    import os
    import threading
    import time

    from distributed import Client, LocalCluster

    X, y = _blobs(n=2000)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        ) as lc,
        Client(lc) as client,
    ):
        Xd, yd = client.persist([da.from_array(X, chunks=(250, -1)), da.from_array(y, chunks=250)])
        kw = dict(hidden_layer_sizes=(8,), solver=solver, random_state=0, max_iter=15, batch_size=100)
        reference = _quiet(lambda: MLPClassifier(**kw).fit(Xd, yd))
        victim = list(client.scheduler_info()["workers"])[0]
        killed = threading.Event()

        def kill_mid_fit(counter):
            while counter.passes < 8:
                time.sleep(0.005)
            client.run(os._exit, 1, workers=[victim], on_error="ignore")
            killed.set()

        with count_passes() as counter:
            killer = threading.Thread(target=kill_mid_fit, args=(counter,), daemon=True)
            killer.start()
            survived = _quiet(lambda: MLPClassifier(**kw).fit(Xd, yd))
            killer.join(timeout=60)
        assert killed.is_set()
    _same_weights(survived, reference, 1e-12)
    # the same model to rounding: recomputed chunks may add their partials in another order
    np.testing.assert_allclose(survived.predict_proba(X), reference.predict_proba(X), rtol=1e-9, atol=1e-15)


def _python_local_steps(monkeypatch):
    """Route mlp_local_steps_kernel to its Python loop (the compiled loop's reference)."""
    from dml.neural_network import _multilayer_perceptron_kernels as kernels

    monkeypatch.setattr(kernels, "_compiled_case", lambda *args: False)


@pytest.mark.parametrize(
    "units, activation, out_activation, loss",
    [
        ((6, 8, 1), "relu", "logistic", "binary_log_loss"),
        ((6, 7, 5, 3), "tanh", "softmax", "log_loss"),
        ((6, 5, 3), "identity", "logistic", "binary_log_loss"),
        ((6, 4, 2), "logistic", "identity", "squared_error"),
        ((6, 4, 3, 1), "relu", "exp", "poisson"),
    ],
)
@pytest.mark.parametrize("solver", ["adam", "sgd-nesterov", "sgd-momentum", "sgd"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    "dtype, order",
    [(np.float64, "C"), (np.float64, "F"), (np.float64, "F-view"), (np.float64, "C-view"), (np.float32, "C")],
)
def test_local_steps_compiled_equals_python(
    monkeypatch, units, activation, out_activation, loss, solver, weighted, dtype, order
):
    from dml.neural_network import _multilayer_perceptron_kernels as kernels

    rng = np.random.default_rng(0)
    n, k = 300, units[-1]
    X = np.asarray(rng.standard_normal((n + 2, units[0] + 1)), dtype=dtype, order=order[0])
    # a view (neither C- nor Fortran-contiguous) or the whole array
    X = X[1 : n + 1, : units[0]] if order.endswith("view") else np.asarray(X[:n, : units[0]], order=order)
    if loss == "log_loss":
        y = np.eye(k)[rng.integers(0, k, n)].astype(dtype)
    elif loss == "binary_log_loss":
        y = (rng.random((n, k)) > 0.5).astype(np.int64)[:, 0] if k == 1 else (rng.random((n, k)) > 0.5) * 1.0
    elif loss == "poisson":
        y = rng.poisson(1.0, n).astype(dtype)
    else:
        y = rng.standard_normal((n, k))
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    n_theta = sum(a * b for a, b in zip(units[:-1], units[1:])) + sum(units[1:])
    theta = rng.uniform(-0.5, 0.5, n_theta).astype(dtype)
    s1 = rng.uniform(0.0, 0.01, n_theta).astype(dtype)
    s2 = rng.uniform(0.0, 0.01, n_theta).astype(dtype)
    if solver == "adam":
        opt = {"t": 3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "learning_rate_init": 0.01}
    else:
        opt = {
            "learning_rate": 0.05,
            "momentum": 0.0 if solver == "sgd" else 0.9,
            "nesterov": solver == "sgd-nesterov",
        }
        s2 = s1
    # six steps of 40 global rows among 700, the chunk holding rows 100..399; the fourth
    # step has none of them (skipped, as the Python loop skips it)
    shares = [np.sort(rng.choice(700, 40, replace=False)) for _ in range(6)]
    shares[3] = np.arange(500, 540)
    rows = np.concatenate(shares)
    bounds = np.arange(0, 241, 40)
    args = (X, y, w, theta, s1, s2, rows, bounds)
    kw = dict(
        xp=np,
        layer_units=units,
        activation=activation,
        out_activation=out_activation,
        loss=loss,
        alpha=1e-3,
        solver=solver.split("-")[0],
        opt=opt,
        row_offset=100,
    )
    assert kernels._compiled_case(*args, activation, out_activation, loss, kw["solver"])
    got = kernels.mlp_local_steps_kernel(*args, **kw)
    _python_local_steps(monkeypatch)
    ref = kernels.mlp_local_steps_kernel(*args, **kw)
    assert got["n"] == ref["n"] > 0
    # float32: the Python loop carries Adam's float64 step size into the weights (float64
    # after the first step), the compiled loop stays in float32
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    for key in ("theta", "state_1", "state_2"):
        assert got[key].dtype == dtype
        np.testing.assert_allclose(got[key], ref[key], rtol=rtol, atol=rtol * np.abs(ref[key]).max())
    assert got["loss"] == pytest.approx(ref["loss"], rel=rtol)
    # none of the chunk's rows: nothing to return
    assert (
        kernels.mlp_local_steps_kernel(X, y, w, theta, s1, s2, np.arange(500, 540), np.array([0, 40]), **kw)
        == {}
    )


def test_local_steps_compiled_cases():
    from dml.neural_network._multilayer_perceptron_kernels import _compiled_case

    X, y, theta = np.ones((4, 2)), np.zeros(4), np.zeros(3)
    common = (theta, theta, theta, np.arange(4), np.array([0, 4]))
    names = ("relu", "logistic", "binary_log_loss", "adam")
    assert _compiled_case(X, y, None, *common, *names)
    assert _compiled_case(X.astype(np.float32), y, np.ones(4), *common, *names)
    assert _compiled_case(np.asfortranarray(X), y, None, *common, *names)
    assert not _compiled_case(sp.csr_matrix(X), y, None, *common, *names)
    assert not _compiled_case(X.astype(np.int64), y, None, *common, *names)
    assert not _compiled_case(X, y, None, *common, "relu", "logistic", "binary_log_loss", "lbfgs")
    assert not _compiled_case(X, y, None, *common, "softplus", "logistic", "binary_log_loss", "adam")


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_average_every_compiled_fit_equals_python_fit(monkeypatch, solver):
    X, y = _blobs()
    w = np.random.RandomState(1).uniform(0.5, 2.0, X.shape[0])
    kw = dict(
        hidden_layer_sizes=(6, 4), solver=solver, random_state=0, max_iter=4, batch_size=20, average_every=3
    )
    Xd = da.from_array(X, chunks=(75, -1))
    got = _quiet(lambda: MLPClassifier(**kw).fit(Xd, y, sample_weight=w))
    _python_local_steps(monkeypatch)
    ref = _quiet(lambda: MLPClassifier(**kw).fit(Xd, y, sample_weight=w))
    np.testing.assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=1e-10)
    _same_weights(got, ref, 1e-10)
