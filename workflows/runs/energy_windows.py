"""Thermal energy windows as a run: the window grid's energies, parallel, stored, resumable.

:func:`analysis.energy_grid.window_grid` samples X(E) (a transmission, a
conductance matrix) on an energy grid refined for one or several thermal
windows (μ, k_B T), one energy after the other, in the calling process.
:func:`window_scan` samples the same energies — the refinement rule is the
same object, :class:`analysis.energy_grid.WindowRefinement` — through the run
driver (:func:`workflows.runs.driver.drive` with an
:class:`workflows.runs.samplers.EnergyWindowSampler`): on any executor, every
energy committed to the results store as it finishes, a rerun computing only
the energies still missing.  :func:`window_values` turns its table into the
``(energies, values)`` pair of :func:`window_grid`, for
:func:`analysis.thermal.thermal_average` and :func:`analysis.landauer_moments`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.energy_grid import WindowRefinement
from workflows.runs.driver import drive
from workflows.runs.grids import check_name, fixed_parameters
from workflows.runs.options import RunOptions
from workflows.runs.samplers import EnergyWindowSampler
from workflows.runs.store import encode_json

__all__ = ["window_scan", "window_values"]


def window_scan(
    point: Callable[..., Mapping[str, Any]],
    windows: Iterable[tuple[float, float]],
    *,
    observable: str,
    axis: str = "energy",
    params: Mapping[str, Any] | None = None,
    tol: float = 1e-6,
    initial_points: int = 17,
    max_points: int = 2000,
    breakpoints: Iterable[float] = (),
    boxes: Iterable[tuple[float, float]] = (),
    run: RunOptions | None = None,
) -> pd.DataFrame:
    """Sample ``point`` on the energy grid of thermal windows, in parallel and resumably.

    Parameters
    ----------
    point
        A picklable function of keyword parameters (``axis`` and those of
        ``params``) returning a dict of observables, as for :func:`workflows.scan`.
    windows
        Pairs (μ, k_B T), energies in the unit of ``axis`` (e.g. t), k_B T > 0.
    observable
        The observable X(E) whose thermal integrals the grid must resolve: a
        number or a numeric array of the same shape at every energy.  Every
        observable the point returns is kept in the table.
    axis
        The point function's energy parameter.
    params
        Fixed keyword arguments of ``point`` (numbers, booleans, strings).
    tol, initial_points, max_points, breakpoints, boxes
        The refinement, as for :func:`analysis.energy_grid.window_grid` (the
        same rule: the same energies).  Exceeding ``max_points`` raises
        ``ValueError``; the energies computed so far stay in the store, and a
        rerun with a larger budget continues from them.
    run
        How the energies run (:class:`workflows.runs.options.RunOptions`), as
        for :func:`workflows.scan`.  With a ``store`` every energy is committed
        as it finishes and a rerun computes only the missing ones; a store of
        another point function, windows or settings is refused.

    Returns
    -------
    pandas.DataFrame
        One row per evaluated energy, sorted: the fixed parameters, ``axis``,
        the observables and ``error``.  ``attrs`` holds ``provenance`` (the
        windows and settings among it) and ``failed``.  See
        :func:`window_values` for the ``(energies, values)`` arrays.

    Notes
    -----
    A failing energy is recorded (``error``) and does not stop the others;
    the intervals next to it are not refined further (:func:`window_values`
    refuses such a table, naming the energies).
    """
    if not callable(point):
        raise TypeError(f"point must be a function of keyword parameters, got {point!r}")
    if not isinstance(observable, str) or not observable:
        raise TypeError(f"observable must be the name of an observable, got {observable!r}")
    axis = check_name(axis, "axis")
    fixed = fixed_parameters(params, axis)
    settings = dict(tol=tol, initial_points=initial_points, max_points=max_points)
    refinement = WindowRefinement(windows, **settings, breakpoints=breakpoints, boxes=boxes)
    identity = encode_json(
        {
            "windows": refinement.windows.tolist(),
            "tol": refinement.tol,
            "initial_points": refinement.initial_points,
            "breakpoints": refinement.breakpoints,
            "boxes": [list(box) for box in refinement.boxes],
            "observable": observable,
            "axis": axis,
            "params": fixed,
        }
    )
    sampler = EnergyWindowSampler(
        refinement, observable, axis=axis, fixed=fixed, identity_text=identity
    )
    table = drive(point, sampler, run=run, what="window_scan")
    table.attrs["provenance"]["n_points"] = len(table)
    return table


def window_values(
    table: pd.DataFrame, observable: str, *, axis: str = "energy"
) -> tuple[np.ndarray, np.ndarray]:
    """The ``(energies, values)`` of a :func:`window_scan` table, as :func:`window_grid` returns.

    Parameters
    ----------
    table
        A table of :func:`window_scan`.
    observable
        The observable to stack (X(E)).
    axis
        The energy column.

    Returns
    -------
    energies, values
        Sorted energies and X at each, shape ``(n, *X.shape)``.

    Raises
    ------
    ValueError
        If an energy failed (its grid is incomplete: the thermal integrals
        would be wrong), naming the first failures and their errors.
    """
    failed = table[table["error"].notna()]
    if len(failed):
        shown = ", ".join(
            f"{e:g} ({err})" for e, err in zip(failed[axis], failed["error"], strict=True)
        )
        raise ValueError(
            f"window_values: {len(failed)} energies failed, the grid is incomplete: {shown[:500]}"
        )
    if observable not in table.columns:
        raise ValueError(
            f"observable={observable!r} is not a column of the table; it has "
            f"{', '.join(map(repr, table.columns))}"
        )
    energies = table[axis].to_numpy(dtype=float)
    values = np.stack([np.asarray(v, dtype=float) for v in table[observable]])
    return energies, values
