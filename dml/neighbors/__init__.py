"""Nearest neighbours on row-chunked data: NearestNeighbors, KNeighborsClassifier,
KNeighborsRegressor, RadiusNeighborsClassifier, RadiusNeighborsRegressor and the
graph functions. Exact searches are chunked brute force (a fused distance + top-k kernel
per query block and index block, lists merged in a tree); ``algorithm='ivf'`` is an
approximate inverted-file index whose lists come from dml's KMeans."""

from typing import TYPE_CHECKING

from dml._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "_unsupervised": ["NearestNeighbors"],
        "_classification": ["KNeighborsClassifier", "RadiusNeighborsClassifier"],
        "_regression": ["KNeighborsRegressor", "RadiusNeighborsRegressor"],
        "_graph": ["kneighbors_graph", "radius_neighbors_graph"],
    },
)

if TYPE_CHECKING:  # the names, for type checkers and editors
    from dml.neighbors._classification import KNeighborsClassifier, RadiusNeighborsClassifier  # noqa: F401
    from dml.neighbors._graph import kneighbors_graph, radius_neighbors_graph  # noqa: F401
    from dml.neighbors._regression import KNeighborsRegressor, RadiusNeighborsRegressor  # noqa: F401
    from dml.neighbors._unsupervised import NearestNeighbors  # noqa: F401
