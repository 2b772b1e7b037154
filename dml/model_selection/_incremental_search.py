"""IncrementalSearchCV and InverseDecaySearchCV: dask-ml's incremental searches.

Both train every candidate in lockstep rounds on the adaptive-search engine
(:mod:`dml.model_selection._adaptive`): after each round the models are scored on the
hold-out set and :class:`_Schedule` decides, from the scores alone, which models train
on and for how many calls. IncrementalSearchCV keeps every model until ``max_iter`` or
a plateau (``patience`` / ``tol``); InverseDecaySearchCV keeps the best
``n / (1 + k) ** decay_rate`` models at call ``k`` (dask-ml's ``_adapt``).
"""

from __future__ import annotations

import math
import numbers
import warnings

from sklearn.model_selection import ParameterGrid

from dml._compat.sklearn import Interval, StrOptions
from dml.model_selection._adaptive import BaseAdaptiveSearch, space_size


def n_candidates(parameters, n_initial_parameters):
    """Number of models a search starts: ``n_initial_parameters`` or the whole grid,
    never more than a discrete space holds."""
    if n_initial_parameters == "grid":
        return len(ParameterGrid(parameters))
    size = space_size(parameters)
    return n_initial_parameters if size is None else min(n_initial_parameters, size)


def inverse_decay_step(n_models, decay_rate, calls, fits_per_score, patience):
    """dask-ml's inverse decay: ``(n_keep, steps)`` after the models made ``calls`` calls.

    ``n(t) = int(n_models / (1 + t) ** decay_rate)`` is the number of models wanted at
    time ``t``; with ``current = calls + 1`` the next decision time is the first ``t >
    current`` where ``n(t)`` changes (without ``patience``, ``decay_rate > 0``) or
    ``current + fits_per_score`` (with ``patience`` or ``decay_rate == 0``), whichever
    comes first in the latter case. ``n_keep = max(1, n(next))`` best models train
    ``steps = next - current`` more calls. ``n_keep == 1`` ends the search; so does
    ``n(current) == 0`` (dask-ml restarts its clock there and keeps training forever).
    """

    def wanted(t):
        return int(n_models / (1 + t) ** decay_rate)

    current = calls + 1
    now = wanted(current)
    if now == 0:
        return 1, 0
    nxt = current + 1
    if decay_rate and not patience:
        nxt = _first_change(wanted, n_models, decay_rate, now, nxt)
    else:
        while wanted(nxt) == now and nxt - current < fits_per_score:
            nxt += 1
    return max(1, wanted(nxt)), nxt - current


def _first_change(wanted, n_models, decay_rate, now, start):
    """The first ``t >= start`` with ``wanted(t) != now`` (``wanted`` only decreases).

    A few steps usually find it; a slow decay (small ``decay_rate``) solves
    ``n / (1 + t) ** d < now`` for ``t`` instead of stepping there one call at a time.
    """
    t = start
    for _ in range(256):
        if wanted(t) != now:
            return t
        t += 1
    log_x = math.log(n_models / now) / decay_rate
    if log_x > math.log(_NEVER):
        return _NEVER  # beyond any max_iter: the models train on until max_iter
    t = max(t, int(math.exp(log_x)) - 2)
    while wanted(t) == now:
        t += 1
    return t


_NEVER = 10**12
_MAX_UNBOUNDED_CALLS = 10**6


