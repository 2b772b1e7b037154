"""The one result type of dml's solvers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SolverResult:
    """What every solver in :mod:`dml._solvers` returns.

    Like :class:`scipy.optimize.OptimizeResult`, one type for all solvers; the fields
    that only some solvers fill default to ``None``.

    Attributes
    ----------
    coef : ndarray
        The solution, in the layout of the solver's input (a flat parameter vector for
        the callable-objective solvers, ``(n_features, n_targets)`` for the solvers of
        normal equations; each solver's docstring says which).
    intercept : float, ndarray or None, default=None
        Set by solvers that centre the data themselves; ``None`` when the intercept is
        part of ``coef`` or follows from the caller's statistics.
    n_iter : int or ndarray, default=0
        Iterations run (per target, as an array or list, for solvers of several
        targets at once).
    converged : bool or ndarray, default=True
        Whether the stopping rule was met (per target where ``n_iter`` is).
    objective_history : list, default=[]
        The objective after every iteration (a list per target for several targets).
    dual_gap : float, ndarray or None, default=None
        Final duality gap (elastic-net solvers).
    rank : int or None, default=None
        Numerical rank of the system (least squares).
    singular : ndarray or None, default=None
        Singular values of the (weighted, centred) design (least squares).

    Examples
    --------
    >>> import numpy as np
    >>> from dml._solvers._result import SolverResult
    >>> res = SolverResult(coef=np.zeros(3), n_iter=4, objective_history=[2.0, 1.0])
    >>> res.converged, res.n_iter, res.dual_gap is None
    (True, 4, True)
    """

    coef: np.ndarray
    intercept: object = None
    n_iter: object = 0
    converged: object = True
    objective_history: list = field(default_factory=list)
    dual_gap: object = None
    rank: object = None
    singular: object = None
