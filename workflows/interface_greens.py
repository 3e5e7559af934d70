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

#: Right-hand sides per sparse solve (bounds the dense N × k solution array).
_RHS_CHUNK = 256
#: Up to this many interface orbitals, Γ G Γ is formed with a dense Γ (a few BLAS calls beat
#: sparse overhead); beyond, with a sparse block-diagonal Γ (cost O(n²) instead of O(n³)).
_DENSE_GAMMA_LIMIT = 128


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

        Vectorized over every pair: Γ G Γ is formed with the block-diagonal Γ
        (dense for a few interface orbitals, sparse for many, e.g. one per
        dephasing probe), multiplied elementwise by conj(G) and summed over
        the blocks.  The diagonal T_ii is returned as computed (it is not a
        transmission).
        """
        g = self.data
        n = g.shape[0]
        rows, cols = _block_diagonal_indices(self.offsets)
        values = np.concatenate([np.ravel(gamma) for gamma in self.gammas])
        if n <= _DENSE_GAMMA_LIMIT:
            gamma = np.zeros((n, n), dtype=complex)
            gamma[rows, cols] = values
            weighted = gamma @ g @ gamma
        else:
            gamma = scipy.sparse.csr_matrix((values, (rows, cols)), shape=(n, n))
            g_gamma = np.asarray(gamma.T @ g.T).T  # G Γ, as (Γᵀ Gᵀ)ᵀ: sparse times dense
            weighted = np.asarray(gamma @ g_gamma)  # Γ G Γ
        elementwise = np.real(weighted * g.conj())
        starts = self.offsets[:-1]
        return np.add.reduceat(np.add.reduceat(elementwise, starts, axis=0), starts, axis=1)


def _block_diagonal_indices(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of every entry of square diagonal blocks ``offsets[i]:offsets[i+1]``.

    In the order of the blocks' C-order ravel, without a Python loop over blocks.
    """
    offsets = np.asarray(offsets, dtype=int)
    sizes = np.diff(offsets)
    entries = sizes**2
    first = np.repeat(np.cumsum(entries) - entries, entries)  # first entry of each block
    local = np.arange(int(entries.sum())) - first
    size = np.repeat(sizes, entries)
    start = np.repeat(offsets[:-1], entries)
    return start + local // size, start + local % size


def _conductance_from_transmissions(transmission: np.ndarray) -> np.ndarray:
    """Conductance matrix (e²/h) from all transmissions: G_ij = −T_ij (i ≠ j), G_ii = Σ_{k≠i} T_ki.

    The diagonal of ``transmission`` is ignored; every column of the result
    sums to zero exactly (G_ii = N_i − R_ii by unitarity).
    """
    g = -np.asarray(transmission, dtype=float)
    np.fill_diagonal(g, 0.0)
    np.fill_diagonal(g, -g.sum(axis=0))
    return g


def _open_system_matrix(
    energy: float,
    hamiltonian: scipy.sparse.spmatrix,
    interfaces: list[np.ndarray],
    selfenergies: list[np.ndarray],
) -> scipy.sparse.coo_matrix:
    """E − H − Σ in the orbital basis, Σ the sum of every lead's self-energy on its interface."""
    n = hamiltonian.shape[0]
    rows = np.concatenate([np.repeat(o, o.size) for o in interfaces])
    cols = np.concatenate([np.tile(o, o.size) for o in interfaces])
    data = np.concatenate([np.ravel(s) for s in selfenergies]).astype(complex)
    sigma = scipy.sparse.coo_matrix((data, (rows, cols)), shape=(n, n))
    identity = scipy.sparse.identity(n, dtype=complex, format="coo")
    return (energy * identity - hamiltonian - sigma).tocoo()


def _greens_function_columns(
    matrix: scipy.sparse.spmatrix, columns: np.ndarray, solver: str = "auto"
) -> np.ndarray:
    """(A⁻¹)[columns, columns] through one sparse LU factorization of A.

    ``solver``: ``"mumps"`` (Kwant's MUMPS), ``"scipy"`` (SuperLU) or ``"auto"``
    (MUMPS when Kwant has it).  Kwant's MUMPS wrapper rejects a 1×1 system, so
    that one always goes to SuperLU.
    """
    if solver not in ("auto", "mumps", "scipy"):
        raise ValueError(f"solver must be 'auto', 'mumps' or 'scipy', got {solver!r}")
    n = matrix.shape[0]
    mumps = None
    if solver != "scipy" and n > 1:
        try:
            from kwant.linalg import mumps
        except ImportError:  # pragma: no cover - depends on the Kwant build
            if solver == "mumps":
                raise
    if mumps is not None:
        context = mumps.MUMPSContext()
        context.factor(scipy.sparse.coo_matrix(matrix))
        solve = context.solve
    else:
        solve = scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(matrix)).solve

    columns = np.asarray(columns, dtype=int)
    block = np.empty((columns.size, columns.size), complex)
    for start in range(0, columns.size, _RHS_CHUNK):
        chunk = columns[start : start + _RHS_CHUNK]
        rhs = np.zeros((n, chunk.size), dtype=complex, order="F")
        rhs[chunk, np.arange(chunk.size)] = 1.0
        block[:, start : start + chunk.size] = np.asarray(solve(rhs))[columns]
    return block


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

    coords_per_lead, sigmas = [], []
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
        coords_per_lead.append(coords)
        sigmas.append(sigma)

    matrix = _open_system_matrix(energy, ham, coords_per_lead, sigmas)
    interface = np.concatenate(coords_per_lead)
    unique, position = np.unique(interface, return_inverse=True)
    g_unique = _greens_function_columns(matrix, unique)
    data = g_unique[np.ix_(position, position)]  # back to lead order (np.unique sorts)
    offsets = np.concatenate([[0], np.cumsum([c.size for c in coords_per_lead])])
    gammas = tuple(1j * (sigma - sigma.conj().T) for sigma in sigmas)
    return InterfaceGreensFunction(data=data, gammas=gammas, offsets=offsets)
