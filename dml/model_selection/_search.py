"""GridSearchCV and RandomizedSearchCV whose fits are tasks on a Dask cluster.

Every (candidate, fold) fit is a task. For a :class:`~sklearn.pipeline.Pipeline`, each
step is its own task keyed by (fold, the parameters of this step and of every step
before it): candidates that share a pipeline prefix share its fitted output, so an
expensive first step is fitted ``n_splits x (distinct parameters of that prefix)``
times instead of ``n_splits x n_candidates``.
"""

from __future__ import annotations

import asyncio
import numbers
import time
import warnings
from traceback import format_exc

import dask
import joblib
import numpy as np
from sklearn import get_config as sk_config
from sklearn.base import clone, is_classifier
from sklearn.metrics import get_scorer as sk_get_scorer
from sklearn.model_selection import ParameterGrid, ParameterSampler, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.validation import indexable

from dml._base import check_params
from dml._compat.sklearn import (
    BaseSearchCV,
    Interval,
    _check_method_params,
    _check_multimetric_scoring,
    _insert_error_scores,
    _MultimetricScorer,
    _safe_split,
    _score,
    _warn_or_raise_about_fit_failures,
    multimetric_scorers,
    num_samples,
    scorer_accepts_sample_weight,
)
from dml._engine.inputs import is_dask_collection
from dml._engine.runtime import get_client
from dml._engine.tasks import task_runner
from dml.metrics import check_scoring, get_scorer, get_scorer_names
from dml.model_selection._results import (
    check_refit_for_multimetric,
    format_results,
    select_best_index,
)

# ------------------------------------------------------------------ resolution hooks


def _named_scorer(name):
    """dml's scorer for a name it has (Dask folds scored in one lazy pass), else
    scikit-learn's (which raises scikit-learn's error for an unknown name)."""
    return get_scorer(name) if name in get_scorer_names() else sk_get_scorer(name)


def search_scorers(search):
    """``(scorer, refit_metric)`` of a search: the one place its scorers are resolved.

    scikit-learn's rules (a callable, a name, None, or a multi-metric list / dict with
    scikit-learn's validation and messages), with :mod:`dml.metrics` scorers for the
    names dml has."""
    scoring = search.scoring
    if callable(scoring):
        return scoring, "score"
    if isinstance(scoring, str):
        return _named_scorer(scoring), "score"
    if scoring is None:
        return check_scoring(search.estimator, None), "score"
    scorers = _check_multimetric_scoring(search.estimator, scoring)
    names = dict(zip(scoring, scoring)) if not isinstance(scoring, dict) else scoring
    scorers = {k: _named_scorer(names[k]) if isinstance(names[k], str) else v for k, v in scorers.items()}
    check_refit_for_multimetric(search.refit, scorers)
    return _MultimetricScorer(scorers=scorers, raise_exc=(search.error_score == "raise")), search.refit


def resolve_cv(cv, y, classifier):
    """The splitter of a search: the one place the CV object is resolved."""
    return check_cv(cv, y, classifier=classifier)


# ------------------------------------------------------------------------- tasks


class _Failed:
    """A prefix step that failed: its dependents report ``fit_error``."""

    def __init__(self, error, fit_time):
        self.error = error
        self.fit_time = fit_time


def _error_scores(scorer, error_score, return_train_score):
    named = multimetric_scorers(scorer)
    if named is not None:
        test = {name: error_score for name in named}
    else:
        test = error_score
    out = {"test_scores": test}
    if return_train_score:
        out["train_scores"] = test.copy() if isinstance(test, dict) else test
    return out


def _score_params(score_params, X, train, test):
    score_params = score_params or {}
    return (
        _check_method_params(X, params=score_params, indices=train),
        _check_method_params(X, params=score_params, indices=test),
    )


