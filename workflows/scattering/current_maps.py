"""Current maps: the current on every hopping, for one lead's states or a biased device.

Kwant's :class:`kwant.operator.Current` evaluates the current of one scattering
state.  Here the current is summed over every state injected by a lead, and for
a biased multi-terminal device weighted by each terminal's potential, with
floating voltage probes and dephasing probes at their solved potentials.

For hopping (i, j) of ``fsyst.graph`` (H_ij the hopping from site j to site i)
the current from j to i carried by the correlation G^n is

    J_ij = 2 Im Tr[H_ij G^n_ji],

the non-equilibrium Green's-function form of the bond current (e.g. S. Datta,
*Quantum Transport: Atom to Transistor*, Cambridge 2005), which for G^n = ψψ†
is exactly Kwant's ``Current`` (with unit on-site operator).  A lead p injects
G^n_p = G Γ_p G† (:mod:`workflows.scattering.greens_columns`): for a lead with modes this
is Σ_n ψ_pn ψ_pn† over its incoming modes, and it is defined all the same for
a self-energy lead (a dephasing probe), which has no scattering wave functions
in Kwant.  In linear response a device with terminal
potentials μ_p carries

    J = Σ_p (μ_p − μ_ref) J_p,

J_p the map of lead p.  The sum Σ_p J_p is the equilibrium current of all
states at this energy: zero on every hopping in a time-reversal-symmetric
system, but not in a magnetic field (persistent edge currents), so there the
map depends on the reference μ_ref and only differences of maps, and every
current through a complete cross-section, are independent of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np

from analysis.bias import BiasSolution, solve_bias
from systems.parameters import resolve_params
from systems.validation import (
    boolean,
    check_system,
    integer,
    real,
    terminal_index,
    terminal_setpoints,
)
from systems.validation import energy as check_energy
from workflows.scattering.greens_columns import (
    LeadGreensColumns,
    block_gammas,
    lead_greens_columns,
    terminal_gammas,
)

__all__ = [
    "CurrentMap",
    "biased_current_density",
    "current_density",
    "current_into",
    "hopping_array",
    "site_inflow",
]


def hopping_array(fsyst: kwant.system.FiniteSystem) -> np.ndarray:
    """(n, 2) array of the directed hoppings (i, j) of ``fsyst.graph``, in Kwant's order.

    The order of :class:`kwant.operator.Current` (``where=None``) and of
    :func:`kwant.plotter.current`; both directions of every bond appear.
    """
    hoppings = np.array(list(fsyst.graph), dtype=int)
    return hoppings.reshape(-1, 2)


def _orbital_pairs(
    hoppings: np.ndarray, orbital_offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every hopping (i, j): all orbital pairs (α on i, β on j) and the hopping's index."""
    norbs = np.diff(orbital_offsets)
    n_i, n_j = norbs[hoppings[:, 0]], norbs[hoppings[:, 1]]
    sizes = n_i * n_j
    hop = np.repeat(np.arange(len(hoppings)), sizes)
    local = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    width = n_j[hop]
    rows = orbital_offsets[hoppings[hop, 0]] + local // width
    cols = orbital_offsets[hoppings[hop, 1]] + local % width
    return rows, cols, hop


def _hopping_currents(
    solution: LeadGreensColumns, hoppings: np.ndarray, weights: np.ndarray, gammas=None
) -> np.ndarray:
    """J_ij = 2 Im Tr[H_ij G^n_ji] on every hopping for G^n = Σ_p w_p G Γ_p G†."""
    if len(hoppings) == 0:
        return np.zeros(0)
    rows, cols, hop = _orbital_pairs(hoppings, solution.orbital_offsets)
    h_values = np.asarray(solution.hamiltonian[rows, cols]).ravel()
    correlation = solution.correlation_elements(weights, cols, rows, gammas)  # G^n_ji by orbital
    return np.bincount(
        hop, weights=2 * np.imag(h_values * correlation), minlength=len(hoppings)
    ).astype(float)


def _check_lead(fsyst, lead: Any) -> int:
    return terminal_index("lead", lead, len(fsyst.leads))


