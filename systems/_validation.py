"""Argument checks shared by the builders: each names the argument and the valid range."""

from __future__ import annotations

import math
import numbers
from collections import deque
from typing import Any

import kwant

#: Largest number of sites a builder makes unless the caller raises ``max_sites``.
MAX_SITES = 1_000_000


def positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer number of sites, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def positive_real(name: str, value: Any) -> float:
    """Return ``value`` as a float, or raise if it is not a real number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return float(value)


def check_size(builder: str, estimate: float, max_sites: Any) -> None:
    """Refuse, before building, a system whose estimated site count exceeds ``max_sites``.

    ``max_sites=None`` lifts the limit (the caller says they mean it).
    """
    if max_sites is None:
        return
    if isinstance(max_sites, bool) or not isinstance(max_sites, numbers.Integral):
        raise TypeError(f"max_sites must be an integer number of sites or None, got {max_sites!r}")
    if estimate > max_sites:
        raise ValueError(
            f"{builder} would have about {estimate:.3g} sites, more than max_sites={max_sites:,}; "
            "building it would take very long and much memory. Pass a larger max_sites "
            "(or max_sites=None) if you mean it"
        )


def check_connected(syst: kwant.Builder, builder: str, fix: str) -> None:
    """Refuse a scattering region in pieces, or leads that are not connected to each other."""
    sites = list(syst.sites())
    if not sites:
        raise ValueError(f"{builder} has no lattice sites; {fix}")
    start = sites[0]
    seen = {start}
    todo = deque([start])
    while todo:
        for neighbor in syst.neighbors(todo.popleft()):
            if neighbor not in seen:
                seen.add(neighbor)
                todo.append(neighbor)
    if len(seen) < len(sites):
        raise ValueError(
            f"{builder}: its {len(sites)} lattice sites do not form one connected region "
            f"(the piece containing the site at {_position(start)} has {len(seen)} sites), so no "
            f"current could flow between its leads; {fix}"
        )


def _position(site: Any) -> tuple[float, ...]:
    return tuple(float(c) for c in site.pos)