def fit_and_score(
    estimator, parameters, X, y, fit_params, score_params, fold, *, scorer, return_train_score, error_score
):
    """One (candidate, fold) fit and its scores; scikit-learn's ``_fit_and_score`` result."""
    train, test = fold
    fit_params = _check_method_params(X, params=fit_params or {}, indices=train)
    sp_train, sp_test = _score_params(score_params, X, train, test)
    if parameters:
        estimator = estimator.set_params(**clone(parameters, safe=False))
    start = time.time()
    X_train, y_train = _safe_split(estimator, X, y, train)
    X_test, y_test = _safe_split(estimator, X, y, test, train)
    result = {"n_test_samples": len(test)}
    try:
        if y_train is None:
            estimator.fit(X_train, **fit_params)
        else:
            estimator.fit(X_train, y_train, **fit_params)
    except Exception:
        if error_score == "raise":
            raise
        result.update(_error_scores(scorer, error_score, return_train_score))
        result.update(fit_error=format_exc(), fit_time=time.time() - start, score_time=0.0)
        return result
    fit_time = time.time() - start
    result["test_scores"] = _score(estimator, X_test, y_test, scorer, sp_test, error_score)
    result["score_time"] = time.time() - start - fit_time
    if return_train_score:
        result["train_scores"] = _score(estimator, X_train, y_train, scorer, sp_train, error_score)
    result.update(fit_error=None, fit_time=fit_time)
    return result


def _step_params(fit_params, name):
    prefix = name + "__"
    return {k[len(prefix) :]: v for k, v in fit_params.items() if k.startswith(prefix)}


def _split_or_parent(step, parent, X, y, fold):
    if parent is not None:
        return parent
    train, test = fold
    X_train, y_train = _safe_split(step, X, y, train)
    X_test, y_test = _safe_split(step, X, y, test, train)
    return {
        "X_train": X_train,
        "y_train": y_train,
        "X_test": X_test,
        "y_test": y_test,
        "fit_time": 0.0,
        "score_time": 0.0,
        "n_test_samples": len(test),
    }


def fit_transform_step(name, step, parent, X, y, fit_params, fold, *, error_score, train_eval=False):
    """Fit one pipeline step on a fold's (transformed) training data; transform both sides.

    Its output feeds every candidate that shares this prefix (same steps, same
    parameters, same fold). With ``train_eval`` (train scores requested) the training
    fold is also passed through ``transform``, as the fitted pipeline's ``predict``
    would see it when scoring on the training fold.
    """
    if isinstance(parent, _Failed):
        return parent
    prev = _split_or_parent(step, parent, X, y, fold)
    if step is None or step == "passthrough":
        return prev
    params = _step_params(_check_method_params(X, params=fit_params or {}, indices=fold[0]), name)
    start = time.time()
    try:
        if hasattr(step, "fit_transform"):
            Xt_train = step.fit_transform(prev["X_train"], prev["y_train"], **params)
        else:
            Xt_train = step.fit(prev["X_train"], prev["y_train"], **params).transform(prev["X_train"])
    except Exception:
        if error_score == "raise":
            raise
        return _Failed(format_exc(), prev["fit_time"] + time.time() - start)
    fit_time = time.time() - start
    Xt_test = step.transform(prev["X_test"])
    out = {
        "X_train": Xt_train,
        "y_train": prev["y_train"],
        "X_test": Xt_test,
        "y_test": prev["y_test"],
        "fit_time": prev["fit_time"] + fit_time,
        "score_time": prev["score_time"] + time.time() - start - fit_time,
        "n_test_samples": prev["n_test_samples"],
    }
    if train_eval:
        out["X_train_eval"] = step.transform(prev.get("X_train_eval", prev["X_train"]))
    return out


def fit_final_and_score(
    name, final, parent, X, y, fit_params, fold, *, scorer, return_train_score, error_score
):
    """Fit a pipeline's final step on its prefix's output and score it.

    Scoring the final step on the transformed test fold equals scoring the whole
    pipeline on the raw test fold (the pipeline's predict transforms, then predicts).
    """
    if isinstance(parent, _Failed):
        out = _error_scores(scorer, error_score, return_train_score)
        out.update(
            fit_error=parent.error, fit_time=parent.fit_time, score_time=0.0, n_test_samples=len(fold[1])
        )
        return out
    prev = _split_or_parent(final, parent, X, y, fold)
    params = _step_params(_check_method_params(X, params=fit_params or {}, indices=fold[0]), name)
    result = {"n_test_samples": prev["n_test_samples"]}
    start = time.time()
    try:
        if prev["y_train"] is None:
            final.fit(prev["X_train"], **params)
        else:
            final.fit(prev["X_train"], prev["y_train"], **params)
    except Exception:
        if error_score == "raise":
            raise
        result.update(_error_scores(scorer, error_score, return_train_score))
        result.update(fit_error=format_exc(), fit_time=prev["fit_time"] + time.time() - start, score_time=0.0)
        return result
    fit_time = time.time() - start
    result["test_scores"] = _score(final, prev["X_test"], prev["y_test"], scorer, {}, error_score)
    result["score_time"] = prev["score_time"] + time.time() - start - fit_time
    if return_train_score:
        X_eval = prev.get("X_train_eval", prev["X_train"])
        result["train_scores"] = _score(final, X_eval, prev["y_train"], scorer, {}, error_score)
    result.update(fit_error=None, fit_time=prev["fit_time"] + fit_time)
    return result


