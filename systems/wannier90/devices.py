"""Devices cut from a Wannier crystal: a region of any shape with two leads of the same model.

Building speed.  Kwant 1.5's ``builder[HoppingKind] = value`` visits every
site of the region for every kind in Python and makes a Site object per
neighbour lookup.  Here the region's tags are integer arrays: for each kind the
partner of every site is found at once (sorted integer keys and
``np.searchsorted``), and only the existing pairs are assigned, all sharing one
value object (a matrix or one :class:`PeierlsMatrix`) per kind.

Magnetic field.  A uniform field ``B_tesla * field_direction`` enters through
Peierls phases on every matrix element, from Wannier centre to Wannier centre:
``H_mn -> H_mn exp(i theta_mn)``, ``theta_mn = (2 pi / Phi_0) A(r_mid).(r_m - r_n)``
(exact for the straight path, A being linear), Phi_0 = h/e, with the sign
convention of :mod:`systems.fields`.  The gauge is invariant along the lead
direction u, so the leads see the same phases in every cell:
``A(r) = -((B_perp x u).r) u + (1/2) B_par x r`` with ``B_par = (B.u) u`` and
``B_perp = B - B_par``; its curl is B.
"""

from __future__ import annotations

from collections.abc import Callable

import kwant
import numpy as np
from scipy import constants

from .. import validation
from .crystal import Wannier90Crystal
from .indexed_builder import IndexedBuilder

#: The flux quantum h/e in T·Å².
FLUX_QUANTUM_T_A2 = constants.h / constants.e * 1e20


def landau_gauge(field_direction, lead_direction_cartesian) -> np.ndarray:
    """Matrix M (per tesla): A(r) = B M r, invariant along the lead, curl A = B (unit field)."""
    b = np.asarray(field_direction, float)
    b = b / np.linalg.norm(b)
    u = np.asarray(lead_direction_cartesian, float)
    u = u / np.linalg.norm(u)
    b_par = (b @ u) * u
    b_perp = b - b_par
    cross = np.array([[0, -b_par[2], b_par[1]], [b_par[2], 0, -b_par[0]], [-b_par[1], b_par[0], 0]])
    return -np.outer(u, np.cross(b_perp, u)) + 0.5 * cross


class PeierlsMatrix:
    """Hopping value function ``(site_to, site_from, B_tesla) -> H ∘ exp(i theta)``.

    Parameters
    ----------
    matrix
        The zero-field block (eV).
    offsets_to, offsets_from
        Cartesian offsets (Å) of the orbitals' Wannier centres from their sites.
    gauge
        Matrix M of :func:`landau_gauge`, A(r) = B_tesla M r.
    """

    __name__ = "PeierlsMatrix"

    def __init__(self, matrix, offsets_to, offsets_from, gauge):
        self.matrix = np.asarray(matrix)
        self.offsets_to = np.asarray(offsets_to, float)
        self.offsets_from = np.asarray(offsets_from, float)
        self.gauge = np.asarray(gauge, float)

    def _phases(self, pos_to, pos_from, B_tesla):
        r_to = np.asarray(pos_to) + self.offsets_to  # (n_to, 3)
        r_from = np.asarray(pos_from) + self.offsets_from
        mid = (r_to[:, None, :] + r_from[None, :, :]) / 2
        step = r_to[:, None, :] - r_from[None, :, :]
        potential = mid @ self.gauge.T
        theta = 2 * np.pi * float(B_tesla) / FLUX_QUANTUM_T_A2 * np.sum(potential * step, axis=-1)
        return np.exp(1j * theta)

    def __call__(self, site_to, site_from, B_tesla):
        if B_tesla == 0:
            return self.matrix
        return self.matrix * self._phases(site_to.pos, site_from.pos, B_tesla)


class PeierlsOnsite(PeierlsMatrix):
    """On-site value function ``(site, B_tesla)``: phases between one site's Wannier centres."""

    __name__ = "PeierlsOnsite"

    def __call__(self, site, B_tesla):
        if B_tesla == 0:
            return self.matrix
        return self.matrix * self._phases(site.pos, site.pos, B_tesla)


def _values(crystal: Wannier90Crystal, gauge):
    """(on-site value per family, [(block, value)]) with or without Peierls phases."""
    off = crystal.orbital_offsets
    if gauge is None:
        return list(crystal.onsite), [(b, b.matrix) for b in crystal.blocks]
    onsite = [PeierlsOnsite(h, off[a], off[a], gauge) for a, h in enumerate(crystal.onsite)]
    blocks = [
        (b, PeierlsMatrix(b.matrix, off[b.family_to], off[b.family_from], gauge))
        for b in crystal.blocks
    ]
    return onsite, blocks


def _keys(tags: np.ndarray, low: np.ndarray, span: np.ndarray) -> np.ndarray:
    """One integer per tag (row-major in the box ``low + [0, span)``); -1 outside the box."""
    shifted = tags - low
    inside = np.all((shifted >= 0) & (shifted < span), axis=1)
    keys = np.ravel_multi_index(tuple(np.clip(shifted, 0, span - 1).T), tuple(span))
    return np.where(inside, keys, -1)


