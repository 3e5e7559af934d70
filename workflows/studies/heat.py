"""Multi-terminal charge and heat transport of any Kwant system, with thermal probes.

The conductance matrices G(E) (all leads, probes included) are sampled on one
adaptive energy grid covering every reservoir's thermal window
(:func:`analysis.energy_grid.window_grid`); currents, floating terminals and
the entropy production are then computed Kwant-free by :mod:`analysis.heat`,
where the conventions (currents leaving each reservoir, Ṡ = −Σ J^Q_i/T_i)
and units are stated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kwant
import numpy as np

from analysis.energy_grid import window_grid
from analysis.heat import HeatSolution, onsager_from_conductances, solve_heat
from systems.validation import check_system, lead_index, real
from systems.validation import energy as check_energy
from workflows.scattering import OpenSystem
from workflows.scattering.band_edges import GRID_NODE_SIDE

__all__ = ["conductance_grid", "heat_transport", "onsager_matrix"]

#: Default error target of the adaptive grid (absolute, e²/h per interval).
DEFAULT_TOL = 1e-5


def conductance_grid(
    fsyst: kwant.system.FiniteSystem,
    windows,
    *,
    params: Mapping[str, Any] | None = None,
    tol: float = DEFAULT_TOL,
    max_points: int = 2000,
) -> tuple[np.ndarray, np.ndarray]:
    """Conductance matrices G(E) (e²/h) on an adaptive grid covering the (μ, k_BT) windows.

    Returns
    -------
    energies, matrices
        Sorted energies (t) and G(E_k), shape (n, M, M).
    """
    check_system(fsyst)
    open_system = OpenSystem(fsyst, params=params)  # H assembled once for every energy

    def matrix(energy: float) -> np.ndarray:  # a node on a band edge: the limit from above
        energy = open_system.resolve_energy(check_energy("energy", energy), GRID_NODE_SIDE)
        return open_system.conductance_matrix(energy)

    return window_grid(matrix, windows, tol=tol, max_points=max_points)


def heat_transport(
    fsyst: kwant.system.FiniteSystem,
    potentials: Mapping[int, float],
    temperatures: Mapping[int, float],
    *,
    params: Mapping[str, Any] | None = None,
    tol: float = DEFAULT_TOL,
) -> HeatSolution:
    """Charge and heat currents of every terminal, floating terminals solved (nonlinear).

    Parameters
    ----------
    fsyst
        A finalized Kwant system with M leads (self-energy probe leads included).
    potentials
        {lead: μ in t}; a lead not named floats in charge (zero particle current).
    temperatures
        {lead: k_B T in t, > 0}; a lead not named floats in heat (zero heat
        current): named in neither, it is a thermal probe.
    params
        Kwant parameters.
    tol
        Error target of the adaptive energy grid.

    Returns
    -------
    analysis.heat.HeatSolution
        μ_i, θ_i, currents (e·t/h), energy and heat currents (t²/h) leaving each
        reservoir, and the entropy production −Σ J^Q_i/θ_i (k_B·t/h).

    Notes
    -----
    The energy grid spans every given window and, for floating terminals, the
    window (μ, max θ) at the extreme given potentials; a floating terminal
    settles between the given values (up to thermoelectric offsets ≪ 25 k_BT).
    Floating is in *total* charge/heat (a voltage or thermal probe, which
    relaxes electrons inelastically), unlike the dephasing probes of
    :mod:`workflows.studies.thermoelectric`, which float at every energy.
    """
    check_system(fsyst)
    m = len(fsyst.leads)
    for name, values in (("potentials", potentials), ("temperatures", temperatures)):
        if not isinstance(values, Mapping):
            raise TypeError(f"{name} must be a mapping of lead index to value, got {values!r}")
        for lead in values:
            lead_index(f"a key of {name}", lead, m)
    if not potentials or not temperatures:
        raise ValueError("give at least one potential and one temperature")
    for lead, value in temperatures.items():
        real(f"temperatures[{lead}]", value, minimum=0, strict=True, hint="k_B T in t")
    theta_max = max(temperatures.values())
    extremes = (min(potentials.values()), max(potentials.values()))
    windows = {(mu, theta_max) for mu in extremes}
    for lead in range(m):
        for mu in [potentials[lead]] if lead in potentials else extremes:
            windows.add((mu, temperatures.get(lead, theta_max)))
    windows = sorted(windows)
    energies, matrices = conductance_grid(fsyst, windows, params=params, tol=tol)
    return solve_heat(energies, matrices, potentials, temperatures)


def onsager_matrix(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    temperature: float,
    *,
    params: Mapping[str, Any] | None = None,
    tol: float = DEFAULT_TOL,
) -> np.ndarray:
    """The 2M × 2M linear-response matrix (J, J^Q) = 𝓛 (δμ, δθ/θ) of all leads.

    See :func:`analysis.onsager_from_conductances`; units: the L⁰ block e²/h
    (currents e·t/h per t of δμ), L¹ (e²/h)·t, L² (e²/h)·t².  In a magnetic
    field B, 𝓛(B) = 𝓛(−B)ᵀ (Onsager–Casimir).

    Parameters
    ----------
    fsyst
        A finalized Kwant system with M leads.
    energy
        Fermi energy: the reservoirs' common chemical potential μ in
        equilibrium (t).
    temperature
        k_B T of the reservoirs in equilibrium (t, > 0); below
        :func:`analysis.thermal.sommerfeld_floor` the Sommerfeld limit of each
        moment (:func:`analysis.landauer_moments`).
    params
        Kwant parameters.
    tol
        Error target of the adaptive energy grid.
    """
    energy = check_energy("energy", energy)
    temperature = real("temperature", temperature, minimum=0, strict=True, hint="k_B T in t")
    energies, matrices = conductance_grid(fsyst, [(energy, temperature)], params=params, tol=tol)
    return onsager_from_conductances(energies, matrices, energy, temperature)
