"""Hyperband (Li et al. 2017) over incremental models: successive-halving brackets in parallel."""

from __future__ import annotations

import math
import numbers

from sklearn.model_selection import ParameterSampler

from dml._compat.sklearn import Interval
from dml.model_selection._adaptive import (
    BaseAdaptiveSearch,
    SynchronousBrackets,
    bracket_plan,
    check_common_params,
    plan_calls,
    space_size,
)


def hyperband_brackets(max_iter, aggressiveness):
    """Li et al.'s brackets: a list of ``(s, n_models, initial_calls, rounds)``, largest ``s`` first.

    With ``R = max_iter``, ``eta = aggressiveness`` and ``s_max = floor(log_eta(R))``,
    bracket ``s`` starts ``n = ceil((s_max + 1) / (s + 1) * eta**s)`` models at
    ``r = R * eta**-s`` calls and runs successive halving (:func:`bracket_plan`) up to
    ``R`` calls.
    """
    R, eta = max_iter, aggressiveness
    s_max = int(math.floor(math.log(R) / math.log(eta) + 1e-9))
    out = []
    for s in range(s_max, -1, -1):
        n = int(math.ceil((s_max + 1) / (s + 1) * eta**s - 1e-9))
        r = R * eta ** (-s)
        out.append((s, n, r, bracket_plan(n, r, R, eta)))
    return out


