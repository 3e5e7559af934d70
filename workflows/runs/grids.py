"""Scan grids: axes and their values checked, the points in scan order, tasks, fingerprint.

A grid is a mapping ``name -> values`` (the outer product of the axes) or a
DataFrame of points.  Every name must be a keyword argument of the point
function and every value a finite number, a boolean or a string: checked here,
before any point runs.
"""

from __future__ import annotations

import hashlib
import itertools
import keyword
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from workflows.runs.store import encode_json

__all__ = [
    "RESERVED_COLUMNS",
    "check_name",
    "fixed_parameters",
    "grid_fingerprint",
    "grid_points",
    "grid_rows",
    "grid_value",
    "plain_scalar",
    "sweep_axis",
    "task_groups",
]

#: Column names a scan reserves for itself.
RESERVED_COLUMNS = frozenset({"error", "status"})


def check_name(name: Any, what: str) -> str:
    """``name`` if it can be a keyword argument of the point function and a column, else raise."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(
            f"{what} name {name!r} must be a valid Python identifier (a keyword "
            "argument of the point function)"
        )
    if name in RESERVED_COLUMNS:
        raise ValueError(f"{what} name {name!r} is reserved for the scan's own column")
    return name


def fixed_parameters(params: Mapping[str, Any] | None, axis: str) -> dict[str, Any]:
    """The fixed keyword arguments of a one-axis run (plain scalars), checked against ``axis``."""
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of fixed keyword arguments, got {params!r}")
    fixed = {check_name(k, "parameter"): grid_value(k, v) for k, v in params.items()}
    if axis in fixed:
        raise ValueError(f"{axis!r} is the scanned axis; it cannot also be a fixed parameter")
    return fixed


NOT_SCALAR = object()


def plain_scalar(value: Any) -> Any:
    """``value`` as a plain Python bool, str, int, float or complex, else ``NOT_SCALAR``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, numbers.Complex):
        return complex(value)
    return NOT_SCALAR


def grid_value(name: str, value: Any) -> Any:
    """A grid value as a plain Python scalar (bool, int, float, complex or str); finite."""
    scalar = plain_scalar(value)
    if scalar is not NOT_SCALAR:
        if isinstance(scalar, float | complex) and not np.isfinite(scalar):
            raise ValueError(
                f"grid[{name!r}] contains {scalar!r}: grid values must be finite numbers "
                "(NaN or infinity would only fail later, point by point)"
            )
        return scalar
    raise TypeError(
        f"grid[{name!r}] contains {value!r} of type {type(value).__name__}: grid values must be "
        "numbers, booleans or strings (pass fixed non-scalar arguments through the point "
        "function, e.g. with functools.partial)"
    )


def _axis_values(name: str, values: Any) -> list[Any]:
    if isinstance(values, str | numbers.Number | np.generic):
        return [grid_value(name, values)]
    if isinstance(values, np.ndarray):
        if values.ndim == 0:
            return [grid_value(name, values[()])]
        if values.ndim != 1:
            raise ValueError(f"grid[{name!r}] must be one-dimensional, got shape {values.shape}")
    if not isinstance(values, Iterable):
        raise TypeError(
            f"grid[{name!r}] must be a sequence of values (or one value), got {values!r}"
        )
    values = [grid_value(name, v) for v in values]
    if not values:
        raise ValueError(f"grid[{name!r}] is empty: give at least one value")
    return values


def grid_points(grid: Mapping[str, Any] | pd.DataFrame) -> pd.DataFrame:
    """The points of a scan grid as a table, one row per point in scan order.

    Parameters
    ----------
    grid
        Either a mapping ``name -> values`` (the outer product of the axes, the
        first axis varying slowest, like ``numpy.meshgrid(..., indexing="ij")``
        flattened; a single value is an axis of length one), or a DataFrame
        whose rows are the points (its index is ignored).

    Returns
    -------
    pandas.DataFrame
        One column per parameter, one row per point, index 0 … n − 1.

    Raises
    ------
    TypeError
        If ``grid`` is neither, or a value is not a number, boolean or string.
    ValueError
        If the grid or an axis is empty, or a name is not a valid identifier.
    """
    if isinstance(grid, pd.DataFrame):
        if grid.shape[1] == 0:
            raise ValueError("grid has no columns: give one column per scanned parameter")
        if len(grid) == 0:
            raise ValueError("grid has no rows: give at least one point")
        for name in grid.columns:
            check_name(name, "grid column")
        if grid.columns.duplicated().any():
            raise ValueError(f"grid has duplicated columns {list(grid.columns)}")
        for name in grid.columns:
            for value in grid[name]:
                grid_value(name, value)
        return grid.reset_index(drop=True)
    if not isinstance(grid, Mapping):
        raise TypeError(
            f"grid must be a mapping of parameter name -> values or a DataFrame of points, "
            f"got {type(grid).__name__}"
        )
    if not grid:
        raise ValueError("grid is empty: give at least one parameter axis, e.g. {'energy': [...]}")
    axes = {check_name(name, "grid parameter"): _axis_values(name, v) for name, v in grid.items()}
    rows = list(itertools.product(*axes.values()))
    columns = {name: [row[i] for row in rows] for i, name in enumerate(axes)}
    return pd.DataFrame(columns)


def grid_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The points of a grid table as keyword arguments (plain Python scalars), in order."""
    names = list(frame.columns)
    return [
        {name: grid_value(name, value) for name, value in zip(names, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def grid_fingerprint(names: list[str], points: list[dict[str, Any]]) -> str:
    """SHA-256 of the parameter names and the points in order (a store's identity of a grid)."""
    text = encode_json({"names": names, "points": [[p[n] for n in names] for p in points]})
    return hashlib.sha256(text.encode()).hexdigest()


def sweep_axis(
    point: Any, grid: Mapping[str, Any] | pd.DataFrame, frame: pd.DataFrame
) -> str | None:
    """The grid axis that ``point`` evaluates as a whole (its ``sweep_axis``), or None.

    A point function may offer two methods: ``sweep_axis(axes)`` — given the
    grid's axes (name -> list of values) it names one axis whose values it can
    evaluate together, or None — and ``sweep_points(axis, values, **others)``,
    returning the observables of every value.  Only grids given as a mapping
    (an outer product) are dispatched.
    """
    if isinstance(grid, pd.DataFrame):
        return None
    choose = getattr(point, "sweep_axis", None)
    if not callable(choose) or not callable(getattr(point, "sweep_points", None)):
        return None
    axes = {name: list(dict.fromkeys(frame[name].tolist())) for name in frame.columns}
    axis = choose(axes)
    if axis is None:
        return None
    if axis not in axes:
        raise ValueError(f"point.sweep_axis named {axis!r}, which is not an axis of the grid")
    return axis


def task_groups(frame: pd.DataFrame, axis: str | None, pending: list[int]) -> list[list[int]]:
    """The pending points as tasks: one per point, or one per point of the axes but ``axis``."""
    if axis is None:
        return [[index] for index in pending]
    others = [name for name in frame.columns if name != axis]
    waiting = set(pending)
    if not others:
        return [[index for index in range(len(frame)) if index in waiting]]
    groups = []
    for indices in frame.groupby(others, sort=False).indices.values():
        group = [int(i) for i in indices if int(i) in waiting]
        if group:
            groups.append(group)
    return groups