class _Schedule:
    """The decisions of an incremental search, from scores only (no data, no models).

    ``observe`` records a model's calls and score after a job; ``next_round`` returns
    ``(instructions, dropped)``: more calls per model (0: it trains no more) and the
    models the decay dropped. The search ends when no model gets a call. ``scores``
    of ``None`` plan without data (:attr:`IncrementalSearchCV.metadata`): no plateau is
    found and ties go to the lower model id.
    """

    def __init__(self, search, model_ids, fits_per_score):
        self.search = search
        self.fits_per_score = fits_per_score
        self.patience = int(search.patience) if search.patience else 0
        self.alive = list(model_ids)
        self.calls = {m: 0 for m in model_ids}
        self.records = {m: [] for m in model_ids}  # [(calls, score), ...]
        self.done = set()  # reached max_iter or a plateau: never trains again
        self.plateaued = set()
        self.pending = {}  # calls decided by the last adapt and not made yet (patience)

    def observe(self, model_id, calls, score):
        self.calls[model_id] = calls
        self.records[model_id].append((calls, score))

    def first_round(self):
        return {m: 1 for m in self.alive}

    def _plateau(self, model_id):
        # dask-ml's rule: the scores of the last `patience` calls (the oldest one in that
        # window is the reference) improve on the reference by at most tol.
        tol = self.search.tol
        if not self.patience or tol is None:
            return False
        records = self.records[model_id]
        current = self.calls[model_id]
        if current < self.patience or records[-1][1] is None:
            return False
        window = [s for c, s in records if current - c <= self.patience]
        return len(window) > 1 and max(window[1:]) - window[0] <= tol

    def next_round(self):
        max_iter = self.search.max_iter
        active = [m for m in self.alive if m not in self.done]
        if not active:
            return {}, []
        dropped = []
        if self.patience and any(self.pending.get(m, 0) > 0 for m in active):
            instructions = {m: self.pending.get(m, 0) for m in active}
        else:
            keep = self.search._adapt(self, max(self.calls[m] for m in active))
            dropped = [m for m in self.alive if m not in keep]
            self.alive = [m for m in self.alive if m in keep]
            instructions = {m: k for m, k in keep.items() if m not in self.done}
            self.pending = dict(instructions)
        out = {}
        for m, k in instructions.items():
            if max_iter is not None and self.calls[m] >= max_iter:
                self.done.add(m)
                k = 0
            elif self._plateau(m):
                self.done.add(m)
                self.plateaued.add(m)
                k = 0
            if max_iter is not None:
                k = min(k, max_iter - self.calls[m])
            if self.patience:
                k = min(k, self.patience)
            if m in self.pending:
                self.pending[m] -= k
            out[m] = k
        return out, dropped

    def ranked(self, model_ids):
        """Best first by the last score; ties (and planning) by model id."""

        def key(m):
            score = self.records[m][-1][1] if self.records[m] else None
            return (0.0 if score is None else -score, m)

        return sorted(model_ids, key=key)


def plan(search, n_models, fits_per_score):
    """The rounds a search makes without early stopping: ``[(n_models, calls), ...]``."""
    schedule = _Schedule(search, range(n_models), fits_per_score)
    rounds, instructions = [], schedule.first_round()
    while True:
        jobs = {m: k for m, k in instructions.items() if k > 0}
        if not jobs:
            return rounds
        for m, k in sorted(jobs.items()):
            schedule.observe(m, schedule.calls[m] + k, None)
        targets = sorted({schedule.calls[m] for m in jobs})
        rounds.extend((sum(schedule.calls[m] == t for m in jobs), t) for t in targets)
        instructions, _ = schedule.next_round()


def _plan_calls(rounds):
    total, prev = 0, 0
    for n, calls in rounds:
        total += n * (calls - prev)
        prev = calls
    return total


