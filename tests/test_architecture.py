"""The architecture of dml as a test: which layer may import which, one door to
scikit-learn's private names, no import cycle, and documented public names.

The layers, lowest first (``docs/architecture.md`` describes them):

- ``dml._config``, ``dml._compat``, ``dml._lazy``: import no other dml module;
- ``dml._engine``: the execution core; imports only itself and the layer above;
- ``dml._solvers``: optimisation loops over the engine; no estimator family;
- the families (``dml.linear_model``, ``dml.cluster``, ...): side by side; one family
  imports another only through :data:`FAMILY_ALLOWED` (each entry says why);
- the applications: top-level ``dml``, ``dml.parallel``, ``dml.demo``, ``dml.utils``
  (which discovers every family by name).

Imports are read with :mod:`ast` (nothing is imported for the layer and cycle checks);
an import inside a function counts for the layers (it is still a dependency) but not
for the cycles (it runs after both modules are loaded).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pathlib
import re
import textwrap
from dataclasses import dataclass

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PKG = ROOT / "dml"

BASE = {"dml._config", "dml._compat", "dml._lazy"}
ENGINE = "dml._engine"
SOLVERS = "dml._solvers"
FAMILIES = {
    "dml.linear_model",
    "dml.cluster",
    "dml.decomposition",
    "dml.preprocessing",
    "dml.metrics",
    "dml.model_selection",
    "dml.wrappers",
    "dml.datasets",
    "dml.naive_bayes",
    "dml.ensemble",
    "dml.mixture",
    "dml.impute",
    "dml.neighbors",
    "dml.compose",
    "dml.imbalance",
    "dml.calibration",
    "dml.feature_extraction",
    "dml.recommendation",
    "dml.neural_network",
}
APPLICATIONS = {"dml", "dml.parallel", "dml.demo", "dml.utils", "dml._parallel"}

# What each layer may import from dml (a prefix matches the package and its modules).
LAYER_ALLOWED = {
    "dml._config": set(),
    "dml._compat": set(),
    "dml._lazy": set(),
    ENGINE: {ENGINE, "dml._config", "dml._compat"},
    SOLVERS: {SOLVERS, ENGINE, "dml._config", "dml._compat"},
    # Parameter checks and the R^2 score mixin every regressor shares: R^2 is
    # dml.metrics.r2_score (one lazy pass on Dask input), imported when scoring.
    # _base's mixins sit on the engine: CpuMixin.to_cpu uses namespace.to_numpy
    "dml._base": {"dml._compat", "dml._config", "dml.metrics", ENGINE},
}

# Family -> family imports that exist on purpose, each with its reason. Any other
# import between two families fails the test: move the shared code down (into
# dml._engine or dml._solvers) or add the entry here with its reason.
FAMILY_ALLOWED = {
    ("*", "dml.metrics"): (
        "metrics is the scoring service of every family: estimators' score methods, "
        "the searches' scorers and the wrappers' scoring use dml.metrics, whose "
        "metrics run one lazy pass on Dask input; metrics itself imports no family"
    ),
    ("dml.mixture", "dml.cluster"): (
        "GaussianMixture's init_params='kmeans' and 'k-means++' run dml's KMeans and its "
        "k-means++ seeding, and init_params='random' draws its hashed uniforms with the "
        "seeding kernels' hash_uniform, so the draws do not depend on the chunking"
    ),
    ("dml.neighbors", "dml.cluster"): (
        "algorithm='ivf' builds its inverted lists with dml's KMeans (the lists are the rows "
        "closest to each centroid)"
    ),
    ("dml.impute", "dml.preprocessing"): (
        "SimpleImputer's most_frequent / constant on string, object and category columns "
        "count values with the encoders' category-count pass and read columns with their reader"
    ),
    ("dml.ensemble", "dml.compose"): (
        "HistGradientBoosting's categorical_features encode the categorical columns with a "
        "ColumnTransformer placed first, as scikit-learn's _preprocess_X does"
    ),
    ("dml.ensemble", "dml.preprocessing"): (
        "HistGradientBoosting's categorical columns are ordinal-encoded by dml's OrdinalEncoder "
        "(one category pass for Dask input), as scikit-learn's estimator uses its OrdinalEncoder"
    ),
    ("dml.compose", "dml.preprocessing"): (
        "ColumnTransformer's 'passthrough' parts run as dml's one-to-one FunctionTransformer "
        "(as scikit-learn's run as its FunctionTransformer), which passes Dask columns through lazily"
    ),
}


# ------------------------------------------------------------------ import reading


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported dml / sklearn module (or module.name)
    names: tuple  # names imported by ``from target import ...``
    lineno: int
    top_level: bool  # runs when the module is imported (not in a function)
    type_only: bool  # under ``if TYPE_CHECKING:``


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node, top_level=True, type_only=False):
    """Yield ``(import node, top_level, type_only)`` for every import under ``node``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, top_level, type_only
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _walk(child, False, type_only)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), top_level, True)
            for stmt in child.orelse:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), top_level, type_only)
        else:
            yield from _walk(child, top_level, type_only)


