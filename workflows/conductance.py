"""Conductance matrices of finalized Kwant systems (Landauer–Büttiker, e²/h per spin).

The conductance matrix G relates terminal currents and voltages, I = G V, with
G_ii = N_i − R_ii and G_ij = −T_ij (i ≠ j), T_ij the transmission from lead j
into lead i.  Every row and column sums to zero.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import kwant
import numpy as np
import pandas as pd

from systems.parameters import resolve_params

from .band_edges import band_edges_reported, check_lead_velocities
from .bias import _check_terminal, two_terminal_conductance
from .interface_greens import _conductance_from_transmissions, interface_greens_function

__all__ = ["conductance_matrix", "conductance_vs_energy", "has_self_energy_leads"]


def _check_system(fsyst: Any) -> None:
    if isinstance(fsyst, kwant.Builder):
        raise TypeError("expected a finalized system: call builder.finalized() once and reuse it")
    if not isinstance(fsyst, kwant.system.FiniteSystem):
        raise TypeError(f"expected a finalized kwant system, got {type(fsyst).__name__}")
    if not fsyst.leads:
        raise ValueError("the system has no leads: a conductance matrix needs at least one lead")


def _check_energy(energy: Any) -> float:
    if isinstance(energy, bool) or not isinstance(energy, numbers.Real):
        raise TypeError(f"energy must be a finite real number (units of t), got {energy!r}")
    if not np.isfinite(energy):
        raise ValueError(f"energy must be a finite real number (units of t), got {energy!r}")
    return float(energy)


def has_self_energy_leads(fsyst: kwant.system.FiniteSystem) -> bool:
    """True if any lead is given by a self-energy only (e.g. a dephasing probe)."""
    return any(not hasattr(lead, "modes") for lead in fsyst.leads)


def conductance_matrix(
    fsyst: kwant.system.FiniteSystem, energy: float, params: Mapping[str, Any] | None = None
) -> np.ndarray:
    """The M×M conductance matrix over all leads (probes included), in e²/h.

    Parameters
    ----------
    fsyst
        A finalized Kwant system with M leads.  Leads with modes are solved
        through :func:`kwant.smatrix`; if any lead is a self-energy lead
        (e.g. a dephasing probe) the Green's function between all lead
        interfaces is obtained from one sparse factorization
        (:func:`workflows.interface_greens.interface_greens_function`, equal to
        :func:`kwant.greens_function` but linear in the number of leads) and all
        transmissions are taken from it at once.
    energy
        Energy in units of t.
    params
        Kwant parameters; omitted standard names take their neutral values
        (see :func:`systems.resolve_params`).

    Raises
    ------
    workflows.band_edges.BandEdgeError
        If ``energy`` is exactly at a band edge of a lead (a ``ValueError``
        naming the lead); see :mod:`workflows.band_edges`.

    Returns
    -------
    numpy.ndarray
        Real (M, M) array: G_ij = −T_ij for i ≠ j (transmission from lead j
        into lead i) and G_ii = Σ_{k≠i} T_ki = N_i − R_ii, so every column
        sums to zero exactly and every row to zero up to rounding.
    """
    _check_system(fsyst)
    energy = _check_energy(energy)
    params = resolve_params(fsyst, params)
    with band_edges_reported(fsyst, energy, params):
        if not has_self_energy_leads(fsyst):
            smatrix = kwant.smatrix(fsyst, energy, params=params)
            check_lead_velocities(fsyst, energy, params, smatrix.lead_info)
            return np.asarray(smatrix.conductance_matrix())
        transmission = interface_greens_function(fsyst, energy, params).transmissions()
    return _conductance_from_transmissions(transmission)


def conductance_vs_energy(
    fsyst: kwant.system.FiniteSystem,
    energies: Iterable[float],
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
) -> pd.DataFrame:
    """Two-terminal conductance G(E) between ``source`` and ``sink``, other leads floating.

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    energies
        Energies in units of t.
    params
        Kwant parameters (fixed along the scan).
    source, sink
        Lead indices.

    Returns
    -------
    pandas.DataFrame
        Columns ``energy`` (t) and ``G`` (e²/h), one row per energy.
    """
    _check_system(fsyst)
    n_leads = len(fsyst.leads)
    source = _check_terminal("source", source, n_leads)
    sink = _check_terminal("sink", sink, n_leads)
    if source == sink:
        raise ValueError(f"source and sink must differ, both are {source}")
    energies = np.asarray([_check_energy(e) for e in energies], dtype=float)
    values = [
        two_terminal_conductance(conductance_matrix(fsyst, e, params), source, sink)
        for e in energies
    ]
    return pd.DataFrame({"energy": energies, "G": values})
