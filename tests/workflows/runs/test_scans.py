"""workflows.scan: grids, failures, executors (process pool, dask), provenance, progress."""

from __future__ import annotations

import functools
import logging
import os
import sys
import time

import cloudpickle
import numpy as np
import pandas as pd
import pytest
import threadpoolctl

import workflows
from analysis import chain_barrier_transmission
from workflows.runs.recipes import SystemRecipe, finalized_system
from workflows.runs.scans import SerialExecutor, grid_points

# The point functions below must reach worker processes, which cannot import this
# test module (pytest imports it by path): send them by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

BARRIER_CHAIN = SystemRecipe("chain", {"length": 1})


def barrier_transmission(energy: float, V: float) -> dict:
    """T(E) of a one-site barrier, computed by Kwant through the recipe cache."""
    G = workflows.conductance_matrix(finalized_system(BARRIER_CHAIN), energy, params={"V": V})
    return {"T": workflows.two_terminal_conductance(G), "G00": G[0, 0]}


def fragile(x: int, label: str) -> dict:
    if x == 2 and label == "b":
        raise ZeroDivisionError("x=2 is cursed")
    return {"square": x * x, "tag": f"{label}{x}"}


def worker_identity(i: int, recipe: SystemRecipe) -> dict:
    fsyst = finalized_system(recipe)
    return {
        "pid": os.getpid(),
        "finalized": finalized_system.cache_info().misses,
        "sites": fsyst.graph.num_nodes,
        "blas_threads": max(pool["num_threads"] for pool in threadpoolctl.threadpool_info()),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
    }


def test_grid_points_is_the_outer_product_first_axis_slowest():
    frame = grid_points({"a": [1, 2], "b": np.array([0.5, 1.5, 2.5]), "c": "x"})
    assert list(frame.columns) == ["a", "b", "c"]
    assert frame["a"].tolist() == [1, 1, 1, 2, 2, 2]
    assert frame["b"].tolist() == [0.5, 1.5, 2.5] * 2
    assert (frame["c"] == "x").all()
    points = pd.DataFrame({"E": [0.3, 0.1], "V": [1.0, 2.0]}, index=[7, 3])
    assert grid_points(points)["E"].tolist() == [0.3, 0.1]  # rows kept in order, index reset


@pytest.mark.parametrize(
    ("grid", "error", "message"),
    [
        ({}, ValueError, "grid is empty"),
        ({"E": []}, ValueError, r"grid\['E'\] is empty"),
        ({"E": [0.1, object()]}, TypeError, r"grid\['E'\] contains"),
        ({"not valid": [1]}, ValueError, "valid Python identifier"),
        ({"error": [1]}, ValueError, "reserved"),
        ([("E", 1)], TypeError, "mapping of parameter name"),
        (pd.DataFrame({"E": []}), ValueError, "no rows"),
    ],
)
def test_bad_grids_are_refused_before_any_work(grid, error, message):
    calls = []
    with pytest.raises(error, match=message):
        workflows.scan(lambda **p: calls.append(p), grid, executor=SerialExecutor())
    assert calls == []


def test_scan_reproduces_the_analytic_barrier_transmission():
    energies = np.linspace(0.2, 3.8, 7)
    heights = [0.5, 2.0]
    table = workflows.scan(
        barrier_transmission,
        {"V": heights, "energy": energies},
        executor=SerialExecutor(),
        progress=False,
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
            executor=SerialExecutor(),
            progress=False,
        )
    failed = table[table["error"].notna()]
    assert failed[["x", "label"]].values.tolist() == [[2, "b"]]
    assert failed["error"].iloc[0] == "ZeroDivisionError: x=2 is cursed"
    assert np.isnan(failed["square"].iloc[0])
    ok = table[table["error"].isna()]
    assert ok["square"].tolist() == [x * x for x in [0, 0, 1, 1, 2, 3, 3]]
    assert table.attrs["failed"] == 1 and table.attrs["provenance"]["n_failed"] == 1
    assert "1 of 8 points failed" in caplog.text


def test_invalid_return_values_are_point_failures():
    def bad(x):
        return {"x": x} if x == 0 else ([x] if x == 1 else {"obj": object()})

    table = workflows.scan(bad, {"x": [0, 1, 2]}, executor=SerialExecutor(), progress=False)
    errors = table["error"].tolist()
    assert errors[0].startswith("ValueError: observable name 'x' clashes with a parameter")
    assert errors[1].startswith("TypeError: the point function must return a dict")
    assert errors[2].startswith("TypeError: observable 'obj' has type object")


def test_provenance_travels_with_the_table():
    table = workflows.scan(
        fragile, {"x": [1], "label": ["a"]}, executor=SerialExecutor(), progress=False
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
    workflows.scan(fragile, grid, executor=SerialExecutor(), progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "failed=1" in err and "pt/s" in err
    workflows.scan(fragile, grid, executor=SerialExecutor(), progress=False)
    assert capsys.readouterr().err == ""


def test_default_process_pool_finalizes_each_system_once_per_worker():
    recipe = SystemRecipe("wire", {"length": 6, "width": 3})
    table = workflows.scan(
        functools.partial(worker_identity, recipe=recipe), {"i": range(8)}, progress=False
    )
    assert table["error"].isna().all()
    assert table["sites"].eq(18).all()
    assert os.getpid() not in set(table["pid"])  # the points ran in worker processes
    # the finalized system is memoized per process: at most one build in each worker
    assert table.groupby("pid")["finalized"].max().le(1).all()
    # native thread pools pinned: one BLAS/OpenMP thread per worker process
    assert table["blas_threads"].eq(1).all() and table["OMP_NUM_THREADS"].eq("1").all()
    assert "SupervisedPool" in table.attrs["provenance"]["executor"]


def test_dask_local_cluster_gives_the_serial_result():
    distributed = pytest.importorskip("dask.distributed")
    import dask

    grid = {"V": [0.5, 1.5], "energy": [0.5, 1.0, 2.0]}
    serial = workflows.scan(barrier_transmission, grid, executor=SerialExecutor(), progress=False)
    # Worker processes forked from multiprocessing's fork server (which has mesoflow
    # imported) start in a fraction of the time of freshly spawned interpreters.
    workflows.runs.scans.worker_context()  # a fork server with mesoflow imported
    with (
        dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        table = workflows.scan(
            barrier_transmission, grid, executor=client.get_executor(), progress=False
        )
    pd.testing.assert_frame_equal(table, serial)
    assert "ClientExecutor (2 workers)" in table.attrs["provenance"]["executor"]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, complex(1, np.nan)])
def test_non_finite_grid_values_are_refused_before_any_work(bad):
    calls = []
    with pytest.raises(ValueError, match=r"grid\['x'\] contains .*: grid values must be finite"):
        workflows.scan(calls.append, {"x": [1.0, bad]}, executor=SerialExecutor())
    with pytest.raises(ValueError, match="must be finite"):
        workflows.scan(calls.append, pd.DataFrame({"x": [bad]}), executor=SerialExecutor())
    assert calls == []


def slow_point(s):
    time.sleep(s)
    return {"s2": s}


def test_a_serial_point_over_the_time_limit_is_recorded_as_failed():
    table = workflows.scan(
        slow_point, {"s": [0.0, 0.6]}, executor=SerialExecutor(), timeout=0.3, progress=False
    )
    assert table["error"][0] is None
    assert table["error"][1].startswith("TimeoutError: the point ran 0.6")
