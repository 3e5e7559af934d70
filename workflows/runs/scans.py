"""Parameter scans over a grid of points, on any executor, with a crash-safe results store.

:func:`scan` evaluates a *point function* — a picklable function of keyword
parameters returning a dict of observables — at every point of a grid and
returns a tidy table: one row per point in grid order, one column per
parameter and per observable, and an ``error`` column.  The scan driver (the
calling process) submits points to an executor and writes each result to the
store as it arrives, so only the driver needs the store's file system.

Executors
---------
By default the points run on a local process pool sized to the machine
(:func:`process_pool`); its workers pin the native thread pools (BLAS, OpenMP,
MUMPS) to one thread each, so that N workers use N cores instead of
oversubscribing them.  The pool is supervised (:mod:`workflows.runs.workers`): a
point that kills its worker or passes ``timeout`` costs only itself, and the
workers exit when the driver dies, even by SIGKILL.  Any
:class:`concurrent.futures.Executor` works:

* :class:`SerialExecutor` — in the calling process, one point after the other
  (debugging, profiling, tiny scans);
* a reusable :func:`process_pool` — create it once and pass it to many scans
  to pay the worker start-up (importing Kwant) only once;
* ``dask.distributed``: ``Client(...).get_executor()`` with a
  ``LocalCluster`` or any scheduler;
* ``mpi4py.futures.MPIPoolExecutor``.

Point functions defined in a script, a notebook or a module are all fine:
they are sent to the workers with :mod:`cloudpickle` (by reference when
importable, by value otherwise).  Scripts that use process-based executors
must guard their entry point with ``if __name__ == "__main__":`` (the main module is
imported again for the workers, as usual with :mod:`multiprocessing`).

Running on a cluster
--------------------
The driver is one small process that holds the store; the workers need only
the Python environment (the same mesoflow, Kwant and solver versions).

*SLURM with dask-jobqueue*::

    from dask.distributed import Client
    from dask_jobqueue import SLURMCluster

    cluster = SLURMCluster(cores=1, processes=1, memory="4GB", walltime="04:00:00")
    cluster.adapt(minimum_jobs=1, maximum_jobs=64)      # one worker per SLURM job
    with Client(cluster) as client:
        table = workflows.scan(point, grid, executor=client.get_executor(),
                               store="scan.sqlite")

Dask's workers start with ``OMP_NUM_THREADS=1`` (and the MKL/OpenBLAS
equivalents); request one core per worker.  Run the driver on the login node
or in its own small job; if it is killed, run it again with the same store and
it resumes.  (A local ``LocalCluster`` starts its workers faster from the fork
server: call :func:`worker_context` and set
``dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})``.)

*MPI with mpi4py.futures* (``srun -n 65 python -m mpi4py.futures run_scan.py``,
one rank is the driver)::

    from mpi4py.futures import MPIPoolExecutor

    if __name__ == "__main__":
        with MPIPoolExecutor() as pool:
            table = workflows.scan(point, grid, executor=pool, store="scan.sqlite")

Export ``OMP_NUM_THREADS=1`` (and ``OPENBLAS_NUM_THREADS=1``/``MKL_NUM_THREADS=1``)
in the job script.

Kwant systems in workers
------------------------
Building and finalizing a system is often as expensive as solving it once.
A point function should not build its system per point; use a
:class:`workflows.runs.recipes.SystemRecipe` (builder name and arguments) and
:func:`workflows.runs.recipes.finalized_system`, which finalizes each recipe at most
once per worker process.
"""

from __future__ import annotations

import ast
import concurrent.futures
import contextlib
import hashlib
import importlib.util
import itertools
import json
import keyword
import logging
import multiprocessing
import numbers
import os
import socket
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd
import threadpoolctl

from workflows.runs.provenance import callable_fingerprint, run_provenance, utc_now
from workflows.runs.store import PointOutcome, ResultsStore, encode_json
from workflows.runs.workers import SupervisedPool, WorkerDied