class HyperbandSearchCV(BaseAdaptiveSearch):
    """Hyperband over models trained incrementally on the cluster.

    Runs Li et al.'s successive-halving brackets concurrently: bracket ``s`` (from
    ``s_max = floor(log_aggressiveness(max_iter))`` down to 0) starts
    ``ceil((s_max + 1) / (s + 1) * aggressiveness**s)`` candidates at
    ``max_iter * aggressiveness**-s`` calls and keeps the best
    ``1 / aggressiveness`` each round until ``max_iter`` calls. Aggressive brackets
    try many candidates briefly; the last trains a few to the end. The planned
    budget is :attr:`metadata` (e.g. ``max_iter=81``, ``aggressiveness=3``: five
    brackets of 81, 34, 15, 8 and 5 models, 143 models and 1,581 calls in all).

    **Small search spaces.** As in dask-ml, where each bracket is a successive-halving
    search of its own over the whole space, every bracket draws its candidates from
    the whole space, so a discrete space (lists only) smaller than Hyperband's total
    number of models is shared by all the brackets, the long-training ones included. A
    bracket's candidates are distinct: one that wants more than the space holds trains
    the whole space, and its rounds are successive halving over those
    (``bracket_plan``). When the total fits in the space, the brackets' candidates are
    all different (drawn without repetition); otherwise the brackets take consecutive
    stretches of one random order of the space, wrapping around, so each candidate
    is in as many brackets as any other, give or take one. :attr:`metadata` counts
    these models, so it equals :attr:`metadata_` (without ``patience``) for every
    size of space: ``max_iter=27`` plans brackets of 27, 12, 6 and 4 models (49 models,
    357 calls) for 49 candidates or more, of 10, 10, 6 and 4 (30, 286) for 10, and of
    one model each (4, 40) for one.

    Parameters
    ----------
    estimator : estimator object
        Has ``partial_fit`` (one call: one ``partial_fit`` on one training block), or
        ``warm_start`` with ``warm_start_param``.
    parameters : dict or list of dict
        Distributions (with ``rvs``) or lists to sample candidates from.
    max_iter : int, default=81
        Most calls any model receives (``R``).
    aggressiveness : float, default=3
        ``eta``: the fraction ``1 / eta`` of models survives each round.
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
        What ran, with the keys of :attr:`metadata`: ``n_models``,
        ``partial_fit_calls`` (calls in total) and ``brackets`` (per bracket:
        ``bracket``, ``n_models``, ``partial_fit_calls`` and ``rounds``, the
        ``(models, calls)`` each round trained to). Equal to :attr:`metadata` without
        ``patience``, whatever the size of the search space.
    scorer_ : callable
    n_splits_ : int
        Always 1 (one hold-out set).
    multimetric_ : bool
        Always False.

    See Also
    --------
    SuccessiveHalvingSearchCV, AsyncSuccessiveHalvingSearchCV

    Notes
    -----
    Computation: each job (advance one model to its round's calls, score it on the
    hold-out set) is one task; models stay on the workers between rounds (futures),
    only scores travel back, and the brackets advance independently (a bracket's
    round waits for its own models only, using ``distributed.wait``). Round trips:
    one per round of each bracket. Memory per task: one model, the training blocks
    its calls read and the hold-out set (computed once, replicated to every worker).
    Without a client the rounds run on the local Dask scheduler. A lost worker's jobs
    are recomputed from their lineage.
    Under an asynchronous client (``Client(asynchronous=True)``), ``fit`` returns a
    coroutine: ``await search.fit(X, y)`` gives the fitted search.

    References
    ----------
    Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar, "Hyperband: A Novel Bandit-Based
    Approach to Hyperparameter Optimization", JMLR 18 (2018).

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import SGDClassifier
    >>> from dml.model_selection import HyperbandSearchCV
    >>> X, y = make_classification(300, random_state=0)
    >>> search = HyperbandSearchCV(SGDClassifier(random_state=0),
    ...                            {"alpha": loguniform(1e-5, 1e-1)}, max_iter=3,
    ...                            random_state=0)
    >>> search.metadata["n_models"]  # brackets of 3 and 2 models
    5
    >>> sorted(search.fit(X, y).best_params_)
    ['alpha']
    >>> search.metadata_["partial_fit_calls"] <= search.metadata["partial_fit_calls"]
    True
    >>> small = HyperbandSearchCV(SGDClassifier(), {"alpha": [1e-4, 1e-3]}, max_iter=3)
    >>> [b["n_models"] for b in small.metadata["brackets"]]  # both brackets train the 2 points
    [2, 2]
    """

    _parameter_constraints: dict = {
        **BaseAdaptiveSearch._parameter_constraints,
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "aggressiveness": [Interval(numbers.Real, 1, None, closed="neither")],
    }

    def __init__(
        self,
        estimator,
        parameters,
        max_iter=81,
        aggressiveness=3,
        patience=False,
        tol=1e-3,
        test_size=None,
        random_state=None,
        scoring=None,
        verbose=False,
        warm_start_param=None,
        warm_start_step=1,
        warm_start_cumulative=True,
    ):
        self.estimator = estimator
        self.parameters = parameters
        self.max_iter = max_iter
        self.aggressiveness = aggressiveness
        self.patience = patience
        self.tol = tol
        self.test_size = test_size
        self.random_state = random_state
        self.scoring = scoring
        self.verbose = verbose
        self.warm_start_param = warm_start_param
        self.warm_start_step = warm_start_step
        self.warm_start_cumulative = warm_start_cumulative

    def _check_search_params(self):
        check_common_params(self)

    def _brackets(self):
        """``(s, n_models, initial_calls, rounds)`` of every bracket, for this space.

        A bracket that wants more models than a discrete space holds trains the whole
        space (successive halving over those few: :func:`bracket_plan`).
        """
        size = space_size(self.parameters)
        out = []
        for s, n, r, plan in hyperband_brackets(self.max_iter, self.aggressiveness):
            if size is not None and size < n:
                n, plan = size, bracket_plan(size, r, self.max_iter, self.aggressiveness)
            out.append((s, n, r, plan))
        return out

    @property
    def metadata(self):
        """The planned brackets, models and calls (without early stopping)."""
        brackets = [
            {"bracket": s, "n_models": n, "partial_fit_calls": plan_calls(plan), "rounds": plan}
            for s, n, r, plan in self._brackets()
        ]
        return {
            "n_models": sum(b["n_models"] for b in brackets),
            "partial_fit_calls": sum(b["partial_fit_calls"] for b in brackets),
            "brackets": brackets,
        }

    def _candidates(self, rng):
        # One candidate per model, bracket after bracket (largest s first).
        n = self.metadata["n_models"]
        size = space_size(self.parameters)
        if size is None or size >= n:
            return self._sample_parameters(n, rng)
        # Fewer candidates than models: the brackets take consecutive stretches of one
        # random order of the space, wrapping around, so each bracket's candidates are
        # distinct and every candidate is in as many brackets as any other, give or take one.
        order = list(ParameterSampler(self.parameters, size, random_state=rng))
        return [dict(order[i % size]) for i in range(n)]

    def _run(self, candidates, submit, record, release, runner):
        params_of = dict(enumerate(candidates))
        brackets, start = [], 0
        for s, n, r, plan in self._brackets():
            brackets.append((s, plan, list(range(start, start + n))))
            start += n
        SynchronousBrackets(brackets).run(self, params_of, submit, record, release, runner)
