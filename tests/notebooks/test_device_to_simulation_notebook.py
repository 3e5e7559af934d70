"""The "from device to simulation" notebook runs top to bottom with small parameters."""


def test_device_to_simulation_notebook_runs(run_notebook):
    run_notebook("device_to_simulation.ipynb")
