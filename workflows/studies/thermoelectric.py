"""Thermoelectric linear response of any Kwant system: G, S, Π, κ, Lorenz ratio, ZT.

The transmission 𝒯(E) between ``source`` and ``sink`` is sampled on one
adaptive energy grid (:func:`analysis.energy_grid.window_grid`, error
controlled) covering every requested (μ, k_B T) window, and the Landauer
moments L_0, L_1, L_2 on it give the coefficients
(:mod:`analysis.thermoelectric`, where formulas, units and signs are stated).

With more than two terminals, 𝒯(E) is the two-terminal conductance at each
energy with every other terminal floating at that energy
(:func:`workflows.two_terminal_conductance` of G(E)): the other leads are
*dephasing* probes in the sense of Büttiker — they draw no net current at any
energy (no heat exchange either) — which is exact for self-energy dephasing
probes and a model choice for leads with modes.  For probes that float only
in total charge and/or heat, see :mod:`workflows.studies.heat`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import kwant
import numpy as np
import pandas as pd

from analysis.bias import _check_terminal, two_terminal_conductance
from analysis.energy_grid import window_grid
from analysis.thermoelectric import (
    ThermoelectricCoefficients,
    landauer_moments,
    thermoelectric_coefficients,
)
from workflows.scattering import OpenSystem
from workflows.scattering.conductance import _check_energy, _check_system

__all__ = ["thermoelectric", "thermoelectric_table", "transmission_function"]

#: Default error target of the adaptive grid (absolute, in e²/h per interval).
DEFAULT_TOL = 1e-5


def transmission_function(
    fsyst: kwant.system.FiniteSystem,
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
):
    """E ↦ 𝒯(E) (e²/h) from ``source`` to ``sink``, other terminals floating at each energy.

    Validates the system, the parameters and the terminals and assembles the
    Hamiltonian once (:class:`workflows.scattering.OpenSystem`); the returned
    function solves the open system at each energy (units of t).
    """
    _check_system(fsyst)
    n_leads = len(fsyst.leads)
    source = _check_terminal("source", source, n_leads)
    sink = _check_terminal("sink", sink, n_leads)
    if source == sink:
        raise ValueError(f"source and sink must differ, both are {source}")
    open_system = OpenSystem(fsyst, params=params)  # H assembled once for every energy

    def transmission(energy: float) -> float:
        g = open_system.conductance_matrix(_check_energy(energy))
        return two_terminal_conductance(g, source, sink)  # others floating (none for M = 2)

    return transmission


def _check_temperatures(values) -> np.ndarray:
    array = np.atleast_1d(np.asarray(values, dtype=float))
    if array.ndim != 1 or not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(
            f"temperature must be > 0 (k_B T in units of t) for linear-response "
            f"thermoelectrics, got {values!r}"
        )
    return array


def thermoelectric(
    fsyst: kwant.system.FiniteSystem,
    mu: float,
    temperature: float,
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
    phonon_kappa: float = 0.0,
    tol: float = DEFAULT_TOL,
) -> ThermoelectricCoefficients:
    """Linear-response thermoelectric coefficients between two terminals.

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    mu
        Chemical potential (Fermi energy) in units of t.
    temperature
        k_B T in units of t (> 0).
    params
        Kwant parameters.
    source, sink
        Lead indices; other leads float at each energy (see the module docstring).
    phonon_kappa
        Phonon heat conductance (k_B·t/h) for ZT.
    tol
        Error target of the adaptive energy grid (e²/h per interval).

    Returns
    -------
    analysis.thermoelectric.ThermoelectricCoefficients
        Frozen dataclass: ``G`` (e²/h), ``S`` (k_B/e, electrons of charge −e),
        ``Pi`` (t/e), ``kappa`` (k_B·t/h), ``lorenz`` ((k_B/e)²), ``ZT``.
    """
    mu = _check_energy(mu)
    temperature = float(_check_temperatures(temperature)[0])
    func = transmission_function(fsyst, params=params, source=source, sink=sink)
    energies, values = window_grid(func, [(mu, temperature)], tol=tol)
    moments = landauer_moments(energies, values, mu, temperature)
    return thermoelectric_coefficients(moments, mu, temperature, phonon_kappa=phonon_kappa)


def thermoelectric_table(
    fsyst: kwant.system.FiniteSystem,
    mus: Iterable[float],
    temperatures: Iterable[float] | float,
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
    phonon_kappa: float = 0.0,
    tol: float = DEFAULT_TOL,
    max_points: int = 4000,
) -> pd.DataFrame:
    """Thermoelectric coefficients on the grid mus × temperatures, from one shared 𝒯(E) grid.

    Returns
    -------
    pandas.DataFrame
        One row per (mu, temperature): columns ``mu``, ``temperature``, ``G``,
        ``S``, ``Pi``, ``kappa``, ``lorenz``, ``ZT``; units in ``attrs["units"]``;
        the sampled energies and transmissions in ``attrs["energies"]`` and
        ``attrs["transmission"]``.
    """
    mus = np.asarray([_check_energy(m) for m in np.atleast_1d(mus)], dtype=float)
    temps = _check_temperatures(temperatures)
    func = transmission_function(fsyst, params=params, source=source, sink=sink)
    windows = [(m, t) for m in mus for t in temps]
    energies, values = window_grid(func, windows, tol=tol, max_points=max_points)
    rows = []
    for m, t in windows:
        moments = landauer_moments(energies, values, m, t)
        c = thermoelectric_coefficients(moments, m, t, phonon_kappa=phonon_kappa)
        rows.append(
            {
                "mu": m,
                "temperature": t,
                "G": c.G,
                "S": c.S,
                "Pi": c.Pi,
                "kappa": c.kappa,
                "lorenz": c.lorenz,
                "ZT": c.ZT,
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs["units"] = {
        "mu": "t",
        "temperature": "t/k_B",
        "G": "e^2/h",
        "S": "k_B/e",
        "Pi": "t/e",
        "kappa": "k_B t/h",
        "lorenz": "(k_B/e)^2",
        "ZT": "1",
    }
    frame.attrs["energies"] = energies.tolist()
    frame.attrs["transmission"] = values.tolist()
    return frame
