"""The bias-window quadrature rule of a non-equilibrium density: frozen and refined.

Checked on a `kwant.continuum` model (a Rashba wire, two orbitals, a potential profile
V(x) given as a function) at finite bias: the rule a density ends on, given back frozen,
samples exactly its energies whatever the potential (the density is then a smooth
function of the potential); given back for refinement it keeps every energy and reaches
the tolerance, agreeing with an independent adaptive density; a rule of another window is
refused.
"""

from __future__ import annotations

import kwant
import kwant.continuum
import numpy as np
import pytest

from workflows.scattering import nonequilibrium
from workflows.scattering.band_edges import BandEdgeError
from workflows.scattering.lead_cache import LeadSelfEnergyCache
from workflows.scattering.nonequilibrium import electron_density, terminal_currents
from workflows.scattering.open_system import OpenSystem
from workflows.scattering.window_quadrature import (
    WindowRule,
    _distinct,
    lead_edges,
    window_cuts,
)

HAMILTONIAN = "k_x**2 * sigma_0 + alpha * k_x * sigma_y + V(x) * sigma_0"
MU = (0.9, 0.7)  # t: source and drain, a 0.2 t bias
KT = 0.05
TOL = 1e-9


@pytest.fixture(scope="module")
def wire():
    template = kwant.continuum.discretize(HAMILTONIAN, grid=1.0)
    syst = kwant.Builder()
    syst.fill(template, lambda site: 0 <= site.pos[0] < 8, (0,))
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead.fill(template, lambda site: True, (0,))
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


def _params(height):
    """A smooth barrier of ``height`` (t) over the region; the leads (x < 0, x > 7) see V = 0."""
    return dict(alpha=0.3, V=lambda x: height * np.sin(np.pi * x / 7) ** 2 if 0 <= x <= 7 else 0.0)


#: The leads do not change with the barrier: their Σ are solved once for the whole module.
LEADS = LeadSelfEnergyCache()


def _density(fsyst, height, **kwargs):
    return electron_density(
        fsyst, mu=MU, temperature=KT, params=_params(height), lead_cache=LEADS, **kwargs
    )


@pytest.fixture(scope="module")
def first(wire):
    """The density under a 0.2 t barrier, adaptive to TOL (its leads' Σ solved here)."""
    return _density(wire, 0.2, tol=TOL)


def test_a_frozen_rule_samples_its_energies_whatever_the_potential(wire, first):
    rule = first.window_rule
    assert isinstance(rule, WindowRule) and first.energies.size > 0
    again = _density(wire, 0.2, tol=TOL, window_rule=rule, refine_window=False)
    # the same rule on the same integrand: the density to rounding (only the order of the
    # subintervals' sums differs), and its final subintervals' energies only
    np.testing.assert_allclose(again.density, first.density, rtol=1e-13, atol=1e-15)
    assert again.energies.size == 21 * (rule.partition.size - 1)
    assert np.all(np.isin(again.energies, first.energies))
    moved = _density(wire, 0.25, tol=TOL, window_rule=rule, refine_window=False)
    np.testing.assert_array_equal(moved.energies, again.energies)
    assert moved.window_rule.partition.size == rule.partition.size
    assert np.max(np.abs(moved.density - again.density)) > 1e-3  # a real change of n
    # so n(V) is smooth under the rule: its window error estimate still says how good it is
    assert moved.window_error > 0 and again.window_error == pytest.approx(first.window_error)


def test_refining_from_a_rule_keeps_its_energies_and_reaches_the_tolerance(wire):
    rule = _density(wire, 0.2, tol=1e-6).window_rule  # a coarser rule
    refined = _density(wire, 0.35, tol=TOL, window_rule=rule)
    independent = _density(wire, 0.35, tol=TOL)
    frozen_energies = _density(wire, 0.35, tol=TOL, window_rule=rule, refine_window=False)
    assert refined.window_error <= TOL
    assert refined.window_rule.partition.size > rule.partition.size
    assert np.all(np.isin(frozen_energies.energies, refined.energies))
    assert np.all(np.isin(rule.partition, refined.window_rule.partition))
    # both within TOL per orbital of the exact window part (the equilibrium parts are
    # identical: the same Fermi poles); two orbitals per site
    np.testing.assert_allclose(refined.density, independent.density, rtol=0, atol=2 * 2 * TOL)


