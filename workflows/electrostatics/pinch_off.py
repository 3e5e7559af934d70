"""The Thomas–Fermi pinch-off voltage of a gate-defined constriction.

The constriction pinches off when the band bottom at its saddle point reaches the Fermi
level: f(V) = μ − E_c(saddle) = −``band_edge`` − U_saddle(V) changes sign there (positive
while the channel is open).  f is continuous and monotone in the gate voltage (U is a
continuous, increasing function of the repulsive gate's −V), so
:func:`scipy.optimize.brentq` finds its root in a bracket; each evaluation is a
Thomas–Fermi solution warm-started from the previous one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import scipy.optimize

from systems.electrostatics import SiteElectrostatics
from systems.validation import integer, real, shown

from .density_of_states import BandDensity
from .thomas_fermi import ThomasFermiSolution, thomas_fermi

__all__ = ["PinchOff", "pinch_off_voltage"]


@dataclass(frozen=True)
class PinchOff:
    """The pinch-off voltage and the Thomas–Fermi state there.

    Attributes
    ----------
    voltage
        The gate voltage V_p (V) at which the saddle's band bottom meets the Fermi level.
    solution
        The Thomas–Fermi solution at ``voltage``.
    evaluations
        Thomas–Fermi solutions computed by the root search.
    """

    voltage: float
    solution: ThomasFermiSolution
    evaluations: int


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
) -> PinchOff:
    """The voltage V at which the gates ``{name: weight × V}`` pinch the channel off.

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
    """
    saddle = integer("saddle", saddle, minimum=0, maximum=len(electrostatics.positions) - 1)
    if not isinstance(gates, Mapping) or not gates:
        raise ValueError(f"gates must map gate names to weights, got {shown(gates)}")
    weights = {name: real(f"gates[{name!r}]", w) for name, w in gates.items()}
    low, high = (real("bracket", v, hint="V") for v in bracket)
    tolerance = real("tolerance", tolerance, minimum=0, strict=True, hint="V")
    states: list[ThomasFermiSolution] = []

    def opening(voltage: float) -> float:
        solution = thomas_fermi(
            electrostatics,
            {name: w * voltage for name, w in weights.items()},
            band,
            band_edge=band_edge,
            tolerance=solver_tolerance,
            initial=states[-1] if states else None,
        )
        states.append(solution)
        return float(-band_edge - solution.energy[saddle])

    at_low, at_high = opening(low), opening(high)
    if not (at_low > 0 > at_high):
        raise ValueError(
            f"bracket={shown(bracket)} does not bracket the pinch-off: μ − E_c at the saddle "
            f"is {at_low:.3g} eV and {at_high:.3g} eV (need open > 0 > closed)"
        )
    voltage = scipy.optimize.brentq(opening, low, high, xtol=tolerance)
    opening(voltage)
    return PinchOff(voltage=float(voltage), solution=states[-1], evaluations=len(states))
