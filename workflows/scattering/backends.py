"""Factorization backends of the scattering core: how G = (E − H − Σ)⁻¹ is obtained.

:class:`workflows.scattering.OpenSystem` assembles E − H − Σ; a backend turns
it into the Green's function the observables need.  A backend answers two
questions, the abstract methods of :class:`FactorizationBackend`:

* :meth:`~FactorizationBackend.greens_columns` — whole columns G[:, U] (local
  quantities: current maps, densities);
* :meth:`~FactorizationBackend.greens_block` — the block G[U, U] on wanted
  orbitals U that include every lead interface (conductance matrices,
  scattering matrices, Dyson sweeps).

Three backends implement them:

* :class:`MumpsBackend` (``"mumps"``): G_UU = (S − Σ)⁻¹ from MUMPS's Schur
  complement S of E − H on U (no right-hand side solved), falling back to an
  LU solve when S is inaccurate (E near an eigenvalue of the region without
  U); whole columns from one MUMPS LU factorization;
* :class:`SuperLUBackend` (``"scipy"``): SciPy's SuperLU factorization of
  E − H − Σ solved for the wanted columns;
* :class:`RecursiveBackend` (``"rgf"``): the recursive Green's function
  (:mod:`workflows.scattering.recursive_greens`) over the breadth-first
  slices of :mod:`workflows.scattering.slicing`, O(Σ w_i³) for slices of w_i
  orbitals, for wanted orbitals in the first and last slices (a two-terminal
  device with its leads at opposite ends); other requests go to the
  backend the rule picks without RGF.

A backend of one's own is a subclass passed as ``solver=`` (``OpenSystem(fsyst,
solver=MyBackend)``).

**The rule** (:func:`choose_backend`, the one place that picks a backend):
``solver="mumps"``, ``"scipy"`` or ``"rgf"`` take that backend (MUMPS raises
``ImportError`` if Kwant was built without it; ``"rgf"`` raises ``ValueError``
if the system does not slice).  ``solver="auto"`` takes MUMPS when Kwant has
it, else SuperLU.  RGF is taken only on request: measured on clean wires
(``conductance_matrix`` at one energy, 2 busy cores, load ≈ 3.5), MUMPS was
fastest at every size (100×10: 86 ms against 101 ms SuperLU and 190 ms RGF;
400×20: 221 ms against 819 ms and 587 ms), and RGF beat SuperLU on some
shapes (200×20: 362 ms against 823 ms) but not on others (800×8: 402 ms
against 216 ms; 300×30: 6.5 s against 5.2 s), so no size criterion makes it
reliably cheaper.  The chosen backend is :attr:`OpenSystem.backend`; its
:attr:`~FactorizationBackend.name` is what provenance reports
(:func:`workflows.runs.environment_info`, ``"solver"``, from
:func:`default_backend_name`).

All backends give the same G to rounding (tests: 1e-10 against each other
and against :func:`kwant.greens_function`).  Units: E − H − Σ in t, G in 1/t.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from systems.validation import choice
from workflows.scattering.recursive_greens import RecursiveGreens, block_tridiagonal_blocks
from workflows.scattering.slicing import SliceOrdering, slice_ordering

if TYPE_CHECKING:  # pragma: no cover
    from workflows.scattering.open_system import OpenSystem

__all__ = [
    "SOLVERS",
    "FactorizationBackend",
    "MumpsBackend",
    "RecursiveBackend",
    "SuperLUBackend",
    "choose_backend",
    "default_backend_name",
]

#: Accepted values of ``solver=`` (``"auto"`` applies :func:`choose_backend`'s rule).
SOLVERS = ("auto", "mumps", "scipy", "rgf")
#: Right-hand sides per sparse solve (bounds the dense N × k array).
_RHS_CHUNK = 256
#: Largest |S| / max|E − H| accepted from the Schur path (its rounding error is ε·|S|).
_SCHUR_GROWTH_LIMIT = 1e3
#: Orbitals per slice of the recursion (dense BLAS blocks, little Python overhead).
RGF_TARGET_WIDTH = 32


def _mumps_module():
    """Kwant's MUMPS wrapper, or None when Kwant was built without MUMPS."""
    try:
        from kwant.linalg import mumps
    except ImportError:  # pragma: no cover - depends on the Kwant build
        return None
    return mumps


def default_backend_name() -> str:
    """The backend ``solver="auto"`` takes: 'mumps' (Kwant built with MUMPS) or 'scipy'."""
    return "mumps" if _mumps_module() is not None else "scipy"


