"""Diagonals of G(z) and of G Γ_l G† on every orbital: the sparse and the recursive method.

Densities and energy distributions need, on every orbital a of the
scattering region,

* the diagonal G_aa(z) of the retarded Green's function at complex energies
  z in the upper half plane (the Fermi poles of the equilibrium part), and
* the diagonal (G Γ_l G†)_aa at real energies for every lead l (the
  injectivity of lead l, the spectral function of the states that lead l
  fills; its sum over leads is the local spectral function of the
  scattering states).

Two methods give them, both from the core's :class:`OpenSystem` (E − H − Σ
assembled there; Kwant's lead self-energies are exact at complex energy —
its ``modes`` accepts them, and the tests compare with a Sancho–Rubio
decimation):

``"recursive"``
    The orbitals are ordered in slices between the leads
    (:mod:`workflows.scattering.slicing`) and the recursive Green's function
    (:mod:`workflows.scattering.recursive_greens`) gives the diagonal blocks of
    G and of G Γ_l G† in one forward and one backward sweep: time and memory
    linear in the number of slices (Lake, Klimeck, Bowen and Jovanovic,
    J. Appl. Phys. 81, 7845 (1997)).  The batched methods
    (:meth:`DiagonalSolver.greens_diagonals`, :meth:`DiagonalSolver.injectivity_batch`)
    run it once for a block of energies
    (:mod:`workflows.scattering.recursive_batches`); the per-energy methods
    remain (the fallback at a band edge, and the tests' reference).
``"sparse"``
    One sparse factorization per energy: the columns G[:, I_l] on the lead
    interfaces give (G Γ_l G†)_aa for every a; the diagonal of G(z) comes
    from the columns of all orbitals, solved in chunks (time and memory grow
    faster than linearly: for small or irregular systems).

``"auto"`` picks the recursive method whenever a slice ordering exists
whose widest slice has at most :data:`MAX_SLICE_WIDTH` orbitals.
"""

from __future__ import annotations

import functools

import numpy as np
import threadpoolctl

from systems.validation import choice
from workflows.scattering.band_edges import BandEdgeError, mean_across_band_edge
from workflows.scattering.open_system import OpenSystem, broadening
from workflows.scattering.recursive_batches import (
    BatchedSlices,
    LeadCoupling,
    batched_recursion,
    broadening_factor,
    energy_block_size,
)
from workflows.scattering.recursive_greens import RecursiveGreens, block_tridiagonal_blocks
from workflows.scattering.slicing import slice_ordering

__all__ = ["METHODS", "DiagonalSolver", "diagonal_solver", "serial_blas"]

METHODS = ("auto", "recursive", "sparse")
#: Thin layers are grouped to at least this many orbitals per slice.  The energies run in
#: batches (one Python step per slice for a block of energies), so narrow slices are cheap:
#: on a 20-wide wire one column per slice (20 orbitals, a diagonal coupling between slices)
#: cost 8 ms of CPU per energy per 200 columns against 23 ms for two columns per slice.
TARGET_SLICE_WIDTH = 16
#: Beyond this slice width the dense inverses of the recursion cost more than a sparse solve.
MAX_SLICE_WIDTH = 1000
#: Columns of G solved per sparse factorization for the diagonal of G(z).
_COLUMN_CHUNK = 512


def serial_blas(func):
    """Run ``func`` with one BLAS thread: its dense blocks are small, so threads only contend.

    Measured on a 20-site chain (the density at finite bias, 2 cores under load 8):
    109 s with OpenBLAS's default threads, 12 s with one.  The previous limits are
    restored on return (:func:`threadpoolctl.threadpool_limits`).
    """

    @functools.wraps(func)
    def serial(*args, **kwargs):
        with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return serial


