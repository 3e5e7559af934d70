"""Energies exactly at a band edge of a lead: a clear error, the same convention as mode_count."""

from __future__ import annotations

import kwant
import numpy as np
import pytest

import systems
import workflows
from analysis import mode_count, subband_edges
from workflows.scattering.band_edges import BandEdgeError


@pytest.mark.parametrize("energy", [0.0, 4.0])
def test_the_chain_at_its_band_edges_names_the_lead(energy):
    # the chain's band is 0 < E < 4t (on-site 2t): Kwant fails deep in SciPy there
    fsyst = systems.chain(3).finalized()
    with pytest.raises(
        BandEdgeError, match=rf"energy={energy} is exactly at a band edge of lead 0"
    ):
        workflows.conductance_matrix(fsyst, energy)
    # an energy next to the edge is fine: the clean chain transmits perfectly
    inside = energy + 1e-9 if energy == 0 else energy - 1e-9
    np.testing.assert_allclose(workflows.conductance_matrix(fsyst, inside)[1, 0], -1, atol=1e-6)


@pytest.mark.parametrize("width", [1, 2, 3, 5])
def test_the_simulation_never_counts_a_mode_that_mode_count_does_not(width):
    """At and around every subband edge: an error, or exactly the analytic mode count."""
    fsyst = systems.wire(2, width).finalized()
    edges = subband_edges(width)
    energies = {*edges, *(edges + 4), *np.arange(0.0, 8.5, 0.5)}
    for energy in sorted(energies):
        try:
            G = workflows.conductance_matrix(fsyst, float(energy))
        except BandEdgeError:
            continue
        assert round(-G[1, 0]) == mode_count(energy, width), energy
        np.testing.assert_allclose(-G[1, 0], mode_count(energy, width), atol=1e-9)


def test_mode_count_is_closed_exactly_at_an_edge_whatever_the_rounding():
    # E_2 = 2t(1 − cos(π/2)) = 2t exactly, but evaluates to 1.9999999999999998
    assert subband_edges(3)[1] != 2.0
    assert mode_count(2.0, 3) == 1
    assert mode_count(2.0 + 1e-9, 3) == 2
    assert mode_count(np.array([0.0, 2.0, 6.0]), 1).tolist() == [0, 0, 0]  # 1 site: 2 < E < 6


def two_orbital_chain() -> kwant.system.FiniteSystem:
    """A chain with two orbitals per site (on-site diag(0, 1) t, hopping −1): not mesoflow's."""
    lat = kwant.lattice.chain(norbs=2)
    onsite, hop = np.diag([0.0, 1.0]), -np.eye(2)
    syst = kwant.Builder()
    syst[(lat(x) for x in range(4))] = onsite
    syst[lat.neighbors()] = hop
    lead = kwant.Builder(kwant.TranslationalSymmetry((-1,)))
    lead[lat(0)] = onsite
    lead[lat.neighbors()] = hop
    syst.attach_lead(lead)
    syst.attach_lead(lead.reversed())
    return syst.finalized()


def test_a_matrix_valued_system_at_a_band_edge():
    # bands −2cos k ∈ [−2, 2] and 1 − 2cos k ∈ [−1, 3]: E = 2 is the top of the first
    fsyst = two_orbital_chain()
    with pytest.raises(BandEdgeError, match="band edge of lead 0"):
        workflows.conductance_matrix(fsyst, 2.0)
    below = workflows.conductance_matrix(fsyst, 2.0 - 1e-7)
    reference = kwant.smatrix(fsyst, 2.0 - 1e-7).transmission(1, 0)  # independent plain Kwant
    np.testing.assert_allclose(-below[1, 0], reference, atol=1e-9)
    np.testing.assert_allclose(reference, 2, atol=1e-6)  # both bands open, ballistic


def test_a_sweep_at_a_band_edge_and_with_nan_values():
    fsyst = systems.chain(5).finalized()
    with pytest.raises(BandEdgeError, match="lead 0"):
        workflows.sweep(fsyst, 0.0, "V", [0.1, 0.2], method="reduced")
    with pytest.raises(ValueError, match=r"values\[1\] of 'V' is nan: sweep values must be finite"):
        workflows.sweep(fsyst, 1.0, "V", [0.1, np.nan])
