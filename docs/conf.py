"""Sphinx configuration: the API reference from the docstrings (autosummary + numpydoc), the
user guide (docs/*.md, MyST) and the notebooks (notebooks/*.ipynb as stored, never executed
here: the test suite executes them).

    python3 tasks.py docs     # sphinx-build -W --keep-going -b html docs docs/_build/html
"""

import importlib
import pkgutil
import re
import shutil
import sys
from pathlib import Path

from sphinx.util import logging

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document this checkout's dml, whatever the environment has

import dml  # noqa: E402

logger = logging.getLogger(__name__)

project = "dml"
copyright = "dml developers"
release = version = dml.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",  # MyST Markdown (docs/*.md) and notebooks; includes myst_parser
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "**.ipynb_checkpoints",
    "api.md",  # tools/api_docs.py's plain-Markdown summary; api.rst is the reference here
]

# API reference: api.rst lists the names, autosummary writes one page per name into
# generated/ (ignored by git), numpydoc renders the docstrings' sections.
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False  # the class template lists the members; this would repeat them

# Notebooks are rendered as stored.
nb_execution_mode = "off"

# MyST: headings get anchors so that "page.md#section" links resolve.
myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = f"dml {release}"
html_show_sourcelink = False


def _skip_foreign_member(app, what, name, obj, skip, options):
    """Document the methods dml defines (its own base classes included), not those inherited
    from scikit-learn or object: their docstrings point into scikit-learn's documentation."""
    if what != "class" or skip:
        return skip
    target = getattr(obj, "fget", obj)  # properties
    target = getattr(target, "__func__", target)  # class and static methods
    return None if (getattr(target, "__module__", None) or "").startswith("dml") else True


# A name with a trailing underscore (``coef_``, ``n_features_in_``) written without backticks
# in a docstring's prose or types ("ndarray of shape (n_features_in_,)", as scikit-learn's
# docstrings write it) reads to reStructuredText as a reference to a missing hyperlink target,
# an error. The attribute is what is meant: escape the underscore outside code and literals.
_LITERAL = re.compile(r"(``.+?``|`[^`]*`_{0,2})")
_TRAILING = re.compile(r"(?<![\\\w])([A-Za-z]\w*?[A-Za-z0-9])_(?![\w`])")
_FIELD = re.compile(r"^(\s*[\w*\\, ]+ : )(.*)$")  # "name : type": the name is numpydoc's


def _escape(text):
    parts = _LITERAL.split(text)
    parts[::2] = [_TRAILING.sub(r"\1\\_", part) for part in parts[::2]]
    return "".join(parts)


def _escape_trailing_underscores(app, what, name, obj, options, lines):
    literal_indent = None  # indentation of the "::" line whose literal block we are in
    doctest = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None and stripped and indent <= literal_indent:
            literal_indent = None
        doctest = stripped.startswith(">>>") or (doctest and bool(stripped))
        if literal_indent is None and not doctest and stripped:
            field = _FIELD.match(line)
            lines[i] = field[1] + _escape(field[2]) if field else _escape(line)
        if literal_indent is None and stripped.endswith("::"):
            literal_indent = indent


def _check_api_lists_every_name(app):
    """api.rst must list every public name: dml's own and each subpackage's ``__all__`` (a name
    that is the same object as a listed one, as dml.parallel_backend, counts as listed). Pages
    autosummary generated for names no longer listed are removed (they would be orphans)."""
    listed, module, in_autosummary = {}, "dml", False
    for line in (DOCS / "api.rst").read_text().splitlines():
        if line.strip() and not line.startswith(" "):  # a new block
            in_autosummary = line.startswith(".. autosummary::")
            if line.startswith(".. currentmodule::"):
                module = line.split("::")[1].strip()
        elif in_autosummary and line.strip() and not line.strip().startswith(":"):
            name = line.strip()
            listed[f"{module}.{name}"] = id(getattr(importlib.import_module(module), name))
    packages = [dml] + [
        importlib.import_module(f"dml.{info.name}")
        for info in pkgutil.iter_modules(dml.__path__)
        if not info.name.startswith("_") and info.name != "demo"
    ]
    documented = set(listed.values())
    for package in packages:
        for name in getattr(package, "__all__", []):
            if name != "__version__" and id(getattr(package, name)) not in documented:
                logger.warning(f"docs/api.rst does not list {package.__name__}.{name}")
    for page in (DOCS / "generated").glob("*.rst"):
        if page.stem not in listed:
            page.unlink()


def _copy_notebooks(app):
    """Sphinx reads only under docs/: copy notebooks/ into docs/notebooks/ (ignored by git).
    copy2 keeps the mtimes, so an unchanged notebook is not read again."""
    dest = DOCS / "notebooks"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy2(notebook, dest / notebook.name)


def setup(app):
    app.connect("builder-inited", _copy_notebooks)
    app.connect("builder-inited", _check_api_lists_every_name, priority=100)  # before autosummary
    app.connect("autodoc-skip-member", _skip_foreign_member)
    # before numpydoc's handler (priority 500) rewrites the sections
    app.connect("autodoc-process-docstring", _escape_trailing_underscores, priority=400)
