"""A :class:`kwant.Builder` whose edge look-ups are dictionary look-ups while it is read.

Why.  Kwant 1.5's Builder keeps each site's neighbours in a flat list
``[site, onsite, head, value, head, value, ...]`` and finds the value of one
hopping by scanning that list (``Builder._get_edge``), comparing Sites in
Python.  Finalizing reads every hopping once, so a site with z neighbours
costs O(z²) comparisons: with the 200-odd neighbours of a Wannier model that
is most of the build (10⁷ comparisons for 7·10⁴ hoppings).  Setting a hopping
scans the same list for an existing entry (``_set_edge``), O(z²) again.

What.  :class:`IndexedBuilder` changes no data and no public behaviour:

* while it is being finalized, or is the template of ``fill``/``attach_lead``
  (it is not modified then), ``_get_edge`` answers from a per-site dictionary
  built once from the same list;
* :meth:`add_new_hoppings` appends hoppings known to be new (each pair once,
  never its reverse) without the scan, with Kwant's own storage layout
  (the reverse edge holds :data:`kwant.builder.Other`, as ``_set_hopping`` does).

It relies on the private layout of Kwant 1.5's Builder (``H``, ``_get_edge``);
tests/systems/test_wannier90_silicon.py checks a device built this way has
exactly the Hamiltonian of one built by ``builder[HoppingKind] = value``.
"""

from __future__ import annotations

from collections.abc import Iterable

import kwant
from kwant.builder import Other


class IndexedBuilder(kwant.Builder):
    """:class:`kwant.Builder` with dictionary edge look-ups while read whole (see module)."""

    _edge_index: dict | None = None

    def _get_edge(self, tail, head):
        index = self._edge_index
        if index is None:
            return super()._get_edge(tail, head)
        edges = index.get(tail)
        if edges is None:
            hvhv = self.H[tail]
            edges = index[tail] = dict(zip(hvhv[2::2], hvhv[3::2], strict=True))
        try:
            return edges[head]
        except KeyError:
            return super()._get_edge(tail, head)  # raises Kwant's own KeyError

    def _indexed(self, function, *args, **kwargs):
        """Call ``function`` with the look-up index active (the builder must not change)."""
        self._edge_index = {}
        try:
            return function(*args, **kwargs)
        finally:
            self._edge_index = None

    def finalized(self):
        """As :meth:`kwant.Builder.finalized`, with O(1) hopping look-ups (also in its leads)."""
        leads = [
            lead.builder
            for lead in self.leads
            if isinstance(getattr(lead, "builder", None), IndexedBuilder)
        ]
        for lead in leads:
            lead._edge_index = {}
        try:
            return self._indexed(super().finalized)
        finally:
            for lead in leads:
                lead._edge_index = None

    def attach_lead(self, lead_builder, origin=None, add_cells=0):
        """As :meth:`kwant.Builder.attach_lead`; an IndexedBuilder lead is read with its index."""
        attach = super().attach_lead
        if isinstance(lead_builder, IndexedBuilder):
            return lead_builder._indexed(attach, lead_builder, origin, add_cells)
        return attach(lead_builder, origin, add_cells)

    def reversed(self):
        """As :meth:`kwant.Builder.reversed`, still an IndexedBuilder."""
        result = super().reversed()
        result.__class__ = IndexedBuilder
        return result

    def add_new_hoppings(self, pairs: Iterable[tuple], value) -> None:
        """Add hoppings ``(to, from)`` that are not in the builder yet, all with ``value``.

        Both sites must be in the builder *as the same objects* (as yielded when
        they were added), the builder must have no symmetry, and no pair (nor its
        reverse) may be present already or repeated: nothing is checked.
        """
        H = self.H
        for to_site, from_site in pairs:
            H[to_site] += (from_site, value)
            H[from_site] += (to_site, Other)
