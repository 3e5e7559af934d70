"""The pinch-off voltage of a gate-defined constriction, Thomas–Fermi or Hartree.

**Definition (both models).**  The constriction pinches off at the gate voltage V_p where
the self-consistent band bottom at its saddle point reaches the Fermi level:

    f(V) = μ − E_c(saddle; V) = 0,      E_c = band bottom at zero potential + U_saddle(V),

positive while the channel is open.  Both models produce U, so one definition serves both
and the difference of their V_p measures the difference of their self-consistent
electrostatics alone.  It is the classical pinch-off of a saddle-point contact, the barrier
top at E_F: in the saddle-point model (M. Büttiker, Phys. Rev. B 41, 7906 (1990)) the lowest
mode's transmission is T₀ = 1/(1 + exp(−2π(E − V₀ − ħω_y/2)/ħω_x)), so at V_p (E_F = V₀)
T₀ = 1/(1 + exp(πω_y/ω_x)) < 1/2: the conductance has already fallen below half its first
plateau (G = e²/h with spin), the measured pinch-off, which comes earlier by the transverse
zero-point energy ħω_y/2 divided by the saddle's lever arm.  The conductance itself is not
used as the indicator: in a small device it is not monotone in V (resonances between the
constriction and the potential steps where the leads begin; measured on the 192-site QPC of
the tests: G = 0.23, 0.94, 0.48, 0.05 e²/h at 0.5, 0.6, 0.7, 0.8 V_p), so a bracketing
root search on it is not safe, while f is monotone by construction.

**What the quantum model adds.**  The Hartree density (:func:`~workflows.electrostatics.hartree`)
includes what Thomas–Fermi's local density n(μ − E_c(x)) lacks: the transverse zero-point
energy of the narrow channel (fewer electrons in the constriction than the 2D density of
states puts there), tunnelling through and under the barrier (electrons where E_c > μ,
about 1/(6π√3) of an electron per turning point in 1D: R. F. Ribeiro and K. Burke,
Phys. Rev. B 95, 115115 (2017)), Friedel oscillations and the depletion of the density at
hard walls.  They should still agree to about 10 %: U at the saddle is the gates' potential
screened by the whole gas, and the gas's charge is fixed by electrostatics — its quantum
capacitance e²D exceeds the geometric ε₀ε_r/d some twenty-fold in GaAs at d = 50 nm — so
the quantum corrections to the density change U by about C_geometric/C_quantum of
themselves, and near pinch-off the constriction holds few electrons in either model.

**Root search (shared).**  f is continuous and monotone in the gate voltage (U is a
continuous, increasing function of a repulsive gate's −V), so :func:`scipy.optimize.brentq`
finds its root in a bracket; each evaluation is a self-consistent solution warm-started from
the evaluation nearest in voltage, the step halved (up to :data:`MAX_HALVINGS` times) when
Newton–Krylov does not converge from there (for Hartree, if a band is given: that evaluation's
quantum correction U_H − U_TF added to a Thomas–Fermi solution at the new voltage).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize

from systems.electrostatics import SiteElectrostatics
from systems.validation import integer, real, shown

from .density_of_states import BandDensity
from .hartree import HartreeConvergenceError, HartreeDevice, HartreeSolution, hartree
from .thomas_fermi import ThomasFermiConvergenceError, ThomasFermiSolution, thomas_fermi

__all__ = ["PinchOff", "hartree_pinch_off_voltage", "pinch_off_voltage"]

#: A step that does not converge from the nearest solution is halved at most this often
#: (a continuation in the gate voltage: the intermediate solutions are kept as warm starts).
MAX_HALVINGS = 3


@dataclass(frozen=True)
class PinchOff:
    """The pinch-off voltage and the self-consistent state there.

    Attributes
    ----------
    voltage
        The gate voltage V_p (V) at which the saddle's band bottom meets the Fermi level.
    solution
        The self-consistent solution (Thomas–Fermi or Hartree) at ``voltage``.
    evaluations
        Self-consistent solutions computed by the root search.
    """

    voltage: float
    solution: ThomasFermiSolution | HartreeSolution
    evaluations: int


def _gate_weights(gates) -> dict[str, float]:
    if not isinstance(gates, Mapping) or not gates:
        raise ValueError(f"gates must map gate names to weights, got {shown(gates)}")
    return {name: real(f"gates[{name!r}]", w) for name, w in gates.items()}


def _root_search(
    solve: Callable[[dict[str, float], Any], Any],
    opening: Callable[[Any], float],
    weights: Mapping[str, float],
    bracket: tuple[float, float],
    tolerance: float,
    initial: Any,
) -> PinchOff:
    """brentq on ``opening(solve(voltages, nearest))``, warm-started from the nearest voltage."""
    low, high = (real("bracket", v, hint="V") for v in bracket)
    tolerance = real("tolerance", tolerance, minimum=0, strict=True, hint="V")
    states: list[Any] = []
    evaluated: list[float] = []

    def reach(voltage: float, halvings: int = 0):
        """The solution at ``voltage``, from the nearest one; a failed step is halved."""
        voltages = {name: w * voltage for name, w in weights.items()}
        nearest = int(np.argmin(np.abs(np.subtract(evaluated, voltage)))) if states else None
        try:
            solution = solve(voltages, initial if nearest is None else states[nearest])
        except (ThomasFermiConvergenceError, HartreeConvergenceError):
            if nearest is None or halvings == MAX_HALVINGS:  # nothing to continue from
                raise
            reach((voltage + evaluated[nearest]) / 2, halvings + 1)
            return reach(voltage, halvings + 1)
        states.append(solution)
        evaluated.append(voltage)
        return solution

    def indicator(voltage: float) -> float:
        return opening(reach(voltage))

    at_low, at_high = indicator(low), indicator(high)
    if not (at_low > 0 > at_high):
        raise ValueError(
            f"bracket={shown(bracket)} does not bracket the pinch-off: μ − E_c at the saddle "
            f"is {at_low:.3g} eV and {at_high:.3g} eV (need open > 0 > closed)"
        )
    voltage = scipy.optimize.brentq(indicator, low, high, xtol=tolerance)
    if voltage not in evaluated:  # brentq returns a point it evaluated; do not rely on it
        indicator(voltage)
    solution = states[evaluated.index(voltage)]
    return PinchOff(voltage=float(voltage), solution=solution, evaluations=len(states))


def pinch_off_voltage(
    electrostatics: SiteElectrostatics,
    gates: Mapping[str, float],
    band: BandDensity,
    saddle: int,
    bracket: tuple[float, float],
    *,
    band_edge: float = 0.0,
    tolerance: float = 1e-4,
    solver_tolerance: float = 1e-6,
    initial: ThomasFermiSolution | HartreeSolution | np.ndarray | None = None,
) -> PinchOff:
    """The Thomas–Fermi pinch-off voltage of the gates ``{name: weight × V}`` (module docstring).

    Parameters
    ----------
    electrostatics
        The map at the sites.
    gates
        Gate name -> weight: the gates are at ``weight × V`` (e.g. ``{"top": 1,
        "bottom": 1}`` for a symmetric split gate).
    band
        The band's density of states.
    saddle
        Index of the site at the saddle point (the middle of the constriction).
    bracket
        (V_open, V_closed): voltages at which the channel is open and closed, V.
    band_edge
        E_c − μ at zero potential, eV (as in :func:`thomas_fermi`).
    tolerance
        Accuracy of V_p, V.
    solver_tolerance
        Thomas–Fermi tolerance of each evaluation, eV.
    initial
        Warm start of the first evaluation (a solution near the bracket's open end, or U at
        the sites in eV); default U₀ there.
    """
    saddle = integer("saddle", saddle, minimum=0, maximum=len(electrostatics.positions) - 1)
    weights = _gate_weights(gates)

    def solve(voltages, previous):
        return thomas_fermi(
            electrostatics,
            voltages,
            band,
            band_edge=band_edge,
            tolerance=solver_tolerance,
            initial=previous,
        )

    def opening(solution):
        return float(-band_edge - solution.energy[saddle])

    return _root_search(solve, opening, weights, bracket, tolerance, initial)


def hartree_pinch_off_voltage(
    device: HartreeDevice,
    gates: Mapping[str, float],
    saddle: int,
    bracket: tuple[float, float],
    *,
    energy: float,
    temperature: float,
    params: Mapping[str, Any] | None = None,
    band_bottom: float = 0.0,
    band: BandDensity | None = None,
    tolerance: float = 1e-4,
    solver_tolerance: float = 1e-6,
    density_tol: float = 1e-8,
    initial: ThomasFermiSolution | HartreeSolution | np.ndarray | None = None,
) -> PinchOff:
    """The Hartree pinch-off voltage of the gates ``{name: weight × V}`` (module docstring).

    The same definition and root search as :func:`pinch_off_voltage`, with the quantum
    density: μ − E_c(saddle) = (E_F − ``band_bottom``)/(t per eV) − U_saddle.

    Parameters
    ----------
    device
        The system, its electrostatics and contacts; the other gates and contacts are at
        ``device.voltages``.
    gates
        Gate name -> weight: the gates are at ``weight × V``.
    saddle
        Index of the site (``device.fsyst.sites``) at the saddle point.
    bracket
        (V_open, V_closed), V.
    energy
        E_F (t), as in :func:`~workflows.electrostatics.hartree`.
    temperature
        k_B T (t), > 0.
    params
        Other Kwant parameters.
    band_bottom
        The band bottom of the model at zero potential (t): 0 on mesoflow's square lattice
        (on-site 4t) and chain (on-site 2t).
    band
        The model's band density (e.g. :func:`~workflows.electrostatics.square_lattice`):
        if given, each evaluation starts from the Thomas–Fermi solution at its voltage plus
        the quantum correction U_H − U_TF of the evaluation nearest in voltage (fewer
        Newton–Krylov iterations than that solution alone); the Thomas–Fermi band edge is
        (``band_bottom`` − E_F)/(t per eV).
    tolerance
        Accuracy of V_p, V.
    solver_tolerance
        Hartree tolerance of each evaluation, eV.
    density_tol
        Error target of the density per orbital (:func:`hartree`'s ``density_tol``).
    initial
        Warm start of the first evaluation (e.g. the Thomas–Fermi pinch-off's solution, or U
        at the sites in eV); with ``band`` it starts the first Thomas–Fermi solution.
    """
    if not isinstance(device, HartreeDevice):
        raise TypeError(f"device must be a HartreeDevice, got {type(device).__name__}")
    if band is not None and not isinstance(band, BandDensity):
        raise TypeError(f"band must be a BandDensity or None, got {type(band).__name__}")
    saddle = integer("saddle", saddle, minimum=0, maximum=len(device.fsyst.sites) - 1)
    weights = _gate_weights(gates)
    energy = real("energy", energy, hint="E_F in t")
    temperature = real("temperature", temperature, minimum=0, strict=True, hint="k_B T in t")
    band_bottom = real("band_bottom", band_bottom, hint="t")
    fermi = (energy - band_bottom) / device.scale()  # μ − E_c at zero potential, eV
    es = device.electrostatics

    semiclassical: dict[int, ThomasFermiSolution] = {}  # id(Hartree solution) -> TF there

    def solve(voltages, previous):
        voltages = dict(device.voltages, **voltages)
        start = previous
        if band is not None:  # TF at V plus the nearest evaluation's quantum correction
            before = semiclassical.get(id(previous))
            if before is None:  # the first evaluation
                now = thomas_fermi(es, voltages, band, band_edge=-fermi, initial=previous)
                start = now
            else:
                now = thomas_fermi(es, voltages, band, band_edge=-fermi, initial=before)
                start = now.energy + previous.energy - before.energy
        solution = hartree(
            device,
            energy=energy,
            temperature=temperature,
            voltages=voltages,
            params=params,
            tolerance=solver_tolerance,
            initial=start,
            density_tol=density_tol,
        )
        if band is not None:
            semiclassical[id(solution)] = now
        return solution

    def opening(solution):
        return float(fermi - solution.energy[saddle])

    return _root_search(solve, opening, weights, bracket, tolerance, initial)