class FactorizationBackend(abc.ABC):
    """How one :class:`~workflows.scattering.OpenSystem` obtains G = (E − H − Σ)⁻¹.

    A backend is made for one open system (it may precompute what depends
    only on the geometry, e.g. a slice ordering) and answers at any energy.

    Parameters
    ----------
    open_system
        The open system whose E − H − Σ is factorized
        (:meth:`OpenSystem.matrix`, :meth:`OpenSystem.energy_minus_hamiltonian`).

    Attributes
    ----------
    name
        The backend's name, as accepted by ``solver=`` and reported in provenance.
    """

    name: ClassVar[str]

    def __init__(self, open_system: OpenSystem) -> None:
        self.open_system = open_system

    @abc.abstractmethod
    def greens_columns(
        self, energy: float, orbitals: np.ndarray, selfenergies: list[np.ndarray]
    ) -> np.ndarray:
        """Whole columns G[:, orbitals] (complex (N, k), units 1/t).

        ``selfenergies`` are every lead's Σ at ``energy``, in lead order.
        """

    def greens_block(
        self, energy: float, orbitals: np.ndarray, selfenergies: list[np.ndarray]
    ) -> np.ndarray:
        """The block G[orbitals, orbitals] (complex (k, k), 1/t); ``orbitals`` sorted, unique,
        including every lead interface orbital."""
        return self.greens_columns(energy, orbitals, selfenergies)[orbitals]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _solve_columns(solve, n: int, orbitals: np.ndarray) -> np.ndarray:
    columns = np.empty((n, orbitals.size), complex)
    for start in range(0, orbitals.size, _RHS_CHUNK):
        chunk = orbitals[start : start + _RHS_CHUNK]
        rhs = np.zeros((n, chunk.size), dtype=complex, order="F")
        rhs[chunk, np.arange(chunk.size)] = 1.0
        columns[:, start : start + chunk.size] = np.asarray(solve(rhs)).reshape(n, chunk.size)
    return columns


class SuperLUBackend(FactorizationBackend):
    """SciPy's SuperLU: one sparse LU factorization of E − H − Σ, solved for the wanted columns."""

    name = "scipy"

    def greens_columns(self, energy, orbitals, selfenergies):
        orbitals = np.asarray(orbitals, dtype=int)
        matrix = self.open_system.matrix(energy, selfenergies=selfenergies)
        solve = scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(matrix)).solve
        return _solve_columns(solve, self.open_system.n_orbitals, orbitals)


class MumpsBackend(FactorizationBackend):
    """Kwant's MUMPS: Schur complement on the wanted orbitals, or one LU for whole columns."""

    name = "mumps"

    def __init__(self, open_system: OpenSystem) -> None:
        mumps = _mumps_module()
        if mumps is None:
            raise ImportError("solver='mumps' but Kwant was built without MUMPS")
        super().__init__(open_system)
        self._mumps = mumps

    def greens_columns(self, energy, orbitals, selfenergies):
        orbitals = np.asarray(orbitals, dtype=int)
        matrix = self.open_system.matrix(energy, selfenergies=selfenergies).tocoo()
        n = self.open_system.n_orbitals
        if n > 1:  # Kwant's MUMPS wrapper rejects a 1×1 system
            context = self._mumps.MUMPSContext()
            context.factor(matrix)
            solve = context.solve
        else:
            solve = scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(matrix)).solve
        return _solve_columns(solve, n, orbitals)

    def greens_block(self, energy, orbitals, selfenergies):
        orbitals = np.asarray(orbitals, dtype=int)
        if self.open_system.n_orbitals > orbitals.size:
            block = self._schur_block(energy, orbitals, selfenergies)
            if block is not None:
                return block
        return self.greens_columns(energy, orbitals, selfenergies)[orbitals]

    def _schur_block(self, energy, orbitals, selfenergies):
        """G_UU = (S − Σ)⁻¹ with S MUMPS's Schur complement of E − H on U; None if inaccurate.

        Near an eigenvalue λ of the region without U, S has a large part
        ∝ 1/(E − λ) whose rounding swamps the rest: the error of S is about
        ε·max|S|.  When max|S| exceeds :data:`_SCHUR_GROWTH_LIMIT` times the
        largest matrix element of E − H (an error above ~1e-13 relative), the
        caller falls back to the LU path, whose pivoting is global.
        """
        open_system = self.open_system
        matrix = open_system.energy_minus_hamiltonian(energy)
        with np.errstate(all="ignore"):
            schur = self._mumps.schur_complement(matrix, orbitals)
        scale = np.abs(matrix.data).max(initial=0.0)
        if not np.all(np.isfinite(schur)) or np.abs(schur).max() > _SCHUR_GROWTH_LIMIT * scale:
            return None
        rows, cols, data = open_system.selfenergy_entries(selfenergies)
        position = np.searchsorted(orbitals, np.concatenate([rows, cols]))
        np.subtract.at(schur, (position[: rows.size], position[rows.size :]), data)
        try:
            return np.linalg.inv(schur)
        except np.linalg.LinAlgError:
            return None


