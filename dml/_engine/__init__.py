"""The execution core of dml: every estimator goes through it.

- :mod:`~dml._engine.inputs`: normalise X / y / sample_weight into aligned row chunks.
- :mod:`~dml._engine.namespace`: the array namespace (NumPy, CuPy, array-API) of chunks.
- :mod:`~dml._engine.mapreduce`: one round trip, kernel per chunk -> tree combine.
- :mod:`~dml._engine.runtime`: client resolution at call time, the workers' dml check,
  progress reporting.
- :mod:`~dml._engine.memory`: the persist policy and per-task memory caps.
- :mod:`~dml._engine.recovery`: chunks made again after a lost worker.
- :mod:`~dml._engine.tasks`: runners of independent tasks (a search's fits).
"""
