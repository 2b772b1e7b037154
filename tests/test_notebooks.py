"""The notebooks in notebooks/ are executed by the suite (fresh kernel, no saved outputs)."""

from pathlib import Path

import pytest

from tests.notebook_outputs import stderr_outputs, text_outputs

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_quickstart_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOKS / "quickstart.ipynb", as_version=4)
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    outputs = text_outputs(nb)
    # No warnings or text progress bars: nothing on the cells' stderr.
    stderr = stderr_outputs(nb)
    assert not stderr, stderr
    assert "Dashboard:" in outputs and "max |coef difference|" in outputs
