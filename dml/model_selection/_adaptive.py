"""The engine of the adaptive searches: data placement, jobs, results.

A *call* is one ``partial_fit`` on one training block (blocks are the row chunks of a
Dask ``X``; in-memory ``X`` is one block), or -- for estimators with ``warm_start`` --
one warm-started ``fit`` on the whole training set after growing ``warm_start_param``.
A *job* advances one model to a target number of calls and scores it on the hold-out
set; it is one task. Models live on the cluster between jobs (futures); only the
scores come back to the caller, which decides what to train next.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import numbers
import time
from collections import defaultdict

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.model_selection import ParameterGrid, ParameterSampler
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from dml._base import check_params
from dml._compat.sklearn import Interval
from dml._engine.inputs import is_dask_collection
from dml._engine.runtime import get_client
from dml._engine.tasks import task_runner
from dml.metrics import check_scoring
from dml.model_selection._incremental_tasks import concat_test, split_block, train_and_score


def resolve_scorer(estimator, scoring):
    """The scorer of an adaptive search (single metric): the one place it is resolved."""
    if isinstance(scoring, (list, tuple, set, dict)):
        raise ValueError(
            "Adaptive searches rank models by one score: scoring must be a single "
            f"scorer name, a callable or None, got {scoring!r}."
        )
    return check_scoring(estimator, scoring)


def space_size(parameters):
    """Number of distinct candidates of a search space; None when it is infinite.

    A space is finite when every value is a list (no distribution with ``rvs``): then it
    holds ``len(ParameterGrid(parameters))`` candidates, as scikit-learn's
    ``ParameterSampler`` counts them.
    """
    dicts = [parameters] if isinstance(parameters, dict) else list(parameters)
    if any(hasattr(v, "rvs") for d in dicts for v in d.values()):
        return None
    return len(ParameterGrid(parameters))


def _estimator_has(attr):
    def check(self):
        if hasattr(self, "best_estimator_"):
            getattr(self.best_estimator_, attr)
        else:
            getattr(self.estimator, attr)
        return True

    return check


class _Job:
    __slots__ = ("model_id", "handle", "bracket", "target")

    def __init__(self, model_id, handle, bracket, target):
        self.model_id, self.handle, self.bracket, self.target = model_id, handle, bracket, target


class BaseAdaptiveSearch(MetaEstimatorMixin, BaseEstimator):
    """Shared machinery of the incremental (adaptive) searches."""

    _parameter_constraints: dict = {
        "estimator": "no_validation",
        "parameters": [dict, list],
        "test_size": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "patience": ["boolean", Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, None, None, closed="neither"), None],
        "random_state": ["random_state"],
        "scoring": [str, callable, list, tuple, dict, None],
        "verbose": ["verbose"],
        "warm_start_param": [str, None],
        "warm_start_step": [Interval(numbers.Integral, 1, None, closed="left")],
        "warm_start_cumulative": ["boolean"],
    }

    # ---------------------------------------------------------------- validation

    def _check_estimator(self):
        est = self.estimator
        if not hasattr(est, "get_params"):
            raise TypeError(f"estimator must be a scikit-learn estimator, got {est!r}.")
        name = type(est).__name__
        if self.warm_start_param is None:
            if not hasattr(est, "partial_fit"):
                raise ValueError(
                    f"{type(self).__name__} trains models incrementally, but {name} has no "
                    "partial_fit method. Give an estimator with partial_fit, or one with "
                    "warm_start and warm_start_param='n_estimators' (or 'max_iter') to grow "
                    "it between calls."
                )
            return None
        params = est.get_params(deep=False)
        if "warm_start" not in params:
            raise ValueError(f"warm_start_param is set but {name} has no warm_start parameter.")
        if self.warm_start_param not in params:
            raise ValueError(f"warm_start_param={self.warm_start_param!r} is not a parameter of {name}.")
        return (self.warm_start_param, int(self.warm_start_step), bool(self.warm_start_cumulative))

    def _sample_parameters(self, n, rng):
        if isinstance(n, str):  # "grid"
            params = list(ParameterGrid(self.parameters))
        else:
            size = space_size(self.parameters)
            n = n if size is None else min(n, size)
            params = list(ParameterSampler(self.parameters, n, random_state=rng))
        if not params:
            raise ValueError("The parameter space is empty: there are no candidates to train.")
        return params

    def _log_tag(self):
        """The tag of the ``verbose`` lines."""
        return type(self).__name__

    def _patience(self):
        if self.patience is True:
            max_iter = getattr(self, "max_iter", None)
            return max(1, (max_iter or 1) // self.aggressiveness)
        return int(self.patience) if self.patience else 0

    # ---------------------------------------------------------------------- data

    def _prepare(self, X, y, fit_params, runner, rng):
        """Blocks of training rows and one hold-out set, placed where the jobs run."""
        if is_dask_collection(X):
            if hasattr(X, "to_delayed") and hasattr(X, "chunks"):
                if X.ndim == 2 and len(X.chunks[1]) > 1:
                    X = X.rechunk({1: -1})
                xs = X.to_delayed().ravel().tolist()
            else:
                xs = X.to_delayed()
            if y is not None:
                if is_dask_collection(y):
                    if hasattr(y, "chunks") and hasattr(X, "chunks"):
                        y = y.rechunk({0: X.chunks[0]})
                    ys = y.to_delayed().ravel().tolist() if hasattr(y, "chunks") else y.to_delayed()
                else:
                    raise ValueError("With a Dask X, y must be a Dask collection chunked like X.")
            else:
                ys = [None] * len(xs)
            blocks = list(zip(xs, ys))
        else:
            if sp.issparse(X):
                raise TypeError(
                    f"Sparse data is not supported by {type(self).__name__}: pass a dense "
                    "array or a Dask array."
                )
            X = X if hasattr(X, "shape") else np.asarray(X)
            if X.ndim != 2:
                raise ValueError(f"Expected 2D array, got {X.ndim}D array instead.")
            if X.shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is required."
                )
            if y is not None and len(y) != X.shape[0]:
                raise ValueError(
                    f"Found input variables with inconsistent numbers of samples: {[X.shape[0], len(y)]}"
                )
            blocks = [(X, y)]
        if is_dask_collection(X):
            n = len(blocks)
            placed = runner.compute([b[0] for b in blocks] + [b[1] for b in blocks if b[1] is not None])
            placed, yplaced = placed[:n], (placed[n:] if y is not None else [None] * n)
        else:
            placed, yplaced = [runner.put(X, recoverable=True)], [runner.put(y, recoverable=True)]
        test_size = 0.15 if self.test_size is None else self.test_size
        seeds = rng.randint(np.iinfo(np.int32).max, size=len(placed))
        splits = [
            runner.submit(split_block, xb, yb, int(s), test_size) for xb, yb, s in zip(placed, yplaced, seeds)
        ]
        test = runner.submit(concat_test, *splits)
        if runner.mode == "local":
            gathered = runner.gather(list(splits) + [test])
            splits, test = gathered[:-1], gathered[-1]
        else:
            runner.replicate(test)
        classes = None
        if is_classifier(self.estimator) and y is not None and self.warm_start_param is None:
            if (
                "classes" in inspect.signature(self.estimator.partial_fit).parameters
                and "classes" not in fit_params
            ):
                if is_dask_collection(y):
                    import dask.array as da  # on Dask input only: in-memory use does not load dask.array

                    # computed where the jobs run, as the blocks are
                    (classes,) = runner.compute([da.unique(y if hasattr(y, "chunks") else y.to_dask_array())])
                    if runner.mode == "distributed":
                        classes = runner.result(classes)
                else:
                    classes = np.unique(np.asarray(y))
        if classes is not None:
            fit_params = {**fit_params, "classes": classes}
        return splits, test, fit_params

    # ---------------------------------------------------------------------- jobs

    def fit(self, X, y=None, **fit_params):
        """Run the search: sample the candidates, train them and stop the weaker ones.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
            Its row chunks are the training blocks (in-memory X is one block).
        y : array-like or Dask array of shape (n_samples,), default=None
        **fit_params : dict
            Passed to every ``partial_fit`` (or ``fit``) call; ``classes`` is found
            from ``y`` for classifiers when not given.

        Returns
        -------
        self : object
            Under an asynchronous ``distributed.Client`` (``Client(asynchronous=True)``,
            called from its event loop), a coroutine instead: ``await search.fit(X, y)``
            runs the search and gives the fitted search, as dask-ml's searches do.
        """
        client = get_client()
        if client is not None and client.asynchronous:
            return self._fit_async(X, y, fit_params)
        return self._fit_loop(X, y, fit_params)

    async def _fit_async(self, X, y, fit_params):
        # The search runs in a thread of its own: there the client is synchronous (its
        # calls wait on the event loop without blocking it), so the same code drives the
        # cluster. to_thread copies the context, so dml.config_context settings hold.
        await asyncio.to_thread(self._fit_loop, X, y, fit_params)
        return self

    def _fit_loop(self, X, y, fit_params):
        check_params(self)
        warm = self._check_estimator()
        self._check_search_params()
        scorer = resolve_scorer(self.estimator, self.scoring)
        rng = check_random_state(self.random_state)
        runner = task_runner(None, type(self).__name__)
        candidates = self._candidates(rng)
        splits, test, fit_params = self._prepare(X, y, dict(fit_params), runner, rng)
        copy_model = runner.mode == "distributed"
        patience = self._patience()
        start = time.time()

        self._models = {}  # model_id -> handle of the latest model
        self._infos = {}  # model_id -> latest info
        self._scores = {}  # model_id -> per-call scores (patience)
        self.history_ = []
        self.model_history_ = defaultdict(list)
        self._n_calls = 0
        self._rounds = {}  # bracket -> {target calls: jobs run to it}
        base = clone(self.estimator)
        self._params = {}

        def submit(model_id, params, target, bracket):
            handle = self._models.get(model_id)
            calls_done = self._infos.get(model_id, {}).get("calls", 0)
            if handle is None:
                handle = clone(base).set_params(**clone(params, safe=False))
                self._params[model_id] = params
            n = len(splits)
            if warm is not None or target - calls_done >= n:
                needed = dict(enumerate(splits))
            else:
                needed = {(k - 1) % n: splits[(k - 1) % n] for k in range(calls_done + 1, target + 1)}
            job = runner.submit(
                train_and_score,
                handle,
                calls_done,
                target,
                test,
                needed,
                n,
                fit_params=fit_params,
                warm_start=warm,
                scorer=scorer,
                patience=patience,
                tol=self.tol,
                scores_so_far=tuple(self._scores.get(model_id, ())),
                copy_model=copy_model,
            )
            return _Job(model_id, job, bracket, target)

        def record(job, result):
            info = result[1]
            model_id = job.model_id
            prev_calls = self._infos.get(model_id, {}).get("calls", 0)
            self._n_calls += info["calls"] - prev_calls
            rounds = self._rounds.setdefault(job.bracket, {})
            rounds[job.target] = rounds.get(job.target, 0) + 1
            self._infos[model_id] = info
            self._scores[model_id] = info["scores"]
            self._models[model_id] = runner.result_part(job.handle, result, 0)
            rec = {
                "model_id": model_id,
                "params": self._params[model_id],
                "partial_fit_calls": info["calls"],
                "partial_fit_time": info["partial_fit_time"],
                "score": info["score"],
                "score_time": info["score_time"],
                "elapsed_wall_time": time.time() - start,
                "bracket": job.bracket,
                "stopped": info["stopped"],
            }
            self.history_.append(rec)
            self.model_history_[model_id].append(rec)
            if self.verbose:
                print(
                    f"[{self._log_tag()}] model {model_id} bracket={job.bracket} "
                    f"calls={info['calls']} score={info['score']:.4g}"
                )
            return info

        def release(model_id):
            # Models that stop training keep their last state: the best one (highest
            # last score) becomes best_estimator_. They are small next to the data.
            pass

        self._run(candidates, submit, record, release, runner)

        best_id = max(self._infos, key=lambda m: (self._infos[m]["score"], -m))
        self._best = (self._infos[best_id]["score"], best_id, self._models[best_id])
        self.best_estimator_ = runner.result(self._best[2]) if runner.mode == "distributed" else self._best[2]
        self._finish(best_id, scorer)
        # The fitted search keeps no handles (futures) of the run: it pickles without the cluster.
        self._models = self._best = None
        return self

    def _wait(self, runner, jobs):
        """Block until some of ``jobs`` finish; return ``[(job, result), ...]``."""
        by_handle = {id(j.handle): j for j in jobs}
        return [(by_handle[id(h)], r) for h, r in runner.wait_first([j.handle for j in jobs])]

    # ------------------------------------------------------------------- results

    def _finish(self, best_id, scorer):
        ids = sorted(self._params)
        last = {mid: self.model_history_[mid][-1] for mid in ids}
        results = defaultdict(list)
        for mid in ids:
            hist = self.model_history_[mid]
            pft = [h["partial_fit_time"] for h in hist]
            st = [h["score_time"] for h in hist]
            results["model_id"].append(mid)
            results["bracket"].append(last[mid]["bracket"])
            results["params"].append(self._params[mid])
            results["partial_fit_calls"].append(last[mid]["partial_fit_calls"])
            results["test_score"].append(last[mid]["score"])
            results["mean_partial_fit_time"].append(np.mean(pft))
            results["std_partial_fit_time"].append(np.std(pft))
            results["mean_score_time"].append(np.mean(st))
            results["std_score_time"].append(np.std(st))
        out = {k: (v if k == "params" else np.asarray(v)) for k, v in results.items()}
        out["rank_test_score"] = rankdata(-out["test_score"], method="min").astype(np.int32)
        keys = sorted({k for p in out["params"] for k in p})
        for k in keys:
            vals = [p.get(k, None) for p in out["params"]]
            ma = np.ma.MaskedArray(
                np.empty(len(vals), dtype=object), mask=[k not in p for p in out["params"]]
            )
            for i, v in enumerate(vals):
                if v is not None or k in out["params"][i]:
                    ma[i] = v
            out[f"param_{k}"] = ma
        self.cv_results_ = out
        self.best_index_ = int(ids.index(best_id))
        self.best_score_ = float(self._best[0])
        self.best_params_ = self._params[best_id]
        self.n_splits_ = 1
        self.multimetric_ = False
        self.scorer_ = scorer
        self.model_history_ = dict(self.model_history_)
        self.metadata_ = self._actual_metadata()
        if hasattr(self.best_estimator_, "n_features_in_"):
            self.n_features_in_ = self.best_estimator_.n_features_in_
        if hasattr(self.best_estimator_, "classes_"):
            self.classes_ = self.best_estimator_.classes_

    def _actual_metadata(self):
        by_bracket = defaultdict(lambda: {"n_models": 0, "partial_fit_calls": 0})
        for mid in self._params:
            b = self.model_history_[mid][-1]["bracket"]
            by_bracket[b]["n_models"] += 1
            by_bracket[b]["partial_fit_calls"] += self.model_history_[mid][-1]["partial_fit_calls"]
        brackets = [
            {
                "bracket": b,
                **v,
                "rounds": [(n, calls) for calls, n in sorted(self._rounds.get(b, {}).items())],
            }
            for b, v in sorted(by_bracket.items(), reverse=True)
        ]
        return {
            "n_models": len(self._params),
            "partial_fit_calls": int(self._n_calls),
            "brackets": brackets,
        }

    # ------------------------------------------------------------------ delegation

    def score(self, X, y=None):
        """Score of ``best_estimator_`` on ``X``, ``y`` with the search's scorer."""
        check_is_fitted(self, "best_estimator_")
        return self.scorer_(self.best_estimator_, X, y)

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """``best_estimator_.predict(X)``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """``best_estimator_.predict_proba(X)``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """``best_estimator_.decision_function(X)``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.decision_function(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X):
        """``best_estimator_.transform(X)``."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.transform(X)


