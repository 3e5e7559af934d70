"""Band edges of a lead from its Bloch Hamiltonian."""

from __future__ import annotations

import kwant
import numpy as np

import systems
from workflows.scattering.band_extrema import lead_band_edges


def test_strip_subband_edges_are_the_closed_form():
    # Square strip of width W, on-site 4t: subbands 4 − 2cos k − 2cos(nπ/(W+1)), with a
    # bottom at k = 0 and a top at k = π each (DESIGN: E_n = 2t(1 − cos(nπ/(W+1)))).
    width = 7
    fsyst = systems.wire(2, width).finalized()
    params = systems.resolve_params(fsyst, None)
    n = np.arange(1, width + 1)
    bottoms = 2 * (1 - np.cos(n * np.pi / (width + 1)))
    expected = np.sort(np.concatenate([bottoms, bottoms + 4]))
    np.testing.assert_allclose(lead_band_edges(fsyst.leads[0], params=params), expected, atol=1e-12)


def test_extrema_inside_the_zone_of_a_next_nearest_neighbour_chain():
    # E(k) = −2 cos k + 2 t2 cos 2k with t2 = 0.5: minima where cos k = 1/(4 t2) = 0.5,
    # E = −1 + (2·0.25 − 1) = −1.5 (inside the zone), a maximum 3 at k = π and a local
    # maximum −1 at k = 0 (closed form; Brent refines to ~1e-12).  Kwant needs a two-site
    # cell for the next-nearest hopping; the folded bands touch at E(±π/2) = −1 as well.
    lat = kwant.lattice.chain(norbs=1)
    lead = kwant.Builder(kwant.TranslationalSymmetry((-2,)))
    lead[lat(0)] = 0.0
    lead[lat(1)] = 0.0
    lead[lat.neighbors(1)] = -1.0
    lead[lat.neighbors(2)] = 0.5
    edges = lead_band_edges(lead.finalized())
    np.testing.assert_allclose(edges, [-1.5, -1.0, 3.0], atol=1e-10)
