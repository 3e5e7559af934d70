"""On-site value functions shared by the builders (potential, disorder, band offset).

Conventions (docs/architecture.md): energies in units of the hopping ``t``; the on-site
energy is 2t (chain) or 4t (square lattice) so that each band starts at E = 0.
"""

from __future__ import annotations

from typing import Any

import kwant


def potential_energy(V: Any, pos) -> float:
    """Potential energy at ``pos``: ``V`` itself, or ``V(*pos)`` if it is a function."""
    return V(*pos) if callable(V) else V


def anderson_disorder(site: kwant.builder.Site, disorder: float, salt: str) -> float:
    """Uniform on-site disorder in [−disorder/2, disorder/2), reproducible per (site, salt)."""
    if disorder == 0:
        return 0.0
    return disorder * (kwant.digest.uniform(repr(tuple(site.tag)), salt=str(salt)) - 0.5)


def chain_onsite(site, t, V, disorder, salt):
    """Scattering-region on-site energy of a 1D chain: 2t + V(x) + disorder."""
    return 2 * t + potential_energy(V, site.pos) + anderson_disorder(site, disorder, salt)


def square_onsite(site, t, V, disorder, salt):
    """Scattering-region on-site energy of a square lattice: 4t + V(x, y) + disorder."""
    return 4 * t + potential_energy(V, site.pos) + anderson_disorder(site, disorder, salt)


def chain_lead_onsite(site, t):
    """On-site energy of a clean chain lead: 2t (band 0 < E < 4t)."""
    return 2 * t


def square_lead_onsite(site, t):
    """On-site energy of a clean square-lattice lead: 4t (lowest subband edge just above 0)."""
    return 4 * t


def plain_hopping(site_to, site_from, t):
    """Nearest-neighbour hopping −t without a vector potential."""
    return -t
