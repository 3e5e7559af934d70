"""Evaluating points: a point function called, its observables checked, its failure captured.

Runs wherever the point runs (a worker process or the driver).  A point never
raises: :func:`evaluate_point` and :func:`evaluate_sweep` return
:class:`workflows.runs.store.PointOutcome` records with the observables or the
error and its traceback.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from workflows.runs.grids import NOT_SCALAR, RESERVED_COLUMNS, plain_scalar
from workflows.runs.store import PointOutcome

__all__ = ["check_observables", "evaluate_point", "evaluate_sweep", "worker_name"]


def _observable_value(name: str, value: Any) -> Any:
    if value is None:
        return value
    scalar = plain_scalar(value)
    if scalar is not NOT_SCALAR:
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


def check_observables(result: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """The observables a point function returned, as plain values; raise if invalid."""
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


def worker_name() -> str:
    """``host:pid`` of this process, as recorded with every outcome."""
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
        observables = check_observables(point(**params), params)
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
        worker=worker_name(),
    )


def _formatted(exc: BaseException) -> str:
    """The traceback of an exception caught (and returned) by the point function."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def evaluate_sweep(
    point: Any, axis: str, indices: list[int], points: list[Mapping[str, Any]]
) -> list[PointOutcome]:
    """Evaluate the points ``points`` (equal but for ``axis``) with one ``point.sweep_points`` call.

    ``point.sweep_points(axis, values, **others)`` returns the observables of
    every value of ``axis`` (e.g. by :func:`workflows.sweep`: one solve for
    all of them).  An exception raised fails every point of the group; an
    invalid result fails its own point, and so does an exception *returned* in
    place of a point's observables (a sweep whose points depend on one another,
    e.g. a warm-started bias sweep, goes on past a point that failed and says
    which).  Each outcome gets an equal share of the time.
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
            if isinstance(result, BaseException):
                errors[k] = (f"{type(result).__name__}: {result}", _formatted(result))
                continue
            try:
                observables[k] = check_observables(result, params)
            except Exception as exc:
                errors[k] = (f"{type(exc).__name__}: {exc}", traceback.format_exc())
    duration = (time.perf_counter() - clock) / len(points)
    worker = worker_name()
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
