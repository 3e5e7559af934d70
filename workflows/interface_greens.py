"""The retarded Green's function between all lead interfaces, in one sparse solve.

For a system with many self-energy leads (hundreds or thousands of dephasing
probes) this replaces :func:`kwant.greens_function`, which adds every lead's
self-energy to the sparse matrix one at a time (a cost quadratic in the number
of leads).  Here all self-energies are assembled into one sparse matrix, the
matrix E − H − Σ is factorized once (MUMPS when Kwant has it, else SuperLU),
and G is obtained on every interface orbital of every lead, leads with modes
included through their self-energies (the "real-space" Green's function that
Kwant's ``greens_function`` also returns).

All transmissions follow at once, vectorized over pairs of leads:
T_ij = Tr[Γ_i G_ij Γ_j G_ij†], with Γ_i = i(Σ_i − Σ_i†).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np
import scipy.sparse
import scipy.sparse.linalg

__all__ = ["InterfaceGreensFunction", "interface_greens_function"]

#: Columns of the right-hand side solved per call (bounds the dense work array).
_RHS_BLOCK = 512


@dataclass(frozen=True)
class InterfaceGreensFunction:
    """Retarded Green's function on the interface orbitals of all leads.

    Attributes
    ----------
    data
        Complex (n, n) array, n the total number of interface orbitals; rows
        and columns are ordered lead by lead (lead i occupies
        ``offsets[i]:offsets[i+1]``).  Units 1/t.
    gammas
        Coupling matrices Γ_i = i(Σ_i − Σ_i†) of each lead (units of t).
    offsets
        Start of each lead's block, length M + 1.
    """

    data: np.ndarray
    gammas: tuple[np.ndarray, ...]
    offsets: np.ndarray

    def transmissions(self) -> np.ndarray:
        """All T_ij = Tr[Γ_i G_ij Γ_j G_ij†] (from lead j into lead i), shape (M, M).

        Vectorized over every pair: Γ G Γ is formed with the block-diagonal Γ,
        multiplied elementwise by conj(G) and summed over the blocks.  The
        diagonal T_ii is returned as computed (it is not a transmission).
        """
        gamma = scipy.sparse.block_diag(self.gammas, format="csr")
        g = self.data
        g_gamma = np.asarray(gamma.T @ g.T).T  # G Γ, as (Γᵀ Gᵀ)ᵀ: sparse times dense
        weighted = np.asarray(gamma @ g_gamma)  # Γ G Γ
        elementwise = np.real(weighted * g.conj())
        starts = self.offsets[:-1]
        return np.add.reduceat(np.add.reduceat(elementwise, starts, axis=0), starts, axis=1)


def _factorize(matrix: scipy.sparse.csc_matrix):
    """A solve(rhs) function for ``matrix``: MUMPS if Kwant was built with it, else SuperLU.

    Kwant's MUMPS wrapper rejects a 1×1 right-hand side, so a one-orbital
    system goes to SuperLU as well.
    """
    try:
        from kwant.linalg import mumps
    except ImportError:  # pragma: no cover - depends on the Kwant build
        mumps = None
    if mumps is None or matrix.shape[0] == 1:
        return scipy.sparse.linalg.splu(matrix).solve
    context = mumps.MUMPSContext()
    context.factor(matrix)
    return context.solve


def interface_greens_function(
    fsyst: kwant.system.FiniteSystem,
    energy: float,
    params: Mapping[str, Any],
    *,
    check_hermiticity: bool = True,
) -> InterfaceGreensFunction:
    """G = (E − H − Σ)⁻¹ between the interface orbitals of all leads, in one factorization.

    Parameters
    ----------
    fsyst
        A finalized Kwant system with at least one lead (self-energy leads
        such as dephasing probes, or leads with modes).
    energy
        Energy in units of t.
    params
        Complete Kwant parameters (see :func:`systems.resolve_params`).
    check_hermiticity
        Check that the Hamiltonian is Hermitian, as Kwant does.

    Returns
    -------
    InterfaceGreensFunction
        Equal to ``kwant.greens_function(fsyst, energy, params=params).data``
        (to rounding) with the self-energies of every lead as ``gammas``.
    """
    params = dict(params)
    ham, norbs = fsyst.hamiltonian_submatrix(sparse=True, return_norb=True, params=params)[:2]
    ham = scipy.sparse.csr_matrix(ham, dtype=complex)
    if check_hermiticity and ham.nnz:
        tol = 1e-13 * np.abs(ham.data).max() + 1e-300
        if np.any(np.abs((ham - ham.conj().T).data) > tol):
            raise ValueError("the system Hamiltonian is not Hermitian")
    orbital_start = np.concatenate([[0], np.cumsum(norbs)])

    rows, cols, values, coords_per_lead, gammas = [], [], [], [], []
    for index, (lead, interface) in enumerate(zip(fsyst.leads, fsyst.lead_interfaces, strict=True)):
        sigma = np.asarray(lead.selfenergy(energy, params=params), dtype=complex)
        coords = np.concatenate(
            [np.arange(orbital_start[s], orbital_start[s + 1]) for s in interface]
        )
        if sigma.shape != (coords.size, coords.size):
            raise ValueError(
                f"the self-energy of lead {index} has shape {sigma.shape}, but its interface "
                f"has {coords.size} orbitals"
            )
        r, c = np.meshgrid(coords, coords, indexing="ij")
        rows.append(r.ravel())
        cols.append(c.ravel())
        values.append(sigma.ravel())
        coords_per_lead.append(coords)
        gammas.append(1j * (sigma - sigma.conj().T))

    n = ham.shape[0]
    sigma_total = scipy.sparse.coo_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )
    matrix = energy * scipy.sparse.identity(n, dtype=complex, format="csr") - ham - sigma_total
    solve = _factorize(scipy.sparse.csc_matrix(matrix))

    interface = np.concatenate(coords_per_lead)
    unique, position = np.unique(interface, return_inverse=True)
    g_unique = np.empty((unique.size, unique.size), dtype=complex)
    for start in range(0, unique.size, _RHS_BLOCK):
        block = unique[start : start + _RHS_BLOCK]
        rhs = np.zeros((n, block.size), dtype=complex, order="F")
        rhs[block, np.arange(block.size)] = 1.0
        g_unique[:, start : start + block.size] = np.asarray(solve(rhs))[unique]
    data = g_unique[np.ix_(position, position)]  # back to lead order (np.unique sorts)
    offsets = np.concatenate([[0], np.cumsum([c.size for c in coords_per_lead])])
    return InterfaceGreensFunction(data=data, gammas=tuple(gammas), offsets=offsets)
