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

Warm start: each point starts from the solution at the nearest bias already solved in the
same process (a serial scan in order of bias: the previous bias); a point of a parallel
worker starts from what that worker has solved, or from U₀.  The start changes only the
iterations, not the solution (within ``tolerance``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflows.electrostatics.hartree import HartreeDevice, HartreeSolution, hartree
from workflows.scattering.nonequilibrium import terminal_currents

__all__ = ["SelfConsistentIVPoint"]


@dataclass(frozen=True, eq=False)
class SelfConsistentIVPoint:
    """Current and Hartree iterations at one bias, in the self-consistent potential.

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
    _solved: dict = field(default_factory=dict, repr=False)

    def voltages(self, bias: float) -> dict[str, float]:
        """The gate and contact voltages (V) at ``bias`` (t/e)."""
        volts = bias * self.device.units.t_meV / 1e3
        voltages = dict(self.device.voltages)
        source = self.device.contacts[self.source]
        sink = self.device.contacts[self.sink]
        voltages[source] = voltages.get(source, 0.0) - self.split * volts
        voltages[sink] = voltages.get(sink, 0.0) + (1 - self.split) * volts
        return voltages

    def solve(self, bias: float) -> HartreeSolution:
        """The Hartree solution at ``bias``, warm-started from the nearest solved bias."""
        nearest = min(self._solved, key=lambda b: abs(b - bias), default=None)
        solution = hartree(
            self.device,
            energy=self.energy,
            temperature=self.temperature,
            voltages=self.voltages(bias),
            params=self.params,
            tolerance=self.tolerance,
            max_iterations=self.max_iterations,
            initial=None if nearest is None else self._solved[nearest],
        )
        self._solved[bias] = solution
        return solution

    def __call__(self, *, bias: float) -> dict[str, float]:
        """``current`` (e·t/h) and Hartree ``iterations`` at one bias."""
        solution = self.solve(float(bias))
        currents = terminal_currents(
            self.device.fsyst,
            mu=solution.mu,
            temperature=self.temperature,
            params=solution.params,
            tol=self.tol,
            lead_cache=self.device.lead_cache(),
        )
        return {"current": float(currents[self.source]), "iterations": solution.iterations}