__all__ = [
    "PointRunner",
    "SerialExecutor",
    "available_cpus",
    "evaluate_point",
    "grid_points",
    "pin_native_threads",
    "process_pool",
    "scan",
    "worker_context",
]

logger = logging.getLogger(__name__)

#: Column names a scan reserves for itself.
RESERVED_COLUMNS = frozenset({"error", "status"})

#: Environment variables read by native thread pools when they start.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


# -- executors -----------------------------------------------------------------------------


class SerialExecutor(concurrent.futures.Executor):
    """An executor that runs each call at once, in the calling process.

    No parallelism and no pickling: useful for debugging a point function
    (tracebacks and breakpoints work as usual), for profiling, and for scans
    too small to repay starting worker processes.
    """

    def submit(self, fn, /, *args, **kwargs) -> concurrent.futures.Future:
        """Run ``fn(*args, **kwargs)`` now; return a finished future of its result or error."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future


def available_cpus() -> int:
    """Number of CPUs this process may run on (its affinity mask; cgroup/SLURM aware)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def pin_native_threads(threads: int = 1) -> None:
    """Limit the native thread pools of this process (BLAS, OpenMP, MUMPS) to ``threads``.

    Meant as a worker-process initializer: sets ``OMP_NUM_THREADS`` and its
    BLAS equivalents for libraries loaded later, and applies
    :func:`threadpoolctl.threadpool_limits` to those already loaded.
    """
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    threadpoolctl.threadpool_limits(limits=threads)


def _worker_start(threads: int, payload: bytes | None) -> None:
    """Initializer of :func:`process_pool` workers: pin threads, load the point function.

    The point function is loaded here (importing its modules), before the
    worker takes its first point, so that a scan's ``timeout`` never counts it.
    """
    pin_native_threads(threads)
    if payload is not None:
        key = hashlib.sha256(payload).hexdigest()
        _INSTALLED_POINTS[key] = payload
        with contextlib.suppress(Exception):  # a failure is reported with the first point
            _load_point(key)


def worker_context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context of scan workers: the fork server where available, else spawn.

    Workers are forked from multiprocessing's fork server, a clean single-threaded
    process (never a fork of a multi-threaded parent such as a Jupyter kernel or a
    dask client).  The server imports mesoflow (and so Kwant) once, when it starts
    with the first pool of the session, so later pools start their workers in
    milliseconds.  (This adds ``workflows`` to the fork server's preload list,
    next to the default ``__main__``.)
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["__main__", "workflows"])
        return context
    return multiprocessing.get_context("spawn")


def process_pool(max_workers: int | None = None, *, threads_per_worker: int = 1) -> SupervisedPool:
    """A local process pool for scans, with native threads pinned in every worker.

    It is a :class:`workflows.runs.workers.SupervisedPool`: each worker runs one
    point at a time, a worker that dies (segfault, ``os._exit``, out-of-memory
    kill) costs only the point it was running and is replaced, a point past
    the scan's ``timeout`` is stopped, and the workers exit within about a
    second when the calling process dies, even by SIGKILL.

    Parameters
    ----------
    max_workers
        Number of worker processes; default :func:`available_cpus`.
    threads_per_worker
        Native (BLAS/OpenMP/MUMPS) threads per worker; keep 1 unless the
        points are few and each is a large solve.

    Returns
    -------
    workflows.runs.workers.SupervisedPool
        A :class:`concurrent.futures.Executor`.  Use it as a context manager,
        and pass it to several scans to start the workers (and import Kwant in
        them) only once.
    """
    if max_workers is None:
        max_workers = available_cpus()
    if isinstance(max_workers, bool) or not isinstance(max_workers, numbers.Integral):
        raise TypeError(f"max_workers must be a positive integer, got {max_workers!r}")
    if max_workers < 1:
        raise ValueError(f"max_workers must be >= 1, got {max_workers}")
    if isinstance(threads_per_worker, bool) or not isinstance(threads_per_worker, numbers.Integral):
        raise TypeError(
            f"threads_per_worker must be a positive integer, got {threads_per_worker!r}"
        )
    if threads_per_worker < 1:
        raise ValueError(f"threads_per_worker must be >= 1, got {threads_per_worker}")
    return _pool(int(max_workers), int(threads_per_worker), None)