class RecursiveBackend(FactorizationBackend):
    """Recursive Green's function over breadth-first slices, for orbitals in the end slices.

    Columns and blocks on orbitals of the first and last slice come from one
    forward and one backward sweep (:class:`RecursiveGreens`):
    G_{i,0} = G_ii Q_i with Q_0 = 1, Q_i = −A_{i,i−1} g_{i−1} Q_{i−1}, and
    G_{i,n−1} = −g_i A_{i,i+1} G_{i+1,n−1} (Lake et al., J. Appl. Phys. 81,
    7845 (1997), Sec. III).  Any other request is passed to ``fallback``.

    Raises
    ------
    ValueError
        If the system has no slice ordering (a part unreachable from lead 0's
        interface, or no lead).
    """

    name = "rgf"

    def __init__(self, open_system: OpenSystem, ordering: SliceOrdering | None = None) -> None:
        super().__init__(open_system)
        self.ordering = ordering if ordering is not None else slices_of(open_system)
        if self.ordering is None:
            raise ValueError(
                "solver='rgf' needs a system whose sites can all be reached from the interface "
                "of lead 0 (a slice ordering); use solver='auto', 'mumps' or 'scipy'"
            )
        slice_of = np.repeat(np.arange(self.ordering.widths.size), self.ordering.widths)
        self._slice_of_orbital = slice_of[self.ordering.inverse]
        self.fallback: FactorizationBackend = (
            MumpsBackend(open_system)
            if _mumps_module() is not None
            else SuperLUBackend(open_system)
        )

    @property
    def n_slices(self) -> int:
        """Number of slices of the recursion."""
        return int(self.ordering.widths.size)

    def serves(self, orbitals: np.ndarray) -> bool:
        """Whether every orbital lies in the first or the last slice."""
        slices = self._slice_of_orbital[np.asarray(orbitals, dtype=int)]
        return bool(np.all((slices == 0) | (slices == self.n_slices - 1)))

    def greens_columns(self, energy, orbitals, selfenergies):
        orbitals = np.asarray(orbitals, dtype=int)
        if not self.serves(orbitals):
            return self.fallback.greens_columns(energy, orbitals, selfenergies)
        ordering = self.ordering
        matrix = self.open_system.matrix(energy, selfenergies=selfenergies)
        perm = ordering.permutation
        greens = RecursiveGreens(
            *block_tridiagonal_blocks(matrix[perm][:, perm].tocsr(), ordering.offsets)
        )
        first, last = greens.first_column_blocks(), greens.last_column_blocks()
        # G[:, first slice] and G[:, last slice] in slice order, then back to orbital order.
        columns_first = np.concatenate(first, axis=0)[ordering.inverse]
        columns_last = np.concatenate(last, axis=0)[ordering.inverse]
        position = ordering.inverse[orbitals]
        out = np.empty((self.open_system.n_orbitals, orbitals.size), complex)
        in_first = self._slice_of_orbital[orbitals] == 0
        out[:, in_first] = columns_first[:, position[in_first]]
        in_last = ~in_first
        offset = ordering.offsets[-2]
        out[:, in_last] = columns_last[:, position[in_last] - offset]
        return out

    def greens_block(self, energy, orbitals, selfenergies):
        orbitals = np.asarray(orbitals, dtype=int)
        if not self.serves(orbitals):
            return self.fallback.greens_block(energy, orbitals, selfenergies)
        return self.greens_columns(energy, orbitals, selfenergies)[orbitals]


def slices_of(open_system: OpenSystem) -> SliceOrdering | None:
    """The breadth-first slice ordering of an open system from lead 0's interface (or None).

    Every lead interface lies inside one slice.  None if the system has no
    lead or a site cannot be reached from lead 0's interface.
    """
    interfaces = [
        np.asarray(sites, dtype=int) for sites in open_system.fsyst.lead_interfaces if len(sites)
    ]
    if not interfaces:
        return None
    norbs = np.diff(open_system.orbital_offsets)
    return slice_ordering(open_system.hamiltonian, norbs, interfaces, target_width=RGF_TARGET_WIDTH)


def choose_backend(
    open_system: OpenSystem, solver: str | type[FactorizationBackend] = "auto"
) -> FactorizationBackend:
    """The one rule that picks the factorization backend of an open system (see module docs).

    Parameters
    ----------
    open_system
        The open system (its Hamiltonian and lead interfaces are read).
    solver
        ``"auto"``, ``"mumps"``, ``"scipy"`` or ``"rgf"``; or a subclass of
        :class:`FactorizationBackend` (a backend of one's own), instantiated
        with ``open_system``.

    Returns
    -------
    FactorizationBackend
    """
    if isinstance(solver, type) and issubclass(solver, FactorizationBackend):
        return solver(open_system)
    choice("solver", solver, SOLVERS)
    if solver == "mumps" or (solver == "auto" and _mumps_module() is not None):
        return MumpsBackend(open_system)
    if solver == "scipy":
        return SuperLUBackend(open_system)
    if solver == "rgf":
        return RecursiveBackend(open_system)
    return SuperLUBackend(open_system)
