"""The open system: one place that assembles E − H − Σ and solves it.

An :class:`OpenSystem` is a finalized Kwant system with its parameters
resolved and its Hamiltonian assembled once — everything that does not depend
on the energy.  At an energy, :meth:`OpenSystem.greens_function` adds the lead
self-energies and returns the retarded Green's function G = (E − H − Σ)⁻¹ on
the orbitals asked for (always including every lead interface), from one
sparse factorization:

* with MUMPS (Kwant's default solver when it was built with it), as the
  inverse of a Schur complement: MUMPS eliminates every other orbital of
  E − H during its factorization and returns the dense block
  S = (E − H)_UU − (E − H)_UR (E − H)_RR⁻¹ (E − H)_RU on the wanted orbitals U,
  and G_UU = (S − Σ)⁻¹ since Σ lives on the interfaces only.  No right-hand
  side is ever solved, which makes it several times faster than Kwant's
  ``smatrix`` on a long wire (see ``benchmarks/bench_energy_axis.py``);
* otherwise (or if that Schur complement is not finite, i.e. E is an
  eigenvalue of the region with the wanted orbitals removed), from a sparse LU
  factorization of E − H − Σ solved for the wanted columns.

Every solver of :mod:`workflows` builds on this module: the conductance matrix
(Fisher–Lee, T_ij = Tr[Γ_i G_ij Γ_j G_ij†]), the reduced (Dyson) sweeps, the
dephasing probes.  Units: energies and matrix elements in t, G in 1/t.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from systems._validation import MAX_ENERGY, boolean, choice
from systems.parameters import resolve_params
from workflows.scattering.band_edges import lead_modes

__all__ = ["InterfaceGreensFunction", "OpenSystem", "broadening", "conductance_from_transmissions"]

#: Right-hand sides per sparse solve in the LU path (bounds the dense N × k array).
_RHS_CHUNK = 256
#: Up to this many interface orbitals, Γ G Γ is formed with a dense Γ (a few BLAS calls beat
#: sparse overhead); beyond, with a sparse block-diagonal Γ (cost O(n²) instead of O(n³)).
_DENSE_GAMMA_LIMIT = 128
#: Largest |S| / max|E − H| accepted from the Schur path (its rounding error is ε·|S|).
_SCHUR_GROWTH_LIMIT = 1e3
SOLVERS = ("auto", "mumps", "scipy")


def _mumps_module():
    """Kwant's MUMPS wrapper, or None when Kwant was built without MUMPS."""
    try:
        from kwant.linalg import mumps
    except ImportError:  # pragma: no cover - depends on the Kwant build
        return None
    return mumps


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

    def conductance_matrix(self) -> np.ndarray:
        """The conductance matrix (e²/h) over all leads, from :meth:`transmissions`."""
        return conductance_from_transmissions(self.transmissions())


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


def broadening(selfenergy: np.ndarray) -> np.ndarray:
    """The coupling (broadening) matrix Γ = i(Σ − Σ†) of a lead self-energy Σ (units of t)."""
    selfenergy = np.asarray(selfenergy)
    return 1j * (selfenergy - selfenergy.conj().T)


def conductance_from_transmissions(transmission: np.ndarray) -> np.ndarray:
    """Conductance matrix (e²/h) from all transmissions: G_ij = −T_ij (i ≠ j), G_ii = Σ_{k≠i} T_ki.

    The diagonal of ``transmission`` is ignored; every column of the result
    sums to zero exactly (G_ii = N_i − R_ii by unitarity).
    """
    g = -np.asarray(transmission, dtype=float)
    np.fill_diagonal(g, 0.0)
    np.fill_diagonal(g, -g.sum(axis=0))
    return g


@contextlib.contextmanager
def value_function_errors() -> Iterator[None]:
    """Let a ValueError/TypeError of a value function through as itself, in one line.

    Kwant wraps any exception of a value function in a multi-line
    :class:`kwant.UserCodeError`; mesoflow's own value functions raise
    one-line errors naming the parameter and the site (e.g. a Peierls phase
    beyond 1e8 rad), which are re-raised unwrapped.
    """
    try:
        yield
    except kwant.UserCodeError as exc:
        if isinstance(exc.__cause__, (ValueError, TypeError)):
            raise exc.__cause__ from None
        raise