def bracket_plan(n, r, R, eta):
    """Rounds of one successive-halving bracket: a list of ``(n_models, calls)``.

    Round ``i`` trains the best ``floor(n / eta**i)`` models up to ``min(r * eta**i, R)``
    calls in total; the bracket ends after the round that reaches ``R`` calls, or when
    fewer than one model would remain.
    """
    plan, i = [], 0
    while True:
        n_i = int(math.floor(n / eta**i + 1e-9))
        r_i = int(round(r * eta**i))
        if R is not None:
            r_i = min(r_i, R)
        plan.append((n_i, r_i))
        if (R is not None and r_i >= R) or int(math.floor(n / eta ** (i + 1) + 1e-9)) < 1:
            return plan
        i += 1


def plan_calls(plan):
    """Total calls of a bracket plan (each survivor continues from its previous calls)."""
    total, prev = 0, 0
    for n_i, r_i in plan:
        total += n_i * (r_i - prev)
        prev = r_i
    return total


class SynchronousBrackets:
    """Runs successive-halving brackets concurrently, each bracket round by round."""

    def __init__(self, brackets):
        # brackets: list of (bracket_id, plan, [model_ids])
        self.brackets = brackets

    def run(self, search, params_of, submit, record, release, runner):
        state = {}
        jobs = []
        for b, plan, ids in self.brackets:
            state[b] = {"plan": plan, "round": 0, "active": list(ids), "pending": 0, "ids": ids}
            n_i, r_i = plan[0]
            for mid in ids:
                jobs.append(submit(mid, params_of[mid], r_i, b))
            state[b]["pending"] = len(ids)
        while jobs:
            done = search._wait(runner, jobs)
            finished = {id(j) for j, _ in done}
            jobs = [j for j in jobs if id(j) not in finished]
            for job, result in done:
                record(job, result)
                st = state[job.bracket]
                st["pending"] -= 1
                if st["pending"]:
                    continue
                st["round"] += 1
                if st["round"] >= len(st["plan"]):
                    for mid in st["active"]:
                        release(mid)
                    continue
                n_next, r_next = st["plan"][st["round"]]
                ranked = sorted(st["active"], key=lambda m: -search._infos[m]["score"])
                keep, drop = ranked[:n_next], ranked[n_next:]
                for mid in drop:
                    release(mid)
                st["active"] = keep
                go = [m for m in keep if not search._infos[m]["stopped"]]
                for mid in go:
                    jobs.append(submit(mid, params_of[mid], r_next, job.bracket))
                st["pending"] = len(go)
                if not go:
                    st["round"] = len(st["plan"])


def check_common_params(search):
    if not isinstance(search.aggressiveness, numbers.Real) or search.aggressiveness <= 1:
        raise ValueError(f"aggressiveness must be a number > 1, got {search.aggressiveness!r}.")


__all__ = ["BaseAdaptiveSearch", "bracket_plan", "plan_calls", "space_size", "SynchronousBrackets"]
