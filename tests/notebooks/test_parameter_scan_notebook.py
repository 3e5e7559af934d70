"""The parameter-scan notebook runs top to bottom in quick mode."""


def test_parameter_scan_notebook(run_notebook):
    run_notebook("parameter_scan.ipynb")