class IncrementalSearchCV(BaseAdaptiveSearch):
    """Train many candidates incrementally; stop each at ``max_iter`` or on a plateau.

    dask-ml's ``IncrementalSearchCV`` (v1.4 and later): every candidate makes one call
    (``partial_fit`` on one block) and is scored on a hold-out set; then each model makes
    ``fits_per_score`` more calls between scores, until it reaches ``max_iter`` calls or
    its score stops improving (``patience`` calls without an improvement above ``tol``).
    To drop the weaker models as training goes, use :class:`InverseDecaySearchCV`,
    :class:`SuccessiveHalvingSearchCV` or :class:`HyperbandSearchCV`.

    Parameters
    ----------
    estimator : estimator object
        Has ``partial_fit`` (one call: one ``partial_fit`` on one training block, the
        row chunks of a Dask ``X`` in order; in-memory ``X`` is one block), or
        ``warm_start`` with ``warm_start_param``.
    parameters : dict or list of dict
        Distributions (with ``rvs``) or lists to sample candidates from.
    n_initial_parameters : int or "grid", default=10
        Number of candidates sampled (without repetition), or every point of the grid.
        A discrete space (lists only) with fewer points is searched whole.
    decay_rate : None, default=None
        dask-ml deprecated it here (v1.4.0) and ignores it; dml refuses any other value
        than None with a ValueError that points to :class:`InverseDecaySearchCV`, whose
        ``decay_rate`` it is.
    test_size : float, default=None
        Fraction of each block held out to score the models (0.15 when None).
    patience : int or False, default=False
        Stop a model when none of its scores over its last ``patience`` calls beats the
        score ``patience`` calls before by more than ``tol``. With patience a model is
        scored at least every ``patience`` calls. 1 (or True) is refused: it always
        finds a plateau.
    tol : float or None, default=0.001
        The improvement that counts for ``patience``; None never stops on a plateau.
    fits_per_score : int, default=1
        Calls between two scores of a model (at most ``patience`` with patience).
    max_iter : int, default=100
        Most calls any model makes.
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of candidates and the hold-out split.
    scoring : str, callable or None, default=None
        One scorer (the estimator's ``score`` when None); multi-metric is rejected.
    verbose : bool or int, default=False
        Print a line per scored model.
    prefix : str, default=""
        Added to the tag of the ``verbose`` lines (``[CV<prefix>]``), as dask-ml's log
        messages.
    scores_per_fit : int or None, default=None
        Deprecated name of ``fits_per_score`` (dask-ml v1.4.0): a FutureWarning, then
        used as ``fits_per_score``; giving both is a ValueError.
    warm_start_param : str or None, default=None
        For estimators without ``partial_fit``: the parameter grown between warm-started
        fits (``"n_estimators"``, ``"max_iter"``); the estimator must have
        ``warm_start``.
    warm_start_step : int, default=1
        Size of one call in units of ``warm_start_param``.
    warm_start_cumulative : bool, default=True
        True: before call ``k`` the parameter is ``k * warm_start_step``; False: it is
        ``warm_start_step`` each time.

    Attributes
    ----------
    cv_results_ : dict of arrays
        One entry per model: ``model_id``, ``bracket`` (always 0), ``params``,
        ``param_<name>`` (masked arrays), ``partial_fit_calls``, ``test_score`` (its last
        score), ``rank_test_score``, ``mean_partial_fit_time``, ``std_partial_fit_time``,
        ``mean_score_time``, ``std_score_time``.
    history_ : list of dict
        One record per score, round by round (in model order within a round):
        ``model_id``, ``params``, ``partial_fit_calls``, ``partial_fit_time``, ``score``,
        ``score_time``, ``elapsed_wall_time``, ``bracket``, ``stopped`` (True on the
        record where a plateau stopped the model).
    model_history_ : dict
        ``history_`` grouped by ``model_id``.
    best_estimator_ : estimator
        The model with the highest last score, as trained (not refit).
    best_score_ : float
    best_params_ : dict
    best_index_ : int
        Index of the best model in ``cv_results_``.
    metadata_ : dict
        What ran: ``n_models``, ``partial_fit_calls`` and ``brackets`` (one: its
        ``rounds``, the ``(models, calls)`` each round trained to).
    scorer_ : callable
    n_splits_ : int
        Always 1 (one hold-out set).
    multimetric_ : bool
        Always False.
    metadata : dict
        The same keys as ``metadata_``, planned before fitting, without early stopping
        (equal to ``metadata_`` without ``patience``).

    See Also
    --------
    InverseDecaySearchCV, SuccessiveHalvingSearchCV, HyperbandSearchCV

    Notes
    -----
    Computation: a round trains every model still training by its calls (one task per
    model: the model, the blocks those calls read and the hold-out set) and scores
    it; the round's scores come back to the caller, which decides the next round.
    Round trips: one per round (``max_iter / fits_per_score`` rounds at most). Models
    stay on the workers between rounds (futures), the training blocks are the row
    chunks of a Dask ``X`` computed once onto the cluster (in-memory ``X`` is one
    block), and the hold-out set is computed once and copied to every worker. Call
    ``k`` of a model reads block ``(k - 1) % n_blocks``. Without a client the rounds
    run on the local Dask scheduler. The results do not depend on the scheduler,
    on whether ``X`` is persisted, on its column chunks or on ``y``'s chunks (``y`` is
    rechunked like ``X``); the row chunks are the training batches, so other row
    chunks train other (equally valid) models, as in dask-ml.
    Under an asynchronous client (``Client(asynchronous=True)``), ``fit`` returns a
    coroutine: ``await search.fit(X, y)`` gives the fitted search.

    Differences from dask-ml: ``max_iter`` is never exceeded (dask-ml can overshoot it
    by ``fits_per_score - 1``); the hold-out set is ``test_size`` of every block;
    ``predict_meta``, ``predict_proba_meta`` and ``transform_meta`` are gone.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import SGDClassifier
    >>> from dml.model_selection import IncrementalSearchCV
    >>> X, y = make_classification(300, random_state=0)
    >>> search = IncrementalSearchCV(SGDClassifier(random_state=0),
    ...                              {"alpha": [1e-4, 1e-3, 1e-2]}, max_iter=4,
    ...                              fits_per_score=2, random_state=0)
    >>> search.metadata["brackets"][0]["rounds"]  # (models, calls): scored at 1, 3, 4
    [(3, 1), (3, 3), (3, 4)]
    >>> search.fit(X, y).metadata_["partial_fit_calls"]
    12
    >>> search.best_estimator_.predict(X[:4]).shape
    (4,)
    """

    _parameter_constraints: dict = {
        **BaseAdaptiveSearch._parameter_constraints,
        "n_initial_parameters": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"grid"})],
        "decay_rate": [None, Interval(numbers.Real, None, None, closed="neither")],
        "patience": ["boolean", Interval(numbers.Integral, 0, None, closed="left")],
        "tol": [Interval(numbers.Real, None, None, closed="neither"), None],
        "fits_per_score": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "prefix": [str],
        "scores_per_fit": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        estimator,
        parameters,
        n_initial_parameters=10,
        decay_rate=None,
        test_size=None,
        patience=False,
        tol=0.001,
        fits_per_score=1,
        max_iter=100,
        random_state=None,
        scoring=None,
        verbose=False,
        prefix="",
        scores_per_fit=None,
        warm_start_param=None,
        warm_start_step=1,
        warm_start_cumulative=True,
    ):
        self.estimator = estimator
        self.parameters = parameters
        self.n_initial_parameters = n_initial_parameters
        self.decay_rate = decay_rate
        self.test_size = test_size
        self.patience = patience
        self.tol = tol
        self.fits_per_score = fits_per_score
        self.max_iter = max_iter
        self.random_state = random_state
        self.scoring = scoring
        self.verbose = verbose
        self.prefix = prefix
        self.scores_per_fit = scores_per_fit
        self.warm_start_param = warm_start_param
        self.warm_start_step = warm_start_step
        self.warm_start_cumulative = warm_start_cumulative

    # ---------------------------------------------------------------- validation

    def _check_decay_rate(self):
        if self.decay_rate is not None:
            raise ValueError(
                f"IncrementalSearchCV does not decay the number of models, so "
                f"decay_rate={self.decay_rate!r} would have no effect (dask-ml deprecated it "
                "in v1.4.0 and ignores it). Use InverseDecaySearchCV(decay_rate="
                f"{self.decay_rate!r}) to drop the weaker models as training goes, or leave "
                "decay_rate=None."
            )

    def _fits_per_score(self, warn=False):
        """``fits_per_score``, or the deprecated ``scores_per_fit`` when given."""
        old = getattr(self, "scores_per_fit", None)
        if old is None:
            return int(self.fits_per_score)
        if self.fits_per_score != 1:
            raise ValueError("Specify fits_per_score, not scores_per_fit.")
        if warn:
            warnings.warn(
                "scores_per_fit has been deprecated since dask-ml v1.4.0. Specify "
                f"fits_per_score={old} instead.",
                FutureWarning,
                stacklevel=5,  # the caller of fit (via fit, _fit_loop, _check_search_params)
            )
        return int(old)

    def _check_search_params(self):
        self._check_decay_rate()
        if self.patience is True or (self.patience and int(self.patience) <= 1):
            raise ValueError(
                f"patience={self.patience!r} always detects a plateau (a model is compared "
                "with itself after one call). Set patience to an int >= 2, or False to "
                "train every model to max_iter."
            )
        self._fps = self._fits_per_score(warn=True)

    def _patience(self):
        # The plateau test runs in the caller between jobs (dask-ml's rule on the scores
        # of the last `patience` calls), not per call inside the training task.
        return 0

    def _log_tag(self):
        return f"CV{self.prefix}"

    # ------------------------------------------------------------------ schedule

    def _adapt(self, schedule, calls):
        """Every model trains ``fits_per_score`` more calls (none is dropped)."""
        return {m: schedule.fits_per_score for m in schedule.alive}

    @property
    def metadata(self):
        """The planned number of models and calls (without early stopping)."""
        n = n_candidates(self.parameters, self.n_initial_parameters)
        rounds = plan(self, n, self._fits_per_score())
        calls = _plan_calls(rounds)
        return {
            "n_models": n,
            "partial_fit_calls": calls,
            "brackets": [{"bracket": 0, "n_models": n, "partial_fit_calls": calls, "rounds": rounds}],
        }

    def _candidates(self, rng):
        return self._sample_parameters(self.n_initial_parameters, rng)

    def _run(self, candidates, submit, record, release, runner):
        params_of = dict(enumerate(candidates))
        schedule = _Schedule(self, list(params_of), self._fps)
        instructions = schedule.first_round()
        while True:
            jobs = [
                submit(m, params_of[m], schedule.calls[m] + k, 0)
                for m, k in sorted(instructions.items())
                if k > 0
            ]
            if not jobs:
                return
            # A round is a synchronisation point: all its scores decide the next one.
            results = runner.gather([j.handle for j in jobs])
            for job, result in zip(jobs, results):
                info = record(job, result)
                schedule.observe(job.model_id, info["calls"], info["score"])
            instructions, dropped = schedule.next_round()
            for m in schedule.plateaued:
                self.model_history_[m][-1]["stopped"] = True
            for m in dropped:
                release(m)


