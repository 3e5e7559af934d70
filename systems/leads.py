"""Lattices and translation-invariant leads shared by the builders."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import kwant


def square_lattice() -> kwant.lattice.Monatomic:
    """Square lattice, lattice constant a = 1, one orbital per site."""
    return kwant.lattice.square(a=1, norbs=1)


def chain_lattice() -> kwant.lattice.Monatomic:
    """1D chain, lattice constant a = 1, one orbital per site."""
    return kwant.lattice.chain(a=1, norbs=1)


def straight_lead(
    lat: kwant.lattice.Monatomic,
    direction: tuple[int, ...],
    cell: Iterable[tuple[int, ...]],
    onsite: Callable,
    hopping: Callable,
) -> kwant.Builder:
    """A clean lead of ``lat`` running along ``direction`` (pointing away from the device).

    Parameters
    ----------
    lat
        The lattice of the device.
    direction
        Lattice vector of the lead's translation symmetry, pointing from the
        device into the lead, e.g. ``(-1, 0)`` for a lead on the left.
    cell
        Tags of the sites of one unit cell (any cell along the lead).
    onsite, hopping
        Value functions for the lead.
    """
    lead = kwant.Builder(kwant.TranslationalSymmetry(lat.vec(direction)))
    lead[(lat(*tag) for tag in cell)] = onsite
    lead[lat.neighbors()] = hopping
    return lead