def current_density(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    lead: int = 0,
    block: int | None = None,
    at_band_edge: str | None = None,
) -> np.ndarray:
    """The current on every hopping carried by all states injected from one lead.

    Parameters
    ----------
    fsyst
        A finalized Kwant system; any lead (with modes, or a self-energy lead
        such as a dephasing probe; conservation-law leads with all their blocks).
    energy
        Energy in units of t.
    params
        Kwant parameters; omitted standard names take their neutral values.
    lead
        Index of the injecting lead.
    block
        For a lead with a conservation law: only the states of this block
        (Kwant's block order, that of ``block_nmodes``, e.g. one spin); default
        all states of the lead.
    at_band_edge
        At a band edge of a lead: None/``"refuse"`` (default) raises
        ``BandEdgeError``; ``"above"``/``"below"`` gives the one-sided limit
        (see :func:`workflows.conductance_matrix`).

    Returns
    -------
    numpy.ndarray
        One real value per directed hopping (i, j) of ``fsyst.graph``, in the
        order of ``kwant.operator.Current(fsyst)`` (see :func:`hopping_array`):
        the current from site j to site i in units of e/h per unit energy window
        (multiply by a bias window δμ in units of t to get a current in e·t/h).
        For a lead with modes it equals the sum of ``kwant.operator.Current``
        over ``kwant.wave_function(fsyst, energy)(lead)``; it plugs into
        :func:`kwant.plotter.current`.  Through a cross-section that separates
        ``lead`` from the leads q it sums to Σ_q T_qp.

    Notes
    -----
    Computed as 2 Im Tr[H_ij G^n_ji] with G^n = G Γ_p G† from one sparse
    factorization (:func:`workflows.scattering.greens_columns.lead_greens_columns`).
    """
    check_system(fsyst)
    energy = check_energy("energy", energy)
    lead = _check_lead(fsyst, lead)
    params = resolve_params(fsyst, params)
    if block is not None:
        block = integer("block", block, minimum=0, what="a block index (int) or None")
    solution = lead_greens_columns(fsyst, energy, params=params, at_band_edge=at_band_edge)
    weights = np.zeros(len(fsyst.leads))
    weights[lead] = 1.0
    gammas = None
    if block is not None:
        blocks = block_gammas(fsyst, lead, params, solution.gammas[lead])
        if not 0 <= block < len(blocks):
            raise ValueError(
                f"block={block} is out of range: lead {lead} has blocks 0..{len(blocks) - 1}"
            )
        gammas = list(solution.gammas)
        gammas[lead] = blocks[block]
    return _hopping_currents(solution, hopping_array(fsyst), weights, gammas)


@dataclass(frozen=True)
class CurrentMap:
    """The linear-response current on every hopping of a biased device.

    Attributes
    ----------
    energy
        Energy in units of t.
    current
        One value per directed hopping of ``fsyst.graph`` (order of
        :func:`hopping_array`, pluggable into :func:`kwant.plotter.current`):
        the current from site j to site i in (e²/h)·v, v the unit of the
        voltages (the unit of :attr:`BiasSolution.currents`).
    hoppings
        (n, 2) site indices (i, j) of each hopping.
    bias
        Potentials and currents of every terminal (floating probes solved);
        the terminals are the leads, or with ``blocks=True`` their
        conservation-law blocks (lead-major).
    mu_ref
        The reference potential (unit v): lead p's states are weighted by
        V_p − μ_ref.  In a magnetic field the map depends on it (equilibrium
        edge currents); currents through complete cross-sections do not.
    """

    energy: float
    current: np.ndarray
    hoppings: np.ndarray
    bias: BiasSolution
    mu_ref: float


def biased_current_density(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    voltages: Mapping[int, float],
    currents: Mapping[int, float] | None = None,
    mu_ref: float = 0.0,
    blocks: bool = False,
    at_band_edge: str | None = None,
) -> CurrentMap:
    """The non-equilibrium current map of a biased device, floating probes at their potentials.

    The terminal potentials follow from the Büttiker bias problem I = G V
    (:func:`analysis.solve_bias`): terminals named in ``voltages`` are held at
    those voltages, those in ``currents`` carry that net current, and every
    other lead floats (a voltage probe, a dephasing probe) at the potential
    where its net current vanishes.  The map is then
    J = Σ_p (V_p − μ_ref) J_p over all leads, probes included, with J_p the
    map of lead p (:func:`current_density`).

    Parameters
    ----------
    fsyst
        A finalized Kwant system (leads with modes and self-energy leads).
    energy
        Energy in units of t (the Fermi energy; linear response).
    params
        Kwant parameters; omitted standard names take their neutral values.
    voltages
        Lead index -> voltage (unit v, e.g. t/e); at least one lead.
    currents
        Lead index -> set net current into the device, (e²/h)·v.
    mu_ref
        Reference potential (unit v) of the states counted as equilibrium.
        Without a magnetic field the map does not depend on it; in a field it
        does (equilibrium edge currents do not cancel): ``mu_ref`` equal to the
        drain voltage shows only the states injected above the drain.
    blocks
        If True, the terminals are the conservation-law blocks of the leads
        (lead-major, Kwant's block order; a lead without a conservation law is
        one terminal), as in ``conductance_matrix(..., blocks=True)``:
        ``voltages`` and ``currents`` are keyed by that terminal index, e.g. a
        spin-resolved bias.
    at_band_edge
        At a band edge of a lead: None/``"refuse"`` (default) raises
        ``BandEdgeError``; ``"above"``/``"below"`` gives the one-sided limit
        (see :func:`workflows.conductance_matrix`).

    Returns
    -------
    CurrentMap
        The map in (e²/h)·v with the solved terminal potentials and currents.
        Current is conserved on every site without a lead; through any
        cross-section the map carries the terminal currents of ``bias``.
    """
    check_system(fsyst)
    energy = check_energy("energy", energy)
    mu_ref = real("mu_ref", mu_ref, hint="unit of the voltages")
    solution, terminals, bias = _solve_biased(
        fsyst, energy, params, voltages, currents, blocks, at_band_edge
    )
    # A decoupled terminal (NaN potential) has Γ = 0 and injects nothing.
    weights = np.nan_to_num(bias.voltages - float(mu_ref), nan=0.0)
    gammas = _weighted_lead_gammas(solution, terminals, weights)
    hoppings = hopping_array(fsyst)
    return CurrentMap(
        energy=energy,
        current=_hopping_currents(solution, hoppings, np.ones(solution.n_leads), gammas),
        hoppings=hoppings,
        bias=bias,
        mu_ref=float(mu_ref),
    )