def fill_hoppings(builder: kwant.Builder, crystal: Wannier90Crystal, sites, values) -> int:
    """Assign every hopping kind between ``sites`` (vectorized pair search); return the count."""
    # an IndexedBuilder without symmetry takes the (new, unique) pairs without Kwant's scan
    direct = isinstance(builder, IndexedBuilder) and not builder.symmetry.num_directions
    by_family = [[] for _ in crystal.families]
    for site in sites:
        by_family[crystal.families.index(site.family)].append(site)
    tags = [
        np.array([s.tag for s in group], int).reshape(-1, crystal.model.dimension)
        for group in by_family
    ]
    every = np.vstack(tags)
    reach = max((np.abs(b.delta).max() for b in crystal.blocks), default=0)
    low = every.min(axis=0) - reach
    span = every.max(axis=0) + reach + 1 - low
    keys = [_keys(t, low, span) for t in tags]
    order = [np.argsort(k) for k in keys]
    sorted_keys = [k[o] for k, o in zip(keys, order, strict=False)]
    count = 0
    for block, value in values:
        a, b = block.family_to, block.family_from
        if not len(tags[b]) or not len(tags[a]):
            continue
        target = _keys(tags[b] + np.asarray(block.delta), low, span)
        where = np.searchsorted(sorted_keys[a], target)
        where = np.clip(where, 0, len(sorted_keys[a]) - 1)
        found = np.flatnonzero(sorted_keys[a][where] == target)
        to_sites, from_sites = by_family[a], by_family[b]
        pairs = [
            (to_sites[i], from_sites[j])
            for i, j in zip(order[a][where[found]].tolist(), found.tolist(), strict=True)
        ]
        if direct:
            builder.add_new_hoppings(pairs, value)
        else:
            for pair in pairs:
                builder[pair] = value
        count += len(found)
    return count


def wannier90_device(
    crystal: Wannier90Crystal,
    shape: Callable,
    start,
    *,
    lead_direction,
    lead_shape: Callable,
    lead_start=None,
    field_direction=None,
    conservation_law=None,
    vectorized: bool = True,
) -> kwant.Builder:
    """A scattering region of any shape cut from the crystal, with two leads of the same model.

    Parameters
    ----------
    crystal
        The model on its Kwant lattice (:func:`systems.wannier90.from_wannier90`).
    shape
        ``shape(pos) -> bool`` of a Cartesian position (Å), as Kwant's ``lattice.shape``.
    start
        A Cartesian point (Å) inside the region, where the flood fill starts.
    lead_direction
        Lattice vector (integers, reduced) along which the leads run; the lead
        cell is the smallest multiple of it that holds every hopping range
        (:meth:`Wannier90Crystal.period`).  Lead 0 runs towards −direction,
        lead 1 towards +direction.
    lead_shape
        Cross-section of the leads, ``lead_shape(pos) -> bool``; it must not depend
        on the coordinate along the lead.
    lead_start
        A point of the lead cross-section (Å); ``None``: ``start``.
    field_direction
        Direction of a uniform magnetic field (3 numbers); the device then takes
        the parameter ``B_tesla`` (field strength in T) in every on-site and
        hopping value.  ``None``: no field, constant matrices.
    conservation_law
        For the leads' ``kwant.Builder`` (e.g. :meth:`Wannier90Crystal.spin_conservation_law`).
    vectorized
        Fill hoppings by the vectorized pair search into an
        :class:`~systems.wannier90.indexed_builder.IndexedBuilder` (default), or
        a plain :class:`kwant.Builder` by ``builder[HoppingKind] = value`` (the
        reference the benchmark and the tests compare with).

    Returns
    -------
    kwant.Builder
        Unfinalized, leads attached (lead 0 at −direction, lead 1 at +direction).
        Energies in eV.
    """
    if not isinstance(crystal, Wannier90Crystal):
        raise TypeError(f"crystal must be a Wannier90Crystal, got {type(crystal).__name__}")
    if not callable(shape):
        raise TypeError(f"shape must be a function of a position (Å), got {shape!r}")
    dim = crystal.model.dimension
    start = validation.real_array("start", start)
    if np.shape(start) != (dim,):
        raise ValueError(f"start must be a point of {dim} coordinates (Å), got {start!r}")
    if not callable(lead_shape):
        raise TypeError(f"lead_shape must be a function of a position (Å), got {lead_shape!r}")
    lead_start = start if lead_start is None else validation.real_array("lead_start", lead_start)
    gauge = None
    sym = crystal.lead_symmetry(-np.asarray(lead_direction))  # lead 0 runs towards -direction
    if field_direction is not None:
        field_direction = validation.real_array("field_direction", field_direction)
        if np.shape(field_direction) != (3,) or not np.any(field_direction):
            raise ValueError(f"field_direction must be a nonzero 3-vector, got {field_direction!r}")
        gauge = landau_gauge(field_direction, np.asarray(sym.periods)[0])
    onsite, values = _values(crystal, gauge)

    builder_class = IndexedBuilder if vectorized else kwant.Builder
    region = builder_class()
    sites = list(crystal.lattice.shape(shape, tuple(start))(region))
    for site in sites:
        region[site] = onsite[crystal.families.index(site.family)]
    if vectorized:
        fill_hoppings(region, crystal, sites, values)
    else:
        for block, value in values:
            kind = kwant.builder.HoppingKind(
                block.delta, crystal.families[block.family_to], crystal.families[block.family_from]
            )
            region[kind] = value

    lead = builder_class(sym, conservation_law=conservation_law)
    for site in crystal.lattice.shape(lead_shape, tuple(lead_start))(lead):
        lead[site] = onsite[crystal.families.index(site.family)]
    for block, value in values:
        lead[
            kwant.builder.HoppingKind(
                block.delta, crystal.families[block.family_to], crystal.families[block.family_from]
            )
        ] = value
    region.attach_lead(lead)
    region.attach_lead(lead.reversed())
    return region
