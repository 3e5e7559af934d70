"""Changes of the Hamiltonian along parameters: ΔH on the orbitals a value touches.

Sweeping a flux through a branch cut, a gate on a few sites or a
self-consistent on-site potential changes only some matrix elements of H.
Kwant knows which value function reads which parameter name (the names
stored with every onsite and hopping of a finalized :class:`kwant.Builder`),
so the elements that *can* change with a set of names are found once; each
new value then costs only calls of those value functions, made as Kwant makes
them (``function(site[, site2], *(params[name] for name in its names))``).
When Kwant cannot tell (a system not made by a builder) or too many elements
could change, the whole Hamiltonian is assembled and compared.

This module is part of the scattering core; users reach it through
:meth:`workflows.scattering.OpenSystem.hamiltonian_change`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import kwant
import numpy as np
import scipy.sparse

if TYPE_CHECKING:  # pragma: no cover
    from workflows.scattering.open_system import OpenSystem

__all__ = ["PER_ELEMENT_LIMIT", "HamiltonianChange", "hamiltonian_changes"]

#: Up to this many candidate matrix elements are evaluated one by one; beyond, the whole
#: Hamiltonian is evaluated per value and compared.
PER_ELEMENT_LIMIT = 2000


@dataclass(frozen=True)
class HamiltonianChange:
    """ΔH = H(new params) − H(reference params), sparse, in the orbital basis (units of t).

    Attributes
    ----------
    rows, cols, data
        COO entries of ΔH (orbital indices; a changed hopping appears with its
        Hermitian partner; only nonzero entries).
    n_orbitals
        Size N of the Hamiltonian.
    """

    rows: np.ndarray
    cols: np.ndarray
    data: np.ndarray
    n_orbitals: int

    @property
    def orbitals(self) -> np.ndarray:
        """Sorted orbital indices that ΔH touches."""
        return np.union1d(self.rows, self.cols).astype(int)

    def matrix(self) -> scipy.sparse.csr_matrix:
        """ΔH as a sparse N × N matrix."""
        n = self.n_orbitals
        return scipy.sparse.coo_matrix((self.data, (self.rows, self.cols)), shape=(n, n)).tocsr()


def candidate_elements(fsyst, names: frozenset[str]) -> list[tuple[int, int, Any, tuple]] | None:
    """Matrix elements (i, j, value function, its parameter names) whose function reads ``names``.

    Onsites have i == j; a hopping is listed once, in the direction that Kwant
    stores its value function (the other is its Hermitian conjugate).  None if
    Kwant could not determine the parameter names of some value function, or
    the system is not a finalized :class:`kwant.Builder`.
    """
    if getattr(fsyst, "parameters", None) is None or not isinstance(
        fsyst, kwant.builder.FiniteSystem
    ):
        return None
    elements = [
        (i, i, function, params)
        for i, (function, params) in enumerate(fsyst.onsites)
        if params is not None and names.intersection(params)
    ]
    for edge, (tail, head) in enumerate(fsyst.graph):
        function, params = fsyst.hoppings[edge]
        if function is kwant.builder.Other or params is None:
            continue  # the reverse edge carries the value function (or it is a constant)
        if names.intersection(params):
            elements.append((tail, head, function, params))
    return elements


class _ElementwiseChanges:
    """ΔH per value from the few matrix elements whose value functions read the names."""

    def __init__(self, fsyst, offsets, elements, reference):
        sites = fsyst.sites
        self.calls = [
            (function, (sites[i],) if i == j else (sites[i], sites[j]), names)
            for i, j, function, names in elements
        ]
        rows, cols, hopping = [], [], []  # orbital position of every entry of every element
        for i, j, _, _ in elements:
            r, c = np.meshgrid(
                np.arange(offsets[i], offsets[i + 1]),
                np.arange(offsets[j], offsets[j + 1]),
                indexing="ij",
            )
            rows.append(r.ravel())
            cols.append(c.ravel())
            hopping.append(np.full(r.size, i != j))
        empty = np.zeros(0, dtype=int)
        self.rows = np.concatenate(rows) if rows else empty
        self.cols = np.concatenate(cols) if cols else empty
        self.hopping = np.concatenate(hopping) if hopping else empty.astype(bool)
        self.reference = self._values(reference)

    def _values(self, params) -> np.ndarray:
        blocks = [
            np.ravel(function(*sites, *[params[name] for name in names]))
            for function, sites, names in self.calls
        ]
        return np.concatenate(blocks).astype(complex) if blocks else np.zeros(0, complex)

    def __call__(self, params):
        delta = self._values(params) - self.reference
        changed = delta != 0
        partner = changed & self.hopping  # H_ji = H_ij† of a changed hopping
        return (
            np.concatenate([self.rows[changed], self.cols[partner]]),
            np.concatenate([self.cols[changed], self.rows[partner]]),
            np.concatenate([delta[changed], delta[partner].conj()]),
        )


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


class _WholeHamiltonianChanges:
    """ΔH per value from the whole Hamiltonian (when many elements could change)."""

    def __init__(self, fsyst, reference_matrix):
        self.fsyst = fsyst
        self.reference = reference_matrix.tocsr()

    def __call__(self, params):
        with value_function_errors():
            h = self.fsyst.hamiltonian_submatrix(sparse=True, params=params).tocsr()
        delta = (h - self.reference).tocoo()
        delta.eliminate_zeros()
        return delta.row.astype(int), delta.col.astype(int), delta.data.astype(complex)


def _check_hermitian(rows, cols, data, n: int, scale: float) -> None:
    if data.size == 0:
        return
    delta = scipy.sparse.coo_matrix((data, (rows, cols)), shape=(n, n)).tocsr()
    tol = 1e-13 * max(scale, np.abs(data).max()) + 1e-300
    if np.any(np.abs((delta - delta.conj().T).data) > tol):
        raise ValueError("the Hamiltonian at the new parameters is not Hermitian")


def hamiltonian_changes(
    open_system: OpenSystem, names: frozenset[str]
) -> Callable[[Mapping[str, Any]], HamiltonianChange]:
    """A function params ↦ ΔH relative to ``open_system.params`` when ``names`` vary.

    The candidate elements are found here, once; see
    :meth:`workflows.scattering.OpenSystem.hamiltonian_change`.
    """
    fsyst = open_system.fsyst
    n = open_system.n_orbitals
    candidates = candidate_elements(fsyst, frozenset(names))
    if candidates is not None and len(candidates) <= PER_ELEMENT_LIMIT:
        changes = _ElementwiseChanges(
            fsyst, open_system.orbital_offsets, candidates, open_system.params
        )
    else:
        changes = _WholeHamiltonianChanges(fsyst, open_system.hamiltonian)
    scale = float(np.abs(open_system.hamiltonian.data).max(initial=0.0))

    def change(params: Mapping[str, Any]) -> HamiltonianChange:
        rows, cols, data = changes(params)
        _check_hermitian(rows, cols, data, n, scale)
        return HamiltonianChange(rows, cols, data, n)

    return change
