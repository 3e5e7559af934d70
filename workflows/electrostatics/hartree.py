"""Hartree self-consistency: the quantum (NEGF) electron density solved with the Poisson problem.

The electrons at the sites q = n(U) are the non-equilibrium density of the open system
(:func:`workflows.scattering.nonequilibrium.electron_density`: the equilibrium part by
Fermi poles, every bound state included, plus the bias-window part on the real axis) in
the on-site potential energy U, itself the affine map of the charge
(:class:`systems.electrostatics.SiteElectrostatics`):

    F(U) = U − U₀(V) − K n(U; μ_l, T_l) = 0.

**Contacts.**  Lead l is a metallic reservoir whose contact is the gate ``contacts[l]`` of
the layout, at voltage V_l.  Its electrochemical potential and its band move together:
μ_l = E_F − eV_l and the lead's on-site energy is shifted by −eV_l (the parameter
``lead_potentials[l]``), so that the lead's filling E_F is fixed by the material.  A
constant added to every voltage (gates, contacts) then shifts U, every μ_l and every lead
band by the same energy: the gauge invariance of Christen and Büttiker, Europhys. Lett.
35, 523 (1996), which the imposed drops of :func:`workflows.iv_curve` do not have.

**Units.**  Voltages in V, U in eV at the sites (:class:`systems.electrostatics.SitePotential`
converts it to t through ``units``), E_F, μ_l and k_B T in t.  Each orbital of the model
holds ``units.degeneracy`` electrons (g = 2 for a spinless model of spin-degenerate
electrons, as :class:`systems.Units` says and as Thomas–Fermi counts them; 1, the default,
for a spin-resolved model).

**Method.**  F is solved by an inexact Newton–Krylov method
(:func:`workflows.electrostatics.newton.solve_potential`: Jacobian–vector products by
finite differences of F, inner solver LGMRES), as Thomas–Fermi
(:mod:`workflows.electrostatics.thomas_fermi`), to ``max |F| ≤ tolerance`` (eV).  The
density is computed to ``density_tol`` electrons per orbital, well below the finite
difference step's effect on n, so that the Jacobian–vector products are not noise.

At finite bias the window part of the density is a real-axis quadrature
(:mod:`workflows.scattering.window_quadrature`), refined to ``density_tol`` at every iterate
and line-search point.  The finite differences of the Jacobian–vector products about an
iterate hold its rule fixed (``refine_window=False``): F(U + hv) − F(U) is then the change
of the density, not of its quadrature (an adaptive rule changes with U and would add
jumps of order ``density_tol`` / h), and those densities sample only energies whose lead
self-energies are cached.  (The equilibrium part's number of Fermi poles follows the
spectrum's bounds, which move with U; it changes rarely, in steps whose effect on n is
below ``density_tol``.)

A point that does not converge within ``max_iterations`` raises
:class:`HartreeConvergenceError` (one line), which a scan records as a failed point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from systems.electrostatics import SiteElectrostatics, SitePotential
from systems.parameters import updated_params
from systems.units import Units
from systems.validation import integer, real, shown
from workflows.scattering.lead_cache import LeadSelfEnergyCache
from workflows.scattering.nonequilibrium import electron_density

from .device_checks import checked_device_parts
from .newton import solve_potential, warm_start

__all__ = ["HartreeConvergenceError", "HartreeDevice", "HartreeSolution", "hartree"]


class HartreeConvergenceError(RuntimeError):
    """The Hartree iteration did not reach its tolerance."""


@dataclass(frozen=True)
class HartreeDevice:
    """A Kwant system, its electrostatics and its contacts (module docstring).

    Parameters
    ----------
    fsyst
        The finalized Kwant system with leads.
    electrostatics
        The affine map U = U₀(V) + K q at ``fsyst.sites`` (same order).
    units
        Converts eV (U, eV_l) to the system's energy unit t; its ``degeneracy`` g is the
        number of electrons per orbital state (the density is g × Kwant's).
    contacts
        For each lead (Kwant's order) the name of the layout gate that is its contact.
    lead_potentials
        For each lead the name of the Kwant parameter added to the lead's on-site energy
        (set to −eV_l in t), or None for a lead whose band does not move (breaks the gauge
        invariance unless its contact voltage never changes).
    potential
        The Kwant parameter that receives U in the scattering region, a
        :class:`~systems.electrostatics.SitePotential` (``V`` for mesoflow's builders).
    voltages
        Gate and contact voltages at zero bias (V); gates left out are at 0 V.
    """

    fsyst: Any
    electrostatics: SiteElectrostatics
    units: Units
    contacts: Sequence[str]
    lead_potentials: Sequence[str | None]
    potential: str = "V"
    voltages: Mapping[str, float] | None = None

    def __post_init__(self):
        voltages = checked_device_parts(self.fsyst, self.electrostatics, self.units, self.voltages)
        n_leads = len(self.fsyst.leads)
        for name in ("contacts", "lead_potentials"):
            values = tuple(getattr(self, name))
            if len(values) != n_leads:
                raise ValueError(
                    f"{name}={shown(values)} needs one entry per lead ({n_leads} leads)"
                )
            object.__setattr__(self, name, values)
        unknown = [c for c in self.contacts if c not in self.electrostatics.gate_names]
        if unknown:
            raise ValueError(
                f"contacts {unknown} are not gates of the layout "
                f"{list(self.electrostatics.gate_names)}"
            )
        object.__setattr__(self, "voltages", voltages)

    def scale(self) -> float:
        """t per eV."""
        return 1e3 / self.units.t_meV

    def reservoirs(self, energy: float, voltages: Mapping[str, float]) -> np.ndarray:
        """μ_l = E_F − eV_l of every lead (t), V_l its contact's voltage."""
        return np.array([energy - self.scale() * voltages.get(c, 0.0) for c in self.contacts])

    def lead_cache(self) -> LeadSelfEnergyCache:
        """The leads' self-energies kept across Hartree iterations (built once per device).

        The leads do not depend on U, and every density of an iteration asks for the same
        poles and quadrature nodes; a lead whose band moves with its contact voltage has a
        new fingerprint, so a cached Σ is only used for the lead it was solved for.
        """
        if "_lead_cache" not in self.__dict__:
            object.__setattr__(self, "_lead_cache", LeadSelfEnergyCache())
        return self.__dict__["_lead_cache"]

    def params(self, energy_at_sites, voltages: Mapping[str, float], base=None) -> dict:
        """Kwant parameters: U at the sites and each lead's band shift −eV_l (t)."""
        if "_site_potential" not in self.__dict__:  # the site index, built once per device
            zeros = np.zeros(len(self.fsyst.sites))
            site_potential = SitePotential(self.fsyst, zeros, units=self.units)
            object.__setattr__(self, "_site_potential", site_potential)
        update: dict[str, Any] = {
            self.potential: self.__dict__["_site_potential"].with_energy(energy_at_sites)
        }
        for contact, name in zip(self.contacts, self.lead_potentials, strict=True):
            if name is not None:
                update[name] = -self.scale() * voltages.get(contact, 0.0)
        return updated_params(base, update)


@dataclass(frozen=True)
class HartreeSolution:
    """A self-consistent Hartree state.

    Attributes
    ----------
    energy
        U at each site, eV (the on-site term).
    density
        Electrons per site (the degeneracy g included).
    voltages
        Gate and contact voltages, V.
    mu
        μ_l of every lead, t.
    params
        The Kwant parameters of the solution (the base ``params`` with U and the lead
        band shifts): pass them to any transport calculation.
    iterations
        Newton–Krylov iterations taken.
    residuals
        max |F| after each iteration, eV.
    converged, tolerance
        Whether max |F| ≤ ``tolerance`` (eV).
    """

    energy: np.ndarray
    density: np.ndarray
    voltages: Mapping[str, float]
    mu: np.ndarray
    params: Mapping[str, Any]
    iterations: int
    residuals: tuple[float, ...]
    converged: bool
    tolerance: float


def hartree(
    device: HartreeDevice,
    *,
    energy: float,
    temperature: float,
    voltages: Mapping[str, float] | None = None,
    params: Mapping[str, Any] | None = None,
    tolerance: float = 1e-6,
    max_iterations: int = 30,
    initial: HartreeSolution | np.ndarray | None = None,
    density_tol: float = 1e-10,
    check: bool = True,
) -> HartreeSolution:
    """Solve the Hartree problem of ``device`` at the given voltages (module docstring).

    Parameters
    ----------
    device
        The system, its electrostatics and contacts.
    energy
        E_F (t): the electrochemical potential of a contact at 0 V, measured in the
        system's energies at U = 0.
    temperature
        k_B T of every reservoir (t), > 0.
    voltages
        Gate and contact voltages (V); default ``device.voltages``.
    params
        Other Kwant parameters.
    tolerance
        Largest |F| accepted, eV.
    max_iterations
        Newton–Krylov iterations before giving up.
    initial
        Warm start: a previous solution (the last point of a scan) or U at the sites (eV).
        Default: U₀(V).
    density_tol
        Error target of the density per orbital (:func:`electron_density`'s ``tol``).
    check
        Raise :class:`HartreeConvergenceError` when not converged (default).
    """
    if not isinstance(device, HartreeDevice):
        raise TypeError(f"device must be a HartreeDevice, got {type(device).__name__}")
    energy = real("energy", energy, hint="E_F in t")
    temperature = real("temperature", temperature, minimum=0, strict=True, hint="k_B T in t")
    tolerance = real("tolerance", tolerance, minimum=0, strict=True, hint="eV")
    density_tol = real("density_tol", density_tol, minimum=0, strict=True, hint="per orbital")
    max_iterations = integer("max_iterations", max_iterations, minimum=1)
    voltages = dict(device.voltages if voltages is None else voltages)
    es = device.electrostatics
    bare = es.bare_energy(voltages)
    mu = device.reservoirs(energy, voltages)
    start = warm_start(initial, bare, "HartreeSolution")

    rule = None  # the window part's quadrature rule at the last iterate
    last_density: dict = {}

    def density(u, *, frozen: bool):
        nonlocal rule
        result = electron_density(
            device.fsyst,
            mu=mu,
            temperature=temperature,
            params=device.params(u, voltages, params),
            tol=density_tol,
            lead_cache=device.lead_cache(),
            window_rule=rule if frozen else None,
            refine_window=not frozen,
        )
        electrons = device.units.degeneracy * result.density  # g electrons per orbital state
        if not frozen:
            rule = result.window_rule
            last_density.update(u=np.array(u, copy=True), electrons=electrons)
        return electrons

    def residual(u):
        return u - bare - es.interaction(density(u, frozen=False))

    def residual_for_jacobian(u):
        return u - bare - es.interaction(density(u, frozen=True))

    solution, residuals = solve_potential(
        residual, start, tolerance, max_iterations, residual_for_jacobian=residual_for_jacobian
    )
    electrons = last_density["electrons"]  # solve_potential's last F is at the solution
    if not np.array_equal(last_density["u"], solution):
        electrons = density(solution, frozen=False)
    last = float(np.max(np.abs(solution - bare - es.interaction(electrons))))
    converged = last <= tolerance
    if not converged and check:
        raise HartreeConvergenceError(
            f"Hartree did not converge: residual {last:.3g} eV > tolerance {tolerance:.3g} eV "
            f"after {len(residuals)} Newton–Krylov iterations; raise max_iterations or "
            "warm-start from a nearby point with initial="
        )
    return HartreeSolution(
        energy=solution,
        density=electrons,
        voltages=voltages,
        mu=mu,
        params=device.params(solution, voltages, params),
        iterations=len(residuals),
        residuals=tuple(residuals),
        converged=converged,
        tolerance=tolerance,
    )
