"""The noise / thermoelectrics / heat notebook runs top to bottom with small parameters."""

from __future__ import annotations


def test_noise_and_thermoelectrics_notebook_runs(run_notebook):
    notebook = run_notebook("noise_and_thermoelectrics.ipynb")
    outputs = [
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]
    assert any("max deviation from the coth formula" in text for text in outputs)
    assert any("entropy production" in text for text in outputs)
