"""The Aharonov–Bohm notebook runs top to bottom with small parameters (its cells assert
agreement with plain Kwant, period and phase rigidity, the fall of the visibility with
dephasing and temperature, the surviving h/2e average and four-terminal reciprocity)."""


def test_aharonov_bohm_notebook(run_notebook):
    run_notebook("aharonov_bohm.ipynb")
