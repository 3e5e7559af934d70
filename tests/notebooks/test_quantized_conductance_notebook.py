"""The quantized-conductance notebook runs top to bottom with small parameters."""


def test_quantized_conductance_notebook_runs(run_notebook):
    run_notebook("quantized_conductance.ipynb")
