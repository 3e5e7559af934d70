"""Point functions sent to worker processes: pickled once, loaded once per worker.

The driver pickles the point function once (:func:`pickled_point`, with
:mod:`cloudpickle`).  A scan's own pool installs it in every worker when the
worker starts (:func:`install_point`), so tasks carry only its hash.  On other
executors the first tasks carry the pickle, which each worker loads once and
caches by its hash (:func:`load_point`); later tasks carry the hash only, and a
worker that has not seen it (a new or replaced worker) answers
:class:`PointNotCached` before running anything, so the driver sends that task
again with the pickle.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from typing import Any

import cloudpickle

from workflows.runs.evaluation import evaluate_point, evaluate_sweep, worker_name
from workflows.runs.executors import pin_native_threads
from workflows.runs.store import PointOutcome

__all__ = [
    "PointNotCached",
    "PointPayload",
    "install_point",
    "load_point",
    "pickled_point",
    "run_point",
    "run_sweep",
]


#: Point functions sent once to the workers of a scan's own pool (by the initializer),
#: keyed by the hash of their pickle.  Per worker process; never used in the driver.
_INSTALLED_POINTS: dict[str, bytes] = {}
_LOADED_POINTS: dict[str, Callable[..., Any]] = {}


class PointNotCached(LookupError):
    """A task named its point function by hash only, and this worker has not loaded it.

    Raised in the worker before the point runs; the driver sends the task again
    with the point function (:class:`workflows.runs.point_runner.PointRunner`).
    """


def load_point(payload: bytes | str) -> Callable[..., Any]:
    """The point function of ``payload``: its pickle, or the hash of one this worker has.

    Loaded functions are cached by hash (the last eight); a hash this worker
    has neither installed nor loaded raises :class:`PointNotCached`.
    """
    key = payload if isinstance(payload, str) else hashlib.sha256(payload).hexdigest()
    point = _LOADED_POINTS.get(key)
    if point is None:
        data = _INSTALLED_POINTS.get(key) if isinstance(payload, str) else payload
        if data is None:
            raise PointNotCached(f"this worker has no point function {key[:12]}...")
        try:
            point = cloudpickle.loads(data)
        except Exception as exc:
            raise RuntimeError(
                f"the point function could not be loaded in worker {worker_name()} "
                f"({type(exc).__name__}: {exc}); is its module importable there?"
            ) from exc
        if len(_LOADED_POINTS) >= 8:
            _LOADED_POINTS.clear()
        _LOADED_POINTS[key] = point
    return point


def run_point(payload: bytes | str, index: int, params: dict[str, Any]) -> PointOutcome:
    """Worker-side task: load the (cached) point function and evaluate one point."""
    return evaluate_point(load_point(payload), index, params)


def run_sweep(
    payload: bytes | str, axis: str, indices: list[int], points: list[dict[str, Any]]
) -> list[PointOutcome]:
    """Worker-side task: load the (cached) point function and evaluate a group along ``axis``."""
    return evaluate_sweep(load_point(payload), axis, indices, points)


class PointPayload:
    """A pickled point function that is loaded (cached per worker) when the task is unpickled.

    Sent to a :class:`workflows.runs.workers.SupervisedPool`, whose workers start a
    point's clock only after unpickling it: loading the function (imports,
    first use) never counts against the scan's ``timeout``.
    """

    def __init__(self, payload: bytes | str):
        self.payload = payload

    def __reduce__(self):
        return (load_point, (self.payload,))


def pickled_point(point: Callable[..., Any]) -> bytes:
    """``point`` pickled by cloudpickle; TypeError naming the point if it cannot be."""
    try:
        return cloudpickle.dumps(point)
    except Exception as exc:
        raise TypeError(
            f"the point function {point!r} cannot be pickled for worker processes "
            f"({type(exc).__name__}: {exc}); make it picklable (e.g. build its Kwant system "
            "from a SystemRecipe inside it) or use SerialExecutor()"
        ) from exc


def install_point(threads: int, payload: bytes | None) -> None:
    """Initializer of a scan's own pool's workers: pin threads, load the point function.

    The point function is loaded here (importing its modules), before the
    worker takes its first point, so that a scan's ``timeout`` never counts it.
    """
    pin_native_threads(threads)
    if payload is not None:
        key = hashlib.sha256(payload).hexdigest()
        _INSTALLED_POINTS[key] = payload
        with contextlib.suppress(Exception):  # a failure is reported with the first point
            load_point(key)
