"""Public names of a subpackage, imported on first use.

Chunk kernels travel to the workers by reference (for example
``dml.linear_model._logistic_kernels.label_counts_kernel``), and unpickling one imports
its parent packages first. With eager ``__init__`` imports a worker would load every
estimator of the family, and scikit-learn with them (over a second in a fresh worker
process, on the first task of each worker); with lazy names it imports the kernel's
module and the engine only. Users see no difference: ``from dml.cluster import KMeans``
and ``dml.cluster.KMeans`` import the estimator's module when asked.
"""

from __future__ import annotations

import importlib
import sys


def attach(package, submodules):
    """``(__getattr__, __dir__, __all__)`` for ``package`` exporting ``submodules``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    submodules : dict
        ``{submodule name: [public names it defines]}``.
    """
    where = {name: f"{package}.{mod}" for mod, names in submodules.items() for name in names}

    def __getattr__(name):
        try:
            module = where[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__, sorted(where)
