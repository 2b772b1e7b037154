"""Multi-layer perceptrons trained data-parallel over row chunks: MLPClassifier and
MLPRegressor ('lbfgs' on the exact full-batch gradient, one pass per evaluation; 'sgd'
and 'adam' by synchronous minibatch steps whose gradients are summed over the chunks)."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_multilayer_perceptron": ["MLPClassifier", "MLPRegressor"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.neural_network._multilayer_perceptron import (  # noqa: F401
        MLPClassifier,
        MLPRegressor,
    )