def _pool(max_workers: int, threads_per_worker: int, payload: bytes | None) -> SupervisedPool:
    """A process pool whose workers pin their threads and keep ``payload`` (a pickled point)."""
    return SupervisedPool(
        max_workers,
        mp_context=worker_context(),
        initializer=_worker_start,
        initargs=(threads_per_worker, payload),
    )


def _capacity(executor: concurrent.futures.Executor) -> int | None:
    """How many points the executor runs at once, if it can tell."""
    if isinstance(executor, SerialExecutor):
        return 1
    workers = getattr(executor, "_max_workers", None)  # ProcessPool/ThreadPool executors
    if isinstance(workers, int):
        return workers
    client = getattr(executor, "_client", None)  # dask.distributed ClientExecutor
    if client is not None:
        try:
            return int(sum(client.nthreads().values())) or None
        except Exception:
            return None
    return None


def _describe_executor(executor: concurrent.futures.Executor | None, capacity: int | None) -> str:
    if executor is None:
        return "none (all points from the store)"
    cls = type(executor)
    name = f"{cls.__module__}.{cls.__qualname__}"
    return f"{name} ({capacity} worker{'s' if capacity != 1 else ''})" if capacity else name


# -- grids -----------------------------------------------------------------------------------


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(
            f"{what} name {name!r} must be a valid Python identifier (a keyword "
            "argument of the point function)"
        )
    if name in RESERVED_COLUMNS:
        raise ValueError(f"{what} name {name!r} is reserved for the scan's own column")
    return name


_NOT_SCALAR = object()


def _plain_scalar(value: Any) -> Any:
    """``value`` as a plain Python bool, str, int, float or complex, else ``_NOT_SCALAR``."""
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
    return _NOT_SCALAR


def _grid_value(name: str, value: Any) -> Any:
    """A grid value as a plain Python scalar (bool, int, float, complex or str); finite."""
    scalar = _plain_scalar(value)
    if scalar is not _NOT_SCALAR:
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
        return [_grid_value(name, values)]
    if isinstance(values, np.ndarray):
        if values.ndim == 0:
            return [_grid_value(name, values[()])]
        if values.ndim != 1:
            raise ValueError(f"grid[{name!r}] must be one-dimensional, got shape {values.shape}")
    if not isinstance(values, Iterable):
        raise TypeError(
            f"grid[{name!r}] must be a sequence of values (or one value), got {values!r}"
        )
    values = [_grid_value(name, v) for v in values]
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
            _check_name(name, "grid column")
        if grid.columns.duplicated().any():
            raise ValueError(f"grid has duplicated columns {list(grid.columns)}")
        for name in grid.columns:
            for value in grid[name]:
                _grid_value(name, value)
        return grid.reset_index(drop=True)
    if not isinstance(grid, Mapping):
        raise TypeError(
            f"grid must be a mapping of parameter name -> values or a DataFrame of points, "
            f"got {type(grid).__name__}"
        )
    if not grid:
        raise ValueError("grid is empty: give at least one parameter axis, e.g. {'energy': [...]}")
    axes = {_check_name(name, "grid parameter"): _axis_values(name, v) for name, v in grid.items()}
    rows = list(itertools.product(*axes.values()))
    columns = {name: [row[i] for row in rows] for i, name in enumerate(axes)}
    return pd.DataFrame(columns)


