"""Samplers: which points a run evaluates, in ask/tell form, for the one driver.

A sampler decides *which* points to compute; :func:`workflows.runs.driver.drive`
decides *where* and keeps the store, the provenance, the failure record and
the session (the split of python-adaptive's learners and runners).  A sampler
answers four questions:

- :meth:`Sampler.identity`: what the store records to recognise the run (a
  hash of the grid or domain, the parameter names, a description; a grid
  store also gets every point in advance);
- :meth:`Sampler.resume`: the points a store already holds (told once, before
  anything is asked);
- :meth:`Sampler.ask`: up to ``n`` tasks to run now (:class:`Task`: one point,
  or a group of points equal but for one axis, evaluated together);
- :meth:`Sampler.tell`: one point's outcome (observables or error);

and builds the run's table (:meth:`Sampler.table`).  The samplers here:

:class:`GridSampler`
    every point of a grid, in grid order, grouped along a sweep axis when the
    point function offers one (:func:`workflows.runs.grids.sweep_axis`);
:class:`AdaptiveSampler`
    one parameter, points chosen by an ``adaptive.Learner1D``;
:class:`EnergyWindowSampler`
    the energies of thermal windows, refined by
    :class:`analysis.energy_grid.WindowRefinement`.
"""

from __future__ import annotations

import abc
import collections
import hashlib
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from workflows.runs.grids import (
    grid_fingerprint,
    grid_points,
    grid_rows,
    sweep_axis,
    task_groups,
)
from workflows.runs.store import PointOutcome, encode_json

__all__ = [
    "AdaptiveSampler",
    "EnergyWindowSampler",
    "GridSampler",
    "Sampler",
    "Task",
    "assemble_table",
]


@dataclass(frozen=True)
class Task:
    """Points submitted as one task.

    Attributes
    ----------
    indices
        The points' indices in the store and the run (one, or a group).
    points
        Their keyword parameters, in the same order.
    axis
        None for one point; for a group, the axis along which its points
        differ (evaluated by the point function's ``sweep_points``).
    """

    indices: tuple[int, ...]
    points: tuple[dict[str, Any], ...]
    axis: str | None = None


class Sampler(abc.ABC):
    """Which points a run evaluates: the ask/tell interface of the driver.

    Attributes
    ----------
    kind
        The kind of results store it keeps: ``"grid"`` (every point known in
        advance) or ``"adaptive"`` (points created as they are asked).
    fills_queue
        True when asking ahead costs nothing: every task is known in advance
        (a grid), or the points do not depend on the order of the results
        (thermal windows); the driver then keeps twice the workers busy.
        False for samplers that learn from each result (a learner): the
        driver keeps at most one task per worker in flight, so that each ask
        sees as many results as possible.
    """

    kind: ClassVar[str] = "adaptive"
    fills_queue: ClassVar[bool] = False

    @abc.abstractmethod
    def identity(self) -> dict[str, Any]:
        """``scan_sha256``, ``parameters``, ``description`` (and ``points`` for a grid)."""

    def provenance(self) -> dict[str, Any]:
        """The sampler's entries of the run's provenance (JSON-serialisable)."""
        return {}

    @abc.abstractmethod
    def resume(
        self, stored: Mapping[int, PointOutcome], parameters: Mapping[int, dict[str, Any]]
    ) -> None:
        """The points a store holds (``stored``), and the parameters of every stored row."""

    @abc.abstractmethod
    def ask(self, n: int) -> list[Task]:
        """Up to ``n`` tasks to run now (fewer, or none, while results are awaited)."""

    def tell(self, outcome: PointOutcome, params: Mapping[str, Any]) -> None:  # noqa: B027
        """One point's outcome (its observables, or its error); by default ignored."""

    @abc.abstractmethod
    def finished(self) -> bool:
        """Whether nothing is left to ask (before the run: whether a runner is needed)."""

    def size_hint(self) -> int:
        """How many tasks the run may still submit (sizes the default process pool)."""
        return 1

    def total(self) -> int | None:
        """The progress bar's total (points), or None if unknown."""
        return None

    def postfix(self) -> dict[str, Any]:
        """Entries shown next to the progress bar (e.g. a loss)."""
        return {}

    def summary(self) -> dict[str, Any]:
        """Entries of the session's summary and the final provenance (e.g. a loss)."""
        return {}

    @abc.abstractmethod
    def table(
        self, outcomes: Mapping[int, PointOutcome], params: Mapping[int, dict[str, Any]]
    ) -> pd.DataFrame:
        """The run's table: parameters, observables, ``error`` (see the samplers)."""


