#!/usr/bin/env python3
"""Set up and run dml's main job, tests or benchmarks with nothing but Python 3.

    python3 tasks.py demo    # create .venv, install dml[demo], run python -m dml.demo
    python3 tasks.py test    # create .venv, install dml[test], run the whole test suite
    python3 tasks.py bench   # create .venv, install dml[test,bench], run the benchmarks
    python3 tasks.py docs    # create .venv, install dml[test,docs], build the HTML docs
                             # (warnings are errors) into docs/_build/html

Extra arguments after the task name go to the program (pytest, the demo, the
benchmarks or sphinx-build). The virtual environment is reinstalled only when
pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
EXTRAS = {"demo": "demo", "test": "test", "bench": "test,bench", "docs": "test,docs"}


def _python():
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_env(extras):
    if not _python().exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extras.replace(',', '-')}-{digest}"
    if stamp.exists():
        return
    py = str(_python())
    subprocess.run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    print(f"installing dml[{extras}] into {VENV}", flush=True)
    subprocess.run([py, "-m", "pip", "install", "-q", "-e", f"{ROOT}[{extras}]"], check=True)
    stamp.touch()


def main(argv):
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    task, rest = argv[0], argv[1:]
    ensure_env(EXTRAS[task])
    py = str(_python())
    if task == "demo":
        cmd = [py, "-m", "dml.demo", *rest]
    elif task == "test":
        cmd = [py, "-m", "pytest", *rest]
    elif task == "docs":
        cmd = [py, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html"]
        cmd += rest
    else:
        cmd = [py, "-m", "benchmarks", *rest]
    return subprocess.run(cmd, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
