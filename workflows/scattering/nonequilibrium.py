"""Non-equilibrium Green's functions at finite bias: G^n, densities and energy distributions.

Each lead l is a reservoir at (μ_l, k_B T_l).  The electron correlation
function (the lesser Green's function, G^n = −i G^<) of a non-interacting
open system is

    G^n(E) = Σ_l G(E) Γ_l(E) G(E)† f_l(E),        Γ_l = i(Σ_l − Σ_l†),

and the electron density on orbital a is n_a = ∫ G^n_aa(E) dE/2π (Datta,
*Quantum Transport: Atom to Transistor*, Cambridge 2005, Ch. 8–9).  A real-axis
integral of G^n misses the states coupled to no lead (bound states below the
band or in closed pockets: Γ_l vanishes on them, their weight in
A = i(G − G†) is a δ function), so :func:`electron_density` splits

    n_a = ∫ A_aa f_ref dE/2π  +  Σ_l ∫ (G Γ_l G†)_aa (f_l − f_ref) dE/2π,

with the reference reservoir ref the one with the lowest μ (Brandbyge,
Mozos, Ordejón, Taylor and Stokbro, Phys. Rev. B 65, 165401 (2002), Eqs. 12–15):

* the **equilibrium part** with the spectral function A, which contains every
  state, by the Fermi poles of Ozaki's continued fraction
  (:mod:`analysis.fermi_poles`): G is analytic in the upper half plane and
  ∫ A f dE/2π = 1/2 + (2/β) Σ_p R_p Re G_aa(μ + i z_p k_B T) for an
  orthonormal basis (the 1/2 is the sum rule ∫ A_aa dE/2π = 1);
* the **bias-window part** on the real axis, where f_l − f_ref ≠ 0, by
  adaptive Gauss–Kronrod quadrature of the whole vector of orbitals
  (:mod:`workflows.scattering.window_quadrature`: error control in
  the max norm as :func:`scipy.integrate.quad_vec`; each refinement round is
  one batch of energies for the recursive Green's function), split
  at the leads' band edges with a quadratic change of variable at each edge
  so that the 1/√ van Hove singularities there become smooth.  The
  integrand is smooth on the scale k_B T (Fermi steps times injectivities),
  where the 21-point rule needs about 190 energies for an error of 1e-10 on a
  bias window of ±5 k_B T; the piecewise-linear grid of
  :func:`analysis.window_grid` needs about 1000 for 1e-7 (measured on the
  same integrand), so the high-order rule is used here.

**Convention** for states coupled to no lead (as Brandbyge et al.): they are
occupied with the reference distribution f_ref, the lowest reservoir
potential.  Their occupation is undefined only where the reservoirs
disagree (inside the bias window); the result flags the sites where such
states carry weight (:attr:`ElectronDensity.decoupled`), from
n_eq(f_max) − n_eq(f_ref) − ∫ Σ_l (G Γ_l G†)_aa (f_max − f_ref) dE/2π, the
weight of states in the window that no lead fills.

Units: energies and k_B T in t; densities in electrons per orbital (per site
summed over its orbitals); G^n and A in 1/t.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np

from analysis.fermi_poles import fermi_poles_for_range
from systems.validation import real
from workflows.scattering.band_edges import mean_across_band_edge
from workflows.scattering.diagonal_greens import DiagonalSolver, diagonal_solver, serial_blas
from workflows.scattering.lead_cache import LeadSelfEnergyCache
from workflows.scattering.open_system import OpenSystem, broadening
from workflows.scattering.window_quadrature import (
    WindowRule,
    starting_partition,
    window_cuts,
    window_quadrature,
)

__all__ = [
    "ElectronDensity",
    "NonequilibriumDistribution",
    "correlation_function",
    "electron_density",
    "energy_resolved_currents",
    "nonequilibrium_distribution",
    "reservoirs",
    "terminal_currents",
]

#: Sites whose decoupled weight exceeds this are flagged (electrons per site).
DECOUPLED_THRESHOLD = 1e-6


def _fermi(energy: float, mu, temperature) -> np.ndarray:
    """f(E) of reservoirs (μ_l, k_B T_l > 0), vectorized over the reservoirs."""
    return 0.5 * (1.0 - np.tanh((energy - np.asarray(mu)) / (2.0 * np.asarray(temperature))))


def reservoirs(
    mu: float | Sequence[float], temperature: float | Sequence[float], n_leads: int
) -> tuple[np.ndarray, np.ndarray]:
    """(μ_l, k_B T_l) of every lead from a scalar (all leads) or a sequence in Kwant's lead order.

    Raises
    ------
    TypeError, ValueError
        A value is not a real number, a sequence has the wrong length, or a
        temperature is not > 0.
    """

    def per_lead(name, value, minimum, strict, hint):
        if np.ndim(value) == 0:
            return np.full(n_leads, real(name, value, minimum=minimum, strict=strict, hint=hint))
        values = list(value)
        if len(values) != n_leads:
            raise ValueError(
                f"{name} must be a number or one value per lead ({n_leads} leads, in Kwant's "
                f"lead order), got {len(values)} values: {value!r}"
            )
        return np.array(
            [
                real(f"{name}[{i}]", v, minimum=minimum, strict=strict, hint=hint)
                for i, v in enumerate(values)
            ]
        )

    mus = per_lead("mu", mu, None, False, "chemical potential in t")
    temperatures = per_lead("temperature", temperature, 0, True, "k_B T in t")
    return mus, temperatures


@dataclass(frozen=True)
class ElectronDensity:
    """Result of :func:`electron_density`.

    Attributes
    ----------
    density
        Electrons per site (summed over the site's orbitals), in the order of
        ``fsyst.sites``.
    orbital_density
        Electrons per orbital (the diagonal of the density matrix).
    equilibrium, window
        The two parts of ``orbital_density``: the equilibrium part with the
        reference distribution (every state, bound states included) and the
        bias-window part Σ_l ∫ (G Γ_l G†)_aa (f_l − f_ref) dE/2π.
    mu, temperature
        μ_l and k_B T_l of every lead (t).
    reference
        The lead whose reservoir is the reference (lowest μ): states coupled
        to no lead are occupied with its Fermi function.
    method
        ``"recursive"`` or ``"sparse"`` (see :mod:`workflows.scattering.diagonal_greens`).
    n_poles
        Number of Fermi pole pairs of the equilibrium part.
    pole_error
        Bound of the equilibrium part's error per orbital from the pole
        expansion (max |f_N − f| over the spectrum; ∫ A dE/2π = 1 per orbital).
    window_error
        Error estimate of the window part, the largest over orbitals (the
        adaptive Gauss–Kronrod rule's estimate).
    energies
        Real energies at which the window part was sampled (t); empty in
        equilibrium.
    window_rule
        The quadrature rule the window part ended on
        (:class:`~workflows.scattering.window_quadrature.WindowRule`; None in
        equilibrium): pass it back as ``window_rule=`` for another density at
        the same reservoirs and lead bands.
    decoupled_weight
        Per site, the weight of states coupled to no lead whose occupation
        depends on the convention (inside the bias window); zero in equilibrium.
    decoupled
        Per site, ``decoupled_weight`` above :data:`DECOUPLED_THRESHOLD`.
    """

    density: np.ndarray
    orbital_density: np.ndarray
    equilibrium: np.ndarray
    window: np.ndarray
    mu: np.ndarray
    temperature: np.ndarray
    reference: int
    method: str
    n_poles: int
    pole_error: float
    window_error: float
    energies: np.ndarray
    decoupled_weight: np.ndarray
    decoupled: np.ndarray
    window_rule: WindowRule | None = None


def _spectral_bounds(open_system: OpenSystem) -> tuple[float, float]:
    """An interval containing the spectrum of the region with its leads (Gershgorin, t)."""
    ham = open_system.hamiltonian.tocsr()
    diagonal = ham.diagonal().real
    radius = np.asarray(abs(ham).sum(axis=1)).ravel() - np.abs(ham.diagonal())
    lows, highs = [(diagonal - radius).min(initial=0.0)], [(diagonal + radius).max(initial=0.0)]
    coupling = 0.0
    for lead in open_system.fsyst.leads:
        if not hasattr(lead, "cell_hamiltonian"):
            continue  # a self-energy lead: no band of its own
        cell = np.atleast_2d(lead.cell_hamiltonian(params=open_system.params))
        hop = np.abs(np.atleast_2d(lead.inter_cell_hopping(params=open_system.params)))
        hop_rows = hop.sum(axis=1)
        hop_cols = hop.sum(axis=0)
        width = max(hop_rows.max(initial=0.0), hop_cols.max(initial=0.0))
        cell_radius = np.abs(cell).sum(axis=1) - np.abs(np.diagonal(cell)) + 2 * width
        lows.append((np.diagonal(cell).real - cell_radius).min())
        highs.append((np.diagonal(cell).real + cell_radius).max())
        coupling = max(coupling, width)
    return float(min(lows) - coupling), float(max(highs) + coupling)


def _equilibrium(solver: DiagonalSolver, mu: float, temperature: float, bounds, tol: float):
    """∫ A_aa f dE/2π by Ozaki's poles; (density, n_poles, error bound)."""
    x_max = max(abs(bounds[0] - mu), abs(bounds[1] - mu)) / temperature + 50.0
    poles, residues, error = fermi_poles_for_range(x_max, tol=tol)
    total = residues @ solver.greens_diagonals(mu + 1j * poles * temperature).real
    return 0.5 + 2.0 * temperature * total, poles.size, error


@serial_blas
def electron_density(
    fsyst: kwant.system.FiniteSystem,
    *,
    mu: float | Sequence[float],
    temperature: float | Sequence[float],
    params: Mapping[str, Any] | None = None,
    method: str = "auto",
    tol: float = 1e-8,
    max_points: int = 4000,
    lead_cache: LeadSelfEnergyCache | None = None,
    window_rule: WindowRule | None = None,
    refine_window: bool = True,
) -> ElectronDensity:
    """Electron density per site of an open system whose leads are reservoirs at (μ_l, T_l).

    The equilibrium part (reference: the lead with the lowest μ) by Ozaki's
    Fermi poles in the complex plane, so that bound states are counted; the
    bias-window part on the real axis on an adaptive grid (module docs).

    Parameters
    ----------
    fsyst
        A finalized Kwant system with leads (leads with modes or self-energy
        leads such as dephasing probes; every lead is a reservoir).
    mu
        Chemical potentials (t): one number for all leads (equilibrium) or one
        per lead in Kwant's lead order (probes included), like the terminal
        voltages of :func:`analysis.solve_bias`.
    temperature
        k_B T (t), > 0: one number or one per lead.
    params
        Kwant parameters.
    method
        ``"auto"``, ``"recursive"`` (cost linear in the length of a sliced
        system) or ``"sparse"`` (see :mod:`workflows.scattering.diagonal_greens`).
    tol
        Target error per orbital, of each part: the pole expansion
        (max |f_N − f| over the spectrum) and the window integral.
    max_points
        Largest number of subintervals of the window integral (21 energies each).
    lead_cache
        Lead self-energies kept between calls whose leads do not change
        (:class:`~workflows.scattering.lead_cache.LeadSelfEnergyCache`; a self-consistent
        loop asks for the same poles and quadrature nodes at every iterate).
    window_rule
        The window part's rule of an earlier density at the same reservoirs and
        lead bands (:attr:`ElectronDensity.window_rule`): the integral starts
        from its subintervals.
    refine_window
        Refine the window integral to ``tol`` (default).  With False (which
        needs a ``window_rule`` at finite bias), the rule is used as it is (a frozen rule: the same
        energies whatever the potential in the region, so that the density is
        a smooth function of it; ``window_error`` still estimates its error).
        A self-consistent loop freezes the rule within a solve and refines it
        at the end (:func:`workflows.electrostatics.hartree`).

    Returns
    -------
    ElectronDensity

    Raises
    ------
    ValueError
        ``window_rule`` was made for other reservoirs or lead bands, or
        ``refine_window=False`` at finite bias without a ``window_rule``.

    Notes
    -----
    For an orthonormal basis the equilibrium density is exact up to
    ``pole_error`` for leads with modes (finite bands).  A self-energy lead
    with an energy-independent Γ (a wide-band probe) gives Lorentzian tails
    to A beyond every finite band; their contribution outside the pole
    expansion's range cancels to first order (f_N → 1/2 on both sides) and
    is not included in ``pole_error``.
    """
    open_system = OpenSystem(fsyst, params=params, lead_cache=lead_cache)
    n_leads = len(fsyst.leads)
    if n_leads == 0:
        raise ValueError("fsyst has no leads: an electron density needs reservoirs")
    mus, temperatures = reservoirs(mu, temperature, n_leads)
    tol = real("tol", tol, minimum=0, strict=True, hint="electrons per orbital")
    reference = int(np.lexsort((temperatures, mus))[0])
    mu_ref, t_ref = mus[reference], temperatures[reference]
    in_window = bool(np.any(mus != mu_ref) or np.any(temperatures != t_ref))
    pieces = window_cuts(open_system, mus, temperatures) if in_window else None
    if pieces is not None:
        starting_partition(pieces, window_rule, "window_rule")  # another window's: refused
        if window_rule is None and not refine_window:
            raise ValueError(
                "refine_window=False needs a window_rule (ElectronDensity.window_rule of an "
                "earlier density at these reservoirs) to use as it is"
            )
    solver = diagonal_solver(open_system, method)
    bounds = _spectral_bounds(open_system)
    equilibrium, n_poles, pole_error = _equilibrium(solver, mu_ref, t_ref, bounds, tol)
    n = open_system.n_orbitals
    window = np.zeros(n)
    energies = np.zeros(0)
    window_error = 0.0
    site_of = np.repeat(np.arange(len(fsyst.sites)), np.diff(open_system.orbital_offsets))
    decoupled_weight = np.zeros(len(fsyst.sites))
    final_rule = None
    top = int(np.lexsort((-temperatures, mus))[-1])
    if pieces is not None:

        def integrand(energies):
            injected = solver.injectivity_batch(energies)  # (n_E, M, N)
            reference = _fermi(energies[:, None], mu_ref, t_ref)
            occupations = _fermi(energies[:, None], mus, temperatures) - reference
            spread = _fermi(energies[:, None], mus[top], temperatures[top]) - reference
            return np.concatenate(
                [
                    np.einsum("el,ela->ea", occupations, injected),
                    spread * injected.sum(axis=1),
                ],
                axis=1,
            ) / (2 * np.pi)

        integrals, error, final_rule, energies = window_quadrature(
            integrand,
            pieces,
            tol=tol,
            limit=max_points,
            refine=refine_window,
            start=window_rule,
        )
        window, filled = integrals[:n], integrals[n:]
        window_error = float(error)
        top_equilibrium = _equilibrium(solver, mus[top], temperatures[top], bounds, tol)[0]
        unfilled = top_equilibrium - equilibrium - filled
        decoupled_weight = np.bincount(site_of, weights=unfilled, minlength=len(fsyst.sites))
    orbital_density = equilibrium + window
    return ElectronDensity(
        density=np.bincount(site_of, weights=orbital_density, minlength=len(fsyst.sites)),
        orbital_density=orbital_density,
        equilibrium=equilibrium,
        window=window,
        mu=mus,
        temperature=temperatures,
        reference=reference,
        method=solver.method,
        n_poles=n_poles,
        pole_error=pole_error,
        window_error=window_error,
        energies=energies,
        decoupled_weight=decoupled_weight,
        decoupled=decoupled_weight > DECOUPLED_THRESHOLD,
        window_rule=final_rule,
    )


@serial_blas
def correlation_function(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    mu: float | Sequence[float],
    temperature: float | Sequence[float],
    params: Mapping[str, Any] | None = None,
    sites: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """G^n(E) = Σ_l G Γ_l G† f_l(E) and A(E) = i(G − G†) on the orbitals of ``sites``.

    Parameters
    ----------
    fsyst
        A finalized Kwant system with leads.
    energy
        Real energy (t).
    mu, temperature
        Reservoirs, as in :func:`electron_density`.
    params
        Kwant parameters.
    sites
        Site indices (default: all); the result is on their orbitals, site by
        site (site-resolved blocks are its diagonal blocks).

    Returns
    -------
    correlation, spectral
        Complex Hermitian (k, k) matrices G^n and A (1/t).  G^n_aa / A_aa is
        the occupation of orbital a at this energy; A contains no δ peaks of
        bound states (E is real), so A = Σ_l G Γ_l G† here.
    """
    open_system = OpenSystem(fsyst, params=params)
    mus, temperatures = reservoirs(mu, temperature, len(fsyst.leads))
    energy = real("energy", energy, hint="t")
    sites = np.arange(len(fsyst.sites)) if sites is None else np.asarray(sites, dtype=int)
    orbitals = open_system.orbitals(sites)
    sigmas = open_system.selfenergies(energy)
    interfaces = np.concatenate(open_system.interfaces)
    columns = open_system.greens_columns(energy, interfaces, sigmas)[orbitals]
    occupations = _fermi(energy, mus, temperatures)
    correlation = np.zeros((orbitals.size, orbitals.size), dtype=complex)
    spectral = np.zeros_like(correlation)
    start = 0
    for sigma, occupation in zip(sigmas, occupations, strict=True):
        stop = start + sigma.shape[0]
        g = columns[:, start:stop]
        injected = g @ broadening(sigma) @ g.conj().T
        correlation += occupation * injected
        spectral += injected
        start = stop
    return correlation, spectral


@dataclass(frozen=True)
class NonequilibriumDistribution:
    """Result of :func:`nonequilibrium_distribution`: energy-resolved occupations per site.

    Attributes
    ----------
    energies
        Real energies (t), shape (n_E,).
    spectral
        Local density of states Tr_site A(E)/2π per site (1/t), shape (n_E, n_sites):
        the scattering states (bound states are δ peaks off any real grid).
    correlation
        Tr_site G^n(E)/2π per site (electrons per unit energy, 1/t).
    distribution
        f_i(E) = Tr G^n_ii / Tr A_ii (dimensionless, between the reservoirs'
        f); NaN where the spectral function vanishes (below 1e-12 of its
        largest value).
    mu, temperature
        The reservoirs (t).
    method
        ``"recursive"`` or ``"sparse"``.
    """

    energies: np.ndarray
    spectral: np.ndarray
    correlation: np.ndarray
    distribution: np.ndarray
    mu: np.ndarray
    temperature: np.ndarray
    method: str


@serial_blas
def nonequilibrium_distribution(
    fsyst: kwant.system.FiniteSystem,
    energies: Sequence[float],
    *,
    mu: float | Sequence[float],
    temperature: float | Sequence[float],
    params: Mapping[str, Any] | None = None,
    method: str = "auto",
) -> NonequilibriumDistribution:
    """The energy distribution f_i(E) = G^n_ii(E) / A_ii(E) on every site.

    Parameters
    ----------
    fsyst
        A finalized Kwant system with leads.
    energies
        Real energies (t).
    mu, temperature
        Reservoirs, as in :func:`electron_density` (temperature ≥ 0 here is
        not allowed: k_B T > 0).
    params
        Kwant parameters.
    method
        ``"auto"``, ``"recursive"`` or ``"sparse"``.

    Returns
    -------
    NonequilibriumDistribution
    """
    open_system = OpenSystem(fsyst, params=params)
    mus, temperatures = reservoirs(mu, temperature, len(fsyst.leads))
    energies = np.atleast_1d(np.asarray(energies, dtype=float))
    if energies.ndim != 1 or energies.size == 0 or not np.all(np.isfinite(energies)):
        raise ValueError(
            f"energies must be a non-empty 1D list of finite energies (t), got {energies!r}"
        )
    solver = diagonal_solver(open_system, method)
    site_of = np.repeat(np.arange(len(fsyst.sites)), np.diff(open_system.orbital_offsets))
    n_sites = len(fsyst.sites)
    spectral = np.empty((energies.size, n_sites))
    correlation = np.empty_like(spectral)
    injected = solver.injectivity_batch(energies)  # (n_E, M, N)
    for k, energy in enumerate(energies):
        occupations = _fermi(energy, mus, temperatures)
        spectral[k] = np.bincount(site_of, weights=injected[k].sum(axis=0), minlength=n_sites)
        correlation[k] = np.bincount(site_of, weights=occupations @ injected[k], minlength=n_sites)
    spectral /= 2 * np.pi
    correlation /= 2 * np.pi
    with np.errstate(invalid="ignore", divide="ignore"):
        distribution = np.where(
            spectral > 1e-12 * spectral.max(initial=0.0), correlation / spectral, np.nan
        )
    return NonequilibriumDistribution(
        energies=energies,
        spectral=spectral,
        correlation=correlation,
        distribution=distribution,
        mu=mus,
        temperature=temperatures,
        method=solver.method,
    )


def energy_resolved_currents(open_system: OpenSystem, energy: float, occupations) -> np.ndarray:
    """Particle current per unit energy from each reservoir into the device, Meir–Wingreen form.

    i_l(E) = Tr[Γ_l (f_l A_ll − G^n_ll)] on lead l's interface, with the
    spectral function A = i(G − G†) and G^n = Σ_k G Γ_k G† f_k (Meir and
    Wingreen, Phys. Rev. Lett. 68, 2512 (1992), non-interacting case); the
    current is (e/h) ∫ i_l dE.  Units: dimensionless per unit energy
    (i.e. e/h per t of energy).
    """
    interface = open_system.interface_greens_function(energy)
    g, gammas, offsets = interface.data, interface.gammas, interface.offsets
    occupations = np.asarray(occupations, dtype=float)
    blocks = [slice(a, b) for a, b in itertools.pairwise(offsets)]
    currents = np.empty(len(gammas))
    for lead, (rows, gamma) in enumerate(zip(blocks, gammas, strict=True)):
        g_ll = g[rows, rows]
        spectral = 1j * (g_ll - g_ll.conj().T)
        correlation = sum(
            f * (g[rows, cols] @ gamma_k @ g[rows, cols].conj().T)
            for f, cols, gamma_k in zip(occupations, blocks, gammas, strict=True)
        )
        currents[lead] = np.trace(gamma @ (occupations[lead] * spectral - correlation)).real
    return currents


@serial_blas
def terminal_currents(
    fsyst: kwant.system.FiniteSystem,
    *,
    mu: float | Sequence[float],
    temperature: float | Sequence[float],
    params: Mapping[str, Any] | None = None,
    tol: float = 1e-10,
    lead_cache: LeadSelfEnergyCache | None = None,
) -> np.ndarray:
    """Particle currents from every reservoir into the device at finite bias, from G^n.

    I_l = (e/h) ∫ Tr[Γ_l (f_l A − G^n)] dE (:func:`energy_resolved_currents`),
    by adaptive Gauss–Kronrod quadrature over the energies where the
    reservoirs differ.  Without probes or interactions this is the Landauer
    current Σ_k ∫ T_lk (f_l − f_k) dE.

    Parameters
    ----------
    fsyst
        A finalized Kwant system with leads.
    mu, temperature
        Reservoirs, as in :func:`electron_density`.
    params
        Kwant parameters.
    tol
        Absolute error target of each current (e/h · t).
    lead_cache
        Lead self-energies kept between calls (as for :func:`electron_density`, whose
        quadrature nodes these are at the same reservoirs).

    Returns
    -------
    numpy.ndarray
        I_l in units of (e/h)·t (multiply by e·t/h for amperes), electrons
        flowing from reservoir l into the device; Σ_l I_l = 0.
    """
    open_system = OpenSystem(fsyst, params=params, lead_cache=lead_cache)
    mus, temperatures = reservoirs(mu, temperature, len(fsyst.leads))
    tol = real("tol", tol, minimum=0, strict=True, hint="e/h · t")

    def currents_at(energy):
        return energy_resolved_currents(open_system, energy, _fermi(energy, mus, temperatures))

    def integrand(energies):
        return np.array([mean_across_band_edge(currents_at, energy) for energy in energies])

    currents = window_quadrature(
        integrand, window_cuts(open_system, mus, temperatures), tol=tol, limit=2000
    )[0]
    return np.asarray(currents)
