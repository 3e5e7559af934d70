"""The retarded Green's function from every lead interface to every orbital of the system.

Local quantities — current maps, injectivities, local potentials — need G not
only between lead interfaces (:mod:`workflows.scattering.interface_greens`) but on every
orbital: the columns G[:, c] for the interface orbitals c of all leads.  With
them, every lead p (a lead with modes or a self-energy lead such as a
dephasing probe, which has no scattering wave functions in Kwant) injects the
non-equilibrium correlation

    G^n_p = G Γ_p G†,     Γ_p = i(Σ_p − Σ_p†),

which for a lead with modes equals Σ_n ψ_pn ψ_pn† over its incoming
scattering states in Kwant's normalization (unit current per mode), so that
G^n_p / 2π is the injectivity (partial local density of states) of lead p
(Datta, *Electronic Transport in Mesoscopic Systems*, Cambridge 1995, Ch. 8;
Gasparian, Christen & Büttiker, Phys. Rev. A 54, 4022 (1996)).

One sparse LU factorization of E − H − Σ (Σ all leads' self-energies) by the
scattering core (:meth:`workflows.scattering.OpenSystem.greens_columns`) gives
all columns; the interface block of the result is the Green's function of
:func:`workflows.scattering.interface_greens_function`, so the conductance matrix comes
from the same solve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from workflows.scattering import InterfaceGreensFunction, OpenSystem, broadening
from workflows.scattering.block_projectors import interface_block_projectors


@dataclass(frozen=True)
class LeadGreensColumns:
    """G from the interface orbitals of every lead to every orbital of the system.

    Attributes
    ----------
    columns
        Complex (N, n) array: G[:, c] for the n interface orbitals c of all
        leads, ordered lead by lead (lead p occupies ``offsets[p]:offsets[p+1]``);
        N is the number of orbitals of the scattering region.  Units 1/t.
    interface
        The n orbital indices c (lead order; an orbital shared by two leads
        appears twice).
    gammas
        Γ_p = i(Σ_p − Σ_p†) of each lead (units of t).
    offsets
        Start of each lead's block, length M + 1.
    orbital_offsets
        First orbital of each site, length n_sites + 1.
    hamiltonian
        The scattering region's Hamiltonian (sparse CSR, N × N, units of t).
    """

    columns: np.ndarray
    interface: np.ndarray
    gammas: tuple[np.ndarray, ...]
    offsets: np.ndarray
    orbital_offsets: np.ndarray
    hamiltonian: scipy.sparse.csr_matrix

    @property
    def n_leads(self) -> int:
        """Number of leads M."""
        return len(self.gammas)

    def conductance_matrix(self, terminals=None) -> np.ndarray:
        """The conductance matrix (e²/h) from the same solve, columns summing to zero.

        ``terminals``: a list of (lead, Γ) pairs, e.g. one per conservation-law
        block of each lead (:func:`terminal_gammas`); default one per lead.
        """
        if terminals is None:
            data, gammas, offsets = self.columns[self.interface], self.gammas, self.offsets
        else:
            rows = [np.arange(self.offsets[lead], self.offsets[lead + 1]) for lead, _ in terminals]
            data = self.columns[self.interface[np.concatenate(rows)]][:, np.concatenate(rows)]
            gammas = tuple(gamma for _, gamma in terminals)
            offsets = np.concatenate([[0], np.cumsum([r.size for r in rows])])
        return InterfaceGreensFunction(
            data=data, gammas=gammas, offsets=offsets
        ).conductance_matrix()

    def _weighted_block(self, weights, gammas=None):
        """The columns of the leads that inject (w_p ≠ 0, Γ_p ≠ 0) and the sparse
        block-diagonal matrix of their w_p Γ_p, or (None, None) if none does."""
        weights = np.asarray(weights, dtype=float)
        index, blocks = [], []
        for lead, gamma in enumerate(self.gammas if gammas is None else gammas):
            if weights[lead] != 0 and np.any(gamma):
                index.append(np.arange(self.offsets[lead], self.offsets[lead + 1]))
                blocks.append(weights[lead] * np.asarray(gamma))
        if not index:
            return None, None
        return np.concatenate(index), scipy.sparse.block_diag(blocks, format="csr")

    def correlation_elements(self, weights, rows, cols, gammas=None) -> np.ndarray:
        """Entries [rows, cols] of G^n = Σ_p w_p G Γ_p G† (units 1/t), without forming G^n.

        ``gammas`` replaces :attr:`gammas` (e.g. by the Γ of one conservation-law
        block).  Only the columns of the injecting leads are used, and W = ⊕ w_p Γ_p
        is applied as a sparse block-diagonal matrix (one entry per dephasing probe).
        """
        rows = np.asarray(rows, dtype=int)
        cols = np.asarray(cols, dtype=int)
        out = np.zeros(rows.size, dtype=complex)
        index, weight = self._weighted_block(weights, gammas)
        if index is None:
            return out
        sub = self.columns[:, index]
        left = np.asarray(weight.T @ sub.T).T  # G W, (N, n_active)
        right = sub.conj()
        chunk = max(1, 2**22 // max(1, index.size))
        for start in range(0, rows.size, chunk):
            r, c = rows[start : start + chunk], cols[start : start + chunk]
            out[start : start + chunk] = np.einsum("pk,pk->p", left[r], right[c], optimize=False)
        return out

    def lead_spectral_diagonal(self, gammas=None) -> np.ndarray:
        """(M, N) array: the diagonal of A_p = G Γ_p G† on every orbital, for each lead (1/t).

        ``gammas`` replaces :attr:`gammas` (one matrix per lead).
        """
        out = np.empty((self.n_leads, self.columns.shape[0]))
        for lead, gamma in enumerate(self.gammas if gammas is None else gammas):
            block = self.columns[:, self.offsets[lead] : self.offsets[lead + 1]]
            out[lead] = np.real(np.einsum("ik,kl,il->i", block, gamma, block.conj()))
        return out


def lead_greens_columns(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    *,
    params: Mapping[str, Any] | None = None,
    at_band_edge: str | None = None,
) -> LeadGreensColumns:
    """G[:, c] for the interface orbitals c of all leads, from one factorization.

    Parameters
    ----------
    fsyst
        A finalized Kwant system with at least one lead (leads with modes and
        self-energy leads alike).
    energy
        Energy in units of t.
    params
        Complete Kwant parameters (see :func:`systems.resolve_params`).
    at_band_edge
        At a band edge of a lead: None/``"refuse"`` (default) raises
        ``BandEdgeError``; ``"above"``/``"below"`` gives the one-sided limit
        (see :func:`workflows.conductance_matrix`).

    Returns
    -------
    LeadGreensColumns
    """
    open_system = OpenSystem(fsyst, params=params)
    energy = open_system.resolve_energy(energy, at_band_edge)
    sigmas = open_system.selfenergies(energy)
    interface = np.concatenate(open_system.interfaces)
    unique, position = np.unique(interface, return_inverse=True)
    columns = open_system.greens_columns(energy, unique, sigmas)[:, position]
    offsets = np.concatenate([[0], np.cumsum([c.size for c in open_system.interfaces])])
    gammas = tuple(broadening(sigma) for sigma in sigmas)
    ham = open_system.hamiltonian.tocsr()
    orbital_offsets = open_system.orbital_offsets
    return LeadGreensColumns(
        columns=columns,
        interface=interface,
        gammas=gammas,
        offsets=offsets,
        orbital_offsets=orbital_offsets,
        hamiltonian=ham,
    )


def block_gammas(
    fsyst: kwant.system.FiniteSystem, lead: int, params: Mapping[str, Any], gamma: np.ndarray
) -> list[np.ndarray]:
    """Γ of each conservation-law block of a lead: Γ_b = P_b Γ P_b, P_b the block's projector
    on the lead's interface orbitals (as in ``conductance_matrix(..., blocks=True)``).

    Parameters
    ----------
    fsyst
        The finalized system.
    lead
        Index of a lead with modes and a conservation law.
    params
        Complete Kwant parameters.
    gamma
        Γ of that lead on its interface orbitals.

    Returns
    -------
    list of numpy.ndarray
        Γ_b in Kwant's block order (that of ``block_nmodes``); they sum to Γ.

    Raises
    ------
    ValueError
        The lead has no conservation law, or Γ is not block-diagonal in its
        eigenspaces on the interface (then the blocks are not separable here).
    """
    if not hasattr(fsyst.leads[lead], "modes"):
        raise ValueError(f"lead {lead} is a self-energy lead: it has no conservation-law blocks")
    projections = interface_block_projectors(fsyst, lead, dict(params))
    if projections is None:
        raise ValueError(
            f"lead {lead} has no conservation law: pass block=None (all its states together)"
        )
    parts = [projection @ gamma @ projection for projection in projections]
    scale = max(float(np.abs(gamma).max(initial=0.0)), 1e-300)
    if np.abs(sum(parts) - gamma).max() > 1e-10 * scale:
        raise ValueError(
            f"the coupling of lead {lead} is not block-diagonal in its conservation-law blocks "
            "on the interface orbitals; per-block maps are not available for this lead"
        )
    return parts


def terminal_gammas(
    solution: LeadGreensColumns,
    fsyst: kwant.system.FiniteSystem,
    params: Mapping[str, Any],
    blocks: bool,
) -> list[tuple[int, np.ndarray]]:
    """The terminals as (lead, Γ) pairs: one per lead, or with ``blocks`` one per
    conservation-law block of each lead with a conservation law (lead-major, Kwant's block
    order; a lead without one stays a single terminal)."""
    if not blocks:
        return list(enumerate(solution.gammas))
    terminals = []
    for lead, gamma in enumerate(solution.gammas):
        has_law = interface_block_projectors(fsyst, lead, dict(params)) is not None
        parts = block_gammas(fsyst, lead, params, gamma) if has_law else [gamma]
        terminals += [(lead, part) for part in parts]
    return terminals
