"""The point function of a TOML study: one conductance matrix per point, its observables.

:class:`StudyPoint` is what :func:`workflows.scan` runs for a study
(:mod:`workflows.app.study_file`): picklable, it finalizes its system once per
worker (:func:`workflows.runs.recipes.finalized_system`) and offers a flux or
gate axis to one :func:`workflows.sweep` (``sweep_axis``/``sweep_points``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.bias import four_terminal_resistance, two_terminal_conductance
from workflows.runs.recipes import SystemRecipe, finalized_system
from workflows.scattering import dephasing
from workflows.scattering.conductance import conductance_matrix
from workflows.scattering.sweeps import reduces, sweep

__all__ = ["Harmonics", "Observable", "StudyPoint"]


@dataclass(frozen=True)
class Observable:
    """One observable evaluated from the conductance matrix of a point."""

    kind: str
    name: str
    source: int = 0
    sink: int = 1
    current: tuple[int, int] = (0, 1)
    voltage: tuple[int, int] = (0, 1)

    def evaluate(self, G: np.ndarray, coherent: np.ndarray | None = None) -> float:
        """The observable's value for conductance matrix ``G`` (e²/h, or h/e² for R).

        ``coherent``: the block of the full matrix between the terminals when ``G`` is
        the effective matrix with the dephasing probes eliminated (for ``transmission``).
        """
        if self.kind == "conductance":
            return float(two_terminal_conductance(G, self.source, self.sink))
        if self.kind == "transmission":
            return float(-(G if coherent is None else coherent)[self.sink, self.source])
        if self.kind == "four_terminal_resistance":
            return float(four_terminal_resistance(G, current=self.current, voltage=self.voltage))
        raise ValueError(f"unknown observable kind {self.kind!r}")


@dataclass(frozen=True)
class Harmonics:
    """Post-processing: flux harmonics of observable ``of`` along grid axis ``axis``."""

    name: str
    of: str
    axis: str
    orders: tuple[int, ...]
    period: float | None = None  # None: mesoflow's flux phi, period 1 (h/e)


@dataclass(frozen=True)
class StudyPoint:
    """The point function of a study: a picklable callable, one conductance matrix per point.

    The system comes from :func:`workflows.runs.recipes.finalized_system`, so each
    worker process finalizes it once and reuses it for every point.
    """

    recipe: SystemRecipe
    fixed: tuple[tuple[str, Any], ...]
    observables: tuple[Observable, ...]

    def __call__(self, **grid: Any) -> dict[str, float]:
        params = dict(self.fixed)
        params.update(grid)
        energy = params.pop("energy")
        fsyst = finalized_system(self.recipe)
        if self.recipe.dephasing_probes:  # probes eliminated; linear method for many probes
            solution = dephasing.dephased_transport(fsyst, energy, params=params)
            G, coherent = solution.conductance, solution.coherent_conductance
        else:
            G, coherent = conductance_matrix(fsyst, energy, params=params), None
        return {o.name: o.evaluate(G, coherent) for o in self.observables}

    def sweep_axis(self, axes: Mapping[str, list[Any]]) -> str | None:
        """The grid axis to evaluate with one :func:`workflows.sweep`, or None.

        An axis of a Kwant parameter (not ``energy``, at least two values)
        along which the reduced sweep applies at the grid's first point
        (:func:`workflows.scattering.sweeps.reduces`: few changed matrix
        elements, e.g. a flux on a branch cut or a gate on a few sites); the
        innermost such axis.  Systems with dephasing probes are solved point
        by point (their probe elimination needs the full conductance matrix).
        """
        if self.recipe.dephasing_probes:
            return None
        return _sweep_axis(self, tuple((name, tuple(values)) for name, values in axes.items()))

    def sweep_points(self, axis: str, values: list[Any], **others: Any) -> list[dict[str, float]]:
        """The observables at every value of ``axis``, from one :func:`workflows.sweep`."""
        params = dict(self.fixed)
        params.update(others)
        energy = params.pop("energy")
        matrices = sweep(finalized_system(self.recipe), energy, axis, values, params=params)
        return [{o.name: o.evaluate(G) for o in self.observables} for G in matrices]


@functools.lru_cache(maxsize=8)
def _sweep_axis(point: StudyPoint, axes: tuple[tuple[str, tuple[Any, ...]], ...]) -> str | None:
    """:meth:`StudyPoint.sweep_axis`, memoized (``run_study`` and ``scan`` both ask)."""
    fsyst = finalized_system(point.recipe)
    params = dict(point.fixed)
    params.update({name: values[0] for name, values in axes})
    energy = params.pop("energy")
    for name, values in reversed(axes):
        if name == "energy" or len(values) < 2:
            continue
        others = {key: value for key, value in params.items() if key != name}
        if reduces(fsyst, energy, name, list(values), params=others):
            return name
    return None
