"""Injectivities, local density of states and Büttiker's local potential."""

from __future__ import annotations

import kwant
import numpy as np
import pytest

import analysis
import systems
import workflows

# As in test_current_maps: exact identities between linear-algebra routes, rounding ~1e-13.
TOL = 1e-9


def _per_site(fsyst, per_orbital):
    norbs = [site.family.norbs for site in fsyst.sites]
    return np.add.reduceat(per_orbital, np.concatenate([[0], np.cumsum(norbs)[:-1]]))


def _two_orbital_wire():
    """User-style plain-Kwant system: 2 orbitals, matrix hoppings, function-valued parameter."""
    lat = kwant.lattice.square(norbs=2)
    sy = np.array([[0, -1j], [1j, 0]])
    syst = kwant.Builder()
    syst[(lat(x, y) for x in range(5) for y in range(3))] = lambda site, U: (
        np.diag([4.0, 4.3]) + U * np.sin(site.pos[0]) * np.eye(2)
    )
    syst[lat.neighbors()] = lambda a, b, alpha: -np.eye(2) + 1j * alpha * sy
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1, 0)))
    lead[(lat(0, y) for y in range(3))] = np.diag([4.0, 4.3])
    lead[lat.neighbors()] = -np.eye(2)
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized(), dict(U=0.4, alpha=0.2)


@pytest.mark.parametrize("kind", ["wire", "two_orbital"])
def test_injectivities_sum_to_kwant_ldos_and_match_scattering_states(kind):
    if kind == "wire":
        fsyst = systems.wire(6, 4).finalized()
        params = dict(B=0.03, V=lambda x, y: 0.3 * x * y / 10)
        full = dict(params, t=1.0, disorder=0.0, salt="0")
    else:
        fsyst, params = _two_orbital_wire()
        full = params
    nu = workflows.scattering.injectivities(fsyst, 1.0, params=params)
    ldos = _per_site(fsyst, kwant.ldos(fsyst, 1.0, params=full))
    assert np.abs(nu.sum(axis=0) - ldos).max() < TOL
    assert np.abs(workflows.local_density_of_states(fsyst, 1.0, params=params) - ldos).max() < TOL
    states = kwant.wave_function(fsyst, 1.0, params=full)
    for lead in (0, 1):
        reference = _per_site(fsyst, (np.abs(states(lead)) ** 2).sum(axis=0) / (2 * np.pi))
        assert np.abs(nu[lead] - reference).max() < TOL


def test_ldos_of_a_clean_chain_is_the_analytic_one_and_the_potential_is_halfway():
    # Perfect chain, E = 2t(1 − cos k): each lead injects |ψ|² = 1/v, v = 2t sin k, so
    # ν_L = ν_R = 1/(2π·2t sin k) on every site and μ = (V_L + V_R)/2 everywhere.
    fsyst = systems.chain(7).finalized()
    energy = 0.6
    k = np.arccos(1 - energy / 2)
    nu = workflows.scattering.injectivities(fsyst, energy)
    assert np.abs(nu - 1 / (4 * np.pi * np.sin(k))).max() < TOL
    solved = workflows.scattering.local_potential(fsyst, energy, voltages={0: 1.0, 1: 0.0})
    assert np.abs(solved.potential - 0.5).max() < TOL


def test_local_potential_of_a_dephased_wire_is_the_probe_potential_profile():
    # For a wide-band probe on a one-orbital site, T_pq = η·2π ν_q(p), so the floating-probe
    # condition makes μ(site of p) equal to V_p exactly (Büttiker 1989): compare with the
    # independent probe elimination of workflows.scattering.probe_potential_profile.
    builder = systems.wire(10, 2)
    systems.attach_dephasing_probes(builder, "all")
    fsyst = builder.finalized()
    params = dict(eta=0.2, V=lambda x, y: 0.8 * (x == 4))
    profile = workflows.scattering.probe_potential_profile(fsyst, 1.5, params=params)
    solved = workflows.scattering.local_potential(
        fsyst, 1.5, params=params, voltages={0: 1.0, 1: 0.0}
    )
    where = {tuple(site.pos): i for i, site in enumerate(fsyst.sites)}
    sites = [where[(x, y)] for x, y in zip(profile["x"], profile["y"], strict=True)]
    assert np.abs(solved.potential[sites] - profile["mu"].to_numpy()).max() < TOL
    # The potential drops from source to drain, with a step at the barrier x = 4.
    xs = np.array([site.pos[0] for site in fsyst.sites])
    column = [solved.potential[xs == x].mean() for x in range(10)]
    assert column[0] > column[4] > column[5] > column[9]
    assert column[4] - column[5] > 2 * abs(column[2] - column[3])