class DiagonalSolver:
    """Diagonals of G and of G Γ_l G† of an :class:`OpenSystem` (see the module docs).

    Attributes
    ----------
    open_system
        The core object.
    method
        ``"recursive"`` or ``"sparse"``.
    """

    def __init__(self, open_system: OpenSystem, method: str, ordering=None) -> None:
        self.open_system = open_system
        self.method = method
        self._ordering = None
        if method == "recursive":
            self._ordering = _ordering(open_system) if ordering is None else ordering
            if self._ordering is None:
                raise ValueError(
                    "method='recursive' needs a slice ordering of the system (every site "
                    "reachable from lead 0, every interface inside one slice, slices of at "
                    f"most {MAX_SLICE_WIDTH} orbitals); use method='sparse'"
                )
            # H in slice order, as dense blocks, once: each energy only adds z and Σ.
            perm = self._ordering.permutation
            ham = open_system.hamiltonian.tocsr()[perm][:, perm]
            self._h_blocks = block_tridiagonal_blocks(ham, self._ordering.offsets)
            self._slices = BatchedSlices.from_blocks(*self._h_blocks, self._ordering.offsets)
            slice_of = np.repeat(np.arange(self._ordering.widths.size), self._ordering.widths)
            self._lead_slices = []
            for orbitals in open_system.interfaces:
                positions = self._ordering.inverse[orbitals]
                k = int(slice_of[positions[0]]) if positions.size else 0
                self._lead_slices.append((k, positions - self._ordering.offsets[k]))

    @property
    def n_orbitals(self) -> int:
        return self.open_system.n_orbitals

    def greens_diagonal(self, energy: complex) -> np.ndarray:
        """G_aa(z) on every orbital a (complex, 1/t); z may be complex (Im z > 0)."""
        system = self.open_system
        if self._ordering is not None:
            greens = self._recursion(energy, system.selfenergies(energy))
            diagonal = np.concatenate([np.diagonal(g) for g in greens.diagonal])
            return diagonal[self._ordering.inverse]
        sigmas = system.selfenergies(energy)
        orbitals = np.arange(system.n_orbitals)
        parts = []
        for start in range(0, orbitals.size, _COLUMN_CHUNK):
            chunk = orbitals[start : start + _COLUMN_CHUNK]
            columns = system.greens_columns(energy, chunk, sigmas)
            parts.append(columns[chunk, np.arange(chunk.size)])
        return np.concatenate(parts)

    def greens_diagonals(self, energies) -> np.ndarray:
        """G_aa(z) on every orbital at each of ``energies`` (Im z > 0), shape (n_E, N), 1/t.

        The recursive method runs the slices once per block of energies
        (:mod:`workflows.scattering.recursive_batches`); the sparse method
        solves energy by energy.
        """
        energies = np.asarray(energies, dtype=complex).ravel()
        if self._ordering is None:
            return np.array([self.greens_diagonal(z) for z in energies]).reshape(energies.size, -1)
        parts = []
        for block in self._energy_blocks(energies, with_factors=False):
            leads = self._couplings(block, with_factors=False)
            diagonal, _ = batched_recursion(self._slices, block, leads)
            parts.append(diagonal[:, self._ordering.inverse])
        return np.concatenate(parts) if parts else np.zeros((0, self.n_orbitals), dtype=complex)

    def injectivity_batch(self, energies) -> np.ndarray:
        """:meth:`injectivities` at each of the real ``energies``, shape (n_E, M, N), 1/t.

        The recursive method runs the slices once per block of energies; an
        energy at a lead's band edge takes the mean of both sides as
        :meth:`injectivities` does.
        """
        energies = np.asarray(energies, dtype=float).ravel()
        n_leads = len(self.open_system.interfaces)
        result = np.zeros((energies.size, n_leads, self.n_orbitals))
        if self._ordering is None:
            for k, energy in enumerate(energies):
                result[k] = self.injectivities(float(energy))
            return result
        start = 0
        for block in self._energy_blocks(energies, with_factors=True):
            rows = np.arange(start, start + block.size)
            start += block.size
            sigmas, solved = [], np.ones(block.size, dtype=bool)
            for k, energy in enumerate(block):
                try:
                    sigmas.append(self.open_system.selfenergies(energy))
                except BandEdgeError:  # rare: this energy alone, from both sides of the edge
                    result[rows[k]] = self.injectivities(float(energy))
                    solved[k] = False
            if sigmas:
                leads = self._couplings(block[solved], sigmas, with_factors=True)
                _, injected = batched_recursion(
                    self._slices, block[solved], leads, with_diagonal=False
                )
                result[rows[solved]] = injected[:, :, self._ordering.inverse]
        return result

    def _energy_blocks(self, energies: np.ndarray, *, with_factors: bool):
        ranks = [o.size for o in self.open_system.interfaces] if with_factors else []
        size = energy_block_size(self._slices, ranks)
        return [energies[i : i + size] for i in range(0, energies.size, size)]

    def _couplings(self, energies, per_energy=None, *, with_factors: bool) -> list[LeadCoupling]:
        """Every lead's Σ (and Γ's factor V) on a block of energies, from the core.

        ``per_energy``: the self-energies already computed (one list per energy).
        """
        if per_energy is None:
            per_energy = [self.open_system.selfenergies(energy) for energy in energies]
        couplings = []
        for lead, (k, local) in enumerate(self._lead_slices):
            sigma = np.array([sigmas[lead] for sigmas in per_energy]).reshape(
                energies.size, local.size, local.size
            )
            factor = broadening_factor(sigma) if with_factors else None
            couplings.append(LeadCoupling(k, local, sigma, factor))
        return couplings

    def injectivities(self, energy: float) -> np.ndarray:
        """(G Γ_l G†)_aa for every lead l and orbital a, shape (M, N), real, units 1/t.

        At an energy exactly at a lead's band edge the mean of the values
        1e-9·max(1, |E|) below and above is returned, or, where the band-edge
        guard refuses those too, of the values at the nearest energies it
        passes (:class:`BandEdgeError` ``below`` and ``above``).
        """
        return mean_across_band_edge(self._injectivities, energy)

    def _injectivities(self, energy: float) -> np.ndarray:
        system = self.open_system
        sigmas = system.selfenergies(energy)
        gammas = [broadening(sigma) for sigma in sigmas]
        result = np.zeros((len(gammas), system.n_orbitals))
        if self._ordering is not None:
            ordering = self._ordering
            greens = self._recursion(energy, sigmas)
            for lead, gamma in enumerate(gammas):
                k, local = self._lead_slices[lead]
                if local.size == 0:
                    continue
                block = np.zeros((ordering.widths[k],) * 2, dtype=complex)
                block[np.ix_(local, local)] = gamma
                x = [None] * ordering.widths.size
                x[k] = block
                diagonal = np.concatenate([np.diagonal(b).real for b in greens.sandwich(x)])
                result[lead] = diagonal[ordering.inverse]
            return result
        interfaces = np.concatenate(system.interfaces)
        columns = system.greens_columns(energy, interfaces, sigmas)
        start = 0
        for lead, gamma in enumerate(gammas):
            stop = start + gamma.shape[0]
            g = columns[:, start:stop]
            result[lead] = np.einsum("ai,ij,aj->a", g, gamma, g.conj()).real
            start = stop
        return result

    def _recursion(self, energy: complex, sigmas) -> RecursiveGreens:
        h_diagonal, h_upper, h_lower = self._h_blocks
        diagonal = [energy * np.eye(h.shape[0]) - h for h in h_diagonal]
        for (k, local), sigma in zip(self._lead_slices, sigmas, strict=True):
            diagonal[k][np.ix_(local, local)] -= sigma
        return RecursiveGreens(diagonal, [-u for u in h_upper], [-l_ for l_ in h_lower])


