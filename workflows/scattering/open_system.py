"""The open system: one place that assembles E − H − Σ and solves it.

An :class:`OpenSystem` is a finalized Kwant system with its parameters
resolved and its Hamiltonian assembled once — everything that does not depend
on the energy.  At an energy, :meth:`OpenSystem.greens_function` adds the lead
self-energies and returns the retarded Green's function G = (E − H − Σ)⁻¹ on
the orbitals asked for (always including every lead interface), from one
sparse factorization by its factorization backend
(:mod:`workflows.scattering.backends`: MUMPS's Schur complement, SciPy's
SuperLU or the recursive Green's function, chosen by one rule and reported as
:attr:`OpenSystem.backend`).

It is the one door into a solver: lead self-energies (:meth:`OpenSystem.selfenergies`,
through :func:`workflows.scattering.band_edges.lead_modes` for leads with
modes), conservation-law projectors (:meth:`OpenSystem.block_projectors`),
scattering matrices (:meth:`OpenSystem.scattering_matrix`) and changes of the
Hamiltonian along a parameter (:meth:`OpenSystem.hamiltonian_change`) all
come from here; no other module of mesoflow calls Kwant's solvers, a lead's
``modes``/``selfenergy`` or ``hamiltonian_submatrix`` (checked by
``tests/workflows/scattering/test_one_door.py``).

Every solver of :mod:`workflows` builds on this module: the conductance matrix
(Fisher–Lee, T_ij = Tr[Γ_i G_ij Γ_j G_ij†]), the reduced (Dyson) sweeps, the
dephasing probes.  Units: energies and matrix elements in t, G in 1/t.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kwant
import numpy as np
import scipy.sparse

from systems.parameters import resolve_params
from systems.validation import MAX_ENERGY, boolean, choice
from workflows.scattering.backends import SOLVERS, FactorizationBackend, choose_backend
from workflows.scattering.band_edges import lead_modes, resolve_energy
from workflows.scattering.block_projectors import interface_block_projectors
from workflows.scattering.hamiltonian_updates import (
    HamiltonianChange,
    hamiltonian_changes,
    value_function_errors,
)
from workflows.scattering.lead_cache import LeadSelfEnergyCache
from workflows.scattering.lead_matrices import (
    LeadMatrices,
    lead_matrices,
    replicates_kwant_modes,
)
from workflows.scattering.scattering_matrices import ScatteringMatrix, scattering_matrix_of

__all__ = [
    "POLE_TOLERANCE",
    "SOLVERS",
    "InterfaceGreensFunction",
    "OpenSystem",
    "SingularLeadError",
    "broadening",
    "check_coupling",
    "conductance_from_transmissions",
]

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


class SingularLeadError(ValueError):
    """A lead's self-energy has a pole at this energy (Γ = i(Σ − Σ†) is not positive)."""


#: Γ of a lead is positive semidefinite; an eigenvalue below −this × max(|Γ|, 1) marks a
#: pole of Σ computed in rounding (e.g. a Majorana state at the end of a topological lead).
POLE_TOLERANCE = 1e-8


