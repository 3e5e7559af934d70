"""The Wannier90-to-conductance notebook runs top to bottom with small parameters."""


def test_wannier90_to_conductance_notebook_runs(run_notebook):
    run_notebook("wannier90_to_conductance.ipynb")
