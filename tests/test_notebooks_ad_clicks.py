"""notebooks/ad_clicks.ipynb runs from top to bottom, and its corrected probabilities
match the click rate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.notebook_outputs import run_notebook

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "ad_clicks.ipynb"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ad_clicks_notebook_runs():
    outputs, _ = run_notebook(NOTEBOOK, timeout=240, clear_outputs=True)
    assert "correction_: intercept" in outputs
    rate = float(re.search(r"click rate\s+([0-9.]+)", outputs).group(1))
    corrected = float(re.search(r"mean corrected q\s+([0-9.]+)", outputs).group(1))
    raw = float(re.search(r"mean uncorrected p\s+([0-9.]+)", outputs).group(1))
    assert abs(corrected / rate - 1) < 0.05 and raw > 10 * rate
    ne = [float(v) for v in re.findall(r"NE ([0-9.]+)", outputs)]
    assert len(ne) == 3 and abs(ne[1] / ne[0] - 1) < 0.01 and ne[2] > 1