def refit_estimator(estimator, X, y, fit_params):
    """Fit the best candidate on all the data; returns ``(fitted, seconds)``."""
    start = time.time()
    if y is None:
        estimator.fit(X, **(fit_params or {}))
    else:
        estimator.fit(X, y, **(fit_params or {}))
    return estimator, time.time() - start


# ----------------------------------------------------------------- prefix planning


def _pipeline_plan(pipeline, parameters):
    """Split ``parameters`` by pipeline step; ``None`` when prefix sharing does not apply.

    Returns a list of ``(name, configured_step)`` in pipeline order; whole-step
    replacements (``{"reduce": PCA()}``) and nested parameters
    (``{"reduce__n_components": 5}``) are both applied, in scikit-learn's order.
    """
    if not isinstance(pipeline, Pipeline) or getattr(pipeline, "memory", None) is not None:
        return None
    if getattr(pipeline, "transform_input", None) is not None:
        return None
    names = [name for name, _ in pipeline.steps]
    whole, nested = {}, {name: {} for name in names}
    for key, value in parameters.items():
        head, sep, rest = key.partition("__")
        if head not in nested:
            return None  # a pipeline-level parameter (memory, verbose, steps, ...)
        if sep:
            nested[head][rest] = value
        else:
            whole[head] = value
    plan = []
    for name, step in pipeline.steps:
        step = clone(whole[name], safe=False) if name in whole else step
        if step is None or (isinstance(step, str) and step == "passthrough"):
            if nested[name]:
                return None
            plan.append((name, "passthrough"))
            continue
        step = clone(step)
        if nested[name]:
            step.set_params(**clone(nested[name], safe=False))
        plan.append((name, step))
    if plan[-1][1] == "passthrough":
        return None
    return plan


def _fresh(step):
    # Each task fits its own copy: tasks on the local threaded scheduler share memory.
    return step if isinstance(step, str) else clone(step)


def _step_key(name, step):
    return (name, "passthrough" if step == "passthrough" else joblib.hash(step))


# ---------------------------------------------------------------------- the search


def _scorers_accept_sample_weight(search, scorers):
    """Whether the scorers take ``sample_weight``; warns (scikit-learn's words) for each
    one that does not, since weighted fits would then be scored unweighted."""
    named = multimetric_scorers(scorers)
    items = named.items() if named is not None else [(None, scorers)]
    accepts = []
    for name, scorer in items:
        accepts.append(scorer_accepts_sample_weight(scorer))
        if not accepts[-1]:
            what = f"{name}={scorer}" if name is not None else f"{scorer}"
            warnings.warn(
                f"The scoring {what} does not support sample_weight, which may lead to "
                f"statistically incorrect results when fitting {search} with sample_weight. ",
                stacklevel=4,  # the caller of the search's fit (via _fit and fit)
            )
    return any(accepts)


def route_fit_params(search, fit_params, groups, scorers):
    """Where ``fit``'s parameters go: ``(fit_params, score_params, groups, routing)``.

    With scikit-learn's metadata routing enabled, each parameter goes where it was
    requested (the estimator's ``fit``, the scorer, the splitter), with scikit-learn's
    errors for unrequested ones. Without it, scikit-learn's older rules: ``groups`` to the
    splitter, the rest to the estimator, ``sample_weight`` also to scorers that accept it.
    """
    if sk_config().get("enable_metadata_routing", False):
        given = dict(fit_params, **({} if groups is None else {"groups": groups}))
        routed = process_routing(search, "fit", **given)
        return (
            dict(routed.estimator.fit),
            dict(routed.scorer.score),
            routed.splitter.split.get("groups"),
            True,
        )
    score_params = {}
    if fit_params.get("sample_weight") is not None and _scorers_accept_sample_weight(search, scorers):
        score_params["sample_weight"] = fit_params["sample_weight"]
    return fit_params, score_params, groups, False


