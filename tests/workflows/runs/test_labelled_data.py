"""A grid scan's table as an xarray.Dataset: coordinates, units, provenance, NetCDF and zarr."""

from __future__ import annotations

import functools
import json

import kwant
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import systems
import workflows
from analysis import chain_barrier_transmission
from workflows.runs.labelled_data import (
    append_zarr,
    from_dataset,
    read_dataset,
    to_dataset,
    write_dataset,
)

UNITS = {"V": "t", "energy": "t", "G": "e²/h", "t": "1"}


@functools.lru_cache
def barrier_chain():
    return systems.chain(1).finalized()


def barrier_point(V: float, energy: float) -> dict:
    """A one-site barrier: G (e²/h), the complex amplitude t = S_10 and the vector (T, R)."""
    if V == 2.0 and energy == 3.0:
        raise ValueError("this point fails on purpose")
    fsyst = barrier_chain()
    params = {**systems.NEUTRAL_PARAMS, "V": V}
    amplitude = complex(kwant.smatrix(fsyst, energy, params=params).submatrix(1, 0)[0, 0])
    G = workflows.conductance_matrix(fsyst, energy, params={"V": V})
    T = abs(amplitude) ** 2
    return {"G": float(-G[1, 0]), "t": amplitude, "TR": np.array([T, 1 - T])}


GRID = {"V": [0.5, 1.0, 2.0], "energy": [0.5, 1.0, 2.0, 3.0]}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    frame = workflows.scan(
        barrier_point,
        GRID,
        run=workflows.RunOptions(executor=workflows.SerialExecutor(), progress=False),
    )
    frame.attrs["units"] = UNITS
    return frame


def test_a_2d_grid_scan_becomes_a_dataset_over_its_axes(table):
    dataset = to_dataset(table)
    assert list(dataset.dims)[:2] == ["V", "energy"]  # the scan's order, first axis slowest
    assert dataset["V"].values.tolist() == GRID["V"]
    assert dataset["energy"].values.tolist() == GRID["energy"]
    assert dataset["G"].dims == ("V", "energy") and dataset["G"].attrs["units"] == "e²/h"
    assert dataset["energy"].attrs["units"] == "t"
    assert dataset["TR"].dims == ("V", "energy", "TR_dim_0")
    assert dataset["t_real"].attrs["complex_part"] == "real"
    assert dataset["t_imag"].attrs["complex_of"] == "t"
    # closed form of the one-site barrier: T = 1 / (1 + (V / (2 t sin k))²); rounding only
    V, E = np.meshgrid(GRID["V"], GRID["energy"], indexing="ij")
    expected = np.stack([chain_barrier_transmission(e, v) for v, e in zip(V, E, strict=True)])
    expected[2, 3] = np.nan  # the failed point
    np.testing.assert_allclose(dataset["G"].values, expected, atol=1e-10)
    modulus = dataset["t_real"].values ** 2 + dataset["t_imag"].values ** 2
    np.testing.assert_allclose(modulus, expected, atol=1e-10)
    np.testing.assert_allclose(dataset["TR"].values.sum(axis=-1)[~np.isnan(expected)], 1.0)
    assert dataset["error"].values[2, 3] == "ValueError: this point fails on purpose"
    assert (dataset["error"].values != "").sum() == 1
    provenance = json.loads(dataset.attrs["provenance"])
    assert provenance["parameters"] == ["V", "energy"]
    assert provenance["point_sha256"] == table.attrs["provenance"]["point_sha256"]


@pytest.mark.parametrize("format", ["netcdf", "zarr"])
def test_a_2d_grid_scan_round_trips_with_units_and_provenance(table, tmp_path, format):
    dataset = to_dataset(table)
    path = write_dataset(dataset, tmp_path / f"results.{format}", format)
    back = read_dataset(path)
    assert np.iscomplexobj(back["t"].values) and "t_real" not in back
    np.testing.assert_array_equal(
        back["t"].values, table["t"].to_numpy(dtype=complex).reshape(3, 4)
    )
    xr.testing.assert_equal(back.drop_vars("t"), from_dataset(dataset).drop_vars("t"))
    for name in ("G", "t", "energy", "V"):
        assert back[name].attrs["units"] == UNITS[name]
    provenance = back.attrs["provenance"]
    assert provenance["parameters"] == ["V", "energy"]
    assert provenance["n_failed"] == 1 and back.attrs["failed"] == 1
    assert provenance["environment"]["kwant"] == kwant.__version__
    assert back["error"].values[2, 3].startswith("ValueError")


def test_points_that_are_not_a_full_grid_lie_along_one_point_dimension():
    frame = pd.DataFrame({"a": [0.0, 1.0, 1.0], "b": [0.0, 0.0, 1.0], "x": [1.0, 2.0, 3.0]})
    dataset = to_dataset(frame, axes=["a", "b"], units={"x": "t"})
    assert dataset["x"].dims == ("point",) and dataset["b"].values.tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match=r"attrs\['provenance'\]\['parameters'\]"):
        to_dataset(frame)
    frame["x"] = [np.zeros(2), np.zeros(3), np.zeros(2)]
    with pytest.raises(ValueError, match="observable 'x' holds arrays of different shapes"):
        to_dataset(frame, axes=["a", "b"])


def test_append_zarr_adds_the_missing_slabs_and_refuses_another_scan(table, tmp_path):
    dataset = to_dataset(table)
    path = tmp_path / "grown.zarr"
    assert append_zarr(dataset.isel(V=slice(0, 1)), path) == 1
    assert append_zarr(dataset, path) == 2
    assert append_zarr(dataset, path) == 0  # nothing new
    xr.testing.assert_equal(read_dataset(path), from_dataset(dataset))
    other = dataset.assign_coords(energy=dataset["energy"].values + 1)
    with pytest.raises(ValueError, match="another scan's results"):
        append_zarr(other, path)
