"""IncrementalSearchCV and InverseDecaySearchCV (dask-ml's incremental searches)."""

from __future__ import annotations

import inspect

import dask
import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from distributed.utils_test import gen_cluster
from scipy.stats import loguniform
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier

from dml.model_selection import IncrementalSearchCV, InverseDecaySearchCV
from dml.model_selection._incremental_search import inverse_decay_step

PARAMS = {"alpha": loguniform(1e-5, 1e-1), "penalty": ["l2", "l1"]}
_CLEAN = {"processes": False, "threads": False, "instances": False}


@pytest.fixture(scope="module")
def data():
    return make_classification(900, 10, n_informative=5, random_state=0)


class Ramp(BaseEstimator):
    """A model whose hold-out score is known in advance: ``quality * min(calls, plateau)``.

    Its score rises by ``quality`` per ``partial_fit`` call until ``plateau`` calls, then
    stays flat, so the best model, the plateau and every decision are exact.
    """

    def __init__(self, quality=1.0, plateau=1000):
        self.quality = quality
        self.plateau = plateau

    def fit(self, X, y=None):
        self.calls_ = 0
        return self.partial_fit(X, y)

    def partial_fit(self, X, y=None):
        self.calls_ = getattr(self, "calls_", 0) + 1
        self.n_features_in_ = X.shape[1]
        return self

    def score(self, X, y=None):
        return self.quality * min(self.calls_, self.plateau)


class CountingSGD(SGDClassifier):
    """Counts its own partial_fit calls."""

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        self.n_partial_fit_calls_ = getattr(self, "n_partial_fit_calls_", 0) + 1
        return super().partial_fit(X, y, classes=classes, sample_weight=sample_weight)


def _ramp_data(n=200):
    X = np.arange(n * 2, dtype=float).reshape(n, 2)
    return X, None


def _rounds(search):
    """(models, calls) of every round, from the history: how many jobs reached each count."""
    calls = [h["partial_fit_calls"] for h in search.history_]
    return [(calls.count(c), c) for c in sorted(set(calls))]


def dask_ml_inverse_decay(n, decay_rate, max_iter):
    """dask-ml's InverseDecaySearchCV._adapt (v2025.1.0), without patience, run on its own:
    the (models, calls) of every round."""

    def inverse(t):
        return int(n / (1 + t) ** decay_rate)

    rounds, t = [(n, 1)], 1
    while True:
        current = t + 1
        nxt = current
        while inverse(current) == inverse(nxt) and decay_rate:
            nxt += 1
        target = max(1, inverse(nxt))
        if target == 1 or t >= max_iter:
            return rounds
        t = min(t + nxt - current, max_iter)
        rounds.append((target, t))


# ------------------------------------------------------------------ the decay


@pytest.mark.parametrize("n, decay_rate", [(10, 1.0), (30, 1.0), (100, 1.0), (40, 0.5), (60, 2.0), (25, 0.3)])
def test_models_alive_per_step_follow_dask_mls_formula(n, decay_rate):
    X, y = _ramp_data()
    qualities = list(np.linspace(0.1, 1.0, n))
    search = InverseDecaySearchCV(
        Ramp(), {"quality": qualities}, n_initial_parameters=n, decay_rate=decay_rate, max_iter=50
    )
    expected = dask_ml_inverse_decay(n, decay_rate, max_iter=50)
    assert search.metadata["brackets"][0]["rounds"] == expected
    search.fit(X, y)
    assert _rounds(search) == expected
    assert search.metadata_ == search.metadata
    # the survivors of every round are the best models: the highest qualities
    for n_models, calls in expected:
        trained = sorted(h["params"]["quality"] for h in search.history_ if h["partial_fit_calls"] == calls)
        assert trained == sorted(qualities)[-n_models:]
    assert search.best_params_ == {"quality": max(qualities)}


def test_inverse_decay_step_by_hand():
    # n = 10, decay 1: n(t) = int(10 / (1 + t)). After 1 call: current 2 (3 models), the
    # wanted number changes at 3 (2 models): keep 2 for one call.
    assert inverse_decay_step(10, 1.0, 1, 1, False) == (2, 1)
    # after 2 calls: current 3 (2 models), changes at 5 (1 model): the end.
    assert inverse_decay_step(10, 1.0, 2, 1, False)[0] == 1
    # with patience the next decision comes at most fits_per_score calls later
    # (without it, at the change of the wanted number)
    assert inverse_decay_step(100, 1.0, 40, 2, True) == (2, 2)
    assert inverse_decay_step(100, 1.0, 40, 2, False) == (1, 9)
    # n(current) == 0: the end (dask-ml would restart its clock)
    assert inverse_decay_step(20, 3.0, 1, 1, False) == (1, 0)
    # a very slow decay is solved for, not stepped through one call at a time
    t = 3
    while int(10 / (1 + t) ** 0.01) == 9:  # 9 models wanted until t = 37,648
        t += 1
    assert inverse_decay_step(10, 0.01, 1, 1, False) == (8, t - 2)
    assert t > 30_000


