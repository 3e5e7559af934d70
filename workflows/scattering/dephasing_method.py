"""Which probe-elimination method to run: dense (all M×M transmissions) or linear (recursive).

``"dense"`` (:func:`workflows.scattering.eliminate_floating_probes` on the full
conductance matrix) holds the Green's function between all n interface
orbitals: about :data:`DENSE_BYTES_PER_ORBITAL_PAIR` · n² bytes (measured:
5.4 GB for 8,000 probes), time ∝ n^2.3.  ``"linear"``
(:func:`workflows.scattering.probe_network.solve_probe_network`) never forms that
matrix: time and memory grow linearly with the device length for a fixed
cross-section.  ``"auto"`` picks the linear method from
:data:`AUTO_LINEAR_FROM_PROBES` probes on (the measured crossover, see
benchmarks/README.md) whenever the system allows it, and otherwise falls
back to the dense method with a :class:`DenseFallbackWarning` that states
its memory estimate — or raises if that estimate exceeds the available
memory.
"""

from __future__ import annotations

import os

from systems.validation import choice

__all__ = [
    "AUTO_LINEAR_FROM_PROBES",
    "DENSE_BYTES_PER_ORBITAL_PAIR",
    "METHODS",
    "DenseFallbackWarning",
    "available_memory",
    "check_dense_fits",
    "check_method",
    "dense_memory_estimate",
]

#: Valid values of ``method=``.
METHODS = ("auto", "dense", "linear")
#: ``method="auto"`` uses the linear method from this many floating probes on.
AUTO_LINEAR_FROM_PROBES = 600
#: Peak bytes of the dense method per pair of interface orbitals (G, Γ G Γ, T and temporaries;
#: 8,000 probes took 5.4 GB, i.e. 84 bytes per pair).
DENSE_BYTES_PER_ORBITAL_PAIR = 90


class DenseFallbackWarning(UserWarning):
    """``method="auto"`` could not use the linear method and ran the dense one."""


def check_method(method: object) -> str:
    """Validate ``method=``; return it."""
    return str(choice("method", method, METHODS))


def dense_memory_estimate(n_orbitals: int) -> int:
    """Peak memory (bytes) of the dense method for n interface orbitals (all leads)."""
    return int(DENSE_BYTES_PER_ORBITAL_PAIR * n_orbitals**2)


def available_memory() -> int | None:
    """Available memory in bytes (MemAvailable of /proc/meminfo), or None if unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_dense_fits(n_orbitals: int, reason: str = "") -> int:
    """Raise MemoryError if the dense method would not fit; return its estimate (bytes)."""
    needed = dense_memory_estimate(n_orbitals)
    available = available_memory()
    if available is not None and needed > available:
        raise MemoryError(
            f"the dense probe elimination needs about {needed / 1e9:.1f} GB for {n_orbitals} "
            f"interface orbitals, but only {available / 1e9:.1f} GB are available"
            + (f"; the linear method cannot be used: {reason}" if reason else "")
        )
    return needed
