"""Parameter scans over a grid of points, on any executor, with a crash-safe results store.

:func:`scan` evaluates a *point function* — a picklable function of keyword
parameters returning a dict of observables — at every point of a grid and
returns a tidy table: one row per point in grid order, one column per
parameter and per observable, and an ``error`` column.  The scan driver (the
calling process) submits points to an executor and writes each result to the
store as it arrives, so only the driver needs the store's file system.

Where the points run (executors, the local process pool, clusters) is
described in :mod:`workflows.runs.executors`; the modules that do the work
are :mod:`workflows.runs.grids` (grids checked, points in order),
:mod:`workflows.runs.point_runner` (points submitted, time limits, failures),
:mod:`workflows.runs.evaluation` (a point evaluated in its worker) and
:mod:`workflows.runs.payloads` (the point function sent to the workers).

Kwant systems in workers
------------------------
Building and finalizing a system is often as expensive as solving it once.
A point function should not build its system per point; use a
:class:`workflows.runs.recipes.SystemRecipe` (builder name and arguments) and
:func:`workflows.runs.recipes.finalized_system`, which finalizes each recipe at most
once per worker process.
"""

from __future__ import annotations

import collections
import concurrent.futures
import importlib.util
import json
import logging
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from systems.validation import boolean
from workflows.runs.executors import (
    SerialExecutor,
    describe_executor,
    process_pool,
    runs_in_process,
)
from workflows.runs.grids import grid_fingerprint, grid_points, grid_rows, sweep_axis, task_groups
from workflows.runs.main_guard import check_main_guard
from workflows.runs.point_runner import PointRunner, check_timeout
from workflows.runs.provenance import callable_fingerprint, run_provenance, utc_now
from workflows.runs.store import PointOutcome, ResultsStore

# SerialExecutor and process_pool (defined in executors) are re-exported: the executors
# of a scan, imported with it by workflows/__init__.py and the studies.
__all__ = [
    "SerialExecutor",
    "assemble_table",
    "process_pool",
    "progress_bar",
    "record_outcome",
    "report_failures",
    "run_session",
    "scan",
    "worker_hosts",
]

logger = logging.getLogger(__name__)


# -- progress --------------------------------------------------------------------------------


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, *args, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, initial: int, *, enabled: bool, desc: str):
    """A tqdm progress bar (a widget in Jupyter when ipywidgets is installed), or a no-op."""
    if not enabled:
        return _NoProgress()
    if importlib.util.find_spec("ipywidgets") is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TqdmExperimentalWarning about notebook mode
            from tqdm.auto import tqdm
    else:  # without ipywidgets tqdm.auto would warn and fall back to text anyway
        from tqdm.std import tqdm
    return tqdm(total=total, initial=initial, desc=desc, unit="pt", smoothing=0.1)


# -- the scan ----------------------------------------------------------------------------------


def _column(values: list[Any]) -> pd.Series:
    if any(isinstance(v, np.ndarray) for v in values):
        series = pd.Series([None] * len(values), dtype=object)
        for i, v in enumerate(values):
            series.iat[i] = v
        return series
    return pd.Series(values)


def assemble_table(frame: pd.DataFrame, outcomes: Mapping[int, PointOutcome]) -> pd.DataFrame:
    """Parameters, observables (order of first appearance in grid order) and ``error``."""
    n = len(frame)
    names: dict[str, None] = {}
    for i in range(n):
        outcome = outcomes.get(i)
        if outcome is not None and outcome.observables:
            names.update(dict.fromkeys(outcome.observables))
    table = frame.reset_index(drop=True).copy()
    for name in names:
        table[name] = _column(
            [
                outcomes[i].observables.get(name)
                if i in outcomes and outcomes[i].observables is not None
                else None
                for i in range(n)
            ]
        )
    table["error"] = pd.Series(
        [outcomes[i].error if i in outcomes else "not computed" for i in range(n)], dtype=object
    )
    return table


def report_failures(what: str, failed: dict[int, str], total: int) -> None:
    """Log a warning summarising failed points (no silent loss)."""
    if not failed:
        return
    first_index, first_error = next(iter(failed.items()))
    logger.warning(
        "%s: %d of %d points failed (first: point %d, %s); see the 'error' column",
        what,
        len(failed),
        total,
        first_index,
        first_error,
    )