def _imports(name, path):
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node, top, typed in _walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append(Import(name, alias.name, (), node.lineno, top, typed))
            continue
        target = node.module or ""
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join(base + ([target] if target else []))
        out.append(Import(name, target, tuple(a.name for a in node.names), node.lineno, top, typed))
    return out


@pytest.fixture(scope="module")
def modules():
    return _modules()


@pytest.fixture(scope="module")
def imports(modules):
    return [imp for name, path in modules.items() for imp in _imports(name, path)]


def _within(module, prefix):
    return module == prefix or module.startswith(prefix + ".")


def _layer(module):
    """The layer key of a dml module: a LAYER_ALLOWED key, a family, or an application."""
    for key in sorted(LAYER_ALLOWED, key=len, reverse=True):
        if _within(module, key):
            return key
    for family in FAMILIES:
        if _within(module, family):
            return family
    for app in APPLICATIONS:
        if _within(module, app):
            return "application"
    return None


def _dml_targets(imp, modules):
    """The dml modules an import loads: ``from pkg import sub`` is ``pkg.sub`` when
    that is a module, else ``pkg``."""
    if not _within(imp.target, "dml"):
        return []
    subs = [f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in modules]
    return subs or [imp.target]


# --------------------------------------------------------------------- the layers


def test_every_module_has_a_layer(modules):
    assert [m for m in modules if _layer(m) is None] == [], (
        "a new top-level package or module: give it a layer in tests/test_architecture.py"
    )


def test_lower_layers_import_only_what_they_may(imports, modules):
    bad = []
    for imp in imports:
        layer = _layer(imp.module)
        if layer not in LAYER_ALLOWED:
            continue
        for target in _dml_targets(imp, modules):
            if not any(_within(target, ok) for ok in LAYER_ALLOWED[layer] | {layer}):
                bad.append(
                    f"{imp.module}:{imp.lineno} imports {target} "
                    f"({layer} may import {sorted(LAYER_ALLOWED[layer]) or 'no dml module'})"
                )
    assert bad == []


def test_no_layer_imports_an_application(imports, modules):
    bad = [
        f"{imp.module}:{imp.lineno} imports {t}"
        for imp in imports
        if _layer(imp.module) != "application"
        for t in _dml_targets(imp, modules)
        if _layer(t) == "application" and t != "dml"
    ]
    assert bad == []


def _family_allowed(source, target):
    return any((src == "*" or _within(source, src)) and _within(target, dst) for src, dst in FAMILY_ALLOWED)


def test_families_import_each_other_only_through_the_allow_list(imports, modules):
    bad, used = [], set()
    for imp in imports:
        source = _layer(imp.module)
        if source not in FAMILIES:
            continue
        for target in _dml_targets(imp, modules):
            family = _layer(target)
            if family in FAMILIES and family != source:
                if _family_allowed(imp.module, target):
                    used.update(
                        k
                        for k in FAMILY_ALLOWED
                        if (k[0] == "*" or _within(imp.module, k[0])) and _within(target, k[1])
                    )
                else:
                    bad.append(f"{imp.module}:{imp.lineno} imports {target}")
    assert bad == [], "families are side by side: see FAMILY_ALLOWED"
    # An entry nothing needs any more goes, so the list stays the truth.
    assert set(FAMILY_ALLOWED) - used == set()


def test_metrics_imports_no_other_family(imports, modules):
    bad = [
        f"{imp.module}:{imp.lineno} imports {t}"
        for imp in imports
        if _within(imp.module, "dml.metrics")
        for t in _dml_targets(imp, modules)
        if _layer(t) in FAMILIES and not _within(t, "dml.metrics")
    ]
    assert bad == []


# ------------------------------------------------------- scikit-learn's private names


def _private_part(dotted):
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split(".")[1:])


