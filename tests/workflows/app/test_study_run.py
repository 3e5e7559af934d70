"""Running a TOML study: labelled N-d outputs (NetCDF, zarr) and a resumed study's zarr store."""

from __future__ import annotations

import contextlib
import textwrap

import numpy as np
import pytest
import xarray as xr

from analysis import chain_barrier_transmission
from workflows.app import study_run
from workflows.app.study_run import run_study
from workflows.runs.labelled_data import read_dataset

GRID_STUDY = """
name = "barrier_grid"

[system]
builder = "chain"
length = 1

[grid]
energy = {start = 0.5, stop = 3.5, num = 4}
V = [0.5, 1.0, 2.0]

[[observables]]
kind = "conductance"
name = "G"
"""


@pytest.fixture
def study_path(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(textwrap.dedent(GRID_STUDY))
    return path


def test_a_2d_study_writes_netcdf_with_units_and_provenance(study_path, tmp_path):
    table = run_study(
        study_path, output=tmp_path / "nc", workers=1, progress=False, format="netcdf"
    )
    dataset = read_dataset(tmp_path / "nc" / "results.nc")
    assert dataset["G"].dims == ("energy", "V")
    E, V = np.meshgrid(dataset["energy"].values, dataset["V"].values, indexing="ij")
    # closed form of the one-site barrier (rounding only)
    np.testing.assert_allclose(dataset["G"].values, chain_barrier_transmission(E, V), atol=1e-10)
    assert dataset["G"].attrs["units"] == "e²/h"
    assert dataset["energy"].attrs["units"] == "t" and dataset["V"].attrs["units"] == "t"
    study = dataset.attrs["provenance"]["study"]
    assert study["fingerprint"] == table.attrs["provenance"]["study"]["fingerprint"]
    assert (dataset["error"].values == "").all()


def test_a_resumed_study_appends_to_its_zarr_store(
    study_path, tmp_path, monkeypatch, interrupt_after
):
    """Interrupted after two of four energies and one point of the third, the zarr store
    holds the two finished slabs; the resumed run appends the other two, and the store equals
    the one of a run that was never interrupted."""
    whole = tmp_path / "whole"
    run_study(study_path, output=whole, workers=1, progress=False, format="zarr")

    @contextlib.contextmanager
    def interrupted(*_):
        yield interrupt_after(7)  # two energies done, the third begun

    output = tmp_path / "resumed"
    with monkeypatch.context() as patch:
        patch.setattr(study_run, "_executor", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run_study(study_path, output=output, workers=1, progress=False, format="zarr")
    partial = read_dataset(output / "results.zarr")
    assert partial.sizes["energy"] == 2 and partial.attrs["provenance"]["interrupted"] is True
    table = run_study(study_path, output=output, workers=1, progress=False, format="zarr")
    assert table.attrs["provenance"]["n_from_store"] == 7
    resumed = read_dataset(output / "results.zarr")
    xr.testing.assert_equal(resumed, read_dataset(whole / "results.zarr"))
    assert resumed["G"].attrs["units"] == "e²/h"
    assert resumed.attrs["provenance"]["n_computed"] == 5
    E, V = np.meshgrid(resumed["energy"].values, resumed["V"].values, indexing="ij")
    np.testing.assert_allclose(resumed["G"].values, chain_barrier_transmission(E, V), atol=1e-10)


def test_force_removes_a_zarr_store_of_another_study(study_path, tmp_path):
    output = tmp_path / "out"
    run_study(study_path, output=output, workers=1, progress=False, format="zarr")
    study_path.write_text(study_path.read_text().replace("num = 4", "num = 2"))
    table = run_study(
        study_path, output=output, workers=1, progress=False, format="zarr", force=True
    )
    assert read_dataset(output / "results.zarr").sizes["energy"] == 2 == table["energy"].nunique()


def test_an_unknown_format_is_refused(study_path, tmp_path):
    with pytest.raises(ValueError, match="format must be 'csv', 'netcdf' or 'zarr', got 'hdf'"):
        run_study(study_path, output=tmp_path / "x", format="hdf")
    assert not (tmp_path / "x").exists()
