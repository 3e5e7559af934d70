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
import scipy.sparse

from systems.parameters import resolve_params

from .bias import two_terminal_conductance

__all__ = ["conductance_matrix", "conductance_vs_energy", "has_self_energy_leads"]


def _check_system(fsyst: Any) -> None:
    if isinstance(fsyst, kwant.Builder):
        raise TypeError("expected a finalized system: call builder.finalized() once and reuse it")
    if not isinstance(fsyst, kwant.system.FiniteSystem):
        raise TypeError(f"expected a finalized kwant system, got {type(fsyst).__name__}")
    if not fsyst.leads:
        raise ValueError("the system has no leads: a conductance matrix needs at least one lead")


def _check_energy(energy: Any) -> float:
    if isinstance(energy, bool) or not isinstance(energy, numbers.Real) or not np.isfinite(energy):
        raise TypeError(f"energy must be a finite real number (units of t), got {energy!r}")
    return float(energy)


def has_self_energy_leads(fsyst: kwant.system.FiniteSystem) -> bool:
    """True if any lead is given by a self-energy only (e.g. a dephasing probe)."""
    return any(not hasattr(lead, "modes") for lead in fsyst.leads)


def _transmissions_from_greens_function(gf) -> np.ndarray:
    """All T_ij = Tr(Γ_i G_ij Γ_j G_ij†) from one Green's function, without a loop over pairs."""
    sizes = [sigma.shape[0] for sigma in gf.lead_info]
    gamma = scipy.sparse.block_diag(
        [1j * (sigma - sigma.conj().T) for sigma in gf.lead_info], format="csr"
    )
    g = gf.data
    weighted = np.asarray(gamma @ (g @ gamma))  # Γ G Γ with Γ block-diagonal
    elementwise = np.real(weighted * g.conj())
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return np.add.reduceat(np.add.reduceat(elementwise, starts, axis=0), starts, axis=1)


def conductance_matrix(
    fsyst: kwant.system.FiniteSystem, energy: float, params: Mapping[str, Any] | None = None
) -> np.ndarray:
    """The M×M conductance matrix over all leads (probes included), in e²/h.

    Parameters
    ----------
    fsyst
        A finalized Kwant system with M leads.  Leads with modes are solved
        through :func:`kwant.smatrix`; if any lead is a self-energy lead
        (e.g. a dephasing probe) the system is solved once through
        :func:`kwant.greens_function` and all transmissions are taken from it.
    energy
        Energy in units of t.
    params
        Kwant parameters; omitted standard names take their neutral values
        (see :func:`systems.resolve_params`).

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
    if not has_self_energy_leads(fsyst):
        return np.asarray(kwant.smatrix(fsyst, energy, params=params).conductance_matrix())
    transmission = _transmissions_from_greens_function(
        kwant.greens_function(fsyst, energy, params=params)
    )
    np.fill_diagonal(transmission, 0.0)
    g = -transmission
    np.fill_diagonal(g, transmission.sum(axis=0))
    return g


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
    energies = np.asarray(list(energies), dtype=float)
    values = [
        two_terminal_conductance(conductance_matrix(fsyst, e, params), source, sink)
        for e in energies
    ]
    return pd.DataFrame({"energy": energies, "G": values})
