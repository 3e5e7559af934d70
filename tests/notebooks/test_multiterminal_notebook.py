"""The multi-terminal notebook runs top to bottom with small parameters (its cells assert
the quantum Hall plateaus, reciprocity and the Joule heat)."""


def test_multiterminal_notebook(run_notebook):
    run_notebook("multiterminal.ipynb")
