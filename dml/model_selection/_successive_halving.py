"""Successive halving, synchronous and asynchronous (ASHA), over incremental models."""

from __future__ import annotations

import numbers

from sklearn.model_selection import ParameterGrid

from dml._compat.sklearn import Interval, StrOptions
from dml.model_selection._adaptive import (
    BaseAdaptiveSearch,
    SynchronousBrackets,
    bracket_plan,
    check_common_params,
    plan_calls,
    space_size,
)


class SuccessiveHalvingSearchCV(BaseAdaptiveSearch):
    """Successive halving over models trained incrementally on the cluster.

    ``n_initial_parameters`` candidates are trained for ``n_initial_iter`` calls and
    scored on a hold-out set; the best ``1 / aggressiveness`` of them continue to
    ``n_initial_iter * aggressiveness`` calls in total, and so on until one model is
    left or ``max_iter`` calls are reached (see :func:`bracket_plan`).

    Parameters
    ----------
    estimator : estimator object
        Has ``partial_fit`` (each call is one ``partial_fit`` on one block of the
        training data), or ``warm_start`` with ``warm_start_param``.
    parameters : dict or list of dict
        Distributions (with ``rvs``) or lists to sample candidates from.
    n_initial_parameters : int or "grid", default=10
        Number of candidates sampled (without repetition), or every point of the
        grid. A discrete space (lists only) with fewer points is searched whole, and
        :attr:`metadata` counts those.
    n_initial_iter : int, default=None
        Calls given to every candidate in the first round (1 when None).
    max_iter : int, default=None
        Most calls any model receives (no limit when None).
    aggressiveness : float, default=3
        Keep the best ``1 / aggressiveness`` of the models after each round.
    test_size : float, default=None
        Fraction of each block held out to score the models (0.15 when None).
    patience : bool or int, default=False
        Stop training a model whose score has not improved by more than ``tol`` over
        its last ``patience`` calls (``True``: ``max_iter // aggressiveness``). With
        patience the models are scored after every call.
    tol : float or None, default=0.001
        Improvement that counts for ``patience``; None: a plateau never stops a model
        (dask-ml's meaning).
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of candidates and the hold-out split.
    scoring : str, callable or None, default=None
        One scorer (the estimator's ``score`` when None); multi-metric is rejected.
    verbose : bool or int, default=False
        Print a line per finished job.
    warm_start_param : str or None, default=None
        For estimators without ``partial_fit``: the parameter grown between warm-started
        fits (``"n_estimators"``, ``"max_iter"``); the estimator must have
        ``warm_start`` (set it to True in ``estimator`` or ``parameters``).
    warm_start_step : int, default=1
        Size of one call in units of ``warm_start_param``.
    warm_start_cumulative : bool, default=True
        True: before call ``k`` the parameter is ``k * warm_start_step`` (forests and
        gradient boosting count ``n_estimators`` / ``max_iter`` in total). False: it
        is ``warm_start_step`` each time (``SGDClassifier``, ``MLPClassifier`` and
        ``LogisticRegression`` run ``max_iter`` more iterations per warm-started fit).

    Attributes
    ----------
    cv_results_ : dict of arrays
        One entry per model: ``model_id``, ``bracket``, ``params``, ``param_<name>``
        (masked arrays), ``partial_fit_calls``, ``test_score`` (its last score),
        ``rank_test_score``, ``mean_partial_fit_time``, ``std_partial_fit_time``,
        ``mean_score_time``, ``std_score_time``.
    history_ : list of dict
        One record per finished job, in completion order: ``model_id``, ``params``,
        ``partial_fit_calls``, ``partial_fit_time``, ``score``, ``score_time``,
        ``elapsed_wall_time``, ``bracket``, ``stopped``.
    model_history_ : dict
        ``history_`` grouped by ``model_id``.
    best_estimator_ : estimator
        The model with the highest score, as trained (not refit).
    best_score_ : float
    best_params_ : dict
    best_index_ : int
        Index of the best model in ``cv_results_``.
    metadata_ : dict
        What ran: ``n_models``, ``partial_fit_calls`` (calls in total) and per-bracket
        counts.
    scorer_ : callable
    n_splits_ : int
        Always 1 (one hold-out set).
    multimetric_ : bool
        Always False.
    metadata : dict
        The plan before fitting: ``n_models``, ``partial_fit_calls`` and the bracket's
        rounds (``n_models``, ``calls``), without early stopping.

    See Also
    --------
    HyperbandSearchCV, AsyncSuccessiveHalvingSearchCV

    Notes
    -----
    Computation: every job (advance one model to its round's calls, score it) is one
    task; with a ``distributed.Client`` the models stay on the workers between rounds
    (futures), the training blocks are the persisted row chunks of a Dask ``X``
    (in-memory ``X`` is scattered as one block) and only scores travel back. A round
    is a synchronisation point: the next round starts when all its models are scored.
    Round trips: one per round. Memory per task: one model, the blocks its calls read
    and the hold-out set (computed once, replicated to every worker). Without a
    client, the jobs of a round run on the local Dask scheduler. A lost worker's jobs
    are recomputed from their lineage (the tasks never mutate their inputs).
    Under an asynchronous client (``Client(asynchronous=True)``), ``fit`` returns a
    coroutine: ``await search.fit(X, y)`` gives the fitted search.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import SGDClassifier
    >>> from dml.model_selection import SuccessiveHalvingSearchCV
    >>> X, y = make_classification(300, random_state=0)
    >>> search = SuccessiveHalvingSearchCV(SGDClassifier(random_state=0),
    ...                                    {"alpha": [1e-4, 1e-3, 1e-2]},
    ...                                    n_initial_parameters="grid", max_iter=3,
    ...                                    random_state=0)
    >>> search.metadata["brackets"][0]["rounds"]  # (models, calls): 3 models, then 1
    [(3, 1), (1, 3)]
    >>> search.fit(X, y).best_estimator_.predict(X[:4]).shape
    (4,)
    """

    _parameter_constraints: dict = {
        **BaseAdaptiveSearch._parameter_constraints,
        "n_initial_parameters": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"grid"})],
        "n_initial_iter": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "aggressiveness": [Interval(numbers.Real, 1, None, closed="neither")],
    }

    def __init__(
        self,
        estimator,
        parameters,
        n_initial_parameters=10,
        n_initial_iter=None,
        max_iter=None,
        aggressiveness=3,
        test_size=None,
        patience=False,
        tol=1e-3,
        random_state=None,
        scoring=None,
        verbose=False,
        warm_start_param=None,
        warm_start_step=1,
        warm_start_cumulative=True,
    ):
        self.estimator = estimator
        self.parameters = parameters
        self.n_initial_parameters = n_initial_parameters
        self.n_initial_iter = n_initial_iter
        self.max_iter = max_iter
        self.aggressiveness = aggressiveness
        self.test_size = test_size
        self.patience = patience
        self.tol = tol
        self.random_state = random_state
        self.scoring = scoring
        self.verbose = verbose
        self.warm_start_param = warm_start_param
        self.warm_start_step = warm_start_step
        self.warm_start_cumulative = warm_start_cumulative

    def _check_search_params(self):
        check_common_params(self)
        if self.max_iter is not None and (self.n_initial_iter or 1) > self.max_iter:
            raise ValueError(f"n_initial_iter={self.n_initial_iter} is larger than max_iter={self.max_iter}.")

    def _plan(self, n_models):
        return bracket_plan(n_models, self.n_initial_iter or 1, self.max_iter, self.aggressiveness)

    @property
    def metadata(self):
        """The planned number of models and calls (no early stopping)."""
        n = self._n_candidates()
        plan = self._plan(n)
        return {
            "n_models": n,
            "partial_fit_calls": plan_calls(plan),
            "brackets": [
                {"bracket": 0, "n_models": n, "partial_fit_calls": plan_calls(plan), "rounds": plan}
            ],
        }

    def _n_candidates(self):
        # A discrete space smaller than n_initial_parameters is searched exhaustively.
        if self.n_initial_parameters == "grid":
            return len(ParameterGrid(self.parameters))
        size = space_size(self.parameters)
        n = self.n_initial_parameters
        return n if size is None else min(n, size)

    def _candidates(self, rng):
        return self._sample_parameters(self.n_initial_parameters, rng)

    def _run(self, candidates, submit, record, release, runner):
        params_of = dict(enumerate(candidates))
        plan = self._plan(len(candidates))
        SynchronousBrackets([(0, plan, list(params_of))]).run(
            self, params_of, submit, record, release, runner
        )


