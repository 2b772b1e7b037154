"""``ruff check`` and ``ruff format --check`` (configured in pyproject.toml) pass on dml,
tests and benchmarks."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _ruff():
    """The ruff executable of this environment (the ``test`` extra installs it)."""
    pytest.importorskip("ruff")
    from ruff.__main__ import find_ruff_bin

    try:
        return find_ruff_bin()
    except FileNotFoundError:
        found = shutil.which("ruff", path=str(pathlib.Path(sys.executable).parent))
        if found is None:
            pytest.skip("the ruff package is installed without its executable")
        return found


def test_ruff_check():
    proc = subprocess.run(
        [_ruff(), "check", "--no-cache", "--output-format", "concise", "dml", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format():
    proc = subprocess.run(
        [_ruff(), "format", "--check", "--no-cache", "dml", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