def test_a_rule_of_another_window_is_refused_in_one_line(wire):
    rule = _density(wire, 0.2, tol=1e-6).window_rule
    with pytest.raises(ValueError, match="another bias window") as info:
        electron_density(wire, mu=(0.9, 0.6), temperature=KT, params=_params(0.2), window_rule=rule)
    assert "\n" not in str(info.value)
    with pytest.raises(TypeError, match="window_rule must be a WindowRule"):
        _density(wire, 0.2, window_rule=rule.partition)
    with pytest.raises(ValueError, match="refine_window=False needs a window_rule"):
        _density(wire, 0.2, refine_window=False)
    # in equilibrium there is no window: no rule, and a given one is not used
    kwargs = dict(mu=0.8, temperature=KT, params=_params(0.2))
    equilibrium = electron_density(wire, **kwargs)
    given = electron_density(wire, window_rule=rule, refine_window=False, **kwargs)
    assert equilibrium.window_rule is None and given.window_rule is None
    np.testing.assert_array_equal(given.density, equilibrium.density)


def test_a_band_edge_found_in_two_leads_is_one_cut():
    """A zigzag graphene ribbon (5 zigzag chains wide) between a lead and its reverse: the
    same band extrema come out of the two leads' edge searches up to the last bits (1e-16
    apart).  Kept as two cuts, the piece between them put quadrature energies on the edge
    itself, where the band-edge guard refused them and ``terminal_currents`` failed at
    μ = (2.5, 2.3) t, k_BT = 0.05 t.  (It now gives 0.4333023830 e/h·t at tol 1e-10; the
    Landauer integral of ``kwant.smatrix`` by ``scipy.integrate.quad`` to 7e-10 gives
    0.433302383031728, measured once: 3,885 S matrices, too slow for the suite.)"""
    lattice = kwant.lattice.honeycomb(norbs=1)
    syst = kwant.Builder()
    syst[lattice.shape(lambda p: 0 <= p[0] < 2 and 0 <= p[1] < 5, (0, 0))] = 0.0
    syst[lattice.neighbors()] = -1.0
    lead = kwant.Builder(kwant.TranslationalSymmetry(lattice.vec((-1, 0))))
    lead[lattice.shape(lambda p: 0 <= p[1] < 5, (0, 0))] = 0.0
    lead[lattice.neighbors()] = -1.0
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    open_system = OpenSystem(syst.finalized())
    edges = lead_edges(open_system)
    assert np.min(np.diff(edges)) < 1e-15  # the premise: near-duplicate edges
    rule = window_cuts(open_system, [2.5, 2.3], [0.05, 0.05])
    assert np.min(np.diff(rule.cuts)) > 1e-10
    # every edge inside the window still has a cut within 1e-10 (the one kept of its pair)
    inside = edges[(edges > rule.cuts[0]) & (edges < rule.cuts[-1])]
    assert np.all(np.min(np.abs(inside[:, None] - rule.cuts[None, :]), axis=1) < 1e-10)


def test_close_edges_merge_onto_the_last_kept_edge_only():
    """Edges 0.9e-10 apart in a chain: each is compared with the last edge kept, not with
    its neighbour, so a chain of close edges cannot swallow one 1e-10 beyond the first."""
    merged = _distinct(np.array([0.0, 0.9e-10, 1.8e-10, 2.7e-10, 1.0]))
    np.testing.assert_array_equal(merged, [0.0, 1.8e-10, 1.0])


def test_a_current_node_on_a_band_edge_takes_the_mean_of_both_sides(monkeypatch):
    """``terminal_currents`` at a node the band-edge guard refuses: the mean of the
    integrand 1e-9 below and above, as the densities' nodes do.  Refused here at the
    first node it asks for (a stand-in for a node on an edge); the currents equal the
    unrefused ones to 1e-12 (a smooth integrand moves by ~1e-9 × its slope there, on one
    node of weight < 0.1)."""
    lat = kwant.lattice.chain(norbs=1)
    syst = kwant.Builder()
    syst[(lat(x) for x in range(4))] = lambda site, V: 2.0 + V * (site.pos[0] == 1)
    syst[lat.neighbors()] = -1.0
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = 2.0
    lead[lat.neighbors()] = -1.0
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    fsyst = syst.finalized()
    kwargs = dict(mu=[0.6, 0.4], temperature=0.05, params={"V": 0.3}, tol=1e-10)
    plain = terminal_currents(fsyst, **kwargs)
    original = nonequilibrium.energy_resolved_currents
    refused = []

    def refusing(open_system, energy, occupations):
        if not refused:
            refused.append(energy)
        if energy == refused[0]:
            raise BandEdgeError("a stand-in edge", energy=energy, lead=0, below=0.0, above=1.0)
        return original(open_system, energy, occupations)

    monkeypatch.setattr(nonequilibrium, "energy_resolved_currents", refusing)
    np.testing.assert_allclose(terminal_currents(fsyst, **kwargs), plain, rtol=0, atol=1e-12)
    assert refused
