"""The non-equilibrium distributions notebook runs top to bottom with small parameters."""

from __future__ import annotations


def test_nonequilibrium_distributions_notebook_runs(run_notebook):
    notebook = run_notebook("nonequilibrium_distributions.ipynb")
    outputs = [
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]
    assert any("bound-state weight" in text for text in outputs)
    assert any("max relative deviation from Wiedemann–Franz" in text for text in outputs)
    assert any("entropy production" in text for text in outputs)