def check_finite_hamiltonian(ham: scipy.sparse.coo_matrix, offsets: np.ndarray, sites) -> None:
    """Refuse an assembled H with an entry that is not finite or beyond ±MAX_ENERGY (t).

    Names the first bad entry's site (an on-site value) or pair of sites (a
    hopping), so that a value function returning NaN, inf or 1e300 is found
    at once instead of failing inside the sparse solver.
    """
    bad = ~(np.abs(ham.data) <= MAX_ENERGY)  # NaN and inf included
    if not np.any(bad):
        return
    first = int(np.argmax(bad))
    row, col = np.searchsorted(offsets, [ham.row[first], ham.col[first]], side="right") - 1
    value = complex(ham.data[first])
    kind = (
        f"the on-site value of site {sites[row]}"
        if row == col
        else f"the hopping between sites {sites[col]} and {sites[row]}"
    )
    raise ValueError(
        f"{kind} is {value:.3g}: the Hamiltonian's entries must be finite and within "
        f"±{MAX_ENERGY:.0e} (units of t); check the value function that gives it"
    )


class OpenSystem:
    """A finalized Kwant system with resolved parameters and its Hamiltonian assembled once.

    Parameters
    ----------
    fsyst
        A finalized Kwant system with at least one lead (leads with modes or
        self-energy leads such as dephasing probes).
    params
        Kwant parameters, resolved once here (:func:`systems.resolve_params`).
    solver
        ``"auto"`` (MUMPS when Kwant has it, else SciPy's SuperLU), ``"mumps"``
        or ``"scipy"``.
    check_hermiticity
        Check that the Hamiltonian is Hermitian, as Kwant does.

    Attributes
    ----------
    fsyst, params
        The system and its complete parameters.
    hamiltonian
        H of the scattering region in the orbital basis (sparse COO, complex, t).
    orbital_offsets
        First orbital of each site, length (number of sites + 1).
    interfaces
        Interface orbitals of each lead, in Kwant's lead order.
    """

    def __init__(
        self,
        fsyst: kwant.system.FiniteSystem,
        *,
        params: Mapping[str, Any] | None = None,
        solver: str = "auto",
        check_hermiticity: bool = True,
    ) -> None:
        choice("solver", solver, SOLVERS)
        check_hermiticity = boolean("check_hermiticity", check_hermiticity)
        self.fsyst = fsyst
        self.params = resolve_params(fsyst, params)
        self.solver = solver
        with value_function_errors():
            ham, norbs = fsyst.hamiltonian_submatrix(
                sparse=True, return_norb=True, params=self.params
            )[:2]
        ham = scipy.sparse.coo_matrix(ham, dtype=complex)
        ham.sum_duplicates()
        offsets = np.concatenate([[0], np.cumsum(norbs)]).astype(int)
        check_finite_hamiltonian(ham, offsets, fsyst.sites)
        if check_hermiticity and ham.nnz:
            tol = 1e-13 * np.abs(ham.data).max() + 1e-300
            if np.any(np.abs((ham - ham.conj().T).data) > tol):
                raise ValueError("the system Hamiltonian is not Hermitian")
        self.hamiltonian = ham
        self.orbital_offsets = offsets
        self.interfaces = [self.orbitals(sites) for sites in fsyst.lead_interfaces]
        n = ham.shape[0]
        # E − H with a fixed sparsity pattern: the diagonal is always present.
        self._rows = np.concatenate([ham.row, np.arange(n)]).astype(np.int64)
        self._cols = np.concatenate([ham.col, np.arange(n)]).astype(np.int64)

    @property
    def n_orbitals(self) -> int:
        """Number of orbitals of the scattering region."""
        return int(self.orbital_offsets[-1])

    def orbitals(self, sites) -> np.ndarray:
        """Orbital indices of the given site indices, site by site."""
        offsets = self.orbital_offsets
        parts = [np.arange(offsets[s], offsets[s + 1]) for s in sites]
        return np.concatenate(parts).astype(int) if parts else np.zeros(0, dtype=int)

    def selfenergies(
        self,
        energy: float,
        leads=None,
        *,
        params: Mapping[str, Any] | None = None,
    ) -> list[np.ndarray]:
        """Self-energy Σ_i(E) of every lead (or of ``leads``) on its interface orbitals (t).

        For a lead with modes, Σ comes from the lead's stabilized modes
        (as in Kwant), whose propagating modes are checked on the way: an
        energy exactly at a band edge (a mode with zero velocity) raises
        :class:`workflows.scattering.band_edges.BandEdgeError` naming the lead.

        Parameters
        ----------
        energy
            Energy in units of t.
        leads
            Lead indices (default: all leads, in Kwant's order).
        params
            Complete Kwant parameters at which to evaluate the leads instead
            of :attr:`params` (e.g. another value of a swept parameter on
            which a lead depends, as :func:`workflows.sweep` needs); the
            Hamiltonian of the region is not re-assembled.

        Returns
        -------
        list of numpy.ndarray
            One complex square matrix per lead asked for, on its interface
            orbitals, in the order of ``leads``.
        """
        params = self.params if params is None else params
        sigmas = []
        indices = range(len(self.interfaces)) if leads is None else leads
        for index in indices:
            lead, coords = self.fsyst.leads[index], self.interfaces[index]
            if hasattr(lead, "modes"):
                sigma = lead_modes(self.fsyst, index, energy, params)[1].selfenergy()
            else:  # a self-energy lead (e.g. a dephasing probe)
                sigma = lead.selfenergy(energy, params=params)
            sigma = np.asarray(sigma, dtype=complex)
            if sigma.shape != (coords.size, coords.size):
                raise ValueError(
                    f"the self-energy of lead {index} has shape {sigma.shape}, but its "
                    f"interface has {coords.size} orbitals"
                )
            sigmas.append(sigma)
        return sigmas

    def _energy_minus_hamiltonian(self, energy: float) -> scipy.sparse.coo_matrix:
        n = self.n_orbitals
        data = np.concatenate([-self.hamiltonian.data, np.full(n, energy, dtype=complex)])
        return scipy.sparse.coo_matrix((data, (self._rows, self._cols)), shape=(n, n))

    def _sigma_matrix(self, selfenergies: list[np.ndarray], leads=None) -> scipy.sparse.coo_matrix:
        n = self.n_orbitals
        interfaces = self.interfaces if leads is None else [self.interfaces[i] for i in leads]
        if not interfaces:
            return scipy.sparse.coo_matrix((n, n), dtype=complex)
        rows = np.concatenate([np.repeat(o, o.size) for o in interfaces])
        cols = np.concatenate([np.tile(o, o.size) for o in interfaces])
        data = np.concatenate([np.ravel(s) for s in selfenergies]).astype(complex)
        return scipy.sparse.coo_matrix((data, (rows, cols)), shape=(n, n))

    def matrix(
        self,
        energy: float,
        *,
        leads=None,
        selfenergies: list[np.ndarray] | None = None,
    ) -> scipy.sparse.csr_matrix:
        """The sparse matrix E − H − Σ of the open system (orbital basis, units of t).

        Parameters
        ----------
        energy
            Energy in units of t.
        leads
            Indices of the leads whose self-energies Σ includes (default: all).
        selfenergies
            Their self-energies at ``energy`` if already computed (same order).

        Returns
        -------
        scipy.sparse.csr_matrix
        """
        if selfenergies is None:
            selfenergies = self.selfenergies(energy, leads)
        sigma = self._sigma_matrix(selfenergies, leads)
        return (self._energy_minus_hamiltonian(energy) - sigma).tocsr()

    def greens_function(
        self,
        energy: float,
        orbitals: np.ndarray,
        selfenergies: list[np.ndarray] | None = None,
    ) -> np.ndarray:
        """G = (E − H − Σ)⁻¹ on the given orbitals, from one sparse factorization.

        Parameters
        ----------
        energy
            Energy in units of t.
        orbitals
            Orbital indices (sorted, unique) on which G is wanted; they must
            include every lead interface orbital (so that Σ lives on them).
        selfenergies
            The leads' self-energies at ``energy`` if already computed.

        Returns
        -------
        numpy.ndarray
            Complex (k, k) block G[orbitals, orbitals], units 1/t.
        """
        orbitals = np.asarray(orbitals, dtype=int)
        if selfenergies is None:
            selfenergies = self.selfenergies(energy)
        mumps = None if self.solver == "scipy" else _mumps_module()
        if self.solver == "mumps" and mumps is None:
            raise ImportError("solver='mumps' but Kwant was built without MUMPS")
        if mumps is not None and self.n_orbitals > orbitals.size:
            block = self._schur_greens_function(mumps, energy, orbitals, selfenergies)
            if block is not None:
                return block
        return self.greens_columns(energy, orbitals, selfenergies)[orbitals]

    def _schur_greens_function(self, mumps, energy, orbitals, selfenergies):
        """G_UU = (S − Σ)⁻¹ with S MUMPS's Schur complement of E − H on U; None if inaccurate.

        Near an eigenvalue λ of the region without U, S has a large part
        ∝ 1/(E − λ) whose rounding swamps the rest: the error of S is about
        ε·max|S|.  When max|S| exceeds :data:`_SCHUR_GROWTH_LIMIT` times the
        largest matrix element of E − H (an error above ~1e-13 relative), the
        caller falls back to the LU path, whose pivoting is global.
        """
        matrix = self._energy_minus_hamiltonian(energy)
        with np.errstate(all="ignore"):
            schur = mumps.schur_complement(matrix, orbitals)
        scale = np.abs(matrix.data).max(initial=0.0)
        if not np.all(np.isfinite(schur)) or np.abs(schur).max() > _SCHUR_GROWTH_LIMIT * scale:
            return None
        position = np.searchsorted(orbitals, np.concatenate(self.interfaces))
        rows = np.concatenate([np.repeat(position[o], o.size) for o in self._lead_slices()])
        cols = np.concatenate([np.tile(position[o], o.size) for o in self._lead_slices()])
        np.subtract.at(schur, (rows, cols), np.concatenate([np.ravel(s) for s in selfenergies]))
        try:
            return np.linalg.inv(schur)
        except np.linalg.LinAlgError:
            return None

    def _lead_slices(self) -> list[np.ndarray]:
        sizes = [o.size for o in self.interfaces]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        return [np.arange(a, b) for a, b in itertools.pairwise(starts)]

    def greens_columns(
        self,
        energy: float,
        orbitals: np.ndarray,
        selfenergies: list[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Whole columns G[:, orbitals] of G = (E − H − Σ)⁻¹, from one sparse LU factorization.

        Parameters
        ----------
        energy
            Energy in units of t.
        orbitals
            Orbital indices of the wanted columns.
        selfenergies
            The leads' self-energies at ``energy`` if already computed.

        Returns
        -------
        numpy.ndarray
            Complex (N, k) array, N the number of orbitals of the scattering
            region, units 1/t.
        """
        orbitals = np.asarray(orbitals, dtype=int)
        if selfenergies is None:
            selfenergies = self.selfenergies(energy)
        mumps = None if self.solver == "scipy" else _mumps_module()
        if self.solver == "mumps" and mumps is None:
            raise ImportError("solver='mumps' but Kwant was built without MUMPS")
        matrix = self.matrix(energy, selfenergies=selfenergies).tocoo()
        n = self.n_orbitals
        if mumps is not None and n > 1:  # Kwant's MUMPS wrapper rejects a 1×1 system
            context = mumps.MUMPSContext()
            context.factor(matrix)
            solve = context.solve
        else:
            solve = scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(matrix)).solve
        columns = np.empty((n, orbitals.size), complex)
        for start in range(0, orbitals.size, _RHS_CHUNK):
            chunk = orbitals[start : start + _RHS_CHUNK]
            rhs = np.zeros((n, chunk.size), dtype=complex, order="F")
            rhs[chunk, np.arange(chunk.size)] = 1.0
            columns[:, start : start + chunk.size] = np.asarray(solve(rhs)).reshape(n, chunk.size)
        return columns

    def interface_greens_function(self, energy: float) -> InterfaceGreensFunction:
        """G between the interface orbitals of all leads, lead by lead, with every Γ_i."""
        selfenergies = self.selfenergies(energy)
        joined = np.concatenate(self.interfaces)
        unique, position = np.unique(joined, return_inverse=True)
        g_unique = self.greens_function(energy, unique, selfenergies)
        data = g_unique[np.ix_(position, position)]  # back to lead order (np.unique sorts)
        offsets = np.concatenate([[0], np.cumsum([o.size for o in self.interfaces])]).astype(int)
        gammas = tuple(broadening(sigma) for sigma in selfenergies)
        return InterfaceGreensFunction(data=data, gammas=gammas, offsets=offsets)

    def conductance_matrix(self, energy: float) -> np.ndarray:
        """The M×M conductance matrix (e²/h) at ``energy`` by Fisher–Lee on the interface G."""
        return self.interface_greens_function(energy).conductance_matrix()
