"""The outcome of one point: its observables or its failure, when, where and how long."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PointOutcome"]


@dataclass(frozen=True)
class PointOutcome:
    """What one evaluation of a point function produced.

    Attributes
    ----------
    index
        Position of the point in grid order.
    observables
        The observables (name -> value) or None if the point failed.
    error
        ``"ExceptionType: message"`` if the point failed, else None.
    traceback
        The formatted traceback of a failure, else None.
    started
        Start time, seconds since the epoch.
    duration
        Wall time of the evaluation in seconds.
    worker
        ``host:pid`` of the process that evaluated the point.
    persist
        False for failures of the executor rather than of the point (a worker
        process died, a task was cancelled): those are reported but not stored,
        so a rerun retries them.
    """

    index: int
    observables: dict[str, Any] | None
    error: str | None
    traceback: str | None
    started: float
    duration: float
    worker: str
    persist: bool = True