def test_decay_rate_zero_is_incremental_search():
    X, y = _ramp_data()
    space = {"quality": [0.2, 0.5, 0.9]}
    a = InverseDecaySearchCV(Ramp(), space, decay_rate=0, fits_per_score=2, max_iter=7).fit(X, y)
    b = IncrementalSearchCV(Ramp(), space, fits_per_score=2, max_iter=7).fit(X, y)
    assert _rounds(a) == _rounds(b) == [(3, 1), (3, 3), (3, 5), (3, 7)]
    assert a.metadata_ == b.metadata_ == b.metadata
    np.testing.assert_array_equal(a.cv_results_["test_score"], b.cv_results_["test_score"])


# ------------------------------------------------------- max_iter, patience, tol


def test_max_iter_and_fits_per_score(data):
    X, y = data
    search = IncrementalSearchCV(
        CountingSGD(tol=None, random_state=0), PARAMS, n_initial_parameters=4, fits_per_score=2, max_iter=6
    )
    search.fit(da.from_array(X, chunks=300), da.from_array(y, chunks=300))
    assert list(search.cv_results_["partial_fit_calls"]) == [6] * 4
    assert [h["partial_fit_calls"] for h in search.model_history_[0]] == [1, 3, 5, 6]
    assert search.best_estimator_.n_partial_fit_calls_ == 6
    assert search.metadata_ == search.metadata
    assert search.metadata["partial_fit_calls"] == 24
    # dask-ml's default: 100 calls at most
    assert IncrementalSearchCV(SGDClassifier(), PARAMS).max_iter == 100


@pytest.mark.parametrize(
    "fits_per_score, tol, expected",
    [
        (1, 0.0, [5, 7, 10]),  # flat after `plateau` calls; stopped `patience` calls later
        (3, 0.0, [4, 7, 10]),  # adapt every 3 calls, scored at most 2 apart: 1, 3, 4, 6, 7, ...)
        (1, 100.0, [2, 2, 2]),  # no gain counts: stopped at the first check
        (1, None, [20, 20, 20]),  # tol=None never stops on a plateau
    ],
)
def test_patience_stops_on_a_plateau(fits_per_score, tol, expected):
    X, y = _ramp_data()
    search = IncrementalSearchCV(
        Ramp(quality=1.0),
        {"plateau": [3, 5, 8]},
        patience=2,
        tol=tol,
        fits_per_score=fits_per_score,
        max_iter=20,
    ).fit(X, y)
    by_plateau = {
        p["plateau"]: c for p, c in zip(search.cv_results_["params"], search.cv_results_["partial_fit_calls"])
    }
    assert [by_plateau[p] for p in (3, 5, 8)] == expected
    stopped = [mid for mid, hist in search.model_history_.items() if hist[-1]["stopped"]]
    assert len(stopped) == (0 if tol is None else 3)
    assert not any(h["stopped"] for hist in search.model_history_.values() for h in hist[:-1])
    assert search.metadata_["partial_fit_calls"] == sum(expected)
    assert search.metadata["partial_fit_calls"] == 60  # planned without early stopping


def test_patience_with_the_decay():
    X, y = _ramp_data()
    # every model flat after 2 calls: patience 2 stops them all at 4 calls, long before
    # the decay (or max_iter) would
    search = InverseDecaySearchCV(
        Ramp(plateau=2),
        {"quality": list(np.linspace(0.1, 1, 30))},
        n_initial_parameters=30,
        patience=2,
        tol=0.0,
        decay_rate=0.2,
        max_iter=40,
    ).fit(X, y)
    assert search.cv_results_["partial_fit_calls"].max() == 4
    assert search.best_params_["quality"] == 1.0
    assert search.metadata_["partial_fit_calls"] < search.metadata["partial_fit_calls"]


# ------------------------------------------------------------ the best model


def test_best_model_on_a_clear_problem(data, scheduler):
    X, y = data
    space = {"alpha": [1e-4, 30.0], "loss": ["hinge", "log_loss"]}  # alpha=30 underfits badly
    Xd, yd = da.from_array(X, chunks=300), da.from_array(y, chunks=300)
    for cls in (IncrementalSearchCV, InverseDecaySearchCV):
        search = cls(
            SGDClassifier(tol=None, random_state=0),
            space,
            n_initial_parameters="grid",
            max_iter=6,
            random_state=0,
        )
        search.fit(Xd, yd)
        assert search.best_params_["alpha"] == 1e-4
        assert search.best_score_ == search.cv_results_["test_score"][search.best_index_]
        assert search.cv_results_["rank_test_score"][search.best_index_] == 1
        assert search.score(X, y) > 0.75
        assert search.predict(X[:5]).shape == (5,)
        assert list(search.classes_) == [0, 1]
    ramp = InverseDecaySearchCV(
        Ramp(), {"quality": loguniform(0.1, 10)}, n_initial_parameters=20, random_state=0
    ).fit(*_ramp_data())
    qualities = [p["quality"] for p in ramp.cv_results_["params"]]
    assert ramp.best_params_["quality"] == max(qualities)


