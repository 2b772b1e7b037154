"""Successive halving, synchronous and asynchronous (ASHA), over incremental models."""

from __future__ import annotations

import numbers

from dml._compat.sklearn import Interval, StrOptions
from dml.model_selection._adaptive import (
    _BASE_DOC_ATTRS,
    _BASE_DOC_PARAMS,
    BaseAdaptiveSearch,
    SynchronousBrackets,
    bracket_plan,
    check_common_params,
    plan_calls,
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
        Number of candidates sampled, or every point of the grid.
    n_initial_iter : int, default=None
        Calls given to every candidate in the first round (1 when None).
    max_iter : int, default=None
        Most calls any model receives (no limit when None).
    aggressiveness : float, default=3
        Keep the best ``1 / aggressiveness`` of the models after each round.
    """ + _BASE_DOC_PARAMS + """
    Attributes
    ----------
    """ + _BASE_DOC_ATTRS + """
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
    """

    _parameter_constraints: dict = {
        **BaseAdaptiveSearch._parameter_constraints,
        "n_initial_parameters": [Interval(numbers.Integral, 1, None, closed="left"),
                                 StrOptions({"grid"})],
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
            raise ValueError(
                f"n_initial_iter={self.n_initial_iter} is larger than max_iter={self.max_iter}."
            )

    def _plan(self, n_models):
        return bracket_plan(n_models, self.n_initial_iter or 1, self.max_iter, self.aggressiveness)

    @property
    def metadata(self):
        """The planned number of models and calls (no early stopping)."""
        if self.n_initial_parameters == "grid":
            from sklearn.model_selection import ParameterGrid

            n = len(ParameterGrid(self.parameters))
        else:
            n = self.n_initial_parameters
        plan = self._plan(n)
        return {"n_models": n, "partial_fit_calls": plan_calls(plan),
                "brackets": [{"bracket": 0, "n_models": n, "partial_fit_calls": plan_calls(plan),
                              "rounds": plan}]}

    def _candidates(self, rng):
        return self._sample_parameters(self.n_initial_parameters, rng)

    def _run(self, candidates, submit, record, release, runner):
        params_of = dict(enumerate(candidates))
        plan = self._plan(len(candidates))
        SynchronousBrackets([(0, plan, list(params_of))]).run(
            self, params_of, submit, record, release, runner)


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
    """ + _BASE_DOC_PARAMS + """
    Attributes
    ----------
    """ + _BASE_DOC_ATTRS + """
    Notes
    -----
    Computation: one task per job as in :class:`SuccessiveHalvingSearchCV`, at most
    as many jobs in flight as the cluster has worker threads (the local scheduler:
    its thread count); finished jobs are handled as they complete
    (``distributed.wait(..., return_when="FIRST_COMPLETED")``), never in rounds.
    ``history_[i]["bracket"]`` holds the rung a job trained to.
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
        n = self.n_initial_parameters
        return {"n_models": n, "rungs": self._rungs()}

    def _run(self, candidates, submit, record, release, runner):
        import os

        rungs = self._rungs()
        eta = self.aggressiveness
        if runner.mode == "distributed":
            slots = max(1, sum(runner.client.nthreads().values()))
        else:
            slots = os.cpu_count() or 1
        results = [dict() for _ in rungs]   # rung -> {model_id: score}
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
