"""Thomas–Fermi self-consistency: the electron gas and the Poisson problem solved together.

At zero temperature the gas at site i holds n_i = N(μ − E_c − U_i) electrons, N the band's
electrons per site (:mod:`workflows.electrostatics.density_of_states`), μ = 0 the Fermi
level of the grounded gas, E_c the conduction-band edge at zero potential (eV) and U_i its
electrostatic potential energy, itself the affine map of the charge
(:class:`systems.electrostatics.SiteElectrostatics`):

    F(U) = U − U₀(V) − K N(−E_c − U) = 0.

The Jacobian 1 + K diag(ρ) (ρ the density of states) has a positive spectrum, K being
positive definite.  F is solved by an inexact Newton–Krylov method
(:func:`workflows.electrostatics.newton.solve_potential`, Jacobian–vector
products by finite differences; each costs one solve with the Poisson factorization made
once; inner solver LGMRES) to ``max |F| ≤ tolerance`` (eV, i.e. V of potential).  Plain
Anderson mixing (:func:`scipy.optimize.anderson`) was measured and not offered: a 2DEG
screens strongly (in GaAs e²D exceeds the geometric capacitance ε₀ε_r/d twenty-fold at d = 50 nm),
so 1 + K diag(ρ) is ill-conditioned at long wavelengths and Anderson did not converge in 50
iterations on a split-gate QPC that Newton–Krylov solves in 2–4 (the instability of naive
iteration that Armagnat et al., SciPost Phys. 7, 031 (2019) describe).  A point that does
not converge within ``max_iterations`` raises
:class:`ThomasFermiConvergenceError` (one line: residual and iterations), so that a scan
records a failed point rather than hanging.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from systems.electrostatics import SiteElectrostatics
from systems.validation import integer, real

from .density_of_states import BandDensity
from .newton import solve_potential, warm_start

__all__ = ["ThomasFermiConvergenceError", "ThomasFermiSolution", "thomas_fermi"]


class ThomasFermiConvergenceError(RuntimeError):
    """The Thomas–Fermi iteration did not reach its tolerance."""


@dataclass(frozen=True)
class ThomasFermiSolution:
    """A self-consistent Thomas–Fermi state at the sites.

    Attributes
    ----------
    energy
        Electrostatic potential energy U at each site, eV (the on-site term; pass it to
        :class:`systems.electrostatics.SitePotential`).
    density
        Electrons per site.
    voltages
        The gate voltages, V.
    iterations
        Non-linear iterations taken.
    residuals
        max |F| after each iteration, eV.
    converged
        Whether the last residual is within ``tolerance``.
    tolerance
        The requested tolerance, eV.
    """

    energy: np.ndarray
    density: np.ndarray
    voltages: Mapping[str, float]
    iterations: int
    residuals: tuple[float, ...]
    converged: bool
    tolerance: float


def thomas_fermi(
    electrostatics: SiteElectrostatics,
    voltages: Mapping[str, float],
    band: BandDensity,
    *,
    band_edge: float = 0.0,
    tolerance: float = 1e-6,
    max_iterations: int = 50,
    initial: ThomasFermiSolution | np.ndarray | None = None,
    check: bool = True,
) -> ThomasFermiSolution:
    """Solve the Thomas–Fermi problem of the gas at the sites (module docstring).

    Parameters
    ----------
    electrostatics
        The affine map U = U₀(V) + K q at the sites.
    voltages
        Gate name -> voltage (V), from the gas's Fermi level.
    band
        The band's n(E) (e.g. :func:`~workflows.electrostatics.density_of_states.square_lattice`).
    band_edge
        E_c − μ at zero electrostatic potential (eV): negative for a gas that is
        occupied when the potential vanishes.
    tolerance
        Largest |F| accepted, eV (1e-6: a microvolt of potential).
    max_iterations
        Non-linear iterations before giving up.
    initial
        A warm start: a previous solution (the last point of a scan) or U at the sites (eV).
        Default: U₀(V), the potential without the gas.
    check
        Raise :class:`ThomasFermiConvergenceError` when not converged (default); with
        False return the solution with ``converged=False``.
    """
    if not isinstance(electrostatics, SiteElectrostatics):
        raise TypeError(
            f"electrostatics must be a SiteElectrostatics, got {type(electrostatics).__name__}"
        )
    if not isinstance(band, BandDensity):
        raise TypeError(f"band must be a BandDensity, got {type(band).__name__}")
    band_edge = real("band_edge", band_edge, hint="eV")
    tolerance = real("tolerance", tolerance, minimum=0, strict=True, hint="eV")
    max_iterations = integer("max_iterations", max_iterations, minimum=1)
    bare = electrostatics.bare_energy(voltages)
    start = warm_start(initial, bare, "ThomasFermiSolution")

    def residual(energy):
        density = band.count(-band_edge - energy)
        return energy - bare - electrostatics.interaction(density)

    energy, residuals = solve_potential(residual, start, tolerance, max_iterations)
    last = float(np.max(np.abs(residual(energy))))
    converged = last <= tolerance
    if not converged and check:
        raise ThomasFermiConvergenceError(
            f"Thomas–Fermi did not converge: residual {last:.3g} eV > tolerance "
            f"{tolerance:.3g} eV after {len(residuals)} Newton–Krylov iterations; raise "
            "max_iterations, or warm-start from a nearby point with initial="
        )
    return ThomasFermiSolution(
        energy=energy,
        density=band.count(-band_edge - energy),
        voltages=dict(voltages),
        iterations=len(residuals),
        residuals=tuple(residuals),
        converged=converged,
        tolerance=tolerance,
    )