def test_cv_results_and_history(data):
    X, y = data
    search = InverseDecaySearchCV(
        SGDClassifier(tol=None, random_state=0), PARAMS, n_initial_parameters=10, random_state=0
    ).fit(X, y)
    res = search.cv_results_
    assert set(res) >= {
        "model_id",
        "params",
        "partial_fit_calls",
        "test_score",
        "rank_test_score",
        "mean_partial_fit_time",
        "std_partial_fit_time",
        "mean_score_time",
        "std_score_time",
        "param_alpha",
        "param_penalty",
    }
    assert len(res["model_id"]) == 10
    assert len(search.history_) == sum(len(h) for h in search.model_history_.values()) == 12
    assert set(search.history_[0]) >= {
        "model_id",
        "params",
        "partial_fit_calls",
        "partial_fit_time",
        "score",
        "score_time",
        "elapsed_wall_time",
    }
    assert search.n_splits_ == 1 and search.multimetric_ is False
    # the candidates are scikit-learn's ParameterSampler's for the seed, as dask-ml's
    from sklearn.model_selection import ParameterSampler

    assert res["params"] == list(ParameterSampler(PARAMS, 10, random_state=0))


def test_warm_start_estimator(data):
    X, y = data
    search = IncrementalSearchCV(
        GradientBoostingClassifier(warm_start=True, max_depth=2, random_state=0),
        {"learning_rate": [0.05, 0.5]},
        max_iter=3,
        warm_start_param="n_estimators",
        warm_start_step=2,
    ).fit(X, y)
    assert search.best_estimator_.n_estimators == 6
    assert len(search.best_estimator_.estimators_) == 6


def test_verbose_lines_carry_the_prefix(capsys):
    X, y = _ramp_data()
    IncrementalSearchCV(Ramp(), {"quality": [1.0]}, max_iter=2, verbose=True, prefix="-outer").fit(X, y)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and all(line.startswith("[CV-outer] model 0") for line in out)


# --------------------------------------------------- invariance of the result


def _fingerprint(search):
    return (
        search.best_params_,
        list(search.cv_results_["test_score"]),
        list(search.cv_results_["partial_fit_calls"]),
        search.metadata_,
    )


