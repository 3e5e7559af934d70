"""The dephasing-probe notebook runs top to bottom with small parameters."""

from __future__ import annotations


def test_dephasing_notebook_runs(run_notebook):
    notebook = run_notebook("dephasing.ipynb")
    outputs = [
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]
    assert any("localization length" in text for text in outputs)