def _column(values: list[Any]) -> pd.Series:
    if any(isinstance(v, np.ndarray) for v in values):
        series = pd.Series([None] * len(values), dtype=object)
        for i, v in enumerate(values):
            series.iat[i] = v
        return series
    return pd.Series(values)


def assemble_table(frame: pd.DataFrame, outcomes: Mapping[int, PointOutcome]) -> pd.DataFrame:
    """Parameters, observables (order of first appearance in row order) and ``error``.

    ``outcomes`` are keyed by the row of ``frame``; a row without one is
    ``"not computed"``.
    """
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


def _rows_by_parameter(
    outcomes: Mapping[int, PointOutcome],
    params: Mapping[int, dict[str, Any]],
    key: Callable[[dict[str, Any]], Any],
) -> pd.DataFrame:
    """One row per outcome, sorted by ``key(params)`` (then by index)."""
    order = sorted(outcomes, key=lambda i: (key(params[i]), i))
    frame = pd.DataFrame([params[i] for i in order])
    return assemble_table(frame, {row: outcomes[i] for row, i in enumerate(order)})


# -- grid ------------------------------------------------------------------------------------


class GridSampler(Sampler):
    """Every point of a grid, in grid order (see :func:`workflows.scan`).

    Parameters
    ----------
    point
        The point function; if it offers ``sweep_axis``/``sweep_points`` and
        the grid is a mapping, the points equal but for that axis are asked
        as one task (:func:`workflows.runs.grids.sweep_axis`).
    grid
        A mapping ``name -> values`` or a DataFrame of points
        (:func:`workflows.runs.grids.grid_points`).
    """

    kind = "grid"
    fills_queue = True

    def __init__(self, point: Any, grid: Mapping[str, Any] | pd.DataFrame):
        self.frame = grid_points(grid)
        self.names = list(self.frame.columns)
        self.points = grid_rows(self.frame)
        self.axis = sweep_axis(point, grid, self.frame)
        self._tasks: collections.deque[list[int]] = collections.deque()
        self._size = 0

    def identity(self) -> dict[str, Any]:
        return {
            "scan_sha256": grid_fingerprint(self.names, self.points),
            "parameters": self.names,
            "description": f"{len(self.points)} points over ({', '.join(self.names)})",
            "points": self.points,
        }

    def provenance(self) -> dict[str, Any]:
        return {"parameters": self.names, "n_points": len(self.points), "sweep_axis": self.axis}

    def resume(self, stored, parameters) -> None:
        pending = [i for i in range(len(self.points)) if i not in stored]
        self._tasks = collections.deque(task_groups(self.frame, self.axis, pending))
        self._size = len(self._tasks)

    def ask(self, n: int) -> list[Task]:
        tasks = []
        while self._tasks and len(tasks) < n:
            indices = self._tasks.popleft()
            points = tuple(self.points[i] for i in indices)
            tasks.append(Task(tuple(indices), points, None if self.axis is None else self.axis))
        return tasks

    def finished(self) -> bool:
        return not self._tasks

    def size_hint(self) -> int:
        return max(1, self._size)

    def total(self) -> int:
        return len(self.points)

    def table(self, outcomes, params) -> pd.DataFrame:
        """One row per point in grid order (``"not computed"`` where none came back)."""
        return assemble_table(self.frame, outcomes)


# -- adaptive (python-adaptive's Learner1D) ---------------------------------------------------


def _not_called(x: float) -> float:  # the learner is driven by ask/tell, never calls this
    raise RuntimeError("adaptive_scan drives the learner through ask/tell")


def _learner_value(outcome: PointOutcome, observables: Sequence[str]) -> float | np.ndarray | None:
    """What the learner is told for one outcome, or None if it cannot use the point.

    Raises
    ------
    ValueError
        If a successful point does not return a steering observable: a misspelt
        ``observable`` would otherwise leave the learner without data and
        spend all ``max_points`` on points it cannot use.
    """
    if outcome.error is not None or outcome.observables is None:
        return None
    values = []
    for name in observables:
        if name not in outcome.observables:
            raise ValueError(
                f"observable={name!r} is not returned by the point function; it returns "
                f"{', '.join(map(repr, outcome.observables)) or 'no observables'}"
            )
        value = outcome.observables[name]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return None
        if not math.isfinite(value):
            return None
        values.append(float(value))
    return values[0] if len(values) == 1 else np.array(values)


