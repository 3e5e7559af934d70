"""IndexedBuilder behaves as kwant.Builder on systems in the style of Kwant's tutorials."""

from __future__ import annotations

import kwant
import numpy as np
import pytest

from systems.wannier90.indexed_builder import IndexedBuilder

SIGMA_Z = np.diag([1.0, -1.0])
SIGMA_X = np.array([[0, 1], [1, 0]])


def spin_wire(builder_class, direct=False):
    """Kwant tutorial 2.3-style spinful wire: 2 orbitals, function-valued on-site, flux phase."""
    lat = kwant.lattice.square(norbs=2)

    def onsite(site, V, Bz):
        return (4 - V) * np.eye(2) + Bz * SIGMA_Z

    def hop_x(site_to, site_from, phi):
        return -np.exp(1j * phi * site_to.pos[1]) * np.eye(2) + 0.1j * SIGMA_X

    syst = builder_class()
    syst[(lat(x, y) for x in range(6) for y in range(4))] = onsite
    pairs = [(lat(x + 1, y), lat(x, y)) for x in range(5) for y in range(4)]
    if direct:
        stored = {site: site for site in syst.sites()}
        syst.add_new_hoppings([(stored[a], stored[b]) for a, b in pairs], hop_x)
    else:
        syst[pairs] = hop_x
    syst[((lat(x, y + 1), lat(x, y)) for x in range(6) for y in range(3))] = -np.eye(2)
    lead = builder_class(kwant.TranslationalSymmetry((-1, 0)), conservation_law=-SIGMA_Z)
    lead[(lat(0, y) for y in range(4))] = lambda site, Bz: 4 * np.eye(2) + Bz * SIGMA_Z
    lead[lat.neighbors()] = -np.eye(2)
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


@pytest.mark.parametrize("direct", [False, True])
def test_same_system_as_kwant_builder(direct):
    params = dict(V=0.3, Bz=0.2, phi=0.4)
    plain = spin_wire(kwant.Builder)
    indexed = spin_wire(IndexedBuilder, direct=direct)
    h_plain = plain.hamiltonian_submatrix(params=params)
    h_indexed = indexed.hamiltonian_submatrix(params=params)
    np.testing.assert_array_equal(h_indexed, h_plain)
    for energy in (0.5, 1.7):
        s_plain = kwant.smatrix(plain, energy, params=params)
        s_indexed = kwant.smatrix(indexed, energy, params=params)
        for blocks in (((1, 0), (0, 0)), ((1, 1), (0, 1))):
            assert s_indexed.transmission(*blocks) == pytest.approx(
                s_plain.transmission(*blocks), abs=1e-12
            )


def test_missing_hopping_raises_kwants_key_error():
    lat = kwant.lattice.chain(norbs=1)
    syst = IndexedBuilder()
    syst[lat(0)] = syst[lat(1)] = syst[lat(2)] = 0
    syst[lat(0), lat(1)] = -1
    syst._edge_index = {}
    with pytest.raises(KeyError):
        syst[lat(0), lat(2)]
    assert syst[lat(1), lat(0)] == -1  # the conjugate, stored as Other
    syst._edge_index = None
