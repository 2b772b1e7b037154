"""HalvingGridSearchCV and HalvingRandomSearchCV: successive halving over cross-validation.

scikit-learn's successive-halving searches (same parameters, schedule, attributes and
``cv_results_``), with every (candidate, fold) fit a task of dml's search machinery
(:class:`~dml.model_selection._search._DaskSearchMixin`): one round of tasks per
iteration, the training data put on the cluster once for the whole search.

With ``resource="n_samples"`` iteration ``i`` trains on a row subsample of each training
fold and scores on a subsample of each test fold, as scikit-learn does: the first
``n`` of a permutation of the fold's row indices seeded by ``random_state``
(:func:`sklearn.utils.resample`). The subsample is a function of the row indices only,
so it does not depend on how a Dask ``X`` is chunked or whether it is persisted; the
tasks slice it out of the worker's copy of ``X``.
"""

from __future__ import annotations

import numbers
from math import ceil, floor, log

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.metrics import get_scorer_names as sk_get_scorer_names
from sklearn.model_selection import ParameterGrid, ParameterSampler, check_cv
from sklearn.utils import resample
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, indexable

from dml._base import check_params
from dml._compat.sklearn import (
    BaseSearchCV,
    Interval,
    StrOptions,
    _insert_error_scores,
    _warn_or_raise_about_fit_failures,
)
from dml._engine.inputs import is_dask_collection
from dml._engine.runtime import get_client
from dml._engine.tasks import task_runner
from dml.metrics import get_scorer_names
from dml.model_selection._results import format_results
from dml.model_selection._search import (
    _DaskSearchMixin,
    _n_samples,
    _to_caller,
    route_fit_params,
    search_scorers,
)

__all__ = ["HalvingGridSearchCV", "HalvingRandomSearchCV"]


# --------------------------------------------------------------------- the schedule


def yields_constant_splits(cv):
    """Whether every ``cv.split`` call gives the same folds (scikit-learn's rule: a
    splitter that shuffles needs an integer ``random_state``; one without a ``shuffle``
    parameter is assumed to shuffle)."""
    shuffle = getattr(cv, "shuffle", True)
    random_state = getattr(cv, "random_state", 0)
    return isinstance(random_state, numbers.Integral) or not shuffle


def subsample_splits(splits, fraction, random_state):
    """Each fold's training and test indices cut to ``int(fraction * len)``: the first
    rows of a seeded permutation (``sklearn.utils.resample`` without replacement, the
    folds in order, training before test, as scikit-learn's halving searches draw)."""
    out = []
    for train, test in splits:
        train = resample(
            train, replace=False, random_state=random_state, n_samples=int(fraction * len(train))
        )
        test = resample(test, replace=False, random_state=random_state, n_samples=int(fraction * len(test)))
        out.append((train, test))
    return out


def top_k(results, k, itr):
    """The ``k`` best candidates of iteration ``itr``, worst first (NaN scores rank
    lowest); scikit-learn's order, which the next iteration's rows follow."""
    iteration = np.asarray(results["iter"])
    scores = np.asarray(results["mean_test_score"])
    params = np.asarray(results["params"])
    rows = np.flatnonzero(iteration == itr)
    scores = scores[rows]
    # The default (unstable) argsort, as scikit-learn's, so tied scores keep its order.
    order = np.roll(np.argsort(scores), np.count_nonzero(np.isnan(scores)))
    return list(params[rows][order[-k:]])


def best_of_last_iteration(results):
    """Index in ``results`` of the best candidate of the last iteration (the first row
    of that iteration when all its scores are NaN)."""
    rows = np.flatnonzero(results["iter"] == np.max(results["iter"]))
    scores = results["mean_test_score"][rows]
    return int(rows[0 if np.isnan(scores).all() else np.nanargmax(scores)])