class _Sequential(Sampler):
    """A sampler that creates its points as it asks: indices counted on from the store's."""

    def __init__(self) -> None:
        self._next = 0
        self._stopped = False  # the executor failed a task: ask nothing more

    def _new_index(self) -> int:
        index, self._next = self._next, self._next + 1
        return index

    def resume(self, stored, parameters) -> None:
        self._next = max(parameters, default=-1) + 1
        for index in sorted(stored):
            self._told(stored[index], parameters[index])

    def tell(self, outcome: PointOutcome, params: Mapping[str, Any]) -> None:
        if not outcome.persist:  # an executor failure, not the point's: stop asking
            self._stopped = True
        self._told(outcome, params)

    @abc.abstractmethod
    def _told(self, outcome: PointOutcome, params: Mapping[str, Any]) -> None:
        """One outcome, new or from the store."""


class AdaptiveSampler(_Sequential):
    """One parameter sampled by an ``adaptive.Learner1D`` (see :func:`workflows.adaptive_scan`).

    Parameters
    ----------
    axis, bounds, observables, loss_goal, max_points, fixed, loss_per_interval
        Checked arguments of :func:`workflows.adaptive_scan` (``fixed``: its
        ``params``).
    """

    def __init__(
        self,
        axis: str,
        bounds: tuple[float, float],
        observables: Sequence[str],
        *,
        loss_goal: float,
        max_points: int,
        fixed: Mapping[str, Any],
        loss_per_interval: Callable | None = None,
    ):
        super().__init__()
        import adaptive  # imported here: it pulls in scipy.stats, ~1 s, only needed for this

        self.axis, self.bounds, self.observables = axis, tuple(bounds), list(observables)
        self.loss_goal, self.max_points, self.fixed = loss_goal, max_points, dict(fixed)
        self.learner = adaptive.Learner1D(
            _not_called, self.bounds, loss_per_interval=loss_per_interval
        )
        self._count = 0  # points from the store and points asked

    def identity(self) -> dict[str, Any]:
        text = encode_json({"axis": self.axis, "bounds": list(self.bounds), "params": self.fixed})
        low, high = self.bounds
        return {
            "scan_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "parameters": [*self.fixed, self.axis],
            "description": f"adaptive scan of {self.axis} in [{low:g}, {high:g}]"
            + (f" at {self.fixed}" if self.fixed else ""),
        }

    def provenance(self) -> dict[str, Any]:
        return {
            "parameters": [*self.fixed, self.axis],
            "fixed": self.fixed,
            "axis": self.axis,
            "bounds": list(self.bounds),
            "observables": self.observables,
            "loss_goal": self.loss_goal,
            "max_points": self.max_points,
        }

    def _told(self, outcome: PointOutcome, params: Mapping[str, Any]) -> None:
        x = float(params[self.axis])
        value = _learner_value(outcome, self.observables)
        if value is None:
            # a failed (or non-numeric) point stays "pending": the learner will not ask for it again
            self.learner.tell_pending(x)
        else:
            self.learner.tell(x, value)

    def resume(self, stored, parameters) -> None:
        super().resume(stored, parameters)
        self._count = len(stored)

    def loss(self) -> float:
        """The learner's loss now."""
        return float(self.learner.loss())

    def finished(self) -> bool:
        return self._stopped or self._count >= self.max_points or self.loss() <= self.loss_goal

    def ask(self, n: int) -> list[Task]:
        tasks = []
        while len(tasks) < n and not self.finished():
            (x,), _ = self.learner.ask(1)
            self._count += 1
            tasks.append(Task((self._new_index(),), ({**self.fixed, self.axis: float(x)},)))
        return tasks

    def size_hint(self) -> int:
        return max(1, self.max_points - self._count)

    def total(self) -> int:
        return self.max_points

    def postfix(self) -> dict[str, Any]:
        return {"loss": f"{self.loss():.3g}"}

    def summary(self) -> dict[str, Any]:
        return {"loss": self.loss()}

    def table(self, outcomes, params) -> pd.DataFrame:
        """One row per evaluated point, sorted along the axis."""
        return _rows_by_parameter(outcomes, params, lambda p: p[self.axis])