class InverseDecaySearchCV(IncrementalSearchCV):
    """Train many candidates incrementally, keeping the best ``n / (1 + k) ** decay_rate``.

    dask-ml's ``InverseDecaySearchCV``: every candidate makes one call and is scored;
    then at call ``k`` only the best ``int(n / (1 + k) ** decay_rate)`` models train on
    (``n``: the number of candidates), until one is left, ``max_iter`` is reached or
    every model left is on a plateau (``patience``). With ``decay_rate=1`` it
    approximates the number of calls of :class:`SuccessiveHalvingSearchCV`.

    Parameters
    ----------
    estimator : estimator object
        Has ``partial_fit`` (one call: one ``partial_fit`` on one training block, the
        row chunks of a Dask ``X`` in order; in-memory ``X`` is one block), or
        ``warm_start`` with ``warm_start_param``.
    parameters : dict or list of dict
        Distributions (with ``rvs``) or lists to sample candidates from.
    n_initial_parameters : int or "grid", default=10
        Number of candidates sampled (without repetition), or every point of the grid.
        A discrete space (lists only) with fewer points is searched whole, and the
        decay starts from the number of candidates.
    test_size : float, default=None
        Fraction of each block held out to score the models (0.15 when None).
    patience : int or False, default=False
        As :class:`IncrementalSearchCV`. With patience the models are also scored (and
        the decay decided) at least every ``fits_per_score`` calls.
    tol : float or None, default=0.001
        The improvement that counts for ``patience``; None never stops on a plateau.
    fits_per_score : int, default=1
        With ``patience`` (or ``decay_rate=0``): most calls between two decisions.
    max_iter : int or None, default=100
        Most calls any model makes; None: until the decay leaves one model (needs
        ``decay_rate > 0``).
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling of candidates and the hold-out split.
    scoring : str, callable or None, default=None
        One scorer (the estimator's ``score`` when None); multi-metric is rejected.
    verbose : bool or int, default=False
        Print a line per scored model.
    prefix : str, default=""
        Added to the tag of the ``verbose`` lines (``[CV<prefix>]``).
    decay_rate : float, default=1.0
        How fast the number of models decays; 0 keeps every model (as
        :class:`IncrementalSearchCV`).
    warm_start_param, warm_start_step, warm_start_cumulative
        As :class:`IncrementalSearchCV`.

    Attributes
    ----------
    cv_results_, history_, model_history_, best_estimator_, best_score_, best_params_, best_index_, metadata_, scorer_, n_splits_, multimetric_, metadata
        As :class:`IncrementalSearchCV`; ``metadata["brackets"][0]["rounds"]`` is the
        decay: how many models train to how many calls.

    See Also
    --------
    IncrementalSearchCV, SuccessiveHalvingSearchCV, HyperbandSearchCV

    Notes
    -----
    Computation: as :class:`IncrementalSearchCV`, one round trip per round; a round
    trains only the models the decay keeps. The decision after the models made ``t``
    calls is dask-ml's: with ``current = t + 1``, the next decision is at the first
    ``next > current`` where the wanted number changes (with ``patience`` or
    ``decay_rate=0``: at most ``current + fits_per_score``), and the best
    ``max(1, int(n / (1 + next) ** decay_rate))`` models make ``next - current`` calls;
    when that is one model the search ends. ``t`` is the calls of the models still
    training (dask-ml reads it from its first model, which may have stopped on a
    plateau). ``await search.fit(X, y)`` under an asynchronous client.

    References
    ----------
    Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar, "Hyperband: A Novel Bandit-Based
    Approach to Hyperparameter Optimization", JMLR 18 (2018).

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import SGDClassifier
    >>> from dml.model_selection import InverseDecaySearchCV
    >>> X, y = make_classification(300, random_state=0)
    >>> search = InverseDecaySearchCV(SGDClassifier(random_state=0),
    ...                               {"alpha": loguniform(1e-6, 1e-1)},
    ...                               n_initial_parameters=10, random_state=0)
    >>> search.metadata["brackets"][0]["rounds"]  # 10 models make 1 call, the best 2 one more
    [(10, 1), (2, 2)]
    >>> search.fit(X, y).metadata_ == search.metadata
    True
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in IncrementalSearchCV._parameter_constraints.items() if k != "scores_per_fit"},
        "decay_rate": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        estimator,
        parameters,
        n_initial_parameters=10,
        test_size=None,
        patience=False,
        tol=0.001,
        fits_per_score=1,
        max_iter=100,
        random_state=None,
        scoring=None,
        verbose=False,
        prefix="",
        decay_rate=1.0,
        warm_start_param=None,
        warm_start_step=1,
        warm_start_cumulative=True,
    ):
        self.estimator = estimator
        self.parameters = parameters
        self.n_initial_parameters = n_initial_parameters
        self.test_size = test_size
        self.patience = patience
        self.tol = tol
        self.fits_per_score = fits_per_score
        self.max_iter = max_iter
        self.random_state = random_state
        self.scoring = scoring
        self.verbose = verbose
        self.prefix = prefix
        self.decay_rate = decay_rate
        self.warm_start_param = warm_start_param
        self.warm_start_step = warm_start_step
        self.warm_start_cumulative = warm_start_cumulative

    def _check_decay_rate(self):
        if self.max_iter is not None:
            return
        if not self.decay_rate:
            raise ValueError(
                "max_iter=None with decay_rate=0 never ends: every model would train "
                "forever. Give max_iter, or a decay_rate > 0."
            )
        # The decay leaves one model once n / (1 + t) ** d < 2.
        n = n_candidates(self.parameters, self.n_initial_parameters)
        log_end = math.log(max(n / 2, 1.0)) / self.decay_rate
        if log_end > math.log(_MAX_UNBOUNDED_CALLS):
            raise ValueError(
                f"With decay_rate={self.decay_rate!r} and max_iter=None the decay leaves one "
                f"model only after more than {_MAX_UNBOUNDED_CALLS:,} calls. Give max_iter, "
                "or a larger decay_rate."
            )

    def _adapt(self, schedule, calls):
        """dask-ml's inverse decay: the best models, and their calls (0: the end)."""
        n_keep, steps = inverse_decay_step(
            len(schedule.calls), self.decay_rate, calls, schedule.fits_per_score, schedule.patience
        )
        best = schedule.ranked(schedule.alive)[:n_keep]
        if n_keep == 1:
            return {best[0]: 0}
        return {m: steps for m in best}


__all__ = ["IncrementalSearchCV", "InverseDecaySearchCV", "inverse_decay_step"]
