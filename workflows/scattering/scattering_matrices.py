"""Scattering matrices from the scattering core: the Fisher–Lee relation in its unitary form.

The scattering matrix over all terminals (leads with modes and self-energy
leads such as dephasing probes alike) comes from the retarded Green's
function between the lead interfaces (one factorization by
:class:`workflows.scattering.OpenSystem`):

    s = −1 + i W† G W,    W W† = Γ = blockdiag(Γ_0, Γ_1, …),   Γ_i = i(Σ_i − Σ_i†)

(Fisher & Lee, Phys. Rev. B 23, 6851 (1981); Mahaux & Weidenmüller, *Shell-Model
Approach to Nuclear Reactions* (1969); Datta, *Electronic Transport in
Mesoscopic Systems*, Sec. 3.5).  s is exactly unitary for *any* W with
W W† = Γ, because G − G† = −i G† Γ G.  The channels of a terminal are the
columns of its block of W:

* a lead with modes: W_i = V diag(√γ) on the eigenvectors of Γ_i with
  the N_i largest eigenvalues, N_i its number of propagating modes
  (:meth:`OpenSystem.open_channels`; Γ_i has that rank), one channel per open
  mode — counted from the modes, not from a threshold on γ, so that a lead
  with no open mode has no channel whatever the rounding of its zero Γ_i, so s has the size of
  :func:`kwant.smatrix`'s and differs from it by a unitary rotation within each
  terminal, which leaves transmissions, transmission eigenvalues and noise
  unchanged;
* a self-energy lead: W_i = √Γ_i, one channel per interface orbital (a
  decoupled probe, η = 0, has perfectly reflected channels carrying nothing);
* with ``blocks=True``, each conservation-law block b of a lead is its own
  terminal (lead, b): W_(i,b) = W restricted to the range of the block's
  projector P_b (:meth:`OpenSystem.block_projectors`, Kwant's block order);
  exact, since a conservation law makes Γ_i block-diagonal.

Units: G in 1/t, Γ in t, s dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from workflows.scattering.open_system import OpenSystem

__all__ = ["ScatteringMatrix", "scattering_matrix_of"]


@dataclass(frozen=True)
class ScatteringMatrix:
    """A unitary scattering matrix with each channel labelled by its terminal.

    Attributes
    ----------
    data
        Complex (n, n) unitary matrix, s_ab the amplitude from channel b into a.
    channel_terminals
        Terminal index of each channel (length n), non-decreasing.
    terminals
        The terminal labels: lead indices, or ``(lead, block)`` pairs when
        conservation-law blocks are resolved (lead-major, Kwant's order).
    """

    data: np.ndarray
    channel_terminals: np.ndarray
    terminals: tuple

    def submatrix(self, to: int, source: int) -> np.ndarray:
        """The block of amplitudes from terminal ``source`` into terminal ``to``."""
        rows = self.channel_terminals == to
        cols = self.channel_terminals == source
        return self.data[np.ix_(rows, cols)]

    def transmission_eigenvalues(self, to: int, source: int) -> np.ndarray:
        """Eigenvalues T_n of t†t, t the block from ``source`` into ``to`` (sorted, descending)."""
        t = self.submatrix(to, source)
        if t.size == 0:
            return np.zeros(0)
        values = np.linalg.svd(t, compute_uv=False) ** 2
        return np.clip(values, 0.0, 1.0)


def _channels(gamma: np.ndarray, subspace: np.ndarray | None, n_open: int | None) -> np.ndarray:
    """W with W W† = Γ (restricted to ``subspace``, orthonormal columns), one column per channel.

    ``n_open``: the number of open channels (propagating modes) of a lead with
    modes — its Γ has that rank, and the ``n_open`` largest eigenvalues are
    kept, so that a lead with no open mode has no channel whatever the
    rounding of its (zero) Γ; None for a self-energy lead: one channel per
    orbital, W = √Γ.
    """
    gamma = 0.5 * (gamma + gamma.conj().T)
    if subspace is not None:
        gamma = subspace.conj().T @ gamma @ subspace
    values, vectors = np.linalg.eigh(gamma)
    values = np.clip(values, 0.0, None)
    if n_open is not None:
        keep = np.argsort(values)[values.size - n_open :] if n_open else np.zeros(0, dtype=int)
        w = vectors[:, keep] * np.sqrt(values[keep])
    else:
        w = (vectors * np.sqrt(values)) @ vectors.conj().T
    return w if subspace is None else subspace @ w


def _block_subspaces(projectors: list[np.ndarray], lead: int) -> list[np.ndarray]:
    """Orthonormal bases of the ranges of a lead's block projectors (which must sum to 1)."""
    total = sum(projectors)
    if np.abs(total - np.eye(total.shape[0])).max() > 1e-10:
        raise ValueError(
            f"the conservation-law blocks of lead {lead} do not span its interface orbitals"
        )
    bases = []
    for projector in projectors:
        values, vectors = np.linalg.eigh(0.5 * (projector + projector.conj().T))
        bases.append(vectors[:, values > 0.5])
    return bases


def scattering_matrix_of(
    open_system: OpenSystem, energy: float, *, blocks: bool = False
) -> ScatteringMatrix:
    """The unitary scattering matrix of an open system at ``energy`` (see module docs).

    Parameters
    ----------
    open_system
        The open system (its parameters and backend are used).
    energy
        Energy in units of t.
    blocks
        Resolve conservation-law blocks of leads that have one into terminals
        ``(lead, block)``; other leads are ``(lead, 0)``.

    Returns
    -------
    ScatteringMatrix
    """
    greens = open_system.interface_greens_function(energy)
    columns, labels, terminals = [], [], []
    for lead, gamma in enumerate(greens.gammas):
        projectors = open_system.block_projectors(lead) if blocks else None
        subspaces = [None] if projectors is None else _block_subspaces(projectors, lead)
        n_open = open_system.open_channels(energy, lead, blocks=projectors is not None)
        for block, subspace in enumerate(subspaces):
            w = _channels(gamma, subspace, None if n_open is None else n_open[block])
            full = np.zeros((greens.data.shape[0], w.shape[1]), dtype=complex)
            full[greens.offsets[lead] : greens.offsets[lead + 1]] = w
            columns.append(full)
            labels.extend([len(terminals)] * w.shape[1])
            terminals.append((lead, block) if blocks else lead)
    w = np.concatenate(columns, axis=1) if columns else np.zeros((0, 0), complex)
    s = -np.eye(w.shape[1], dtype=complex) + 1j * (w.conj().T @ greens.data @ w)
    return ScatteringMatrix(s, np.asarray(labels, dtype=int), tuple(terminals))
