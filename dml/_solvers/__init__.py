"""Optimisation loops of dml's estimators, behind one contract (scipy.optimize's pattern).

Every solver is a function of plain values: the objective as a callable (one pass over
the data per call, built by the estimator's family from its kernels and the engine's
``ChunkedData``) or as in-memory statistics (a Gram matrix), the penalty, the
tolerances and the starting point. It returns one type, :class:`SolverResult`
(``dml._solvers._result``). No solver takes an estimator, and no solver imports an
estimator family: the families import the solvers, never the reverse.

Modules, one per solver family:

- ``_result``: :class:`SolverResult`.
- ``_penalties``: soft-thresholding, the minimum-norm subgradient of an L1 term, the
  elastic-net duality gap (the shared numerics of the L1 solvers).
- ``_quasi_newton``: L-BFGS with scikit-learn's settings.
- ``_newton``: Newton-Cholesky with scikit-learn's line search, and the multinomial's
  singular-direction bookkeeping.
- ``_newton_cg``: truncated Newton ('newton-cg'): conjugate gradient on
  Hessian-vector products (one pass each), then a backtracking line search.
- ``_proximal``: proximal Newton for L1 / elastic-net penalties.
- ``_coordinate_descent``: elastic-net coordinate descent on a Gram matrix (single
  fits and warm-started paths).
- ``_gram``: direct solves of the normal equations (least squares, non-negative least
  squares, ridge by Cholesky / eigendecomposition, non-negative ridge by L-BFGS-B).
- ``_conjugate_gradient``: conjugate gradient on a shifted normal-equations operator.
- ``_fista``: accelerated proximal gradient (FISTA) with adaptive restart, and the power
  iteration that bounds its step.
"""