# -- thermal energy windows ---------------------------------------------------------------------


class EnergyWindowSampler(_Sequential):
    """The energies of thermal windows (see :func:`workflows.runs.energy_windows.window_scan`).

    Parameters
    ----------
    refinement
        An :class:`analysis.energy_grid.WindowRefinement` (its windows, tolerance,
        start points, budget, breakpoints and boxes), fresh.
    observable
        The observable X(E) that steers the refinement (a number or a numeric array).
    axis
        The energy parameter of the point function.
    fixed
        Further keyword arguments of the point function, the same at every energy.
    identity_text
        The refinement's settings as JSON (hashed as the store's identity).
    """

    fills_queue = True  # the refined grid does not depend on the order of the results

    def __init__(
        self,
        refinement: Any,
        observable: str,
        *,
        axis: str = "energy",
        fixed: Mapping[str, Any],
        identity_text: str,
    ):
        super().__init__()
        self.refinement, self.observable, self.axis = refinement, observable, axis
        self.fixed = dict(fixed)
        self._identity_text = identity_text
        self._stored: dict[float, tuple[PointOutcome, Mapping[str, Any]]] = {}
        self._pending: collections.deque[float] = collections.deque()  # asked, not submitted

    def identity(self) -> dict[str, Any]:
        windows = self.refinement.windows
        return {
            "scan_sha256": hashlib.sha256(self._identity_text.encode()).hexdigest(),
            "parameters": [*self.fixed, self.axis],
            "description": f"{len(windows)} thermal windows of {self.observable}"
            + (f" at {self.fixed}" if self.fixed else ""),
        }

    def provenance(self) -> dict[str, Any]:
        r = self.refinement
        return {
            "parameters": [*self.fixed, self.axis],
            "fixed": self.fixed,
            "axis": self.axis,
            "observable": self.observable,
            "windows": r.windows.tolist(),
            "tol": r.tol,
            "initial_points": r.initial_points,
            "max_points": r.max_points,
            "breakpoints": r.breakpoints,
            "boxes": [list(box) for box in r.boxes],
        }

    def resume(self, stored, parameters) -> None:
        """Replay the stored energies through the refinement, as it asks for them."""
        self._next = max(parameters, default=-1) + 1
        self._stored = {
            float(parameters[i][self.axis]): (o, parameters[i]) for i, o in stored.items()
        }
        self._pending = collections.deque()
        while energies := self.refinement.ask():
            for energy in energies:
                if energy in self._stored:  # computed by an earlier session
                    self._told(*self._stored.pop(energy))
                else:
                    self._pending.append(energy)

    def _told(self, outcome: PointOutcome, params: Mapping[str, Any]) -> None:
        energy = float(params[self.axis])
        if outcome.error is not None or outcome.observables is None:
            self.refinement.tell_failed(energy)
            return
        if self.observable not in outcome.observables:
            raise ValueError(
                f"observable={self.observable!r} is not returned by the point function; it "
                f"returns {', '.join(map(repr, outcome.observables)) or 'no observables'}"
            )
        self.refinement.tell(energy, outcome.observables[self.observable])

    def ask(self, n: int) -> list[Task]:
        tasks: list[Task] = []
        while not self._stopped and len(tasks) < n:
            if not self._pending:
                for energy in self.refinement.ask(n - len(tasks)):
                    if energy in self._stored:  # computed by an earlier session
                        self._told(*self._stored.pop(energy))
                    else:
                        self._pending.append(energy)
                if not self._pending:
                    break
            energy = self._pending.popleft()
            tasks.append(Task((self._new_index(),), ({**self.fixed, self.axis: energy},)))
        return tasks

    def finished(self) -> bool:
        return self._stopped or (not self._pending and self.refinement.done)

    def size_hint(self) -> int:
        return max(1, len(self._pending))

    def table(self, outcomes, params) -> pd.DataFrame:
        """One row per evaluated energy, sorted by energy."""
        return _rows_by_parameter(outcomes, params, lambda p: p[self.axis])
