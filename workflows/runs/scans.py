"""Parameter scans over a grid of points, on any executor, with a crash-safe results store.

:func:`scan` evaluates a *point function* — a picklable function of keyword
parameters returning a dict of observables — at every point of a grid and
returns a tidy table: one row per point in grid order, one column per
parameter and per observable, and an ``error`` column.  The scan driver (the
calling process) submits points to an executor and writes each result to the
store as it arrives, so only the driver needs the store's file system.

``scan`` is the grid sampler (:class:`workflows.runs.samplers.GridSampler`)
of the one run driver, :func:`workflows.runs.driver.drive`, which keeps the
store, the session, the provenance and the failure record for every sampler.
Where the points run (executors, the local process pool, clusters) is
described in :mod:`workflows.runs.executors`; how, in
:class:`workflows.runs.options.RunOptions`.

Kwant systems in workers
------------------------
Building and finalizing a system is often as expensive as solving it once.
A point function should not build its system per point; use a
:class:`workflows.runs.recipes.SystemRecipe` (builder name and arguments) and
:func:`workflows.runs.recipes.finalized_system`, which finalizes each recipe at most
once per worker process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from workflows.runs.driver import drive
from workflows.runs.executors import SerialExecutor, process_pool
from workflows.runs.options import RunOptions
from workflows.runs.samplers import GridSampler

# SerialExecutor and process_pool (defined in executors) are re-exported: the executors
# of a scan, imported with it by workflows/__init__.py and the studies.
__all__ = ["SerialExecutor", "process_pool", "scan"]


def scan(
    point: Callable[..., Mapping[str, Any]],
    grid: Mapping[str, Any] | pd.DataFrame,
    *,
    run: RunOptions | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Evaluate ``point`` at every point of ``grid``, in parallel, resumably.

    Parameters
    ----------
    point
        A picklable function of keyword parameters (one per grid axis)
        returning a dict of observables: numbers, booleans, strings or numeric
        arrays.  Fixed arguments can be bound with :func:`functools.partial`.
        It should get its Kwant system from
        :func:`workflows.runs.recipes.finalized_system` rather than build it per point.
    grid
        A mapping ``name -> values`` (outer product, first axis slowest) or a
        DataFrame whose rows are the points; see :func:`workflows.runs.grids.grid_points`.
    run
        How the points run (:class:`workflows.runs.options.RunOptions`):
        ``executor`` (default: a local process pool sized to the machine and to
        the number of points, with native threads pinned to one per worker,
        shut down when the scan ends), ``store`` (a SQLite results store,
        :mod:`workflows.runs.store`: every finished point is committed as it
        arrives, running the same scan again computes only the missing points,
        and a store of another point function or grid is refused with
        :class:`workflows.runs.store.StoreMismatchError`), ``progress``
        (default: shown), ``timeout`` (per point, s: a point past it is
        recorded as failed with ``TimeoutError``; on the default pool its
        worker is killed and replaced, see
        :class:`workflows.runs.point_runner.PointRunner`) and ``retry_failed``
        (recompute the points the store holds as failed).
    provenance
        Further JSON-serialisable entries of the run's provenance, e.g. a
        study's name and settings (``{"study": {"name": ..., "settings":
        ...}}``); recorded in ``attrs["provenance"]`` and in the store next
        to the scan's own entries (whose names they may not reuse).

    Returns
    -------
    pandas.DataFrame
        One row per point in grid order: the parameters, the observables
        (NaN/None where a point failed) and ``error`` (None, or
        ``"ExceptionType: message"``).  ``attrs["provenance"]`` records the
        point function and its fingerprint, the parameters, versions, solver,
        git revision, host, executor, timestamps and the store's sessions;
        ``attrs["failed"]`` the number of failed points.

    Notes
    -----
    A failing point never stops the scan: its error is recorded (in the table
    and the store, with the traceback), the other points complete, and a
    warning is logged with the number of failures.  On the default pool a
    point whose worker dies (a segfault, ``os._exit``, the out-of-memory
    killer) is recorded as failed with the cause (``"WorkerDied: worker died:
    exit code 3"``, ``"... killed by signal SIGSEGV ..."``) and the worker is
    replaced; the other points are unaffected.  Such failures are stored like
    any other, so a point that kills its worker is not tried again unless
    ``RunOptions(retry_failed=True)``.  Failures of a foreign executor itself (e.g. a
    broken ``ProcessPoolExecutor``) are reported but not stored, so the next
    run retries them.

    *Sweep dispatch.*  A point function that can evaluate a whole axis at
    once offers ``sweep_axis(axes)`` (given the grid's axes, name -> values,
    it names the axis, or None) and ``sweep_points(axis, values, **others)``
    (the observables of every value), e.g. with :func:`workflows.sweep`,
    which solves the system once for all values of a flux or a local gate.
    For a grid given as a mapping, ``scan`` then submits one task per point
    of the other axes (see :func:`workflows.runs.evaluation.evaluate_sweep`),
    still stores and returns one row per point (a resumed scan evaluates only the missing values),
    and records the axis as ``provenance["sweep_axis"]``; ``timeout``
    applies per point, i.e. a group of n points may take n × ``timeout``.
    A group that fails as a whole (its worker died, it ran out of time, or
    ``sweep_points`` raised) is not recorded: each of its points is evaluated
    again on its own (``point(**params)``), so that a fault costs only the
    point that causes it.  TOML studies (:func:`workflows.runs.study.run_study`) use it for every
    Kwant-parameter axis along which the reduced sweep applies.
    """
    if not callable(point):
        raise TypeError(f"point must be a function of keyword parameters, got {point!r}")
    return drive(point, GridSampler(point, grid), run=run, provenance=provenance, what="scan")
