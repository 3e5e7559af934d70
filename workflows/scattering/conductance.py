"""Conductance matrices of finalized Kwant systems (Landauer–Büttiker, e²/h per spin).

The conductance matrix G relates terminal currents and voltages, I = G V, with
G_ii = N_i − R_ii and G_ij = −T_ij (i ≠ j), T_ij the transmission from lead j
into lead i.  Every row and column sums to zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import kwant
import numpy as np
import pandas as pd

from analysis.bias import two_terminal_conductance
from systems.parameters import resolve_params
from systems.validation import boolean, check_source_sink, check_system
from systems.validation import energy as check_energy
from workflows.scattering import InterfaceGreensFunction, OpenSystem, conductance_from_transmissions
from workflows.scattering.block_projectors import cell_block_projectors

__all__ = [
    "block_terminals",
    "conductance_matrix",
    "conductance_vs_energy",
    "has_self_energy_leads",
]


def has_self_energy_leads(fsyst: kwant.system.FiniteSystem) -> bool:
    """True if any lead is given by a self-energy only (e.g. a dephasing probe)."""
    return any(not hasattr(lead, "modes") for lead in fsyst.leads)


def block_terminals(
    fsyst: kwant.system.FiniteSystem, *, params: Mapping[str, Any] | None = None
) -> list[tuple[int, int]]:
    """The (lead, block) terminals of ``conductance_matrix(..., blocks=True)``, in its order.

    Lead-major, in Kwant's lead order; the blocks of a lead with a conservation
    law (``kwant.Builder(..., conservation_law=...)``) in Kwant's order (by
    increasing eigenvalue of the conserved quantity, as in
    :meth:`kwant.solvers.common.SMatrix.transmission`); a lead without one (or
    a self-energy lead) is the single terminal ``(lead, 0)``.

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    params
        Kwant parameters (see :func:`systems.resolve_params`), in case the
        conservation law depends on them.

    Returns
    -------
    list of (int, int)
    """
    check_system(fsyst)
    terminals = []
    for index, lead in enumerate(fsyst.leads):
        projectors = cell_block_projectors(lead, resolve_params(fsyst, params, lead=index))
        terminals.extend((index, block) for block in range(len(projectors or [None])))
    return terminals


def _block_conductance(open_system: OpenSystem, energy: float) -> np.ndarray:
    """Conductance matrix over (lead, block) terminals: Γ of each block projected, Fisher–Lee."""
    gf = open_system.interface_greens_function(energy)
    index, gammas, sizes = [], [], []
    for lead_index in range(len(open_system.fsyst.leads)):
        span = np.arange(gf.offsets[lead_index], gf.offsets[lead_index + 1])
        gamma = gf.gammas[lead_index]
        projectors = open_system.block_projectors(lead_index)
        for projector in projectors or [None]:
            index.append(span)
            sizes.append(span.size)
            gammas.append(gamma if projector is None else projector @ gamma @ projector)
    index = np.concatenate(index)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    expanded = InterfaceGreensFunction(
        data=gf.data[np.ix_(index, index)], gammas=tuple(gammas), offsets=offsets
    )
    return conductance_from_transmissions(expanded.transmissions())


def conductance_matrix(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    blocks: bool = False,
    at_band_edge: str | None = None,
) -> np.ndarray:
    """The M×M conductance matrix over all leads (probes included), in e²/h.

    Parameters
    ----------
    fsyst
        A finalized Kwant system with M leads (leads with modes and
        self-energy leads such as dephasing probes).  The retarded Green's
        function between all lead interfaces comes from one factorization by
        the scattering core (:class:`workflows.scattering.OpenSystem`; equal to
        :func:`kwant.greens_function`, but linear in the number of leads) and
        every transmission from it by Fisher–Lee, T_ij = Tr[Γ_i G_ij Γ_j G_ij†];
        the result equals ``kwant.smatrix(...).conductance_matrix()``.
    energy
        Energy in units of t.
    params
        Kwant parameters; omitted parameters of mesoflow's own value functions
        take their neutral values, every parameter of the user's own value
        functions must be given (see :func:`systems.resolve_params`).
    blocks
        If True, resolve the blocks of leads with a conservation law (e.g.
        spin): the matrix is over the (lead, block) terminals of
        :func:`block_terminals`, lead-major in Kwant's order, with
        G_ab = −T_ab between terminals (blocks of one lead included: a
        spin-flip reflection is a transmission between two terminals).  With
        self-energy leads, the transmissions between blocks are
        Tr[Γ_a G Γ_b G†] with Γ_a = P_a Γ_i P_a, P_a the projector of the
        block on the lead's interface (Kwant's ``greens_function`` does not
        resolve blocks).  The projection is exact: a conservation law makes
        the lead's self-energy block-diagonal.
    at_band_edge
        At a band edge of a lead (a mode with |v| < v_tol): None or
        ``"refuse"`` (default) raises ``BandEdgeError``; ``"above"`` /
        ``"below"`` returns the one-sided limit, computed 10 δE above/below
        ``energy`` (:func:`workflows.scattering.band_edges.resolve_energy`).

    Raises
    ------
    workflows.scattering.band_edges.BandEdgeError
        If ``energy`` is at a band edge of a lead (a ``ValueError`` naming the
        lead and the nearest safe energies); see
        :mod:`workflows.scattering.band_edges`.

    Returns
    -------
    numpy.ndarray
        Real (M, M) array (M terminals): G_ij = −T_ij for i ≠ j (transmission
        from terminal j into terminal i) and G_ii = Σ_{k≠i} T_ki = N_i − R_ii,
        so every column sums to zero exactly and every row to zero up to
        rounding.
    """
    check_system(fsyst)
    energy = check_energy("energy", energy)
    blocks = boolean("blocks", blocks)
    open_system = OpenSystem(fsyst, params=params)
    energy = open_system.resolve_energy(energy, at_band_edge)
    if blocks:
        return _block_conductance(open_system, energy)
    return open_system.conductance_matrix(energy)


def conductance_vs_energy(
    fsyst: kwant.system.FiniteSystem,
    energies: Iterable[float],
    *,
    params: Mapping[str, Any] | None = None,
    source: int = 0,
    sink: int = 1,
    at_band_edge: str | None = None,
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
    at_band_edge
        None/``"refuse"``, ``"above"`` or ``"below"``, as for
        :func:`conductance_matrix`, at every energy (the table keeps the
        energies asked for).

    Returns
    -------
    pandas.DataFrame
        Columns ``energy`` (t) and ``G`` (e²/h), one row per energy.
    """
    check_system(fsyst)
    n_leads = len(fsyst.leads)
    source, sink = check_source_sink(source, sink, n_leads)
    energies = np.asarray([check_energy("energy", e) for e in energies], dtype=float)
    # Assembled once: only the self-energies and the factorization depend on the energy.
    open_system = OpenSystem(fsyst, params=params)
    solve_at = [open_system.resolve_energy(e, at_band_edge) for e in energies]
    matrices = [open_system.conductance_matrix(e) for e in solve_at]
    values = [two_terminal_conductance(g, source, sink) for g in matrices]
    return pd.DataFrame({"energy": energies, "G": values})
