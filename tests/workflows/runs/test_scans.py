"""workflows.scan: grids, failures, executors (process pool, dask), provenance, progress."""

from __future__ import annotations

import logging
import os
import sys

import cloudpickle
import numpy as np
import pandas as pd
import pytest

import analysis
import workflows
from analysis import chain_barrier_transmission
from workflows.runs.executors import SerialExecutor
from workflows.runs.options import RunOptions
from workflows.runs.recipes import SystemRecipe, finalized_system

# The point functions below must reach worker processes, which cannot import this
# test module (pytest imports it by path): send them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

BARRIER_CHAIN = SystemRecipe("chain", {"length": 1})


def barrier_transmission(energy: float, V: float) -> dict:
    """T(E) of a one-site barrier, computed by Kwant through the recipe cache."""
    G = workflows.conductance_matrix(finalized_system(BARRIER_CHAIN), energy, params={"V": V})
    return {"T": analysis.two_terminal_conductance(G), "G00": G[0, 0]}


def fragile(x: int, label: str) -> dict:
    if x == 2 and label == "b":
        raise ZeroDivisionError("x=2 is cursed")
    return {"square": x * x, "tag": f"{label}{x}"}


def test_scan_reproduces_the_analytic_barrier_transmission():
    energies = np.linspace(0.2, 3.8, 7)
    heights = [0.5, 2.0]
    table = workflows.scan(
        barrier_transmission,
        {"V": heights, "energy": energies},
        run=RunOptions(executor=SerialExecutor(), progress=False),
    )
    assert list(table.columns) == ["V", "energy", "T", "G00", "error"]
    assert table["error"].isna().all() and table.attrs["failed"] == 0
    expected = chain_barrier_transmission(table["energy"].to_numpy(), table["V"].to_numpy())
    # single-site barrier: T = 1/(1 + (V/(2t sin k))²); Kwant is exact up to rounding
    np.testing.assert_allclose(table["T"], expected, atol=1e-10)
    np.testing.assert_allclose(table["G00"], table["T"], atol=1e-10)  # G_00 = N - R = T


def test_a_failing_point_is_recorded_and_the_others_complete(caplog):
    with caplog.at_level(logging.WARNING, logger="workflows.runs.scans"):
        table = workflows.scan(
            fragile,
            {"x": range(4), "label": ["a", "b"]},
            run=RunOptions(executor=SerialExecutor(), progress=False),
        )
    failed = table[table["error"].notna()]
    assert failed[["x", "label"]].values.tolist() == [[2, "b"]]
    assert failed["error"].iloc[0] == "ZeroDivisionError: x=2 is cursed"
    assert np.isnan(failed["square"].iloc[0])
    ok = table[table["error"].isna()]
    assert ok["square"].tolist() == [x * x for x in [0, 0, 1, 1, 2, 3, 3]]
    assert table.attrs["failed"] == 1 and table.attrs["provenance"]["n_failed"] == 1
    assert "1 of 8 points failed" in caplog.text


def test_provenance_travels_with_the_table():
    table = workflows.scan(
        fragile,
        {"x": [1], "label": ["a"]},
        run=RunOptions(executor=SerialExecutor(), progress=False),
    )
    provenance = table.attrs["provenance"]
    assert provenance["point"] == f"{__name__}.fragile"
    assert len(provenance["point_sha256"]) == 64
    assert provenance["parameters"] == ["x", "label"]
    environment = provenance["environment"]
    assert environment["kwant"] == "1.5.0"
    assert environment["mesoflow"]
    assert environment["solver"] in ("MUMPS", "SciPy")
    assert "git_revision" in provenance and provenance["host"]
    assert provenance["started"] <= provenance["finished"]
    assert provenance["executor"].endswith("SerialExecutor (1 worker)")


def test_progress_bar_reports_failures_and_can_be_silenced(capsys):
    grid = {"x": range(3), "label": ["b"]}
    workflows.scan(
        fragile,
        grid,
        run=RunOptions(executor=SerialExecutor(), progress=True),
    )
    err = capsys.readouterr().err
    assert "3/3" in err and "failed=1" in err and "pt/s" in err
    workflows.scan(
        fragile,
        grid,
        run=RunOptions(executor=SerialExecutor(), progress=False),
    )
    assert capsys.readouterr().err == ""


def test_dask_local_cluster_gives_the_serial_result():
    distributed = pytest.importorskip("dask.distributed")
    import dask

    grid = {"V": [0.5, 1.5], "energy": [0.5, 1.0, 2.0]}
    serial = workflows.scan(
        barrier_transmission,
        grid,
        run=RunOptions(executor=SerialExecutor(), progress=False),
    )
    # Worker processes forked from multiprocessing's fork server (which has mesoflow
    # imported) start in a fraction of the time of freshly spawned interpreters.
    workflows.runs.executors.worker_context()  # a fork server with mesoflow imported
    with (
        dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        table = workflows.scan(
            barrier_transmission,
            grid,
            run=RunOptions(executor=client.get_executor(), progress=False),
        )
    pd.testing.assert_frame_equal(table, serial)
    assert "ClientExecutor (2 workers)" in table.attrs["provenance"]["executor"]


class _FragileSweep:
    """A point function with sweep dispatch along ``x`` whose sweep breaks on a bad value.

    ``x = 3`` is the bad value: alone it raises (or kills its worker), and any sweep
    that contains it does the same for the whole group.
    """

    def __init__(self, die: bool = False):
        self.die = die

    def _bad(self):
        if self.die:
            os._exit(3)  # the worker dies with the point
        raise ValueError("x = 3 is not allowed")

    def __call__(self, *, x: int, y: int) -> dict:
        if x == 3:
            self._bad()
        return {"z": 10 * y + x}

    def sweep_axis(self, axes):
        return "x"

    def sweep_points(self, axis, values, *, y):
        if 3 in values:
            self._bad()
        return [{"z": 10 * y + x} for x in values]


def _check_only_the_bad_point_failed(table):
    bad = table["x"] == 3
    assert table.loc[bad, "error"].notna().all()
    assert table.loc[~bad, "error"].isna().all(), table["error"].tolist()
    good = table[~bad]
    assert (good["z"] == 10 * good["y"] + good["x"]).all()


def test_a_group_that_fails_as_a_whole_is_retried_point_by_point():
    # The sweep over x raises for the group y = 0 (it contains x = 3); the scan
    # evaluates that group's points again one by one, so only x = 3 fails.
    table = workflows.scan(
        _FragileSweep(),
        {"x": [1, 2, 3, 4], "y": [0, 1]},
        run=RunOptions(executor=SerialExecutor(), progress=False),
    )
    assert table.attrs["provenance"]["sweep_axis"] == "x"
    assert table.attrs["failed"] == 2  # x = 3 at y = 0 and y = 1
    _check_only_the_bad_point_failed(table)
    assert table.loc[table["x"] == 3, "error"].str.startswith("ValueError").all()


def test_a_group_whose_worker_dies_costs_only_the_point_that_kills_it():
    with workflows.process_pool(2) as pool:
        table = workflows.scan(
            _FragileSweep(die=True),
            {"x": [1, 2, 3, 4], "y": [0]},
            run=RunOptions(executor=pool, progress=False),
        )
    _check_only_the_bad_point_failed(table)
    assert table.loc[table["x"] == 3, "error"].str.contains("worker died").all()
