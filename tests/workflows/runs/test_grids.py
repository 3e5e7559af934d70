"""Scan grids: outer products and tables of points, refused before any work when invalid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workflows
from workflows.runs.executors import SerialExecutor
from workflows.runs.grids import grid_points
from workflows.runs.options import RunOptions


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
        workflows.scan(
            lambda **p: calls.append(p),
            grid,
            run=RunOptions(executor=SerialExecutor()),
        )
    assert calls == []


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, complex(1, np.nan)])
def test_non_finite_grid_values_are_refused_before_any_work(bad):
    calls = []
    with pytest.raises(ValueError, match=r"grid\['x'\] contains .*: grid values must be finite"):
        workflows.scan(
            calls.append,
            {"x": [1.0, bad]},
            run=RunOptions(executor=SerialExecutor()),
        )
    with pytest.raises(ValueError, match="must be finite"):
        workflows.scan(
            calls.append,
            pd.DataFrame({"x": [bad]}),
            run=RunOptions(executor=SerialExecutor()),
        )
    assert calls == []