def halving_schedule(n_candidates, factor, min_resources, max_resources, *, exhaust, aggressive):
    """The iterations of successive halving (scikit-learn's arithmetic, floats included).

    Parameters
    ----------
    n_candidates : int
        Candidates of the first iteration.
    factor : float
        Keep ``ceil(n / factor)`` candidates after each iteration; multiply the
        resource by ``factor``.
    min_resources, max_resources : int
        Resource of the first iteration (before ``exhaust``) and the cap.
    exhaust : bool
        Raise ``min_resources`` so that the last required iteration uses as much of
        ``max_resources`` as possible.
    aggressive : bool
        Run every required iteration, repeating the first resource while needed.

    Returns
    -------
    schedule : dict
        ``min_resources``, ``n_required_iterations``, ``n_possible_iterations``,
        ``n_iterations`` and ``n_resources`` (one value per iteration).
    """
    n_required = 1 + floor(log(n_candidates, factor))
    if exhaust:
        min_resources = max(min_resources, max_resources // factor ** (n_required - 1))
    n_possible = 1 + floor(log(max_resources // min_resources, factor))
    n_iterations = n_required if aggressive else min(n_possible, n_required)
    n_resources = []
    for itr in range(n_iterations):
        power = max(0, itr - n_required + n_possible) if aggressive else itr
        n_resources.append(min(int(factor**power * min_resources), max_resources))
    return {
        "min_resources": min_resources,
        "n_required_iterations": n_required,
        "n_possible_iterations": n_possible,
        "n_iterations": n_iterations,
        "n_resources": n_resources,
    }


# ----------------------------------------------------------------------- the search


def _n_classes(search, y):
    """Number of classes of a classification target (scikit-learn's checks on ``y``)."""
    if y is None:
        raise ValueError(
            f"This {type(search).__name__} estimator requires y to be passed, but the target y is None."
        )
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    return np.unique(y).shape[0]


class _BaseHalving(_DaskSearchMixin, BaseSearchCV):
    """Successive halving over cross-validated candidates, every fit a task.

    Parameters and attributes: see :class:`HalvingGridSearchCV`. The subclass gives
    its candidates (``_candidate_params()``).
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in BaseSearchCV._parameter_constraints.items() if k != "pre_dispatch"},
        # one metric only (the halving ranks candidates by one mean test score)
        "scoring": [StrOptions(set(sk_get_scorer_names()) | set(get_scorer_names())), callable, None],
        # the best candidate is the best of the last iteration: no refit metric or callable
        "refit": ["boolean"],
        "random_state": ["random_state"],
        "max_resources": [Interval(numbers.Integral, 0, None, closed="neither"), StrOptions({"auto"})],
        "min_resources": [
            Interval(numbers.Integral, 0, None, closed="neither"),
            StrOptions({"exhaust", "smallest"}),
        ],
        "resource": [str],
        # factor <= 1 would never eliminate a candidate (scikit-learn: a division by zero)
        "factor": [Interval(numbers.Real, 1, None, closed="neither")],
        "aggressive_elimination": ["boolean"],
    }

    def __init__(
        self,
        estimator,
        *,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=5,
        verbose=0,
        random_state=None,
        error_score=np.nan,
        return_train_score=True,
        max_resources="auto",
        min_resources="exhaust",
        resource="n_samples",
        factor=3,
        aggressive_elimination=False,
    ):
        self.estimator = estimator
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.max_resources = max_resources
        self.min_resources = min_resources
        self.resource = resource
        self.factor = factor
        self.aggressive_elimination = aggressive_elimination

    def _check_resources(self, cv, X_split, y, groups, n_samples):
        """``min_resources_`` and ``max_resources_`` before the schedule, with
        scikit-learn's checks and messages, in its order."""
        if not yields_constant_splits(cv):
            raise ValueError(
                "The cv parameter must yield consistent folds across calls to split(). "
                "Set its random_state to an int, or set shuffle=False."
            )
        estimator_params = self.estimator.get_params()
        name = type(self.estimator).__name__
        if self.resource != "n_samples" and self.resource not in estimator_params:
            raise ValueError(
                f"Cannot use resource={self.resource} which is not supported by estimator {name}"
            )
        if self.resource == "n_samples" and "n_samples" in estimator_params:
            raise ValueError(
                f"resource='n_samples' is ambiguous: estimator {name} has a parameter named "
                "'n_samples' (the search would subsample rows and leave the parameter alone). "
                "Put the estimator in a Pipeline: there resource='n_samples' means rows and "
                "resource='<step>__n_samples' the parameter."
            )
        if getattr(self, "n_candidates", None) == "exhaust" and self.min_resources == "exhaust":
            raise ValueError("n_candidates and min_resources cannot be both set to 'exhaust'.")

        min_resources = self.min_resources
        if min_resources in ("smallest", "exhaust"):
            if self.resource == "n_samples":
                min_resources = 2 * cv.get_n_splits(X_split, y, groups)
                if is_classifier(self.estimator):
                    min_resources *= _n_classes(self, y)
            else:
                min_resources = 1
        max_resources = self.max_resources
        if max_resources == "auto":
            if self.resource != "n_samples":
                raise ValueError("resource can only be 'n_samples' when max_resources='auto'")
            max_resources = n_samples
        elif self.resource == "n_samples" and max_resources > n_samples:
            # scikit-learn fails later, at the first iteration that asks for more rows
            raise ValueError(
                f"max_resources={max_resources} is greater than the number of samples "
                f"({n_samples}): with resource='n_samples' an iteration cannot train on more rows than X has."
            )
        if min_resources > max_resources:
            where = f" (max_resources='auto': n_samples={n_samples})" if self.max_resources == "auto" else ""
            raise ValueError(
                f"min_resources_={min_resources} is greater than max_resources_={max_resources}{where}."
            )
        if min_resources == 0:
            raise ValueError(f"min_resources_={min_resources}: you might have passed an empty dataset X.")
        self.min_resources_, self.max_resources_ = min_resources, max_resources

    def fit(self, X, y=None, **params):
        """Run successive halving: every (candidate, fold) fit of an iteration a task.

        Parameters
        ----------
        X : array-like, Dask array or Dask DataFrame of shape (n_samples, n_features)
            Training data. Dask input is computed onto the cluster once for the whole
            search (as one in-memory array per worker), never into the calling process.
        y : array-like or Dask array of shape (n_samples,) or (n_samples, n_outputs), default=None
            Target; brought to the caller (it is needed to make the splits).
        **params : dict
            ``groups`` goes to the splitter; everything else to the estimator's ``fit``
            (sliced to each, possibly subsampled, training fold when it has one value
            per sample), and ``sample_weight`` also to the scorer when it accepts it.

        Returns
        -------
        self : object
            Under an asynchronous ``distributed.Client`` (``Client(asynchronous=True)``,
            called from its event loop), a coroutine instead: ``await search.fit(X, y)``
            runs the search and gives the fitted search.
        """
        client = get_client()
        if client is not None and client.asynchronous:
            return self._fit_async(X, y, params)  # GridSearchCV's: _fit in a thread
        return self._fit(X, y, params)

    def _fit(self, X, y, params):
        """The search itself (``fit``'s body, synchronous on every client)."""
        check_params(self)
        runner = task_runner(self.n_jobs, type(self).__name__)
        scorers, _ = search_scorers(self)

        params = dict(params)
        groups = params.pop("groups", None)
        fit_params, y, groups = _to_caller(params, y, groups)
        fit_params, score_params, groups, routing = route_fit_params(self, fit_params, groups, scorers)
        self._share_steps = not routing

        # The splits and subsamples need the number of rows, never X's values.
        n_samples = _n_samples(X, y)
        X_split = X if not is_dask_collection(X) else np.empty((n_samples, 0))
        if not is_dask_collection(X):
            X, y = indexable(X, y)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self._check_resources(cv, X_split, y, groups, n_samples)
        self.n_splits_ = cv.get_n_splits(X_split, y, groups)
        candidates = self._first_candidates()

        data = {  # travels once for every iteration
            "X": runner.put(X, recoverable=True),
            "y": runner.put(y, recoverable=True),
            "fit_params": runner.put(fit_params, recoverable=True) if fit_params else None,
            "score_params": runner.put(score_params, recoverable=True) if score_params else None,
        }
        base_estimator = clone(self.estimator)
        results = self._run_iterations(
            runner, base_estimator, candidates, data, scorers, (cv, X_split, y, groups), n_samples
        )

        self.multimetric_ = False
        self.best_index_ = best_of_last_iteration(results)
        self.best_score_ = results["mean_test_score"][self.best_index_]
        self.best_params_ = results["params"][self.best_index_]
        if self.refit:
            self._refit(runner, base_estimator, data["X"], data["y"], fit_params)
        self.scorer_ = scorers
        self.cv_results_ = results
        return self

    def _first_candidates(self):
        """The candidates of the first iteration (``min_resources_`` / ``max_resources_``
        known), checked against the resource."""
        sampler = self._candidate_params()
        # scikit-learn reads the candidates twice (a RandomState instance draws twice)
        if self.resource != "n_samples" and any(self.resource in c for c in sampler):
            raise ValueError(
                f"Cannot use parameter {self.resource} as the resource since it is part of "
                "the searched parameters."
            )
        candidates = list(sampler)
        if not candidates:
            raise ValueError("No fits were performed. Was the CV iterator empty? Were there no candidates?")
        return candidates

    def _run_iterations(self, runner, base_estimator, candidates, data, scorers, splitting, n_samples):
        """Every iteration of the schedule as one round of tasks; the ``cv_results_``."""
        cv, X_split, y, groups = splitting
        plan = halving_schedule(
            len(candidates),
            self.factor,
            self.min_resources_,
            self.max_resources_,
            exhaust=self.min_resources == "exhaust",
            aggressive=self.aggressive_elimination,
        )
        self.min_resources_ = plan["min_resources"]
        if self.verbose:
            for key in ("n_iterations", "n_required_iterations", "n_possible_iterations"):
                print(f"{key}: {plan[key]}")
            print(f"min_resources_: {self.min_resources_}")
            print(f"max_resources_: {self.max_resources_}")
            print(f"aggressive_elimination: {self.aggressive_elimination}")
            print(f"factor: {self.factor}")

        self.n_resources_, self.n_candidates_ = [], []
        all_params, all_out, iters, resources, fit_counts = [], [], [], [], {}
        for itr, n_resources in enumerate(plan["n_resources"]):
            n_cand = len(candidates)
            self.n_resources_.append(n_resources)
            self.n_candidates_.append(n_cand)
            if self.verbose:
                print(f"----------\niter: {itr}\nn_candidates: {n_cand}\nn_resources: {n_resources}")
            splits = list(cv.split(X_split, y, groups))
            if len(splits) != self.n_splits_:
                raise ValueError(
                    "cv.split and cv.get_n_splits return inconsistent results. "
                    f"Expected {self.n_splits_} splits, got {len(splits)}"
                )
            if self.resource == "n_samples":
                splits = subsample_splits(splits, n_resources / n_samples, self.random_state)
            else:
                candidates = [{**c, self.resource: n_resources} for c in candidates]
            out = self._evaluate(
                runner, base_estimator, candidates, splits, data, scorers, share_steps=self._share_steps
            )
            for step, count in self.fit_counts_.items():
                fit_counts[step] = fit_counts.get(step, 0) + count
            _warn_or_raise_about_fit_failures(out, self.error_score)
            if callable(self.scoring):
                _insert_error_scores(out, self.error_score)
                if isinstance(out[0]["test_scores"], dict):
                    raise ValueError(
                        f"{type(self).__name__} ranks candidates by one score, but the callable "
                        f"scoring returned {len(out[0]['test_scores'])} (a dict); pass one scorer."
                    )
            all_params.extend(candidates)
            all_out.extend(out)
            iters += [itr] * n_cand
            resources += [n_resources] * n_cand
            results = {
                "iter": np.asarray(iters),
                "n_resources": np.asarray(resources),
                **format_results(
                    all_params,
                    self.n_splits_,
                    all_out,
                    return_train_score=self.return_train_score,
                    stacklevel=4,
                ),
            }
            candidates = top_k(results, ceil(n_cand / self.factor), itr)

        self.fit_counts_ = fit_counts
        self.n_remaining_candidates_ = len(candidates)
        self.n_required_iterations_ = plan["n_required_iterations"]
        self.n_possible_iterations_ = plan["n_possible_iterations"]
        self.n_iterations_ = plan["n_iterations"]
        return results


_COMMON_PARAMETERS = """
    factor : int or float, default=3
        The halving parameter: each iteration keeps the best ``ceil(n / factor)``
        candidates and multiplies the resource by ``factor``. Must be above 1.
    resource : ``'n_samples'`` or str, default='n_samples'
        What grows with the iterations: the number of training rows (a subsample of
        each fold), or any parameter of ``estimator`` taking positive integers
        (``'n_estimators'``, ``'max_iter'``, ``'clf__max_iter'`` of a pipeline); then
        ``max_resources`` must be given and the parameter must not be searched.
    max_resources : int or 'auto', default='auto'
        Most resource of a candidate in one iteration; ``'auto'`` is ``n_samples``
        (only with ``resource='n_samples'``).
    min_resources : {'exhaust', 'smallest'} or int
        Resource of every candidate in the first iteration. ``'smallest'``:
        ``2 * n_splits`` rows (times the number of classes for a classifier) or 1 for
        a parameter; ``'exhaust'``: the largest start that lets the last required
        iteration use ``max_resources``.
    aggressive_elimination : bool, default=False
        When the resources do not allow enough iterations to bring the candidates
        down to ``factor``, repeat the first resource until they do.
    cv : int, cross-validation generator or iterable, default=5
        scikit-learn's ``cv`` (stratified for classifiers). It must give the same folds
        on every call (no shuffling without an integer ``random_state``).
    scoring : str, callable or None, default=None
        One scorer (the estimator's ``score`` when None); multi-metric is rejected.
    refit : bool, default=True
        Refit the best candidate of the last iteration on all the data (one task).
    error_score : 'raise' or float, default=np.nan
        Score given to a failed fit (a ``FitFailedWarning`` says how many failed).
    return_train_score : bool, default=True
        Also score each candidate on its (subsampled) training folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the row subsamples of ``resource='n_samples'`` (and the candidates of
        :class:`HalvingRandomSearchCV`). ``None`` draws from NumPy's global generator,
        as scikit-learn does: pass an int for a reproducible search.
    n_jobs : int, default=None
        How many fits run at once, as :class:`~dml.model_selection.GridSearchCV`'s
        (local threads, or at most ``k`` fits at once on a cluster).
    verbose : int, default=0
        Above 0, prints the schedule and each iteration's fits and tasks.
"""

_ATTRIBUTES = """
    n_resources_ : list of int
        Resource of each iteration.
    n_candidates_ : list of int
        Candidates evaluated in each iteration.
    n_remaining_candidates_ : int
        Candidates kept after the last iteration (``ceil(n_candidates_[-1] / factor)``).
    max_resources_, min_resources_ : int
        The resources the schedule used (``min_resources_`` after ``'exhaust'``).
    n_iterations_ : int
        Iterations run: ``min(n_possible_iterations_, n_required_iterations_)``, or
        ``n_required_iterations_`` with ``aggressive_elimination``.
    n_possible_iterations_ : int
        Iterations from ``min_resources_`` that stay within ``max_resources_``.
    n_required_iterations_ : int
        Iterations needed to end with fewer than ``factor`` candidates.
    cv_results_ : dict of numpy (masked) ndarrays
        scikit-learn's keys, one row per (iteration, candidate), with ``iter`` and
        ``n_resources``; ranks over all rows.
    best_estimator_ : estimator
        The best candidate of the last iteration refit on all the data (``refit=True``);
        the search's ``classes_`` and ``n_features_in_`` are its.
    best_score_ : float
        Its mean test score in the last iteration.
    best_params_ : dict
    best_index_ : int
        Its row in ``cv_results_``.
    scorer_ : callable
    n_splits_ : int
    refit_time_ : float
    multimetric_ : bool
        Always False.
    fit_counts_ : dict
        Fits of each pipeline step (or of the estimator) over all iterations.
"""

_COMPUTATION = """
    Computation: each iteration is one round of tasks, one per (candidate, fold) fit
    (pipelines step by step, candidates sharing a prefix within the iteration), through
    the machinery of :class:`GridSearchCV`: with a ``distributed.Client`` every fit is a
    ``Client.submit`` on the cluster, without one a ``dask.delayed`` call on the local
    scheduler. The training data travels once for the whole search (NumPy / pandas up
    to ``chunk_bytes`` inside a task, larger in-memory data scattered, Dask data
    computed onto the cluster as one in-memory array, never through the caller); each
    iteration ships only its candidates and fold indices, and only scores come back
    (one round trip per iteration). With ``resource='n_samples'`` a task slices its
    subsampled training and test folds (the first ``int(n_resources / n_samples *
    len(fold))`` rows of a permutation of the fold seeded by ``random_state``, drawn in
    the caller from indices alone, so independent of chunking and persistence) out of
    the worker's copy of ``X``: memory per task is one full copy of ``X`` plus the two
    subsampled folds. ``refit`` is one more task on all the data.
"""


class HalvingGridSearchCV(_BaseHalving):
    __doc__ = (
        """Search over a parameter grid with successive halving, every fit a task on Dask.

    scikit-learn's :class:`~sklearn.model_selection.HalvingGridSearchCV` (parameters,
    schedule, candidate selection, attributes, ``cv_results_``): every candidate is
    evaluated with a small resource, the best ``1 / factor`` of them go on with
    ``factor`` times more, until fewer than ``factor`` remain or the resource runs out.

    Parameters
    ----------
    estimator : estimator object
        Fitted once per (iteration, candidate, fold), a clone each time.
    param_grid : dict or list of dict
        Parameter names mapped to lists of values, as in scikit-learn.
"""
        + _COMMON_PARAMETERS.replace(
            "min_resources : {'exhaust', 'smallest'} or int",
            "min_resources : {'exhaust', 'smallest'} or int, default='exhaust'",
        )
        + """
    Attributes
    ----------"""
        + _ATTRIBUTES
        + """
    See Also
    --------
    HalvingRandomSearchCV, GridSearchCV, SuccessiveHalvingSearchCV

    Notes
    -----"""
        + _COMPUTATION
        + """
    Given the same ``cv``, ``random_state`` and a deterministic estimator, the
    iterations (``n_candidates_``, ``n_resources_``), the candidates kept and the
    scores are scikit-learn's on NumPy input. Differences: ``refit`` is a bool (the
    best candidate is always the best of the last iteration), ``factor`` must exceed
    1, and ``resource='n_samples'`` is rejected for an estimator that has a parameter
    of that name.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from dml.model_selection import HalvingGridSearchCV
    >>> X, y = make_classification(600, random_state=0)
    >>> grid = {"C": [1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0]}
    >>> search = HalvingGridSearchCV(LogisticRegression(), grid, cv=3,
    ...                              random_state=0).fit(X, y)
    >>> search.n_candidates_, search.n_resources_  # 6 candidates, then the best 2
    ([6, 2], [200, 600])
    >>> search.cv_results_["iter"]
    array([0, 0, 0, 0, 0, 0, 1, 1])
    >>> search.predict(X[:3]).shape
    (3,)
    """
    )

    _parameter_constraints: dict = {**_BaseHalving._parameter_constraints, "param_grid": [dict, list]}

    def __init__(
        self,
        estimator,
        param_grid,
        *,
        factor=3,
        resource="n_samples",
        max_resources="auto",
        min_resources="exhaust",
        aggressive_elimination=False,
        cv=5,
        scoring=None,
        refit=True,
        error_score=np.nan,
        return_train_score=True,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        super().__init__(
            estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            random_state=random_state,
            error_score=error_score,
            return_train_score=return_train_score,
            max_resources=max_resources,
            min_resources=min_resources,
            resource=resource,
            factor=factor,
            aggressive_elimination=aggressive_elimination,
        )
        self.param_grid = param_grid

    def _candidate_params(self):
        return ParameterGrid(self.param_grid)


class HalvingRandomSearchCV(_BaseHalving):
    __doc__ = (
        """Randomized search with successive halving, every fit a task on Dask.

    scikit-learn's :class:`~sklearn.model_selection.HalvingRandomSearchCV`: the same
    candidates for the same ``random_state``, then the schedule of
    :class:`HalvingGridSearchCV`.

    Parameters
    ----------
    estimator : estimator object
        Fitted once per (iteration, candidate, fold), a clone each time.
    param_distributions : dict or list of dict
        Parameter names mapped to distributions (with ``rvs``) or lists.
    n_candidates : int or 'exhaust', default='exhaust'
        Candidates sampled for the first iteration; ``'exhaust'``:
        ``max_resources_ // min_resources_``, so the last iteration uses as much
        resource as possible (a discrete space smaller than that is searched whole).
"""
        + _COMMON_PARAMETERS.replace(
            "min_resources : {'exhaust', 'smallest'} or int",
            "min_resources : {'exhaust', 'smallest'} or int, default='smallest'",
        )
        + """
    Attributes
    ----------"""
        + _ATTRIBUTES
        + """
    See Also
    --------
    HalvingGridSearchCV, RandomizedSearchCV, HyperbandSearchCV

    Notes
    -----"""
        + _COMPUTATION
        + """
    Differences from scikit-learn: as :class:`HalvingGridSearchCV`.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from dml.model_selection import HalvingRandomSearchCV
    >>> X, y = make_classification(600, random_state=0)
    >>> search = HalvingRandomSearchCV(LogisticRegression(), {"C": loguniform(1e-4, 1e2)},
    ...                                n_candidates=9, cv=3, random_state=0).fit(X, y)
    >>> search.n_candidates_, search.n_resources_
    ([9, 3, 1], [12, 36, 108])
    >>> search.best_estimator_.predict(X[:5]).shape
    (5,)
    """
    )

    _parameter_constraints: dict = {
        **_BaseHalving._parameter_constraints,
        "param_distributions": [dict, list],
        "n_candidates": [Interval(numbers.Integral, 0, None, closed="neither"), StrOptions({"exhaust"})],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_candidates="exhaust",
        factor=3,
        resource="n_samples",
        max_resources="auto",
        min_resources="smallest",
        aggressive_elimination=False,
        cv=5,
        scoring=None,
        refit=True,
        error_score=np.nan,
        return_train_score=True,
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        super().__init__(
            estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            random_state=random_state,
            error_score=error_score,
            return_train_score=return_train_score,
            max_resources=max_resources,
            min_resources=min_resources,
            resource=resource,
            factor=factor,
            aggressive_elimination=aggressive_elimination,
        )
        self.param_distributions = param_distributions
        self.n_candidates = n_candidates

    def _candidate_params(self):
        n_candidates = self.n_candidates
        if n_candidates == "exhaust":
            n_candidates = self.max_resources_ // self.min_resources_
        return ParameterSampler(self.param_distributions, n_candidates, random_state=self.random_state)