def _ordering(open_system: OpenSystem):
    """A slice ordering with every interface inside one slice, or None."""
    if not open_system.interfaces or open_system.interfaces[0].size == 0:
        return None
    offsets = open_system.orbital_offsets
    sites = [np.asarray(s, dtype=int) for s in open_system.fsyst.lead_interfaces]
    ordering = slice_ordering(
        open_system.hamiltonian, np.diff(offsets), sites, target_width=TARGET_SLICE_WIDTH
    )
    if ordering is None or ordering.widths.max() > MAX_SLICE_WIDTH:
        return None
    # Every interface must lie inside one slice and the slices must be block-tridiagonal
    # (a self-energy lead spanning far-apart sites breaks both).
    slice_of = np.repeat(np.arange(ordering.widths.size), ordering.widths)
    inverse = ordering.inverse
    for orbitals in open_system.interfaces:
        if orbitals.size and np.unique(slice_of[inverse[orbitals]]).size != 1:
            return None
    ham = open_system.hamiltonian
    if np.any(np.abs(slice_of[inverse[ham.row]] - slice_of[inverse[ham.col]]) > 1):
        return None  # pragma: no cover - breadth-first layers are always tridiagonal
    return ordering


def diagonal_solver(open_system: OpenSystem, method: str = "auto") -> DiagonalSolver:
    """The :class:`DiagonalSolver` of ``open_system`` for ``method`` (see the module docs)."""
    method = choice("method", method, METHODS)
    if method != "auto":
        return DiagonalSolver(open_system, method)
    ordering = _ordering(open_system)
    return DiagonalSolver(open_system, "sparse" if ordering is None else "recursive", ordering)
