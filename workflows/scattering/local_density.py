"""Local densities of states, injectivities and Büttiker's local electrochemical potential.

The injectivity of lead p at site i is the local density of the states that
lead p injects,

    ν_p(i) = (1/2π) Σ_α [G Γ_p G†]_{iα, iα}        (units 1/t per site),

the partial local density of states of Gasparian, Christen & Büttiker
(Phys. Rev. A 54, 4022 (1996)); for a lead with modes it is
(1/2π) Σ_n |ψ_pn(i)|² over Kwant's scattering states, and the sum over all
leads (probes included) is the local density of states −Im G_ii/π
(:func:`kwant.ldos`, summed over the orbitals of each site).

In linear response a device whose terminals sit at potentials V_p fills each
site with the states of lead p up to V_p, so the local electrochemical
potential is the injectivity-weighted mean

    μ(i) = Σ_p ν_p(i) V_p / Σ_p ν_p(i)

(M. Büttiker, Phys. Rev. B 40, 3409 (1989); T. Gramespacher and M. Büttiker,
Phys. Rev. B 56, 13026 (1997)): the potential a weakly coupled, wide-band
voltage probe on that site would measure.  Unlike a current map it does not
depend on a reference potential.  Floating terminals (voltage probes,
dephasing probes) enter at their solved potentials; for a wide-band dephasing
probe on a single-orbital site the local potential equals that probe's own
potential exactly, since T_pq = Γ_p·2π ν_q(p).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np

from analysis.bias import BiasSolution
from systems.parameters import resolve_params
from systems.validation import check_system
from systems.validation import energy as check_energy
from workflows.scattering.current_maps import _solve_biased, _weighted_lead_gammas
from workflows.scattering.greens_columns import LeadGreensColumns, lead_greens_columns

__all__ = ["LocalPotential", "injectivities", "local_density_of_states", "local_potential"]


def _per_site(solution: LeadGreensColumns, gammas=None) -> np.ndarray:
    """(M, n_sites) injectivities from the G columns, orbitals of each site summed.

    With ``gammas`` (one per lead) in place of the leads' Γ, the same for those couplings.
    """
    per_orbital = solution.lead_spectral_diagonal(gammas) / (2 * np.pi)
    starts = solution.orbital_offsets[:-1]
    return np.add.reduceat(per_orbital, starts, axis=1)


def injectivities(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    at_band_edge: str | None = None,
) -> np.ndarray:
    """The injectivity (partial local density of states) of every lead on every site.

    Parameters
    ----------
    fsyst
        A finalized Kwant system (leads with modes and self-energy leads).
    energy
        Energy in units of t.
    params
        Kwant parameters; omitted standard names take their neutral values.
    at_band_edge
        At a band edge of a lead: None/``"refuse"`` (default) raises
        ``BandEdgeError``; ``"above"``/``"below"`` gives the one-sided limit
        (see :func:`workflows.conductance_matrix`).

    Returns
    -------
    numpy.ndarray
        Real (M, n_sites) array, ν_p(i) in states per unit energy (1/t) per
        site, orbitals summed, sites in the order of ``fsyst.sites`` (ready for
        :func:`kwant.plotter.map`).  Summed over p it is the local density of
        states.
    """
    check_system(fsyst)
    energy = check_energy("energy", energy)
    params = resolve_params(fsyst, params)
    return _per_site(lead_greens_columns(fsyst, energy, params=params, at_band_edge=at_band_edge))


def local_density_of_states(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    at_band_edge: str | None = None,
) -> np.ndarray:
    """The local density of states −Im G_ii/π per site (1/t), orbitals summed.

    Equal to :func:`kwant.ldos` summed over each site's orbitals, and defined
    also for systems with self-energy leads (dephasing probes).  ``at_band_edge``
    as for :func:`injectivities`.
    """
    return injectivities(fsyst, energy, params=params, at_band_edge=at_band_edge).sum(axis=0)


@dataclass(frozen=True)
class LocalPotential:
    """Büttiker's local electrochemical potential of a biased device, site by site.

    Attributes
    ----------
    energy
        Energy in units of t.
    potential
        μ(i) per site of ``fsyst.sites`` in the unit of the voltages; NaN
        where no lead injects any state (zero local density of states, e.g.
        deep in a quantum Hall bulk) or where a decoupled terminal's states
        are (its potential is undefined).
    injectivities
        (M, n_sites) ν_p(i) in 1/t per site.
    bias
        Potentials and currents of every terminal (floating probes solved).
    """

    energy: float
    potential: np.ndarray
    injectivities: np.ndarray
    bias: BiasSolution


def local_potential(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    voltages: Mapping[int, float],
    currents: Mapping[int, float] | None = None,
    blocks: bool = False,
    at_band_edge: str | None = None,
) -> LocalPotential:
    """The local electrochemical potential μ(i) = Σ_p ν_p(i) V_p / Σ_p ν_p(i) of a biased device.

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    energy
        Energy in units of t (the Fermi energy; linear response).
    params
        Kwant parameters; omitted standard names take their neutral values.
    voltages, currents
        The bias, as for :func:`analysis.solve_bias`: leads named in
        ``voltages`` are held at those voltages, those in ``currents`` carry
        that net current, every other lead (voltage probe, dephasing probe)
        floats at the potential where its net current vanishes.
    blocks
        If True, the terminals are the conservation-law blocks of the leads, as
        for :func:`workflows.scattering.biased_current_density`.
    at_band_edge
        At a band edge of a lead: None/``"refuse"`` (default) raises
        ``BandEdgeError``; ``"above"``/``"below"`` gives the one-sided limit
        (see :func:`workflows.conductance_matrix`).

    Returns
    -------
    LocalPotential
        μ(i) per site in the unit of the voltages, with the injectivities and
        the solved bias.
    """
    check_system(fsyst)
    energy = check_energy("energy", energy)
    solution, terminals, bias = _solve_biased(
        fsyst, energy, params, voltages, currents, blocks, at_band_edge
    )
    nu = _per_site(solution)
    # Σ_t V_t ν_t(i) over the terminals (blocks); a decoupled terminal (NaN) injects nothing.
    voltages_t = np.nan_to_num(bias.voltages, nan=0.0)
    weighted = _per_site(solution, _weighted_lead_gammas(solution, terminals, voltages_t))
    weighted = weighted.sum(axis=0)
    total = nu.sum(axis=0)
    scale = max(float(total.max(initial=0.0)), 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        potential = np.where(total > 1e-14 * scale, weighted / total, np.nan)
    decoupled = np.isnan(bias.voltages).astype(float)
    if decoupled.any():  # where a decoupled terminal's states are, μ is undefined
        share = _per_site(solution, _weighted_lead_gammas(solution, terminals, decoupled))
        potential[share.sum(axis=0) > 1e-10 * np.maximum(total, 1e-300)] = np.nan
    return LocalPotential(energy=energy, potential=potential, injectivities=nu, bias=bias)