def test_probe_sites_have_the_local_density_of_kwant_greens_function():
    # Kwant's greens_function gives G on the interface of a self-energy lead (here one probe
    # site): an independent route to the local density of states where Kwant has no ldos.
    builder = systems.wire(5, 2)
    probes = systems.attach_dephasing_probes(builder, "all")
    fsyst = builder.finalized()
    params = dict(eta=0.4, t=1.0, V=0.0, B=0.0, disorder=0.0, salt="0")
    ldos = workflows.local_density_of_states(fsyst, 0.7, params=params)
    for probe in probes[::3]:
        g = kwant.greens_function(fsyst, 0.7, in_leads=[probe], out_leads=[probe], params=params)
        site = fsyst.lead_interfaces[probe][0]
        assert ldos[site] == pytest.approx(-np.imag(g.data[0, 0]) / np.pi, abs=TOL)


def test_local_potential_is_independent_of_the_zero_and_names_bad_input():
    fsyst = systems.hall_bar(12, 4, 2, arm_length=1).finalized()
    params = dict(B=0.05)
    low = workflows.scattering.local_potential(fsyst, 0.6, params=params, voltages={0: 1.0, 1: 0.0})
    high = workflows.scattering.local_potential(
        fsyst, 0.6, params=params, voltages={0: 3.0, 1: 2.0}
    )
    assert np.abs(high.potential - low.potential - 2.0).max() < TOL
    assert np.nanmin(low.potential) >= -TOL and np.nanmax(low.potential) <= 1 + TOL
    with pytest.raises(ValueError, match="voltages must be a non-empty mapping"):
        workflows.scattering.local_potential(fsyst, 0.6, voltages={})
    with pytest.raises(ValueError, match="terminal in voltages=9 is out of range"):
        workflows.scattering.local_potential(fsyst, 0.6, voltages={9: 1.0})


def test_local_potential_is_what_a_weakly_coupled_probe_measures_in_a_field():
    # Büttiker's local potential is the reading of an ideal, weakly coupled voltage probe
    # (Gramespacher & Büttiker, Phys. Rev. B 56, 13026 (1997)): attach one wide-band probe
    # of coupling η to a site of a Hall bar in a field, let it float, and compare its
    # potential with μ(site) of the bar without the probe.  The probe perturbs the
    # potentials at O(η); η = 1e-6 t leaves a difference of ~1e-6, checked at 1e-4.
    length, width = 12, 5
    bare = systems.hall_bar(length, width, 2, arm_length=1)
    probed = systems.hall_bar(length, width, 2, arm_length=1)
    lat = kwant.lattice.square(norbs=1)
    params = dict(B=0.04)
    solved = workflows.scattering.local_potential(
        bare.finalized(), 0.7, params=params, voltages={0: 1.0, 1: 0.0}
    )
    sites = [lat(6, 1), lat(3, 3)]
    probes = systems.attach_dephasing_probes(probed, sites, param="eta_tip")
    fprobed = probed.finalized()
    G = workflows.conductance_matrix(fprobed, 0.7, params=dict(params, eta_tip=1e-6))
    bias = analysis.solve_bias(G, voltages={0: 1.0, 1: 0.0})
    fbare = bare.finalized()
    local = [solved.potential[fbare.id_by_site[site]] for site in sites]
    assert abs(local[0] - local[1]) > 0.3  # two quite different points (0.79 and 0.06)
    for value, probe in zip(local, probes, strict=True):
        assert bias.voltages[probe] == pytest.approx(value, abs=1e-4)