def _private_name(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_only_compat_imports_private_sklearn_names(imports):
    bad = []
    for imp in imports:
        if _within(imp.module, "dml._compat") or not _within(imp.target, "sklearn"):
            continue
        names = [n for n in imp.names if _private_name(n)]
        if _private_part(imp.target) or names:
            bad.append(f"{imp.module}:{imp.lineno}: {imp.target} {names or ''}".rstrip())
    assert bad == [], "route private scikit-learn names through dml/_compat/sklearn.py"


def _sklearn_aliases(tree):
    """Local names bound to scikit-learn modules or objects by the module's imports."""
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {(a.asname or a.name).split(".")[0] for a in node.names if _within(a.name, "sklearn")}
        elif isinstance(node, ast.ImportFrom) and _within(node.module or "", "sklearn"):
            aliases |= {a.asname or a.name for a in node.names}
    return aliases


def test_no_private_sklearn_attribute_outside_compat(modules):
    """``skm._scorer._MultimetricScorer`` or ``sklearn.utils._x`` reach private names
    without importing them; only dml/_compat may."""
    allowed = {"_parameter_constraints"}  # scikit-learn's developer API for validation
    bad = []
    for name, path in modules.items():
        if _within(name, "dml._compat"):
            continue
        tree = ast.parse(path.read_text())
        aliases = _sklearn_aliases(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and _private_name(node.attr)
                and node.attr not in allowed
            ):
                bad.append(f"{name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert bad == []


def _is_method(value):
    return inspect.isfunction(value) or isinstance(value, (staticmethod, classmethod, property))


def _dml_classes():
    for name in sorted(_modules()):
        if name == "dml.demo":
            continue
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and obj.__module__ == name:
                yield obj


def test_no_sklearn_private_method_is_overridden_or_called():
    """Subclasses of scikit-learn classes use their public API only: they neither
    redefine nor call (``self._x``) a private method of a scikit-learn base class
    (DESIGN: overriding scikit-learn's private methods breaks with each release)."""
    bad = []
    for cls in _dml_classes():
        sk = [k for k in cls.__mro__ if (k.__module__ or "").startswith("sklearn")]
        if not sk:
            continue
        # Methods only: class attributes such as ``_parameter_constraints`` (declared
        # by every estimator: scikit-learn's developer API) or those set by
        # ``__init_subclass__`` / ABCMeta are not methods.
        sk_private = {n for k in sk for n, v in vars(k).items() if _private_name(n) and _is_method(v)}
        own = [k for k in cls.__mro__ if (k.__module__ or "").startswith("dml")]
        own_names = {n for k in own for n in vars(k)}
        for klass in own:  # the class and its dml bases and mixins
            where = f"{klass.__module__}.{klass.__qualname__}"
            bad += [f"{where} overrides {n}" for n in sorted(set(vars(klass)) & sk_private)]
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
            bad += [
                f"{where} uses self.{node.attr}"
                for node in ast.walk(tree)
                if isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
                and node.attr in sk_private
                and node.attr not in own_names
            ]
    assert sorted(set(bad)) == [], (
        "a private method of a scikit-learn base class: use its public API or own code"
    )


# ------------------------------------------------------------------------- cycles


def _find_cycle(graph):
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_find_cycle_finds_cycles():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set(), "c": {"a"}}) is None


def test_no_import_cycle_between_dml_modules(imports, modules):
    graph = {name: set() for name in modules}
    for imp in imports:
        if imp.top_level and not imp.type_only:
            graph[imp.module].update(
                t for t in _dml_targets(imp, modules) if t in modules and t != imp.module
            )
    cycle = _find_cycle(graph)
    assert cycle is None, "module-level import cycle: " + " -> ".join(cycle or [])


# --------------------------------------------------------------------- docstrings


def _public_subpackages():
    names = ["dml"] + sorted(
        _module_name(p.parent) for p in PKG.glob("*/__init__.py") if not p.parent.name.startswith("_")
    )
    return names + ["dml.parallel"]


def _public_names():
    """``(qualified name, object)`` of every class and function in a public ``__all__``."""
    seen = {}
    for package in _public_subpackages():
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                seen.setdefault(f"{package}.{name}", obj)
    return sorted(seen.items())


def _public_methods(cls):
    """Public methods and properties defined by dml classes of ``cls``'s MRO (those
    inherited from scikit-learn are documented there)."""
    out = {}
    for klass in reversed(cls.__mro__):
        if not (klass.__module__ or "").startswith("dml"):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if inspect.isfunction(value) or isinstance(value, property):
                out[name] = value
    return out


def _has_examples(doc):
    return re.search(r"^\s*Examples\n\s*-{8,}\n", doc or "", re.MULTILINE) is not None


def test_public_names_and_methods_have_docstrings():
    missing = []
    for qualname, obj in _public_names():
        if not (obj.__doc__ or "").strip():
            missing.append(qualname)
        if inspect.isclass(obj):
            missing += [
                f"{qualname}.{m}" for m, v in _public_methods(obj).items() if not (v.__doc__ or "").strip()
            ]
    assert missing == []


def test_public_names_have_examples():
    """Every public class and function shows its use in an Examples section (run as a
    doctest by the suite: see test_examples_run_as_doctests)."""
    without = [q for q, obj in _public_names() if not _has_examples(obj.__doc__)]
    assert without == [], "give these an Examples section (it runs as a doctest)"


def test_examples_run_as_doctests():
    """Examples are only worth their name if CI runs them."""
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in options["addopts"]
    assert "dml" in options["testpaths"]
