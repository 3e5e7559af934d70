"""A memory of lead self-energies, for loops that solve the same leads again and again.

A lead's self-energy Σ(E) depends only on the lead: its unit cell's Hamiltonian H₀, the
hopping V₁ between cells, its discrete symmetries (the conservation law's projectors), and
the energy.  A self-consistent loop (Hartree, :mod:`workflows.electrostatics.hartree`)
changes the potential in the scattering region at every Newton–Krylov iterate, but not
the leads, and its density integral asks for the same energies each time (the same Fermi
poles, the same Gauss–Kronrod nodes): solving the leads' modes (Kwant's
``modes``, most of the cost of a small device) once per energy is enough.

:class:`LeadSelfEnergyCache` keeps (Σ, propagating modes) keyed on the lead index, the
exact energy and a fingerprint of the lead as evaluated with the parameters: a BLAKE2b
digest of H₀, V₁ and the symmetry projectors.  A parameter that changes the lead (a
contact voltage shifting its band, a magnetic field) changes the fingerprint, so a
cached Σ is never used for a different lead; one that only acts in the scattering region
leaves it alone.  The memory is bounded (least recently used entries are dropped) and is
not pickled (a copy sent to a worker starts empty).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from systems.validation import integer
from workflows.scattering.lead_matrices import lead_matrices

__all__ = ["LeadSelfEnergyCache", "lead_fingerprint"]


def lead_fingerprint(lead: Any, params: Mapping[str, Any]) -> bytes:
    """A digest of everything Σ(E) of ``lead`` depends on (with ``params``), 16 bytes.

    H₀ (``cell_hamiltonian``), V₁ (``inter_cell_hopping``) and, when the lead has them,
    the projectors and symmetry operators of its ``discrete_symmetry``
    (:attr:`workflows.scattering.lead_matrices.LeadMatrices.fingerprint`).
    """
    return lead_matrices(lead, params, warn=False).fingerprint


def _size(value: Any) -> int:
    """Bytes held by a cached (Σ, propagating modes) pair, approximately."""
    sigma, propagating = value
    size = np.asarray(sigma).nbytes + 200
    for name in ("wave_functions", "momenta", "velocities", "block_nmodes"):
        part = getattr(propagating, name, None)
        if part is not None:
            size += np.asarray(part).nbytes
    return size


class LeadSelfEnergyCache:
    """Lead self-energies already solved, keyed on (lead, energy, lead fingerprint).

    The bias-window quadrature also keeps each lead's band edges here, under
    (lead, ``"band edges"``, lead fingerprint)
    (:func:`workflows.scattering.window_quadrature.lead_edges`).

    Safe to share between the threads of one process (a lock guards every look-up and
    insertion); a copy sent to another process starts empty.

    Parameters
    ----------
    max_bytes
        Memory bound (bytes, default 256 MiB); the least recently used entries go first.

    Attributes
    ----------
    hits, misses
        Look-ups answered from memory, and not.
    """

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = integer("max_bytes", max_bytes, minimum=0)
        self._entries: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: tuple) -> Any | None:
        """The cached value of ``key`` (most recently used from now), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: tuple, value: Any) -> None:
        """Remember ``value`` under ``key``, dropping the oldest entries beyond the bound."""
        size = _size(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        """Forget every entry (the counters stay)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __getstate__(self) -> dict:
        return {"max_bytes": self.max_bytes, "hits": 0, "misses": 0}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["max_bytes"])