def check_coupling(sigma: np.ndarray, energy: complex, lead: int) -> None:
    """Refuse an energy at a pole of a lead's self-energy (raise :class:`SingularLeadError`).

    At E = 0 exactly, a topological superconducting lead hosts a Majorana state
    at its end: its Σ has a pole there (|Σ| ~ 1e13, Γ not positive) and every
    quantity built on Σ would be wrong without a word.
    """
    gamma = broadening(sigma)
    values = np.linalg.eigvalsh(0.5 * (gamma + gamma.conj().T))
    if values.size and values.min() < -POLE_TOLERANCE * max(abs(values).max(), 1.0):
        raise SingularLeadError(
            f"energy={energy!r} is at a pole of the self-energy of lead {lead} (a bound "
            "state at the lead's end, e.g. a Majorana state at E = 0): evaluate just "
            f"beside it, e.g. energy={energy!r} ± 1e-7"
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
        The factorization backend: ``"auto"`` (the rule of
        :func:`workflows.scattering.backends.choose_backend`: MUMPS when Kwant
        has it, else SciPy's SuperLU), ``"mumps"``, ``"scipy"``
        or ``"rgf"``; or a :class:`~workflows.scattering.backends.FactorizationBackend`
        subclass.
    check_hermiticity
        Check that the Hamiltonian is Hermitian, as Kwant does.
    lead_cache
        A :class:`~workflows.scattering.lead_cache.LeadSelfEnergyCache` shared by the
        open systems of a loop whose leads do not change (a self-consistent potential in
        the region): the self-energies of leads with modes at an energy already solved,
        with the same lead Hamiltonian, are taken from it.

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
    backend
        The factorization backend chosen by the rule
        (:class:`~workflows.scattering.backends.FactorizationBackend`;
        ``backend.name`` is ``"mumps"``, ``"scipy"`` or ``"rgf"``).
    """

    def __init__(
        self,
        fsyst: kwant.system.FiniteSystem,
        *,
        params: Mapping[str, Any] | None = None,
        solver: str | type[FactorizationBackend] = "auto",
        check_hermiticity: bool = True,
        lead_cache: LeadSelfEnergyCache | None = None,
    ) -> None:
        if lead_cache is not None and not isinstance(lead_cache, LeadSelfEnergyCache):
            raise TypeError(
                f"lead_cache must be a LeadSelfEnergyCache or None, got {type(lead_cache).__name__}"
            )
        if not (isinstance(solver, type) and issubclass(solver, FactorizationBackend)):
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
        # Propagating modes of the leads at the last energy of selfenergies() (own params).
        self._propagating_at: tuple[Any, dict[int, Any]] = (None, {})
        n = ham.shape[0]
        # E − H with a fixed sparsity pattern: the diagonal is always present.
        self._rows = np.concatenate([ham.row, np.arange(n)]).astype(np.int64)
        self._cols = np.concatenate([ham.col, np.arange(n)]).astype(np.int64)
        self._changes: dict[frozenset[str], Any] = {}
        self.lead_cache = lead_cache
        self._lead_matrices: dict[int, LeadMatrices | None] = {}
        # Energies that resolve_energy returned after checking every lead for band edges
        # (own params): the mode solves there skip the same check.
        self._edge_checked: set[float] = set()
        self.backend: FactorizationBackend = choose_backend(self, solver)

    @property
    def n_orbitals(self) -> int:
        """Number of orbitals of the scattering region."""
        return int(self.orbital_offsets[-1])

    def orbitals(self, sites) -> np.ndarray:
        """Orbital indices of the given site indices, site by site."""
        offsets = self.orbital_offsets
        parts = [np.arange(offsets[s], offsets[s + 1]) for s in sites]
        return np.concatenate(parts).astype(int) if parts else np.zeros(0, dtype=int)

    def resolve_energy(self, energy: float, at_band_edge: str | None = None) -> float:
        """The energy at which to solve (:func:`workflows.scattering.band_edges.resolve_energy`
        with :attr:`params`).

        With a one-sided ``at_band_edge`` (``"above"``/``"below"``) every lead has been
        checked for a band edge at the returned energy: the self-energies at that energy
        do not check again (a grid of energies pays one check per lead and energy, not two).

        Parameters
        ----------
        energy
            The energy asked for (units of t).
        at_band_edge
            None/``"refuse"``, ``"above"`` or ``"below"``.

        Returns
        -------
        float
        """
        resolved = resolve_energy(
            self.fsyst, energy, self.params, at_band_edge, matrices=self._matrices_of
        )
        if at_band_edge in ("above", "below"):  # resolve_energy checked every lead there
            self._edge_checked.add(resolved)
        return resolved

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
        own_params = params is None or params is self.params
        params = self.params if params is None else params
        if own_params and self._propagating_at[0] != energy:
            self._propagating_at = (energy, {})
        sigmas = []
        indices = range(len(self.interfaces)) if leads is None else leads
        for index in indices:
            lead, coords = self.fsyst.leads[index], self.interfaces[index]
            if hasattr(lead, "modes"):
                propagating, sigma = self._lead_selfenergy(index, energy, params, own_params)
                if own_params:  # kept for open_channels at this energy: no second mode solve
                    self._propagating_at[1][index] = propagating
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

    def _lead_selfenergy(self, index: int, energy, params, own_params: bool):
        """(propagating modes, Σ) of a lead with modes, through :attr:`lead_cache`."""
        key = None
        if own_params and self.lead_cache is not None:
            fingerprint = self.lead_fingerprint(index)
            key = None if fingerprint is None else (index, complex(energy), fingerprint)
            cached = None if key is None else self.lead_cache.get(key)
            if cached is not None:
                sigma, propagating = cached
                return propagating, sigma
        checked = own_params and energy in self._edge_checked
        matrices = self._matrices_of(index) if own_params else None
        propagating, stabilized = lead_modes(
            self.fsyst, index, energy, params, checked=checked, matrices=matrices
        )
        sigma = np.asarray(stabilized.selfenergy())
        if np.imag(energy) == 0:
            check_coupling(sigma, energy, index)
        if key is not None:  # read-only: a caller changing Σ in place would corrupt the cache
            sigma = np.array(sigma, dtype=complex)
            sigma.setflags(write=False)
            self.lead_cache.put(key, (sigma, propagating))
        return propagating, sigma

    def _matrices_of(self, index: int) -> LeadMatrices | None:
        """Lead ``index`` evaluated with :attr:`params` (H₀, V₁, symmetries), once.

        None for a lead whose class has a ``modes`` of its own (it is asked for them, and
        evaluates itself).
        """
        if index not in self._lead_matrices:
            lead = self.fsyst.leads[index]
            kwants = replicates_kwant_modes(lead)
            self._lead_matrices[index] = lead_matrices(lead, self.params) if kwants else None
        return self._lead_matrices[index]

    def lead_fingerprint(self, index: int) -> bytes | None:
        """A digest of lead ``index`` as evaluated with :attr:`params` (16 bytes), once.

        The key under which :attr:`lead_cache` keeps what depends on the lead only
        (:attr:`workflows.scattering.lead_matrices.LeadMatrices.fingerprint`).  None, and
        nothing of the lead kept, for a lead whose class has a ``modes`` of its own (it
        may depend on more than H₀, V₁ and the symmetries: two such leads with the same
        matrices must not share a Σ) or that is not a Kwant lead with bands.
        """
        matrices = self._matrices_of(index)
        return None if matrices is None else matrices.fingerprint

    def energy_minus_hamiltonian(self, energy: float) -> scipy.sparse.coo_matrix:
        """The sparse matrix E − H of the closed region (orbital basis, t), diagonal stored."""
        n = self.n_orbitals
        data = np.concatenate([-self.hamiltonian.data, np.full(n, energy, dtype=complex)])
        return scipy.sparse.coo_matrix((data, (self._rows, self._cols)), shape=(n, n))

    def selfenergy_entries(
        self, selfenergies: list[np.ndarray], leads=None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, columns and values (COO, orbital indices) of Σ = Σ_i Σ_i on the interfaces."""
        interfaces = self.interfaces if leads is None else [self.interfaces[i] for i in leads]
        if not interfaces:
            return np.zeros(0, int), np.zeros(0, int), np.zeros(0, complex)
        rows = np.concatenate([np.repeat(o, o.size) for o in interfaces])
        cols = np.concatenate([np.tile(o, o.size) for o in interfaces])
        data = np.concatenate([np.ravel(s) for s in selfenergies]).astype(complex)
        return rows, cols, data

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
        n = self.n_orbitals
        rows, cols, data = self.selfenergy_entries(selfenergies, leads)
        sigma = scipy.sparse.coo_matrix((data, (rows, cols)), shape=(n, n))
        return (self.energy_minus_hamiltonian(energy) - sigma).tocsr()

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
        return self.backend.greens_block(energy, orbitals, selfenergies)

    def greens_columns(
        self,
        energy: float,
        orbitals: np.ndarray,
        selfenergies: list[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Whole columns G[:, orbitals] of G = (E − H − Σ)⁻¹, from one sparse factorization.

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
        return self.backend.greens_columns(energy, orbitals, selfenergies)

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
        """The M×M conductance matrix (e²/h) at ``energy`` by Fisher–Lee on the interface G.

        Refused (:class:`workflows.scattering.nambu.NambuLeadError`) for a system
        with BdG leads, whose lead totals add electrons and holes.
        """
        self.refuse_lead_totals("a lead-total conductance matrix")
        return self.interface_greens_function(energy).conductance_matrix()

    def open_channels(self, energy: float, lead: int, *, blocks: bool = False) -> list[int] | None:
        """Numbers of propagating modes of a lead at ``energy`` (through the band-edge guard).

        Returns
        -------
        list of int or None
            ``[N]`` for the lead, or with ``blocks=True`` one count per
            conservation-law block in Kwant's order (``[N]`` for a lead without
            one); None for a self-energy lead, which has no modes.
        """
        if not hasattr(self.fsyst.leads[lead], "modes"):
            return None
        at, known = self._propagating_at
        if at == energy and lead in known:
            propagating = known[lead]  # from the self-energies just computed at this energy
        else:
            checked = energy in self._edge_checked
            matrices = self._matrices_of(lead)
            propagating = lead_modes(
                self.fsyst, lead, energy, self.params, checked=checked, matrices=matrices
            )[0]
        block_counts = getattr(propagating, "block_nmodes", None)
        if blocks and block_counts is not None and len(block_counts) > 0:
            return [int(n) for n in block_counts]
        return [len(propagating.velocities) // 2]

    def refuse_lead_totals(self, what: str) -> None:
        """Raise if a lead is a normal BdG lead (see :mod:`workflows.scattering.nambu`).

        Checked once per system (cached); ``what`` names the refused quantity.
        """
        if not hasattr(self, "_nambu_checked"):
            from workflows.scattering.nambu import nambu_leads  # imports this module

            self._nambu_checked = not nambu_leads(self.fsyst, self.params)
        if not self._nambu_checked:
            from workflows.scattering.nambu import refuse_lead_totals

            refuse_lead_totals(self.fsyst, self.params, what)

    def block_projectors(self, lead: int) -> list[np.ndarray] | None:
        """Projectors P_b of lead ``lead``'s conservation-law blocks on its interface orbitals.

        From Kwant's public :meth:`discrete_symmetry` of the lead (its
        ``projectors``, on the unit cell, in Kwant's block order: increasing
        eigenvalue of the conserved quantity), carried over to the interface
        orbitals (the basis of the lead's self-energy): P_b = Q_b Q_b†, Q_b the
        rows of the cell projector that belong to the interface.  None for a
        lead without a conservation law or a self-energy lead.  One function
        for conductance blocks, noise blocks and block-resolved maps.

        Returns
        -------
        list of numpy.ndarray or None
            Orthogonal projectors on the interface orbitals summing to 1.
        """
        return interface_block_projectors(self.fsyst, lead, self.params)

    def hamiltonian_change(
        self, params: Mapping[str, Any], *, param: str | None = None
    ) -> HamiltonianChange:
        """ΔH = H(params) − H(:attr:`params`) on the orbitals whose matrix elements change.

        The matrix elements that can change are found once per set of
        varying parameter names (cached on this object): those whose Kwant
        value functions take a varying name.  Each call then evaluates only
        those (the whole Hamiltonian only when Kwant cannot tell which
        functions read a name, or when more than
        :data:`~workflows.scattering.hamiltonian_updates.PER_ELEMENT_LIMIT`
        elements could change), and checks that ΔH is Hermitian.  The key
        case: an on-site potential updated on a few sites (a gate, a
        self-consistent potential), where ΔH lives on those sites only.

        Parameters
        ----------
        params
            Complete Kwant parameters (e.g. :func:`systems.updated_params` of
            :attr:`params`); names not given keep their values in :attr:`params`.
        param
            The one name that varies (default: every name whose value differs
            from :attr:`params`, compared by identity or ``==``).

        Returns
        -------
        HamiltonianChange
            ΔH in COO form on orbital indices (rows, cols, data; both triangles
            of a changed hopping), with :attr:`HamiltonianChange.orbitals` the
            sorted orbitals it touches.  Units of t.
        """
        params = {**self.params, **params}
        if param is not None:
            names = frozenset([param])
        else:
            names = frozenset(
                name for name in params if not _same(params[name], self.params.get(name))
            )
        changes = self._changes.get(names)
        if changes is None:
            changes = self._changes[names] = hamiltonian_changes(self, names)
        return changes(params)

    def scattering_matrix(self, energy: float, *, blocks: bool = False) -> ScatteringMatrix:
        """The unitary scattering matrix over all terminals at ``energy`` (t).

        Fisher–Lee in its unitary form s = −1 + i W† G W from this system's
        interface Green's function; ``blocks=True`` makes each conservation-law
        block of a lead its own terminal.  See
        :mod:`workflows.scattering.scattering_matrices`.
        """
        return scattering_matrix_of(self, energy, blocks=blocks)


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(np.all(a == b))
    except Exception:  # incomparable values: count as changed
        return False
