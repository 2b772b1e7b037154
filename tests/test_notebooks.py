"""The notebooks in notebooks/ are executed by the suite (fresh kernel, no saved outputs)."""

from pathlib import Path

import pytest

from tests.notebook_outputs import run_notebook

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_quickstart_notebook_runs():
    outputs, _ = run_notebook(NOTEBOOKS / "quickstart.ipynb")
    assert "Dashboard:" in outputs and "max |coef difference|" in outputs