def _solve_biased(fsyst, energy, params, voltages, currents, blocks, at_band_edge=None):
    """Validate a bias, solve once, and return the G columns, the terminals and the bias.

    Shared by the biased current map and the local potential.
    """
    n_leads = len(fsyst.leads)
    if n_leads < 2:
        raise ValueError("a biased device needs at least two leads")
    if not isinstance(voltages, Mapping) or not voltages:
        raise ValueError(
            f"voltages must be a non-empty mapping of terminal index to voltage, got {voltages!r}"
        )
    blocks = boolean("blocks", blocks)
    if not blocks:  # check before the expensive solve (with blocks, solve_bias checks)
        terminal_setpoints("voltages", voltages, n_leads)
        terminal_setpoints("currents", currents, n_leads)
    params = resolve_params(fsyst, params)
    solution = lead_greens_columns(fsyst, energy, params=params, at_band_edge=at_band_edge)
    terminals = terminal_gammas(solution, fsyst, params, blocks)
    bias = solve_bias(
        solution.conductance_matrix(terminals if blocks else None),
        voltages=voltages,
        currents=currents,
    )
    return solution, terminals, bias


def _weighted_lead_gammas(solution, terminals, weights) -> list[np.ndarray]:
    """Σ_b w_(p,b) Γ_(p,b) for each lead p: the weighted injection on its interface."""
    gammas = [np.zeros_like(gamma) for gamma in solution.gammas]
    for (lead, gamma), weight in zip(terminals, weights, strict=True):
        if weight != 0:
            gammas[lead] = gammas[lead] + weight * gamma
    return gammas


def site_inflow(fsyst: kwant.system.FiniteSystem, current: np.ndarray) -> np.ndarray:
    """Net current flowing into each site from its neighbours (zero where current is conserved).

    Parameters
    ----------
    fsyst
        The finalized system of the map.
    current
        A map per directed hopping (order of :func:`hopping_array`).

    Returns
    -------
    numpy.ndarray
        One value per site: Σ_j J_ij, in the unit of ``current``.  It vanishes
        on every site without a lead; on a lead's interface it is the current
        that leaves the device into that lead.
    """
    hoppings = hopping_array(fsyst)
    current = _check_map(current, hoppings)
    # Both directions of a bond are listed with J_ji = −J_ij: take half of each.
    inflow = np.bincount(hoppings[:, 0], weights=current, minlength=len(fsyst.sites))
    outflow = np.bincount(hoppings[:, 1], weights=current, minlength=len(fsyst.sites))
    return 0.5 * (inflow - outflow)


def current_into(
    fsyst: kwant.system.FiniteSystem,
    current: np.ndarray,
    region: Callable[[np.ndarray], bool],
) -> float:
    """Net current through the boundary of a region, flowing in.

    Parameters
    ----------
    fsyst
        The finalized system of the map.
    current
        A map per directed hopping (order of :func:`hopping_array`).
    region
        ``region(pos) -> bool`` selecting the sites inside, e.g.
        ``lambda pos: pos[0] > 10.5`` for the cross-section at x = 10.5.

    Returns
    -------
    float
        Σ J_ij over the hoppings with i inside and j outside (each bond once),
        in the unit of ``current``.  With the map of
        :func:`biased_current_density` and a cross-section that separates the
        leads, it equals Σ_p I_p over the leads attached outside the region
        (= −Σ_p I_p over those inside; floating probes carry I_p = 0).
    """
    hoppings = hopping_array(fsyst)
    current = _check_map(current, hoppings)
    inside = np.array([bool(region(site.pos)) for site in fsyst.sites])
    crossing = inside[hoppings[:, 0]] & ~inside[hoppings[:, 1]]
    return float(current[crossing].sum())


def _check_map(current: Any, hoppings: np.ndarray) -> np.ndarray:
    current = np.asarray(current, dtype=float)
    if current.shape != (len(hoppings),):
        raise ValueError(
            f"current must hold one value per directed hopping of fsyst.graph "
            f"({len(hoppings)}), got shape {current.shape}"
        )
    return current