def _points(frame: pd.DataFrame) -> list[dict[str, Any]]:
    names = list(frame.columns)
    return [
        {name: _grid_value(name, value) for name, value in zip(names, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _grid_fingerprint(names: list[str], points: list[dict[str, Any]]) -> str:
    text = encode_json({"names": names, "points": [[p[n] for n in names] for p in points]})
    return hashlib.sha256(text.encode()).hexdigest()


# -- evaluating one point ---------------------------------------------------------------------


def _observable_value(name: str, value: Any) -> Any:
    if value is None:
        return value
    scalar = _plain_scalar(value)
    if scalar is not _NOT_SCALAR:
        return scalar
    if isinstance(value, list | tuple):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _observable_value(name, value[()])
        if value.dtype.kind not in "biufc":
            raise TypeError(
                f"observable {name!r} is an array of dtype {value.dtype}: arrays must be numeric"
            )
        return np.array(value)
    raise TypeError(
        f"observable {name!r} has type {type(value).__name__}: observables must be numbers, "
        "booleans, strings, None or numeric NumPy arrays"
    )


def _observables(result: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(result, Mapping):
        raise TypeError(
            f"the point function must return a dict of observables, got {type(result).__name__}"
        )
    observables = {}
    for name, value in result.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"observable names must be non-empty strings, got {name!r}")
        if name in params or name in RESERVED_COLUMNS:
            raise ValueError(
                f"observable name {name!r} clashes with a "
                + ("parameter" if name in params else "column the scan reserves")
                + "; rename the observable"
            )
        observables[name] = _observable_value(name, value)
    return observables


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def evaluate_point(
    point: Callable[..., Any], index: int, params: Mapping[str, Any]
) -> PointOutcome:
    """Call ``point(**params)`` and capture its observables or its failure.

    An exception raised by the point function (or an invalid return value) is
    recorded in the outcome's ``error`` (``"ExceptionType: message"``) and
    ``traceback``; it does not propagate.  Nor does ``SystemExit`` (a point
    that calls ``sys.exit``): it fails that point only.
    """
    started = time.time()
    clock = time.perf_counter()
    try:
        observables = _observables(point(**params), params)
        error = tb = None
    except (Exception, SystemExit) as exc:
        observables = None
        error = f"{type(exc).__name__}: {exc}"
        tb = traceback.format_exc()
    return PointOutcome(
        index=index,
        observables=observables,
        error=error,
        traceback=tb,
        started=started,
        duration=time.perf_counter() - clock,
        worker=_worker_name(),
    )


def evaluate_sweep(
    point: Any, axis: str, indices: list[int], points: list[Mapping[str, Any]]
) -> list[PointOutcome]:
    """Evaluate the points ``points`` (equal but for ``axis``) with one ``point.sweep_points`` call.

    ``point.sweep_points(axis, values, **others)`` returns the observables of
    every value of ``axis`` (e.g. by :func:`workflows.sweep`: one solve for
    all of them).  An exception fails every point of the group; an invalid
    result fails its own point.  Each outcome gets an equal share of the time.
    """
    started = time.time()
    clock = time.perf_counter()
    others = {name: value for name, value in points[0].items() if name != axis}
    values = [params[axis] for params in points]
    errors: list[tuple[str | None, str | None]] = [(None, None)] * len(points)
    observables: list[dict[str, Any] | None] = [None] * len(points)
    try:
        results = list(point.sweep_points(axis, values, **others))
        if len(results) != len(points):
            raise ValueError(
                f"sweep_points returned {len(results)} results for {len(points)} values of {axis!r}"
            )
    except (Exception, SystemExit) as exc:
        errors = [(f"{type(exc).__name__}: {exc}", traceback.format_exc())] * len(points)
    else:
        for k, (result, params) in enumerate(zip(results, points, strict=True)):
            try:
                observables[k] = _observables(result, params)
            except Exception as exc:
                errors[k] = (f"{type(exc).__name__}: {exc}", traceback.format_exc())
    duration = (time.perf_counter() - clock) / len(points)
    worker = _worker_name()
    return [
        PointOutcome(
            index=index,
            observables=observables[k],
            error=errors[k][0],
            traceback=errors[k][1],
            started=started,
            duration=duration,
            worker=worker,
        )
        for k, index in enumerate(indices)
    ]


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


def _groups(frame: pd.DataFrame, axis: str | None, pending: list[int]) -> list[list[int]]:
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


#: Point functions sent once to the workers of a scan's own pool (by the initializer),
#: keyed by the hash of their pickle.  Per worker process; never used in the driver.
_INSTALLED_POINTS: dict[str, bytes] = {}
_LOADED_POINTS: dict[str, Callable[..., Any]] = {}


def _load_point(payload: bytes | str) -> Callable[..., Any]:
    key = payload if isinstance(payload, str) else hashlib.sha256(payload).hexdigest()
    point = _LOADED_POINTS.get(key)
    if point is None:
        data = _INSTALLED_POINTS[key] if isinstance(payload, str) else payload
        try:
            point = cloudpickle.loads(data)
        except Exception as exc:
            raise RuntimeError(
                f"the point function could not be loaded in worker {_worker_name()} "
                f"({type(exc).__name__}: {exc}); is its module importable there?"
            ) from exc
        if len(_LOADED_POINTS) >= 8:
            _LOADED_POINTS.clear()
        _LOADED_POINTS[key] = point
    return point


def _run_point(payload: bytes | str, index: int, params: dict[str, Any]) -> PointOutcome:
    """Worker-side task: load the (cached) point function and evaluate one point."""
    return evaluate_point(_load_point(payload), index, params)


def _run_sweep(
    payload: bytes | str, axis: str, indices: list[int], points: list[dict[str, Any]]
) -> list[PointOutcome]:
    """Worker-side task: load the (cached) point function and evaluate a group along ``axis``."""
    return evaluate_sweep(_load_point(payload), axis, indices, points)


class _PointPayload:
    """A pickled point function that is loaded (cached per worker) when the task is unpickled.

    Sent to a :class:`workflows.runs.workers.SupervisedPool`, whose workers start a
    point's clock only after unpickling it: loading the function (imports,
    first use) never counts against the scan's ``timeout``.
    """

    def __init__(self, payload: bytes | str):
        self.payload = payload

    def __reduce__(self):
        return (_load_point, (self.payload,))


def _pickled(point: Callable[..., Any]) -> bytes:
    try:
        return cloudpickle.dumps(point)
    except Exception as exc:
        raise TypeError(
            f"the point function {point!r} cannot be pickled for worker processes "
            f"({type(exc).__name__}: {exc}); make it picklable (e.g. build its Kwant system "
            "from a SystemRecipe inside it) or use SerialExecutor()"
        ) from exc


class PointRunner:
    """Submits points of one point function to an executor and collects their outcomes.

    Shared by :func:`scan` and :func:`workflows.adaptive_scan`.  With
    ``executor=None`` it owns a :func:`process_pool` of up to ``max_workers``
    workers (the point function is sent to each worker once) and shuts it
    down on :meth:`close`.

    Parameters
    ----------
    point
        The point function.
    executor
        Any executor, or None for an own local process pool.
    max_workers
        Upper bound on the own pool's size (e.g. the number of pending points).
    timeout
        Per-point wall-clock limit in seconds, or None.  On a
        :func:`process_pool` (the default) it counts from the moment a worker
        starts the point, and the worker is killed and replaced when it
        expires.  On any other executor it counts from submission (at most as
        many points as the executor has workers are submitted at once); the
        point is recorded as failed and its future cancelled, but a task that
        is already running goes on in its worker (that executor owns its
        workers).  In-process executors (:class:`SerialExecutor`, a thread
        pool) cannot interrupt a point: one that took longer than the limit
        is recorded as failed when it returns, so the table is the same on
        every executor.
    """

    def __init__(
        self,
        point: Callable[..., Any],
        executor: concurrent.futures.Executor | None,
        max_workers: int,
        timeout: float | None = None,
    ):
        self.point = point
        self.owned = executor is None
        self.timeout = timeout
        self._payload: bytes | str | None = None
        if executor is None:
            data = _pickled(point)
            executor = _pool(max(1, min(available_cpus(), max_workers)), 1, data)
            self._payload = hashlib.sha256(data).hexdigest()
        elif not isinstance(executor, concurrent.futures.Executor):
            raise TypeError(
                f"executor must be a concurrent.futures.Executor (e.g. a process pool or "
                f"dask's Client.get_executor()), got {type(executor).__name__}"
            )
        elif not isinstance(executor, SerialExecutor | concurrent.futures.ThreadPoolExecutor):
            self._payload = _pickled(point)  # in-process executors need no pickling
        self.executor = executor
        self.supervised = isinstance(executor, SupervisedPool)
        self.capacity = _capacity(executor)
        self.description = _describe_executor(executor, self.capacity)
        self._submitted: dict[concurrent.futures.Future, int] = {}
        self._deadlines: dict[concurrent.futures.Future, float] = {}
        self._expired: set[concurrent.futures.Future] = set()

    def window(self, pending: int) -> int:
        """How many points to keep submitted at once: enough to keep every worker busy."""
        if isinstance(self.executor, SerialExecutor):
            return 1
        if self.capacity is None:
            return max(1, pending)
        if self.timeout is not None and not self.supervised:
            return max(1, self.capacity)  # the clock starts at submission
        return max(1, 2 * self.capacity)

    def submit(self, index: int, params: dict[str, Any]) -> concurrent.futures.Future:
        """Submit one point; returns a future of its :class:`PointOutcome`."""
        if self._payload is None:
            fn, args = evaluate_point, (self.point, index, params)
        else:
            fn, args = _run_point, (self._payload, index, params)
        if self.supervised:
            point = _PointPayload(self._payload)  # loaded before the clock starts
            future = self.executor.submit_limited(
                self.timeout, evaluate_point, point, index, params
            )
        else:
            future = self.executor.submit(fn, *args)
            if self.timeout is not None:
                self._deadlines[future] = time.monotonic() + self.timeout
        self._submitted[future] = index
        return future

    def submit_sweep(
        self, axis: str, indices: list[int], points: list[dict[str, Any]]
    ) -> concurrent.futures.Future:
        """Submit a group of points equal but for ``axis`` as one task (:func:`evaluate_sweep`).

        Returns a future of a list of :class:`PointOutcome`; the time limit of
        the task is ``timeout`` times the number of points.
        """
        limit = None if self.timeout is None else self.timeout * len(indices)
        if self.supervised:
            point = _PointPayload(self._payload)
            future = self.executor.submit_limited(
                limit, evaluate_sweep, point, axis, indices, points
            )
        else:
            if self._payload is None:
                future = self.executor.submit(evaluate_sweep, self.point, axis, indices, points)
            else:
                future = self.executor.submit(_run_sweep, self._payload, axis, indices, points)
            if limit is not None:
                self._deadlines[future] = time.monotonic() + limit
        self._submitted[future] = tuple(indices)
        return future

    def outcomes(self, future: concurrent.futures.Future) -> list[PointOutcome]:
        """The outcomes of a finished future of :meth:`submit` or :meth:`submit_sweep`."""
        key = self._submitted[future]
        if not isinstance(key, tuple):
            return [self.outcome(future)]
        self._submitted.pop(future)
        self._deadlines.pop(future, None)
        limit = None if self.timeout is None else self.timeout * len(key)
        if future in self._expired:
            self._expired.discard(future)
            exc = TimeoutError(
                f"the group of {len(key)} points ran longer than timeout={self.timeout:g} s "
                "per point (counted from submission); its results are ignored"
            )
            return [self.failed_point(index, exc) for index in key]
        try:
            outcomes = future.result()
        except BaseException as exc:
            if not isinstance(exc, Exception | concurrent.futures.CancelledError):
                raise
            if isinstance(exc, WorkerDied | TimeoutError) and self.supervised:
                return [self.failed_point(index, exc) for index in key]
            return [self.failed_submission(index, exc) for index in key]
        if limit is not None and sum(o.duration for o in outcomes) > limit:
            exc = TimeoutError(
                f"the group of {len(key)} points ran longer than timeout={self.timeout:g} s "
                "per point; its results are discarded"
            )
            return [self.failed_point(index, exc) for index in key]
        return outcomes

    def wait(
        self, in_flight: Iterable[concurrent.futures.Future]
    ) -> tuple[set[concurrent.futures.Future], set[concurrent.futures.Future]]:
        """Wait until a point finishes (or passes its time limit); returns ``(done, not_done)``."""
        in_flight = set(in_flight)
        deadlines = [self._deadlines[f] for f in in_flight if f in self._deadlines]
        wait = None if not deadlines else max(0.0, min(deadlines) - time.monotonic())
        done, not_done = concurrent.futures.wait(
            in_flight, timeout=wait, return_when=concurrent.futures.FIRST_COMPLETED
        )
        now = time.monotonic()
        for future in list(not_done):
            if self._deadlines.get(future, np.inf) <= now:
                future.cancel()
                self._expired.add(future)
                not_done.discard(future)
                done.add(future)
        return done, not_done

    def outcome(self, future: concurrent.futures.Future) -> PointOutcome:
        """The outcome of a finished future; a failure of the executor becomes an error outcome.

        A worker that died with the point (:class:`workflows.runs.workers.WorkerDied`)
        or a point past its time limit is recorded as failed, like an error
        raised by the point.  Other failures of the executor (e.g. a broken
        ``ProcessPoolExecutor``, a cancelled task) are marked ``persist=False``:
        reported, but not stored, so that a rerun retries the point.
        """
        index = self._submitted.pop(future)
        self._deadlines.pop(future, None)
        if future in self._expired:
            self._expired.discard(future)
            return self.failed_point(
                index,
                TimeoutError(
                    f"the point ran longer than timeout={self.timeout:g} s (counted from "
                    "submission); its result is ignored"
                ),
            )
        try:
            outcome = future.result()
        except BaseException as exc:
            if not isinstance(exc, Exception | concurrent.futures.CancelledError):
                raise
            if isinstance(exc, WorkerDied | TimeoutError) and self.supervised:
                return self.failed_point(index, exc)
            return self.failed_submission(index, exc)
        if self.timeout is not None and outcome.duration > self.timeout:
            # an executor that could not stop it (e.g. in-process): the same table anyway
            return self.failed_point(
                index,
                TimeoutError(
                    f"the point ran {outcome.duration:.3g} s, longer than "
                    f"timeout={self.timeout:g} s; its result is discarded"
                ),
            )
        return outcome

    def failed_point(self, index: int, exc: BaseException) -> PointOutcome:
        """The outcome of a point that killed its worker or passed its time limit (stored)."""
        return PointOutcome(
            index=index,
            observables=None,
            error=f"{type(exc).__name__}: {exc}",
            traceback=None,
            started=time.time(),
            duration=0.0 if self.timeout is None else float(self.timeout),
            worker="",
        )

    @staticmethod
    def failed_submission(index: int, exc: BaseException) -> PointOutcome:
        """The outcome of a point that the executor failed to run (not stored: retried later)."""
        return PointOutcome(
            index=index,
            observables=None,
            error=f"{type(exc).__name__}: {exc} (executor failure; not stored, retried "
            "when the scan runs again)",
            traceback="".join(traceback.format_exception(exc)),
            started=time.time(),
            duration=0.0,
            worker="",
            persist=False,
        )

    def close(self, *, cancel: bool = False) -> None:
        """Cancel what is still queued (if ``cancel``) and shut down an owned pool."""
        if cancel:
            for future in list(self._submitted):
                future.cancel()
        if self.owned:
            self.executor.shutdown(wait=not cancel, cancel_futures=cancel)


def check_timeout(timeout: Any) -> float | None:
    """``timeout`` as a positive finite float of seconds, or None."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(f"timeout must be a number of seconds or None, got {timeout!r}")
    if not np.isfinite(timeout) or timeout <= 0:
        raise ValueError(f"timeout must be a positive, finite number of seconds, got {timeout!r}")
    return float(timeout)


def check_main_guard(what: str) -> None:
    """Refuse to run when worker processes would run the calling script again.

    Worker processes started by spawn or by the fork server import the main
    script again (as ``__mp_main__``); without an ``if __name__ ==
    "__main__":`` guard its top level (and so the scan) runs once more in
    each of them.  Raised both in a worker that imports the script and in the
    script itself, when the scan is called from its top level outside the guard.
    """
    message = (
        f"{what}() is called at the top level of the script %s without an "
        '`if __name__ == "__main__":` guard; worker processes import the script again '
        "(as '__mp_main__') and would run the scan again. Put the scan under the guard: "
        'if __name__ == "__main__": ...'
    )
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is not None and getattr(main, "__name__", "") == "__mp_main__":
        raise RuntimeError(message % repr(path))
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError(message % repr(path))
    if main is None or path is None:
        return
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals is main.__dict__ and frame.f_code.co_name == "<module>":
            if not _inside_main_guard(path, frame.f_lineno):
                raise RuntimeError(message % repr(path))
            return
        frame = frame.f_back


def _inside_main_guard(path: str, line: int) -> bool:
    """Whether line ``line`` of the script ``path`` is inside ``if __name__ == "__main__":``."""
    try:
        tree = ast.parse(Path(path).read_text())
    except (OSError, SyntaxError, ValueError):
        return True  # cannot tell: do not refuse
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        names = set()
        if isinstance(test, ast.Compare) and len(test.comparators) == 1:
            for side in (test.left, test.comparators[0]):
                if isinstance(side, ast.Name):
                    names.add(side.id)
                elif isinstance(side, ast.Constant):
                    names.add(side.value)
        if names == {"__name__", "__main__"} and node.body:
            if node.body[0].lineno <= line <= (node.body[-1].end_lineno or line):
                return True
    return False


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
        DataFrame whose rows are the points; see :func:`grid_points`.
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
        :class:`PointRunner` for other executors.
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
    of the other axes (see :func:`evaluate_sweep`), still stores and returns
    one row per point (a resumed scan evaluates only the missing values),
    and records the axis as ``provenance["sweep_axis"]``; ``timeout``
    applies per point, i.e. a group of n points may take n × ``timeout``.
    TOML studies (:func:`workflows.runs.study.run_study`) use it for every
    Kwant-parameter axis along which the reduced sweep applies.
    """
    if not callable(point):
        raise TypeError(f"point must be a function of keyword parameters, got {point!r}")
    timeout = check_timeout(timeout)
    if executor is None or not isinstance(
        executor, SerialExecutor | concurrent.futures.ThreadPoolExecutor
    ):
        check_main_guard("scan")
    frame = grid_points(grid)
    names = list(frame.columns)
    points = _points(frame)
    axis = sweep_axis(point, grid, frame)
    fingerprint = callable_fingerprint(point)
    scan_sha256 = _grid_fingerprint(names, points)
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
        executor=_describe_executor(None, None),  # replaced when a runner starts
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
    tasks = _groups(frame, axis, pending)

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
    groups evaluated together along that axis.
    """
    queue = iter(tasks)
    in_flight: set[concurrent.futures.Future] = set()
    window = runner.window(len(tasks))
    exhausted = False
    while True:
        while not exhausted and len(in_flight) < window:
            task = next(queue, None)
            if task is None:
                exhausted = True
                break
            try:
                if axis is None:
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
            for outcome in runner.outcomes(future):
                record_outcome(outcome, results, outcomes, bar, failed)


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