def _check_fit_options(search):
    name = type(search).__name__
    if search.pre_dispatch != "2*n_jobs":
        raise ValueError(
            f"pre_dispatch={search.pre_dispatch!r} is not supported: {name} "
            "submits every fit as a task and the Dask scheduler dispatches them. "
            "Leave pre_dispatch='2*n_jobs'."
        )


def _compute(*collections):
    """Dask collections computed into the caller in one round trip, on the active client
    when there is one (where the search's tasks run), else on the local scheduler."""
    client = get_client()
    if client is None:
        return list(dask.compute(*collections))
    return client.gather(client.compute(list(collections)))


def _to_caller(params, y, groups):
    """Dask ``y``, ``groups`` and fit parameters come to the caller (the splits need
    them); ``X`` stays where it is."""
    names = [k for k, v in params.items() if is_dask_collection(v)]
    lazy = [params[k] for k in names] + [v for v in (y, groups) if is_dask_collection(v)]
    if not lazy:
        return params, y, groups
    done = iter(_compute(*lazy))
    params = {**params, **{k: np.asarray(next(done)) for k in names}}
    if is_dask_collection(y):
        y = next(done)
        y = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if is_dask_collection(groups):
        groups = np.asarray(next(done))
    return params, y, groups


class _DaskSearchMixin:
    """``fit`` of dml's searches: the candidates' fits as tasks, results as scikit-learn's.

    The subclass gives its candidates (``_candidate_params()``); everything else is
    this mixin's own code or scikit-learn's public API. From scikit-learn's base class
    only the public prediction and scoring methods of a fitted search are used.
    """

    def fit(self, X, y=None, **params):
        """Run fit with all sets of parameters, each (candidate, fold) fit as a task.

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)
            Training data. Dask input is computed onto the cluster once (as one
            in-memory array per worker), never into the calling process.
        y : array-like or Dask array of shape (n_samples,) or (n_samples, n_outputs), default=None
            Target; brought to the caller (it is needed to make the splits).
        **params : dict
            ``groups`` goes to the splitter; everything else to the estimator's ``fit``
            (sliced to each training fold when it has one value per sample), and
            ``sample_weight`` also to the scorer when it accepts it.

        Returns
        -------
        self : object
            Under an asynchronous ``distributed.Client`` (``Client(asynchronous=True)``,
            called from its event loop), a coroutine instead: ``await search.fit(X, y)``
            runs the search and gives the fitted search, as dask-ml's searches do.
        """
        client = get_client()
        if client is not None and client.asynchronous:
            return self._fit_async(X, y, params)
        return self._fit(X, y, params)

    async def _fit_async(self, X, y, params):
        # The search runs in a thread of its own: there the client is synchronous (its
        # calls wait on the event loop without blocking it), so the same code drives the
        # cluster. to_thread copies the context, so dml.config_context settings hold.
        await asyncio.to_thread(self._fit, X, y, params)
        return self

    def _fit(self, X, y, params):
        """The search itself (``fit``'s body, synchronous on every client)."""
        check_params(self)
        _check_fit_options(self)
        runner = task_runner(self.n_jobs, type(self).__name__)
        scorers, refit_metric = search_scorers(self)

        params = dict(params)
        groups = params.pop("groups", None)
        fit_params, y, groups = _to_caller(params, y, groups)
        fit_params, score_params, groups, routing = route_fit_params(self, fit_params, groups, scorers)

        # The splits: X's values are never needed by scikit-learn's splitters.
        n_samples = _n_samples(X, y)
        X_split = X if not is_dask_collection(X) else np.empty((n_samples, 0))
        if not is_dask_collection(X):
            X, y = indexable(X, y)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self.n_splits_ = cv.get_n_splits(X_split, y, groups)
        splits = list(cv.split(X_split, y, groups))
        if len(splits) != self.n_splits_:
            raise ValueError(
                "cv.split and cv.get_n_splits return inconsistent results. "
                f"Expected {self.n_splits_} splits, got {len(splits)}"
            )
        candidates = list(self._candidate_params())
        if not candidates or not splits:
            raise ValueError("No fits were performed. Was the CV iterator empty? Were there no candidates?")

        # The data travels once per search.
        data = {
            "X": runner.put(X, recoverable=True),
            "y": runner.put(y, recoverable=True),
            "fit_params": runner.put(fit_params, recoverable=True) if fit_params else None,
            "score_params": runner.put(score_params, recoverable=True) if score_params else None,
        }
        base_estimator = clone(self.estimator)
        out = self._evaluate(
            runner, base_estimator, candidates, splits, data, scorers, share_steps=not routing
        )
        _warn_or_raise_about_fit_failures(out, self.error_score)
        if callable(self.scoring):
            _insert_error_scores(out, self.error_score)
        results = format_results(
            candidates, self.n_splits_, out, return_train_score=self.return_train_score, stacklevel=3
        )

        self.multimetric_ = isinstance(out[0]["test_scores"], dict)
        if callable(self.scoring) and self.multimetric_:
            check_refit_for_multimetric(self.refit, out[0]["test_scores"])
            refit_metric = self.refit
        if self.refit or not self.multimetric_:
            self.best_index_ = select_best_index(self.refit, refit_metric, results)
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][self.best_index_]
            self.best_params_ = results["params"][self.best_index_]
        if self.refit:
            self._refit(runner, base_estimator, data["X"], data["y"], fit_params)
        named = multimetric_scorers(scorers)
        self.scorer_ = named if named is not None else scorers
        self.cv_results_ = results
        return self

    def _evaluate(self, runner, base_estimator, candidates, splits, data, scorers, *, share_steps=True):
        """Every (candidate, fold) fit as tasks (pipelines step by step, sharing
        prefixes, unless ``share_steps=False``: under metadata routing a pipeline routes
        its parameters to its steps itself); their results in candidate-major order."""
        X_h, y_h, fp_h, sp_h = data["X"], data["y"], data["fit_params"], data["score_params"]
        common = dict(
            scorer=scorers, return_train_score=self.return_train_score, error_score=self.error_score
        )
        fit_counts = {}
        folds = [runner.put((np.asarray(tr), np.asarray(te)), recoverable=True) for tr, te in splits]
        handles, nodes = [], {}
        for cand in candidates:
            plan = _pipeline_plan(base_estimator, cand) if share_steps else None
            for f, fold in enumerate(folds):
                if plan is None:
                    name = type(base_estimator).__name__
                    fit_counts[name] = fit_counts.get(name, 0) + 1
                    handles.append(
                        runner.submit(
                            fit_and_score, clone(base_estimator), cand, X_h, y_h, fp_h, sp_h, fold, **common
                        )
                    )
                    continue
                parent, key = None, (f,)
                for name, step in plan[:-1]:
                    key = key + (_step_key(name, step),)
                    if key not in nodes:
                        if step != "passthrough":
                            fit_counts[name] = fit_counts.get(name, 0) + 1
                        nodes[key] = runner.submit(
                            fit_transform_step,
                            name,
                            _fresh(step),
                            parent,
                            X_h,
                            y_h,
                            fp_h,
                            fold,
                            error_score=self.error_score,
                            train_eval=self.return_train_score,
                        )
                    parent = nodes[key]
                name, final = plan[-1]
                fit_counts[name] = fit_counts.get(name, 0) + 1
                handles.append(
                    runner.submit(
                        fit_final_and_score, name, _fresh(final), parent, X_h, y_h, fp_h, fold, **common
                    )
                )
        self._n_tasks = len(handles) + len(nodes)
        self.fit_counts_ = fit_counts
        if self.verbose > 0:
            n_c, n_s = len(candidates), len(splits)
            print(
                f"Fitting {n_s} folds for each of {n_c} candidates, totalling "
                f"{n_c * n_s} fits ({self._n_tasks} tasks)"
            )
        del nodes
        return runner.gather(handles)

    def _refit(self, runner, base_estimator, X_h, y_h, fit_params):
        best = clone(base_estimator).set_params(**clone(self.best_params_, safe=False))
        fp_all = runner.put(fit_params, recoverable=True) if fit_params else None
        self.best_estimator_, self.refit_time_ = runner.result(
            runner.submit(refit_estimator, best, X_h, y_h, fp_all)
        )
        if hasattr(self.best_estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.best_estimator_.feature_names_in_


def _n_samples(X, y):
    if not is_dask_collection(X):
        return num_samples(X)
    n = X.shape[0] if hasattr(X, "shape") else None
    if isinstance(n, numbers.Integral) and not isinstance(n, bool):
        return int(n)
    if y is not None:
        return len(y)
    lengths = (
        X.map_blocks(lambda b: np.array([len(b)]), chunks=(1,), drop_axis=1)
        if hasattr(X, "blocks")
        else X.map_partitions(len)
    )
    return int(_compute(lengths.sum())[0])


class GridSearchCV(_DaskSearchMixin, BaseSearchCV):
    """Exhaustive search over a parameter grid, every fit a task on the Dask cluster.

    Same parameters, attributes and ``cv_results_`` as
    :class:`sklearn.model_selection.GridSearchCV`; pipelines share fitted prefixes.

    Parameters
    ----------
    estimator : estimator object
        Fitted once per (candidate, fold) (a clone each time), or, for a
        :class:`~sklearn.pipeline.Pipeline`, step by step with shared prefixes.
    param_grid : dict or list of dict
        Parameter names mapped to lists of values, as in scikit-learn.
    scoring : str, callable, list, tuple or dict, default=None
        Strategy to evaluate the candidates on the test folds (scikit-learn's).
    n_jobs : int, default=None
        How many fits run at once, as scikit-learn's: the local scheduler's threads
        when no ``distributed.Client`` is active; on a cluster ``None`` / ``-1`` every
        worker thread, ``k > 0`` at most ``k`` fits at once, ``k < -1`` all threads
        but ``-k - 1``. Results do not depend on it.
    refit : bool, str or callable, default=True
        Refit the best candidate on the whole data (one more task).
    cv : int, cross-validation generator or iterable, default=None
        scikit-learn's ``cv`` (5-fold, stratified for classifiers).
    verbose : int, default=0
        Above 0, prints the number of fits and tasks.
    pre_dispatch : str, default="2*n_jobs"
        Only the default is accepted: the Dask scheduler dispatches the tasks.
    error_score : "raise" or float, default=np.nan
        Score given to a failed fit (a ``FitFailedWarning`` says how many failed).
    return_train_score : bool, default=False
        Also score each candidate on its training folds.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        scikit-learn's keys and layout.
    best_estimator_ : estimator
        The best candidate refit on the whole data (``refit=True``).
    best_score_ : float
    best_params_ : dict
    best_index_ : int
    scorer_ : function or dict
    n_splits_ : int
    refit_time_ : float
    multimetric_ : bool
    fit_counts_ : dict
        Number of fits of each pipeline step (or of the estimator) the search ran.

    See Also
    --------
    RandomizedSearchCV, HyperbandSearchCV

    Notes
    -----
    Computation: every (candidate, fold) fit is a task: with a ``distributed.Client`` active, a
    ``Client.submit`` on the cluster; without one, a ``dask.delayed`` call computed on
    the local scheduler (``n_jobs`` threads; ``dask.config.set(scheduler="sync")``
    runs them one by one). The training data travels once per search: NumPy / pandas
    data up to ``chunk_bytes`` (dml config, 64 MiB) is sent in one task, so the
    scheduler can recompute it after losing a worker; larger in-memory data is
    scattered to every worker; Dask data is computed onto the cluster (one in-memory
    array, recomputable from its graph) and never passes through the calling process.
    ``y`` and ``groups`` come to the caller to make the splits.
    Each task holds one training and one test fold in memory.

    For a :class:`~sklearn.pipeline.Pipeline`, each step is a task keyed by (fold,
    the configured steps up to it): candidates with the same prefix share its output,
    so a step is fitted ``n_splits x (distinct prefixes ending at it)`` times
    (``fit_counts_`` reports the counts). The final step is scored on the prefix's
    transformed test fold, which equals scoring the pipeline on the raw fold; with
    ``return_train_score`` the prefix also transforms its training fold (as the
    pipeline's ``predict`` does), so train scores are scikit-learn's too.
    A lost worker's tasks are recomputed by ``distributed``. ``refit`` fits the best
    candidate on all the data as one more task and brings the fitted estimator back.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from dml.model_selection import GridSearchCV
    >>> X, y = make_classification(200, random_state=0)
    >>> search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    >>> sorted(search.best_params_)
    ['C']
    >>> search.fit_counts_  # 2 candidates x 3 folds, one task each
    {'LogisticRegression': 6}
    >>> search.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_grid": [dict, list],
    }

    def __init__(
        self,
        estimator,
        param_grid,
        *,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score=np.nan,
        return_train_score=False,
    ):
        self.estimator = estimator
        self.param_grid = param_grid
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.error_score = error_score
        self.return_train_score = return_train_score

    def _candidate_params(self):
        return ParameterGrid(self.param_grid)


class RandomizedSearchCV(_DaskSearchMixin, BaseSearchCV):
    """Randomized search over parameter settings, every fit a task on the Dask cluster.

    Same parameters, attributes and ``cv_results_`` as
    :class:`sklearn.model_selection.RandomizedSearchCV` (the same candidates for the
    same ``random_state``); pipelines share fitted prefixes.

    Parameters
    ----------
    estimator : estimator object
    param_distributions : dict or list of dict
        Parameter names mapped to distributions (with ``rvs``) or lists.
    n_iter : int, default=10
        Number of candidates sampled.
    scoring : str, callable, list, tuple or dict, default=None
    n_jobs : int, default=None
        How many fits run at once (as :class:`GridSearchCV`'s).
    refit : bool, str or callable, default=True
    cv : int, cross-validation generator or iterable, default=None
    verbose : int, default=0
    pre_dispatch : str, default="2*n_jobs"
        Only the default is accepted.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of the candidates.
    error_score : "raise" or float, default=np.nan
    return_train_score : bool, default=False

    Attributes
    ----------
    cv_results_, best_estimator_, best_score_, best_params_, best_index_, scorer_,
    n_splits_, refit_time_, multimetric_, fit_counts_
        As :class:`GridSearchCV`.

    Notes
    -----
    Computation: every (candidate, fold) fit is a task: with a ``distributed.Client`` active, a
    ``Client.submit`` on the cluster; without one, a ``dask.delayed`` call computed on
    the local scheduler (``n_jobs`` threads; ``dask.config.set(scheduler="sync")``
    runs them one by one). The training data travels once per search: NumPy / pandas
    data up to ``chunk_bytes`` (dml config, 64 MiB) is sent in one task, so the
    scheduler can recompute it after losing a worker; larger in-memory data is
    scattered to every worker; Dask data is computed onto the cluster (one in-memory
    array, recomputable from its graph) and never passes through the calling process.
    ``y`` and ``groups`` come to the caller to make the splits.
    Each task holds one training and one test fold in memory.

    For a :class:`~sklearn.pipeline.Pipeline`, each step is a task keyed by (fold,
    the configured steps up to it): candidates with the same prefix share its output,
    so a step is fitted ``n_splits x (distinct prefixes ending at it)`` times
    (``fit_counts_`` reports the counts). The final step is scored on the prefix's
    transformed test fold, which equals scoring the pipeline on the raw fold; with
    ``return_train_score`` the prefix also transforms its training fold (as the
    pipeline's ``predict`` does), so train scores are scikit-learn's too.
    A lost worker's tasks are recomputed by ``distributed``. ``refit`` fits the best
    candidate on all the data as one more task and brings the fitted estimator back.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from dml.model_selection import RandomizedSearchCV
    >>> X, y = make_classification(200, random_state=0)
    >>> search = RandomizedSearchCV(LogisticRegression(), {"C": loguniform(1e-2, 1e2)},
    ...                             n_iter=3, cv=3, random_state=0).fit(X, y)
    >>> len(search.cv_results_["params"])
    3
    >>> search.best_estimator_.predict(X[:5]).shape
    (5,)
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=10,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
    ):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score

    def _candidate_params(self):
        return ParameterSampler(self.param_distributions, self.n_iter, random_state=self.random_state)
