"""Order the orbitals of a finite system in slices between its leads (block-tridiagonal form).

Recursive Green's-function methods need E − H − Σ in block-tridiagonal form:
the sites are grouped in slices 0 … n−1 such that every hopping connects
sites of the same or of adjacent slices, and every lead's self-energy lies
inside one slice.  Breadth-first layers do this for any connected system:
the layer of a site is its graph distance (number of hoppings) from the
interface of the first lead, and a hopping changes that distance by at most
one.  Layers spanned by one lead's interface are merged (a merge of adjacent
layers keeps the block-tridiagonal form), and thin layers are grouped until
a slice holds about ``target_width`` orbitals, so that each step of the
recursion is a dense BLAS call rather than Python overhead.

This module knows nothing of Green's functions; it returns a permutation of
the orbitals and the slice boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

__all__ = ["SliceOrdering", "slice_ordering"]


@dataclass(frozen=True)
class SliceOrdering:
    """Orbitals ordered slice by slice.

    Attributes
    ----------
    permutation
        ``permutation[k]`` is the original orbital index of orbital k in slice order.
    offsets
        Slice boundaries in the permuted order, length n_slices + 1.
    site_slice
        Slice index of every site (original site order).
    """

    permutation: np.ndarray
    offsets: np.ndarray
    site_slice: np.ndarray

    @property
    def widths(self) -> np.ndarray:
        """Number of orbitals of each slice."""
        return np.diff(self.offsets)

    @property
    def inverse(self) -> np.ndarray:
        """``inverse[o]``: the position in slice order of original orbital o."""
        inverse = np.empty_like(self.permutation)
        inverse[self.permutation] = np.arange(self.permutation.size)
        return inverse


def _site_graph(hamiltonian: scipy.sparse.spmatrix, orbital_site: np.ndarray, n_sites: int):
    coo = scipy.sparse.coo_matrix(hamiltonian)
    rows, cols = orbital_site[coo.row], orbital_site[coo.col]
    keep = rows != cols
    data = np.ones(int(keep.sum()))
    graph = scipy.sparse.csr_matrix((data, (rows[keep], cols[keep])), shape=(n_sites, n_sites))
    return graph + graph.T


def slice_ordering(
    hamiltonian: scipy.sparse.spmatrix,
    norbs: np.ndarray,
    interfaces: Sequence[np.ndarray],
    *,
    target_width: int = 32,
) -> SliceOrdering | None:
    """Slices of a finite system from breadth-first layers, starting at the first interface.

    Parameters
    ----------
    hamiltonian
        Sparse Hamiltonian of the scattering region in the orbital basis
        (only its sparsity is used).
    norbs
        Number of orbitals of each site.
    interfaces
        Site indices of each lead interface that must lie inside one slice
        (e.g. the leads with modes); the first one defines slice 0.  Sites
        outside every interface (such as single-site probes) need nothing.
    target_width
        Thin layers are grouped until a slice holds at least this many
        orbitals (a merge never splits an interface).

    Returns
    -------
    SliceOrdering or None
        None when some site cannot be reached from the first interface
        (a disconnected part: no slice ordering exists).
    """
    norbs = np.asarray(norbs, dtype=int)
    n_sites = norbs.size
    orbital_site = np.repeat(np.arange(n_sites), norbs)
    graph = _site_graph(hamiltonian, orbital_site, n_sites)
    sources = np.unique(np.asarray(interfaces[0], dtype=int))
    distance = scipy.sparse.csgraph.dijkstra(
        graph, directed=False, indices=sources, unweighted=True, min_only=True
    )
    if not np.all(np.isfinite(distance)):
        return None
    layer = distance.astype(int)
    n_layers = int(layer.max()) + 1
    # A slice may not end inside the layer range [lo, hi) of any interface.
    forbidden_end = np.zeros(n_layers, dtype=bool)  # forbidden_end[k]: no boundary after layer k
    for interface in interfaces[1:]:
        span = layer[np.asarray(interface, dtype=int)]
        if span.size:
            forbidden_end[span.min() : span.max()] = True
    layer_orbitals = np.bincount(layer, weights=norbs, minlength=n_layers).astype(int)
    layer_slice = np.empty(n_layers, dtype=int)
    current, width = 0, 0
    for k in range(n_layers):
        layer_slice[k] = current
        width += layer_orbitals[k]
        if width >= target_width and not forbidden_end[k] and k < n_layers - 1:
            current, width = current + 1, 0
    # A short last slice is joined to its neighbour (fewer, evener blocks).
    if current > 0 and width < target_width // 2:
        layer_slice[layer_slice == current] = current - 1
    site_slice = layer_slice[layer]
    # A stable sort keeps the orbitals of a site together and in order.
    permutation = np.argsort(site_slice[orbital_site], kind="stable")
    slice_orbitals = np.bincount(site_slice, weights=norbs).astype(int)
    offsets = np.concatenate([[0], np.cumsum(slice_orbitals)])
    return SliceOrdering(permutation=permutation, offsets=offsets, site_slice=site_slice)
