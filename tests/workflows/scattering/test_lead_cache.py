"""The lead self-energy cache: same numbers as without it, and never a stale Σ.

Checked on a two-orbital wire (matrix hoppings, a spin-like σ_z term that the lead reads
as a parameter, a conservation law) and a chain whose lead band follows a contact
voltage: the cached densities equal the uncached ones bit for bit, a parameter of the
scattering region alone reuses every Σ, and a parameter of the lead gives new ones.
"""

from __future__ import annotations

import pickle

import kwant
import numpy as np
import pytest

from workflows.scattering.lead_cache import LeadSelfEnergyCache, lead_fingerprint
from workflows.scattering.nonequilibrium import electron_density
from workflows.scattering.open_system import OpenSystem

SIGMA_0 = np.eye(2)
SIGMA_Z = np.diag([1.0, -1.0])


def _two_orbital_wire(conservation: bool):
    lat = kwant.lattice.square(norbs=2)

    def onsite(site, V, Ez):
        return (4.0 + V * site.pos[0]) * SIGMA_0 + Ez * SIGMA_Z

    def lead_onsite(site, Ez, V_lead):
        return (4.0 + V_lead) * SIGMA_0 + Ez * SIGMA_Z

    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(5) for y in range(2))] = onsite
    syst[lat.neighbors()] = -SIGMA_0
    law = {"conservation_law": -SIGMA_Z} if conservation else {}
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)), **law)
    lead[(lat(0, y) for y in range(2))] = lead_onsite
    lead[lat.neighbors()] = -SIGMA_0
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


@pytest.mark.parametrize("conservation", [False, True])
def test_cached_density_equals_uncached_and_lead_changes_are_seen(conservation):
    """Equilibrium densities (Fermi poles: complex energies) with and without the cache."""
    fsyst = _two_orbital_wire(conservation)
    cache = LeadSelfEnergyCache()
    base = dict(V=0.02, Ez=0.1, V_lead=0.0)
    runs = [
        base,
        dict(base, V=0.03),  # the region only: every Σ from memory
        dict(base, V_lead=0.05),  # the leads' band moves: new Σ everywhere
        dict(base, Ez=0.2),  # read by region and leads
    ]
    for params in runs:
        hits, misses = cache.hits, cache.misses
        kwargs = dict(mu=0.9, temperature=0.1, params=params, tol=1e-8)
        cached = electron_density(fsyst, lead_cache=cache, **kwargs)
        plain = electron_density(fsyst, **kwargs)
        np.testing.assert_array_equal(cached.density, plain.density)
        if params is runs[1]:
            assert cache.misses == misses and cache.hits == 2 * cached.n_poles
        elif params is not runs[0]:
            assert cache.misses - misses == 2 * cached.n_poles and cache.hits == hits


def _source_band(site, V_s):
    return 2.0 + V_s


def _drain_band(site, V_d):
    return 2.0 + V_d


def _contacted_chain():
    """A chain whose leads' bands follow their contact voltages (as a Hartree device's)."""
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(i) for i in range(6))] = lambda site, V: 2.0 + V * site.pos[0]
    syst[lat.neighbors()] = -1.0
    for direction, band in ((-1, _source_band), (1, _drain_band)):
        lead = kwant.Builder(kwant.TranslationalSymmetry((direction,)))
        lead[lat(0)] = band
        lead[lat.neighbors()] = -1.0
        syst.attach_lead(lead)
    return syst.finalized()


def test_cached_bias_window_density_equals_uncached():
    """At finite bias (real-axis quadrature nodes): a region-only change reuses every Σ at
    the nodes already solved; a contact voltage (the lead's band) solves them afresh."""
    fsyst = _contacted_chain()
    cache = LeadSelfEnergyCache()
    solved = np.zeros(0)
    for V, V_d in ((0.02, 0.1), (0.03, 0.1), (0.03, 0.12)):
        kwargs = dict(mu=[0.6, 0.5], temperature=0.05, params=dict(V=V, V_s=-0.1, V_d=V_d))
        hits, misses = cache.hits, cache.misses
        cached = electron_density(fsyst, lead_cache=cache, tol=1e-5, **kwargs)
        plain = electron_density(fsyst, tol=1e-5, **kwargs)
        np.testing.assert_array_equal(cached.density, plain.density)
        new_nodes = np.setdiff1d(cached.energies, solved).size
        if V_d == 0.12:  # lead 1 changed: every one of its energies is a miss
            assert cache.misses - misses >= cached.energies.size
        elif solved.size:  # only lead-unchanged energies not met before are missed
            assert cache.misses - misses == 2 * new_nodes and cache.hits > hits
        solved = np.union1d(solved, cached.energies)


def test_fingerprint_follows_the_lead_not_the_region():
    fsyst = _two_orbital_wire(True)
    lead = fsyst.leads[0]
    params = dict(V=0.0, Ez=0.1, V_lead=0.0)
    same = lead_fingerprint(lead, dict(params, V=1.0))
    assert lead_fingerprint(lead, params) == same
    assert lead_fingerprint(lead, dict(params, V_lead=1e-12)) != same
    assert lead_fingerprint(lead, dict(params, Ez=0.2)) != same


def test_cached_selfenergy_is_read_only_and_equals_a_fresh_solve():
    fsyst = _two_orbital_wire(False)
    params = dict(V=0.0, Ez=0.1, V_lead=0.0)
    cache = LeadSelfEnergyCache()
    first = OpenSystem(fsyst, params=params, lead_cache=cache).selfenergies(0.7)
    again = OpenSystem(fsyst, params=dict(params, V=0.5), lead_cache=cache).selfenergies(0.7)
    fresh = OpenSystem(fsyst, params=params).selfenergies(0.7)
    assert cache.hits == 2
    for a, b, c in zip(first, again, fresh, strict=True):
        assert a is b
        np.testing.assert_array_equal(a, c)
        with pytest.raises(ValueError, match="read-only"):
            a[0, 0] = 0


def test_memory_bound_and_pickle():
    fsyst = _two_orbital_wire(False)
    params = dict(V=0.0, Ez=0.1, V_lead=0.0)
    cache = LeadSelfEnergyCache(max_bytes=2000)
    system = OpenSystem(fsyst, params=params, lead_cache=cache)
    for energy in np.linspace(0.31, 0.89, 20):
        system.selfenergies(energy)
    assert 0 < len(cache) < 40  # bounded: the oldest were dropped
    copy = pickle.loads(pickle.dumps(cache))
    assert len(copy) == 0 and copy.max_bytes == 2000
    with pytest.raises(TypeError, match="lead_cache must be a LeadSelfEnergyCache"):
        OpenSystem(fsyst, params=params, lead_cache={})
