"""The README opens with its two commands and lists exactly dml's estimators."""

import re
from pathlib import Path

from dml.utils import all_estimators

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    block = README.split("```")[1].strip().splitlines()
    assert block == ["python3 tasks.py demo", "python3 tasks.py test"]


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert "python3 tasks.py test" in ci


def test_estimator_table_matches_all_estimators():
    section = README.split("<!-- estimators:start -->")[1].split("<!-- estimators:end -->")[0]
    rows = [line for line in section.strip().splitlines()[2:] if line.startswith("|")]
    listed = {
        re.split(r"\s*\|\s*", row.strip("| "))[0]: re.split(r"\s*\|\s*", row.strip("| "))[1] for row in rows
    }
    actual = {name: cls.__module__.rsplit(".", 1)[0] for name, cls in all_estimators()}
    assert listed == actual
