"""The point function of ``iv_curve(..., drop="self-consistent")``: Hartree, then the current.

At bias V (t/e; the contacts' voltages in V are V·t_meV/1000) the source contact moves by
−ηV and the sink contact by +(1 − η)V from their zero-bias voltages, so that
μ_s = E_F − eV_s rises by ηeV and μ_d falls by (1 − η)eV, as in the imposed-drop models,
and the electrostatic boundary (the contact gates of the layout) moves with them.  The
Hartree problem (:func:`workflows.electrostatics.hartree`) is solved at these voltages and
the current is the particle current from the source reservoir,
I_s = (e/h) ∫ Tr[Γ_s (f_s A − G^n)] dE
(:func:`workflows.scattering.nonequilibrium.terminal_currents`; with two leads, the
Landauer integral), in the self-consistent potential, with the leads' bands shifted by
−eV_l.  Its quadrature nodes are those of the Hartree densities at the same reservoirs,
so the leads' self-energies come from the device's cache.

**Warm start, no sweep** (``biases`` empty, the default of :func:`workflows.iv_curve`):
each point starts from the solution at the nearest bias already solved in the same
process (a serial scan in order of bias: the previous bias); a point of a parallel worker
starts from what that worker has solved, or from U₀.  Where the solution is unique the
start changes only the iterations, not the solution (within ``tolerance``).

**Up- and down-sweeps** (``biases`` given, ``iv_curve(..., sweep="up" | "down" | "both")``):
where the Hartree problem has more than one solution (intrinsic bistability of a
resonant-tunnelling diode: Goldman, Tsui and Cunningham, Phys. Rev. Lett. 58, 1256
(1987)), the solution found depends on the history, so a sweep is solved in order: the
up-sweep by increasing bias, the down-sweep by decreasing bias, each bias warm-started
from the previous bias *of the same direction* (the first from U₀).  The scan's grid is
``direction × bias`` and the point function offers ``bias`` as its sweep axis, so each
direction is one task of the scan (:class:`workflows.runs.samplers.GridSampler`'s
groups): run in order in one worker, the two directions in parallel on a pool.  A bias
that does not converge fails alone (its error in the table) and the sweep goes on from
the last converged bias.  A resumed run hands a direction's pending biases to a worker
that has not solved the earlier ones: the store keeps observables, not states, so the
worker first re-solves the Hartree problem (not the current) at the earlier biases of
that direction, in order, to be on the branch the sweep was on — a resumed sweep
continues in order, at the cost of those Hartree solutions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workflows.electrostatics.hartree import (
    HartreeConvergenceError,
    HartreeDevice,
    HartreeSolution,
    hartree,
)
from workflows.scattering.nonequilibrium import terminal_currents

__all__ = ["SWEEP_DIRECTIONS", "SelfConsistentIVPoint"]

#: The directions of a bias sweep: ``"up"`` by increasing bias, ``"down"`` by decreasing.
SWEEP_DIRECTIONS = ("up", "down")


@dataclass(frozen=True, eq=False)
class SelfConsistentIVPoint:
    """Current, charge and Hartree iterations at one bias, in the self-consistent potential.

    Attributes
    ----------
    device
        The :class:`~workflows.electrostatics.HartreeDevice`.
    energy, params, temperature, source, sink, split, tol
        As for :func:`workflows.iv_curve`.
    tolerance
        The Hartree tolerance, eV.
    max_iterations
        The Hartree iterations allowed per bias.
    density_tol
        The error target of the density, electrons per orbital (:func:`hartree`).
    biases
        The biases (t/e) of the up- and down-sweeps (module docstring), or empty: each
        bias alone, from the nearest bias solved.
    """

    device: HartreeDevice
    energy: float
    params: Mapping[str, Any]
    temperature: float
    source: int
    sink: int
    split: float
    tol: float
    tolerance: float = 1e-6
    max_iterations: int = 30
    density_tol: float = 1e-10
    biases: Sequence[float] = ()
    _solved: dict = field(default_factory=dict, repr=False)
    _sweeps: dict = field(default_factory=dict, repr=False)

    def voltages(self, bias: float) -> dict[str, float]:
        """The gate and contact voltages (V) at ``bias`` (t/e)."""
        volts = bias * self.device.units.t_meV / 1e3
        voltages = dict(self.device.voltages)
        source = self.device.contacts[self.source]
        sink = self.device.contacts[self.sink]
        voltages[source] = voltages.get(source, 0.0) - self.split * volts
        voltages[sink] = voltages.get(sink, 0.0) + (1 - self.split) * volts
        return voltages

    def _hartree(self, bias: float, initial: HartreeSolution | None) -> HartreeSolution:
        return hartree(
            self.device,
            energy=self.energy,
            temperature=self.temperature,
            voltages=self.voltages(bias),
            params=self.params,
            tolerance=self.tolerance,
            max_iterations=self.max_iterations,
            initial=initial,
            density_tol=self.density_tol,
        )

    def solve(self, bias: float) -> HartreeSolution:
        """The Hartree solution at ``bias``, warm-started from the nearest solved bias."""
        nearest = min(self._solved, key=lambda b: abs(b - bias), default=None)
        solution = self._hartree(bias, None if nearest is None else self._solved[nearest])
        self._solved[bias] = solution
        return solution

    def path(self, direction: str) -> list[float]:
        """The biases of the sweep ``direction`` in the order they are solved."""
        if direction not in SWEEP_DIRECTIONS:
            raise ValueError(f"direction must be one of {SWEEP_DIRECTIONS}, got {direction!r}")
        return sorted(self.biases, reverse=direction == "down")

    def solve_along(self, direction: str, bias: float) -> HartreeSolution:
        """The Hartree solution at ``bias`` on the sweep ``direction`` (module docstring).

        Every earlier bias of the sweep not yet solved in this process is solved first,
        in order, each from the last converged solution of the sweep.

        Raises
        ------
        HartreeConvergenceError
            If this bias did not converge (the sweep's later biases go on from the
            previous one).
        """
        path = self.path(direction)
        if bias not in path:
            raise ValueError(f"bias={bias!r} is not a bias of the sweep {path}")
        states = self._sweeps.setdefault(direction, {})
        stop = path.index(bias)
        if bias not in states:
            first = next((k + 1 for k in range(stop - 1, -1, -1) if path[k] in states), 0)
            converged = [states[b] for b in path[:first] if isinstance(states[b], HartreeSolution)]
            previous = converged[-1] if converged else None
            for step in path[first : stop + 1]:
                try:
                    states[step] = previous = self._hartree(step, previous)
                except HartreeConvergenceError as failure:
                    states[step] = failure
        state = states[bias]
        if isinstance(state, HartreeConvergenceError):
            raise HartreeConvergenceError(f"{state} (bias {bias:g} t/e, {direction}-sweep)")
        return state

    def observables(self, solution: HartreeSolution) -> dict[str, Any]:
        """``current`` (e·t/h), ``charge`` (electrons), ``residual`` (eV), ``iterations``,
        ``potential`` (eV) and ``density`` (electrons) at every site, of one solution."""
        currents = terminal_currents(
            self.device.fsyst,
            mu=solution.mu,
            temperature=self.temperature,
            params=solution.params,
            tol=self.tol,
            lead_cache=self.device.lead_cache(),
        )
        current = currents[self.source]
        es = self.device.electrostatics
        residual = solution.energy - es.bare_energy(solution.voltages)
        residual -= es.interaction(solution.density)
        return {
            "current": float(current),
            "charge": float(np.sum(solution.density)),
            "residual": float(np.max(np.abs(residual))),
            "iterations": solution.iterations,
            "potential": np.asarray(solution.energy, dtype=float),
            "density": np.asarray(solution.density, dtype=float),
        }

    def __call__(self, *, bias: float, direction: str | None = None) -> dict[str, Any]:
        """The :meth:`observables` at one bias (on the sweep ``direction``, if given)."""
        if direction is None:
            return self.observables(self.solve(float(bias)))
        return self.observables(self.solve_along(direction, float(bias)))

    def sweep_axis(self, axes: Mapping[str, list[Any]]) -> str | None:
        """``"bias"`` when the grid has a ``direction`` axis: each direction is one task."""
        return "bias" if self.biases and "direction" in axes and "bias" in axes else None

    def sweep_points(
        self, axis: str, values: list[float], *, direction: str
    ) -> list[dict[str, Any] | HartreeConvergenceError]:
        """The biases ``values`` of the sweep ``direction``, solved in the sweep's order.

        A bias that does not converge is returned as its :class:`HartreeConvergenceError`
        (the scan fails that point alone, :func:`workflows.runs.evaluation.evaluate_sweep`).
        """
        if axis != "bias":
            raise ValueError(f"SelfConsistentIVPoint sweeps the bias, not {axis!r}")
        path = self.path(direction)
        order = sorted(range(len(values)), key=lambda k: path.index(float(values[k])))
        rows: list[dict[str, Any] | HartreeConvergenceError] = [{}] * len(values)
        for k in order:
            try:
                rows[k] = self(bias=float(values[k]), direction=direction)
            except HartreeConvergenceError as failure:
                rows[k] = failure
        return rows
