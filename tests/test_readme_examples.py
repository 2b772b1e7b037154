"""Every ```python block of the README and the user guide runs as a script in a fresh process.

Each block is self-contained: it imports and builds what it uses, so a reader can paste it
into a file and run it with ``.venv/bin/python script.py``.

The one rule for not running a block: a line ``<!-- no-run -->`` right before its opening
fence. It is for blocks that need what a test machine does not have: a remote cluster
(``tcp://...``, ``tls://...`` addresses) or files such as certificates (``ca.pem``).
``test_blocks_needing_the_outside_world_are_marked`` keeps the rule honest in both
directions: such blocks must carry the marker, and every marked block must need it.
"""

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
# The README and every guide; the architecture notes hold signatures, not scripts.
DOCS = ["README.md"] + sorted(
    f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md") if p.name not in {"architecture.md"}
)
NO_RUN = "<!-- no-run -->"
# What a block needs from outside a test machine: a remote scheduler, or a file on disk.
OUTSIDE = re.compile(r"\b(?:tcp|tls|ucx|wss?)://|\.pem\b|\.crt\b|\.key\b")
FENCE = re.compile(r"^```python\s*$")


def _blocks():
    """(file, line number of the fence, marked no-run, source) of every ```python block."""
    found = []
    for name in DOCS:
        path = ROOT / name
        if not path.exists():
            continue
        lines = path.read_text().splitlines()
        i = 0
        while i < len(lines):
            if FENCE.match(lines[i]):
                start = i
                marked = i > 0 and lines[i - 1].strip() == NO_RUN
                i += 1
                body = []
                while i < len(lines) and not lines[i].startswith("```"):
                    body.append(lines[i])
                    i += 1
                found.append((name, start + 1, marked, "\n".join(body) + "\n"))
            i += 1
    return found


BLOCKS = _blocks()
RUNNABLE = [pytest.param(src, id=f"{name}:{line}") for name, line, marked, src in BLOCKS if not marked]


def _resolve(dotted):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_migration_guide_names_exist():
    """Every dml name the dask-ml migration guide's tables give as an equivalent exists."""
    guide = (ROOT / "docs" / "migrating_from_dask_ml.md").read_text()
    public = {}
    import pkgutil

    import dml

    subpackages = [m.name for m in pkgutil.iter_modules(dml.__path__) if not m.name.startswith("_")]
    for sub in [s for s in subpackages if s != "demo"]:
        module = importlib.import_module(f"dml.{sub}")
        public.update({name: f"dml.{sub}.{name}" for name in module.__all__})
    checked, header = 0, None
    for row in guide.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if not row.startswith("|"):
            header = None
            continue
        if header is None:
            header = cells
        if header[:2] != ["dask-ml", "dml"] or not row.startswith("| `") and not row.startswith("| (none)"):
            continue
        for token in re.findall(r"`([^`]+)`", cells[1]):
            token = token.removesuffix("()")
            if token.startswith("dml."):
                assert callable(_resolve(token)), token
            else:
                assert token in public, f"{token!r} (in {row[:60]!r}...) is not a public dml name"
            checked += 1
    assert checked >= 40


def test_blocks_were_found():
    assert len(RUNNABLE) >= 10


def test_blocks_needing_the_outside_world_are_marked():
    for name, line, marked, src in BLOCKS:
        needs_outside = bool(OUTSIDE.search(src))
        assert marked == needs_outside, f"{name}:{line}: " + (
            f"needs a remote address or a file: put {NO_RUN} on the line before the fence"
            if needs_outside
            else f"runs anywhere: remove the {NO_RUN} marker"
        )


@pytest.mark.slow
@pytest.mark.timeout(200)
@pytest.mark.parametrize("source", RUNNABLE)
def test_block_runs_as_a_script(source, tmp_path):
    script = tmp_path / "script.py"
    script.write_text(source)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr[-4000:]}"
    )
    # The README example is the first thing a user runs: its model must be a real one.
    for value in re.findall(r"accuracy: ([0-9.]+)", proc.stdout):
        assert float(value) > 0.9, proc.stdout
