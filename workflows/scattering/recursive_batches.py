"""The recursive Green's function for a block of energies at once: stacked slices, batched LAPACK.

:class:`workflows.scattering.recursive_greens.RecursiveGreens` runs the
slice recursion for one energy: a Python loop over the slices with a few
small BLAS calls each.  Densities need it at a few hundred energies (Fermi
poles and a bias-window grid), so here every slice is a stack of shape
(n_E, w_i, w_i) and each step is one batched call (``numpy.matmul`` and
``numpy.linalg.inv`` loop over the stack in compiled code): the Python
overhead is per slice, not per slice and energy.

With A = z − H − Σ block-tridiagonal (A_{i,i±1} = −H_{i,i±1}), the
left-connected functions g_i and the diagonal blocks G_ii are

    g_i = (z − H_ii − Σ_i − H_{i,i−1} g_{i−1} H_{i−1,i})⁻¹,
    G_ii = g_i + (g_i H_{i,i+1}) G_{i+1,i+1} (H_{i+1,i} g_i),

(Lake, Klimeck, Bowen and Jovanovic, J. Appl. Phys. 81, 7845 (1997), Sec. III).
For a lead l in slice k with broadening Γ_l = V_l V_l† (V_l from the
eigen-decomposition of Γ_l, keeping its non-zero eigenvalues), the columns of
G on the lead's interface follow from

    G_{i,k} V = G_ii M_i,   M_k = V,   M_i = H_{i,i−1} g_{i−1} M_{i−1}     (i ≥ k),
    G_{i,k} V = (g_i H_{i,i+1}) G_{i+1,k} V                                 (i < k),

and with the expression of G_ii above both become one backward recursion,
c_i = G_{i,k} V = g_i M_i + (g_i H_{i,i+1}) c_{i+1} (M_i = 0 for i < k,
c_n = 0), which needs no G_ii,

and the injectivity is (G Γ_l G†)_aa = Σ_r |(G_{i,k} V)_ar|²: matrices of
w_i × rank(Γ_l) instead of the w_i × w_i sandwiches of the per-energy code.
A coupling block H_{i,i+1} that is diagonal (a lattice with one hopping
between equivalent sites of adjacent slices, as in a wire) is applied as a
vector, so each slice then costs one inversion per energy and products of
w × w by w × r matrices only (and two w × w products more where G_ii is
asked for, at the complex energies of the equilibrium part).

Memory: the stored g_i and M_i take 16 bytes × n_E × Σ_i (w_i² + Σ_l w_i r_l),
linear in the length of the system times the number of energies of a block;
:func:`energy_block_size` chooses the block to stay within a budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "BatchedSlices",
    "LeadCoupling",
    "batched_recursion",
    "broadening_factor",
    "energy_block_size",
]

#: Memory (bytes) the stored slices of one block of energies may take.
MEMORY_BUDGET = 256 * 2**20
#: Eigenvalues of Γ below this fraction of max |Σ_ij| (rounding of a closed channel) are dropped.
_RANK_CUTOFF = 1e-14


@dataclass(frozen=True)
class BatchedSlices:
    """H of a sliced system in the form the batched recursion takes.

    Attributes
    ----------
    diagonal
        Dense H_ii (w_i × w_i).
    upper, lower
        H_{i,i+1} and H_{i+1,i}: a dense block, or a vector when the block is
        square and diagonal (applied by broadcasting).
    offsets
        Slice boundaries (length n + 1).
    """

    diagonal: list[np.ndarray]
    upper: list[np.ndarray]
    lower: list[np.ndarray]
    offsets: np.ndarray

    @classmethod
    def from_blocks(cls, diagonal, upper, lower, offsets) -> BatchedSlices:
        """From the dense blocks of :func:`.recursive_greens.block_tridiagonal_blocks`."""
        return cls(
            [np.asarray(h) for h in diagonal],
            [_compact(h) for h in upper],
            [_compact(h) for h in lower],
            np.asarray(offsets),
        )

    def bytes_per_energy(self, lead_ranks: Sequence[int] = ()) -> int:
        """Bytes the stored g_i and M_i take per energy (complex, 16 bytes each)."""
        widths = np.diff(self.offsets)
        return int(16 * (np.sum(widths**2) + np.sum(widths) * sum(lead_ranks)))


@dataclass(frozen=True)
class LeadCoupling:
    """One lead's self-energies on a block of energies, for :func:`batched_recursion`.

    Attributes
    ----------
    slice_index
        The slice k holding the lead's interface.
    local
        Positions of the interface orbitals inside slice k.
    sigma
        Σ_l at each energy, shape (n_E, m, m).
    factor
        V_l with Γ_l = V_l V_l†, shape (n_E, m, r), or None when the lead's
        injectivity is not wanted (complex energies).
    """

    slice_index: int
    local: np.ndarray
    sigma: np.ndarray
    factor: np.ndarray | None = None


def _compact(block: np.ndarray) -> np.ndarray:
    block = np.asarray(block)
    rows, cols = block.shape
    if rows == cols and np.count_nonzero(block - np.diag(np.diagonal(block))) == 0:
        return np.diagonal(block).copy()
    return block


def _left(coupling: np.ndarray, stack: np.ndarray) -> np.ndarray:
    """coupling @ stack for a stack (n_E, w, k); a vector coupling is a diagonal matrix."""
    if coupling.ndim == 1:
        return coupling[:, None] * stack
    return np.matmul(coupling, stack)


def _right(stack: np.ndarray, coupling: np.ndarray) -> np.ndarray:
    """stack @ coupling; a vector coupling is a diagonal matrix."""
    if coupling.ndim == 1:
        return stack * coupling
    return np.matmul(stack, coupling)


def broadening_factor(selfenergy: np.ndarray) -> np.ndarray:
    """V with Γ = i(Σ − Σ†) = V V† for a stack of self-energies (n_E, m, m) -> (n_E, m, r).

    From Γ's eigen-decomposition; eigenvalues below 1e-14 max |Σ_ij| (the
    rounding of closed channels: Γ is positive semi-definite) are dropped,
    r is the largest rank left over the stack.
    """
    gamma = 1j * (selfenergy - np.conj(np.swapaxes(selfenergy, -1, -2)))
    values, vectors = np.linalg.eigh(gamma)
    scale = np.abs(selfenergy).max(axis=(-2, -1))[..., None]
    keep = values > _RANK_CUTOFF * scale
    rank = int(keep.sum(axis=-1).max(initial=0))
    kept = np.where(keep, values, 0.0)[..., values.shape[-1] - rank :]
    return vectors[..., vectors.shape[-1] - rank :] * np.sqrt(kept)[..., None, :]


def energy_block_size(slices: BatchedSlices, lead_ranks: Sequence[int] = ()) -> int:
    """How many energies one call of :func:`batched_recursion` may take within MEMORY_BUDGET."""
    return max(1, MEMORY_BUDGET // max(1, slices.bytes_per_energy(lead_ranks)))


def batched_recursion(
    slices: BatchedSlices,
    energies: np.ndarray,
    leads: Sequence[LeadCoupling],
    *,
    with_diagonal: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Diagonal of G(z) and the injectivities (G Γ_l G†)_aa at a block of energies.

    Parameters
    ----------
    slices
        H in slice order.
    energies
        Energies z (t), real or complex, shape (n_E,).
    leads
        Every lead's self-energy (all leads must be given: they enter A);
        those with a ``factor`` get their injectivity computed.
    with_diagonal
        Whether to compute G_aa (the backward sweep of the full blocks G_ii,
        two w × w products per slice); the injectivities do not need it.

    Returns
    -------
    diagonal, injected
        G_aa(z), complex, shape (n_E, N) in slice order (1/t), or shape
        (n_E, 0) without ``with_diagonal``; and
        (G Γ_l G†)_aa, real, shape (n_E, n_l, N) for the n_l leads with a
        factor, in the order given (1/t).
    """
    energies = np.asarray(energies, dtype=complex)
    n_e, n = energies.size, len(slices.diagonal)
    offsets = slices.offsets
    wanted = [lead for lead in leads if lead.factor is not None]
    at_slice: dict[int, list[LeadCoupling]] = {}
    for lead in leads:
        at_slice.setdefault(lead.slice_index, []).append(lead)
    diagonal = np.empty((n_e, offsets[-1] if with_diagonal else 0), dtype=complex)
    injected = np.zeros((n_e, len(wanted), offsets[-1]))
    # Forward sweep: g_i, and g_i M_i of the leads in this or earlier slices.
    g: list[np.ndarray | None] = [None] * n
    chains: list[list[np.ndarray | None]] = [[None] * n for _ in wanted]
    for i in range(n):
        width = slices.diagonal[i].shape[0]
        a = energies[:, None, None] * np.eye(width) - slices.diagonal[i]
        for lead in at_slice.get(i, ()):
            a[:, lead.local[:, None], lead.local[None, :]] -= lead.sigma
        if i > 0:
            a -= _left(slices.lower[i - 1], _right(g[i - 1], slices.upper[i - 1]))
        g[i] = np.linalg.inv(a)
        for chain, lead in zip(chains, wanted, strict=True):
            if i == lead.slice_index:
                chain_i = np.zeros((n_e, width, lead.factor.shape[-1]), dtype=complex)
                chain_i[:, lead.local, :] = lead.factor
            elif i > lead.slice_index:
                chain_i = _left(slices.lower[i - 1], chain[i - 1])
            else:
                continue
            chain[i] = np.matmul(g[i], chain_i)  # g_i M_i
    # Backward sweep: G_ii if asked for, and the columns c_i = G_{i,k} V of every wanted
    # lead, c_i = g_i M_i + (g_i H_{i,i+1}) c_{i+1} (no G_ii needed: thin products only).
    greens = g[n - 1]
    columns: list[np.ndarray | None] = [None] * len(wanted)
    for i in range(n - 1, -1, -1):
        gu = _right(g[i], slices.upper[i]) if i < n - 1 else None
        if with_diagonal:
            if i < n - 1:
                greens = g[i] + np.matmul(np.matmul(gu, greens), _left(slices.lower[i], g[i]))
            diagonal[:, offsets[i] : offsets[i + 1]] = np.diagonal(greens, axis1=1, axis2=2)
        g[i] = None  # no longer needed: the memory of the sweep shrinks as it goes
        for index, chain in enumerate(chains):
            column = None if gu is None or columns[index] is None else np.matmul(gu, columns[index])
            if chain[i] is not None:
                column = chain[i] if column is None else column + chain[i]
                chain[i] = None
            columns[index] = column
            if column is not None:
                injected[:, index, offsets[i] : offsets[i + 1]] = np.einsum(
                    "eir,eir->ei", column, column.conj()
                ).real
    return diagonal, injected