def scan(
    point: Callable[..., Mapping[str, Any]],
    grid: Mapping[str, Any] | pd.DataFrame,
    *,
    executor: concurrent.futures.Executor | None = None,
    store: str | os.PathLike | None = None,
    progress: bool = True,
    retry_failed: bool = False,
    timeout: float | None = None,
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
    executor
        Any :class:`concurrent.futures.Executor` (e.g. :func:`process_pool`,
        :class:`SerialExecutor`, ``dask.distributed.Client.get_executor()``,
        ``mpi4py.futures.MPIPoolExecutor``).  Default: a local process pool
        sized to the machine (and to the number of points), with native
        threads pinned to one per worker, shut down when the scan ends.
    store
        Path of a SQLite results store (:mod:`workflows.runs.store`).  Every
        finished point is committed as it arrives; running the same scan again
        computes only the missing points.  A store made by another point
        function or grid is refused (:class:`workflows.runs.store.StoreMismatchError`).
    progress
        Show a progress bar (points done, failed, rate); False silences it.
    retry_failed
        Recompute points that the store holds as failed (by default they are
        kept, like any finished point).
    timeout
        Per-point wall-clock limit in seconds (None: no limit).  A point past
        it is recorded as failed with ``TimeoutError``; on the default pool
        (and any :func:`process_pool`) its worker is killed and replaced and
        the clock starts when a worker starts the point.  See
        :class:`workflows.runs.point_runner.PointRunner` for other executors.
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
    ``retry_failed=True``.  Failures of a foreign executor itself (e.g. a
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
    progress = boolean("progress", progress)
    timeout = check_timeout(timeout)
    if not runs_in_process(executor):
        check_main_guard("scan")
    frame = grid_points(grid)
    names = list(frame.columns)
    points = grid_rows(frame)
    axis = sweep_axis(point, grid, frame)
    fingerprint = callable_fingerprint(point)
    scan_sha256 = grid_fingerprint(names, points)
    description = f"{len(points)} points over ({', '.join(names)})"
    started = utc_now()
    extra = dict(provenance or {})
    try:
        json.dumps(extra)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"provenance must be JSON-serialisable (numbers, strings, lists, dicts), got "
            f"{extra!r} ({exc})"
        ) from None
    provenance = run_provenance(
        point=fingerprint["name"],
        point_sha256=fingerprint["sha256"],
        scan_sha256=scan_sha256,
        parameters=names,
        n_points=len(points),
        executor=describe_executor(None, None),  # replaced when a runner starts
        store=str(Path(store).resolve()) if store is not None else None,
        sweep_axis=axis,
    )
    clash = sorted(set(extra) & set(provenance))
    if clash:
        raise ValueError(
            f"provenance entries {clash} clash with the scan's own provenance; rename them"
        )
    provenance.update(extra)

    results: ResultsStore | None = None
    outcomes: dict[int, PointOutcome] = {}
    if store is not None:
        results = ResultsStore.open(
            store,
            kind="grid",
            point_name=fingerprint["name"],
            point_sha256=fingerprint["sha256"],
            scan_sha256=scan_sha256,
            parameters=names,
            description=description,
            points=points,
        )
        try:
            outcomes = results.finished(include_failed=not retry_failed)
        except BaseException:
            results.close()
            raise
    from_store = len(outcomes)
    pending = [i for i in range(len(points)) if i not in outcomes]
    failed = {i: o.error for i, o in sorted(outcomes.items()) if o.error is not None}
    tasks = task_groups(frame, axis, pending)

    def work(runner: PointRunner) -> None:
        bar = progress_bar(len(points), from_store, enabled=progress, desc="scan")
        if failed:
            bar.set_postfix(failed=len(failed))
        try:
            _run_pending(runner, points, tasks, axis, outcomes, results, bar, failed)
        finally:
            bar.close()

    runs = run_session(
        results,
        provenance,
        (lambda: PointRunner(point, executor, len(tasks), timeout)) if pending else None,
        work,
        lambda: {"computed": len(outcomes) - from_store, "failed": len(failed)},
    )
    table = assemble_table(frame, outcomes)
    failed = {i: o.error for i, o in sorted(outcomes.items()) if o.error is not None}
    report_failures("scan", failed, len(points))
    provenance.update(
        started=started,
        finished=utc_now(),
        n_computed=len(outcomes) - from_store,
        n_from_store=from_store,
        n_failed=len(failed),
        worker_hosts=worker_hosts(outcomes.values()),
    )
    if results is not None:
        provenance["runs"] = runs
    table.attrs["provenance"] = provenance
    table.attrs["failed"] = len(failed)
    return table


def run_session(
    results: ResultsStore | None,
    provenance: dict[str, Any],
    start_runner: Callable[[], PointRunner] | None,
    work: Callable[[PointRunner], None],
    summary: Callable[[], Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Run the points of a scan as one session; whatever happens, clean up.

    Shared by :func:`scan` and :func:`workflows.adaptive_scan`.  Starts the
    runner (``start_runner``; None when no point is left to compute) and
    records its executor in ``provenance``, records the session in the store,
    calls ``work(runner)``, then shuts the runner down (cancelling what is
    queued if ``work`` raised, e.g. on Ctrl-C), records ``summary()`` as the
    end of the session and closes the store, also after an error.

    Returns
    -------
    list of dict
        The store's sessions, oldest first (``id``, ``started``, ``finished``,
        ``host``, ``summary``); empty without a store.
    """
    runs: list[dict[str, Any]] = []
    runner: PointRunner | None = None
    try:
        if start_runner is not None:
            runner = start_runner()
            provenance["executor"] = runner.description
        try:
            if results is not None:
                results.begin_run(provenance)
            if runner is not None:
                work(runner)
        except BaseException:
            if runner is not None:
                runner.close(cancel=True)
            raise
        if runner is not None:
            runner.close()
    finally:
        if results is not None:
            try:
                results.end_run(summary())
                runs = [
                    {
                        "id": r["id"],
                        "started": r["started"],
                        "finished": r["finished"],
                        "host": r["provenance"].get("host"),
                        "summary": r["summary"],
                    }
                    for r in results.runs()
                ]
            finally:
                results.close()
    return runs


def worker_hosts(outcomes: Iterable[PointOutcome]) -> list[str]:
    """The hosts whose workers evaluated ``outcomes``, sorted."""
    return sorted({o.worker.rsplit(":", 1)[0] for o in outcomes if o.worker})


def _run_pending(runner, points, tasks, axis, outcomes, results, bar, failed) -> None:
    """Keep the executor busy with pending tasks; store and collect each outcome.

    ``tasks`` are lists of point indices: single points, or (with ``axis``)
    groups evaluated together along that axis.  A group that fails as a whole
    (one error for all its points: its worker died, it ran out of time, or the
    sweep raised) is not recorded: each of its points goes again on its own,
    so that a fault costs only the point that causes it.
    """
    queue = collections.deque(tasks)
    alone: set[int] = set()  # points of failed groups, evaluated one by one
    in_flight: set[concurrent.futures.Future] = set()
    window = runner.window(len(tasks))
    while True:
        while queue and len(in_flight) < window:
            task = queue.popleft()
            try:
                if axis is None or task[0] in alone:
                    in_flight.add(runner.submit(task[0], points[task[0]]))
                else:
                    in_flight.add(runner.submit_sweep(axis, task, [points[i] for i in task]))
            except Exception as exc:  # e.g. a broken process pool: report, never lose the point
                for index in task:
                    record_outcome(
                        runner.failed_submission(index, exc), results, outcomes, bar, failed
                    )
        if not in_flight:
            return
        done, in_flight = runner.wait(in_flight)
        for future in done:
            finished = runner.outcomes(future)
            if _failed_as_a_whole(finished):
                alone.update(outcome.index for outcome in finished)
                queue.extend([outcome.index] for outcome in finished)
                continue
            for outcome in finished:
                record_outcome(outcome, results, outcomes, bar, failed)


def _failed_as_a_whole(finished: list[PointOutcome]) -> bool:
    """Whether a group of several points failed with one error shared by all of them."""
    errors = {outcome.error for outcome in finished}
    return len(finished) > 1 and None not in errors and len(errors) == 1


def record_outcome(
    outcome: PointOutcome,
    results: ResultsStore | None,
    outcomes: dict[int, PointOutcome],
    bar,
    failed: dict[int, str],
    params: Mapping[str, Any] | None = None,
) -> None:
    """Store one finished point (unless it is an executor failure), collect it, count it.

    ``params`` are the point's parameters, needed by adaptive stores only.
    """
    if results is not None and outcome.persist:
        results.record(outcome, params)
    outcomes[outcome.index] = outcome
    if outcome.error is not None:
        failed[outcome.index] = outcome.error
        bar.set_postfix(failed=len(failed), refresh=False)
    bar.update(1)