class AsyncSuccessiveHalvingSearchCV(SuccessiveHalvingSearchCV):
    """Asynchronous successive halving (in the spirit of ASHA, Li et al. 2018).

    Rungs ``k = 0, 1, ...`` give ``n_initial_iter * aggressiveness**k`` calls (capped
    at ``max_iter``). Whenever a job finishes, the freed slot is given to the best
    model of the highest rung that is in the top ``1 / aggressiveness`` of its rung
    and not promoted yet; when there is none, a new candidate starts at rung 0. No
    round waits for stragglers, so workers never idle; the promotions depend on the
    order in which jobs finish, so results vary between runs when several jobs run
    at once.

    Parameters
    ----------
    estimator, parameters, n_initial_parameters, n_initial_iter, max_iter, aggressiveness
        As :class:`SuccessiveHalvingSearchCV`; ``max_iter`` is required here.
    test_size : float, default=None
        Fraction of each block held out to score the models (0.15 when None).
    patience : bool or int, default=False
        Stop training a model whose score has not improved by more than ``tol`` over
        its last ``patience`` calls (``True``: ``max_iter // aggressiveness``). With
        patience the models are scored after every call.
    tol : float or None, default=0.001
        Improvement that counts for ``patience``; None: a plateau never stops a model
        (dask-ml's meaning).
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of candidates and the hold-out split.
    scoring : str, callable or None, default=None
        One scorer (the estimator's ``score`` when None); multi-metric is rejected.
    verbose : bool or int, default=False
        Print a line per finished job.
    warm_start_param : str or None, default=None
        For estimators without ``partial_fit``: the parameter grown between warm-started
        fits (``"n_estimators"``, ``"max_iter"``); the estimator must have
        ``warm_start`` (set it to True in ``estimator`` or ``parameters``).
    warm_start_step : int, default=1
        Size of one call in units of ``warm_start_param``.
    warm_start_cumulative : bool, default=True
        True: before call ``k`` the parameter is ``k * warm_start_step`` (forests and
        gradient boosting count ``n_estimators`` / ``max_iter`` in total). False: it
        is ``warm_start_step`` each time (``SGDClassifier``, ``MLPClassifier`` and
        ``LogisticRegression`` run ``max_iter`` more iterations per warm-started fit).

    Attributes
    ----------
    cv_results_ : dict of arrays
        One entry per model: ``model_id``, ``bracket``, ``params``, ``param_<name>``
        (masked arrays), ``partial_fit_calls``, ``test_score`` (its last score),
        ``rank_test_score``, ``mean_partial_fit_time``, ``std_partial_fit_time``,
        ``mean_score_time``, ``std_score_time``.
    history_ : list of dict
        One record per finished job, in completion order: ``model_id``, ``params``,
        ``partial_fit_calls``, ``partial_fit_time``, ``score``, ``score_time``,
        ``elapsed_wall_time``, ``bracket``, ``stopped``.
    model_history_ : dict
        ``history_`` grouped by ``model_id``.
    best_estimator_ : estimator
        The model with the highest score, as trained (not refit).
    best_score_ : float
    best_params_ : dict
    best_index_ : int
        Index of the best model in ``cv_results_``.
    metadata_ : dict
        What ran: ``n_models``, ``partial_fit_calls`` (calls in total) and per-bracket
        counts.
    scorer_ : callable
    n_splits_ : int
        Always 1 (one hold-out set).
    multimetric_ : bool
        Always False.

    Notes
    -----
    Computation: one task per job as in :class:`SuccessiveHalvingSearchCV`, at most
    as many jobs in flight as the cluster has worker threads (the local scheduler:
    its thread count); finished jobs are handled as they complete
    (``distributed.wait(..., return_when="FIRST_COMPLETED")``), never in rounds.
    ``history_[i]["bracket"]`` holds the rung a job trained to. ``await search.fit(X, y)``
    under an asynchronous client, as :class:`SuccessiveHalvingSearchCV`.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import SGDClassifier
    >>> from dml.model_selection import AsyncSuccessiveHalvingSearchCV
    >>> X, y = make_classification(300, random_state=0)
    >>> search = AsyncSuccessiveHalvingSearchCV(SGDClassifier(random_state=0),
    ...                                         {"alpha": [1e-4, 1e-3, 1e-2]},
    ...                                         n_initial_parameters=3, max_iter=9,
    ...                                         random_state=0)
    >>> search.metadata["rungs"]  # calls at rungs 0, 1, 2
    [1, 3, 9]
    >>> search.fit(X, y).best_score_ <= 1.0
    True
    """

    def _check_search_params(self):
        super()._check_search_params()
        if self.max_iter is None:
            raise ValueError(f"{type(self).__name__} needs max_iter (the top rung's calls).")

    def _rungs(self):
        r, R, eta = self.n_initial_iter or 1, self.max_iter, self.aggressiveness
        rungs, k = [], 0
        while True:
            r_k = min(int(round(r * eta**k)), R)
            rungs.append(r_k)
            if r_k >= R:
                return rungs
            k += 1

    @property
    def metadata(self):
        """The rungs' calls; the number of calls depends on the promotions made."""
        return {"n_models": self._n_candidates(), "rungs": self._rungs()}

    def _run(self, candidates, submit, record, release, runner):
        rungs = self._rungs()
        eta = self.aggressiveness
        slots = runner.n_slots()
        results = [dict() for _ in rungs]  # rung -> {model_id: score}
        promoted = [set() for _ in rungs]
        todo = list(enumerate(candidates))[::-1]
        params_of = dict(enumerate(candidates))
        jobs = []

        def next_job():
            for k in range(len(rungs) - 2, -1, -1):
                done = results[k]
                n_top = int(len(done) // eta)
                if n_top < 1:
                    continue
                top = sorted(done, key=lambda m: -done[m])[:n_top]
                for mid in top:
                    if mid not in promoted[k] and not self._infos[mid]["stopped"]:
                        promoted[k].add(mid)
                        return submit(mid, params_of[mid], rungs[k + 1], k + 1)
            if todo:
                mid, params = todo.pop()
                return submit(mid, params, rungs[0], 0)
            return None

        while True:
            while len(jobs) < slots:
                job = next_job()
                if job is None:
                    break
                jobs.append(job)
            if not jobs:
                break
            done = self._wait(runner, jobs)
            finished = {id(j) for j, _ in done}
            jobs = [j for j in jobs if id(j) not in finished]
            for job, result in done:
                info = record(job, result)
                results[job.bracket][job.model_id] = info["score"]