@pytest.mark.parametrize("cls", [IncrementalSearchCV, InverseDecaySearchCV])
def test_same_result_for_lazy_persisted_and_rechunked_input(data, cls):
    X, y = data

    def search():
        return cls(
            SGDClassifier(tol=None, random_state=0),
            PARAMS,
            n_initial_parameters=6,
            max_iter=5,
            random_state=3,
        )

    Xd, yd = da.from_array(X, chunks=(300, -1)), da.from_array(y, chunks=300)
    ref = _fingerprint(search().fit(Xd, yd))
    assert _fingerprint(search().fit(Xd.persist(), yd.persist())) == ref
    assert _fingerprint(search().fit(da.from_array(X, chunks=(300, 3)), yd)) == ref  # column chunks
    assert _fingerprint(search().fit(Xd, da.from_array(y, chunks=150))) == ref  # y chunked otherwise
    df = dd.from_pandas(pd.DataFrame(X), npartitions=3)
    assert _fingerprint(search().fit(df, dd.from_pandas(pd.Series(y), npartitions=3))) == ref
    # one block: in-memory X and a one-chunk Dask X give the same search
    one = _fingerprint(search().fit(X, y))
    assert (
        _fingerprint(search().fit(da.from_array(X, chunks=X.shape), da.from_array(y, chunks=len(y)))) == one
    )
    # the data are not modified
    X2, y2 = make_classification(900, 10, n_informative=5, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_same_result_under_every_scheduler(data, scheduler):
    X, y = data
    Xd, yd = da.from_array(X, chunks=300), da.from_array(y, chunks=300)
    search = InverseDecaySearchCV(
        SGDClassifier(tol=None, random_state=0), PARAMS, n_initial_parameters=6, random_state=1
    ).fit(Xd, yd)
    with dask.config.set(scheduler="sync"):
        ref = InverseDecaySearchCV(
            SGDClassifier(tol=None, random_state=0), PARAMS, n_initial_parameters=6, random_state=1
        ).fit(Xd, yd)
    assert _fingerprint(search) == _fingerprint(ref)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "make, error, match",
    [
        (
            lambda: IncrementalSearchCV(SGDClassifier(), PARAMS, decay_rate=1.0),
            ValueError,
            "InverseDecaySearchCV",
        ),
        (
            lambda: IncrementalSearchCV(SGDClassifier(), PARAMS, patience=1),
            ValueError,
            "always detects a plateau",
        ),
        (lambda: InverseDecaySearchCV(SGDClassifier(), PARAMS, patience=True), ValueError, "int >= 2"),
        (
            lambda: IncrementalSearchCV(SGDClassifier(), PARAMS, fits_per_score=2, scores_per_fit=3),
            ValueError,
            "Specify fits_per_score, not scores_per_fit",
        ),
        (lambda: IncrementalSearchCV(SGDClassifier(), PARAMS, max_iter=0), ValueError, "max_iter"),
        (lambda: IncrementalSearchCV(SGDClassifier(), PARAMS, max_iter=None), ValueError, "max_iter"),
        (
            lambda: IncrementalSearchCV(SGDClassifier(), PARAMS, fits_per_score=0),
            ValueError,
            "fits_per_score",
        ),
        (
            lambda: IncrementalSearchCV(SGDClassifier(), PARAMS, n_initial_parameters=0),
            ValueError,
            "n_initial",
        ),
        (lambda: InverseDecaySearchCV(SGDClassifier(), PARAMS, decay_rate=-1), ValueError, "decay_rate"),
        (
            lambda: InverseDecaySearchCV(SGDClassifier(), PARAMS, decay_rate=0, max_iter=None),
            ValueError,
            "never ends",
        ),
        (
            lambda: InverseDecaySearchCV(SGDClassifier(), PARAMS, decay_rate=1e-4, max_iter=None),
            ValueError,
            "Give max_iter",
        ),
        (lambda: IncrementalSearchCV(LogisticRegression(), {"C": [1.0]}), ValueError, "has no partial_fit"),
        (
            lambda: IncrementalSearchCV(SGDClassifier(), PARAMS, scoring=["accuracy", "f1"]),
            ValueError,
            "single",
        ),
        (lambda: InverseDecaySearchCV(SGDClassifier(), []), ValueError, "empty"),
        (
            lambda: IncrementalSearchCV(SGDClassifier(), PARAMS, n_initial_parameters="grid"),
            TypeError,
            "list",
        ),
    ],
)
def test_bad_parameters(data, make, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        make().fit(X, y)


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.ones(10), np.ones(10), "Expected 2D array"),
        (np.ones((10, 2)), np.ones(9), "inconsistent numbers of samples"),
        (np.ones((0, 2)), np.ones(0), "0 sample"),
        (da.ones((10, 2), chunks=5), np.ones(10), "y must be a Dask collection"),
    ],
)
def test_bad_data(X, y, match):
    with pytest.raises(ValueError, match=match):
        IncrementalSearchCV(SGDClassifier(), PARAMS).fit(X, y)


def test_scores_per_fit_is_a_deprecated_alias():
    X, y = _ramp_data()
    search = IncrementalSearchCV(Ramp(), {"quality": [1.0]}, max_iter=5, scores_per_fit=2)
    with pytest.warns(FutureWarning, match="fits_per_score=2 instead"):
        search.fit(X, y)
    assert [h["partial_fit_calls"] for h in search.history_] == [1, 3, 5]
    assert search.scores_per_fit == 2 and search.fits_per_score == 1  # parameters unchanged


# ------------------------------------------------------- asynchronous client


@pytest.mark.parametrize("cls", [IncrementalSearchCV, InverseDecaySearchCV])
def test_fit_is_awaitable_under_an_asynchronous_client(data, cls):
    X, y = data
    kw = dict(n_initial_parameters=5, max_iter=4, random_state=0)
    ref = cls(SGDClassifier(tol=None, random_state=0), PARAMS, **kw).fit(X, y)

    @gen_cluster(client=True, timeout=60, clean_kwargs=_CLEAN)
    async def run(c, s, a, b):
        search = cls(SGDClassifier(tol=None, random_state=0), PARAMS, **kw)
        pending = search.fit(X, y)
        assert inspect.iscoroutine(pending)
        assert await pending is search
        assert _fingerprint(search) == _fingerprint(ref)
        lazy = await cls(SGDClassifier(tol=None, random_state=0), PARAMS, **kw).fit(
            da.from_array(X, chunks=300), da.from_array(y, chunks=300)
        )
        assert lazy.metadata_ == lazy.metadata
        assert lazy.best_estimator_.predict(X[:3]).shape == (3,)

    run()
