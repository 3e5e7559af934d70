"""Open channels and velocities of a lead, solved through the core (lead_modes)."""

import kwant
import numpy as np
import pytest

import systems
from analysis import mode_count, subband_edges
from workflows import BandEdgeError, lead_velocities, open_modes


@pytest.mark.parametrize("width", [3, 8])
def test_open_modes_of_a_lead_match_the_analytic_count(width):
    fsyst = systems.wire(2, width).finalized()
    edges = subband_edges(width)
    for energy in np.linspace(0.05, 3.9, 13):
        if np.min(np.abs(edges - energy)) < 1e-3:
            continue
        expected = int(np.count_nonzero(edges < energy))
        assert open_modes(fsyst, energy, lead=0) == expected
        assert mode_count(energy, width) == expected


def test_open_modes_rejects_a_probe_lead_and_a_bad_index():
    builder = systems.wire(3, 2)
    systems.attach_dephasing_probes(builder, "all")
    fsyst = builder.finalized()
    with pytest.raises(ValueError, match="self-energy lead"):
        open_modes(fsyst, 1.0, lead=2)
    with pytest.raises(ValueError, match="out of range"):
        open_modes(fsyst, 1.0, lead=99)


def test_the_old_lead_first_call_of_open_modes_fails_instead_of_swapping():
    # open_modes(fsyst, energy, *, lead=...) since the one-style round: the old
    # open_modes(fsyst, lead, energy) must not silently read lead 0 as an energy.
    fsyst = systems.wire(2, 3).finalized()
    with pytest.raises(TypeError):
        open_modes(fsyst, 0, 1.0)
    assert open_modes(fsyst, 1.0) == open_modes(fsyst, 1.0, lead=1) == 1
    assert open_modes(fsyst.leads[0], 1.0) == 1
    with pytest.raises(ValueError, match="lead=None"):
        open_modes(fsyst.leads[0], 1.0, lead=1)


def test_velocities_equal_the_strip_dispersion_and_kwants_modes():
    """v_n = 2t sin k_n with 2t(1 − cos k_n) = E − E_n (square strip, on-site 4t)."""
    width, energy = 4, 1.3
    fsyst = systems.wire(1, width).finalized()
    edges = subband_edges(width)
    open_edges = edges[edges < energy]
    k = np.arccos(1 - (energy - open_edges) / 2)
    # Closed form to rounding: 1e-12 t·a/ħ.
    np.testing.assert_allclose(lead_velocities(fsyst, energy), np.sort(2 * np.sin(k)), atol=1e-12)
    params = systems.resolve_params(fsyst, None)
    assert open_modes(fsyst, energy) == kwant.smatrix(fsyst, energy, params=params).num_propagating(
        0
    )


def test_an_energy_at_a_band_edge_is_refused_by_the_counters_too():
    # E = 2t is the bottom of the second subband of a 3-wide strip (E_2 = 2t(1 − cos(π/2))):
    # the mode counters go through the core's one mode door and its band-edge guard.
    fsyst = systems.wire(2, 3).finalized()
    for count in (open_modes, lead_velocities):
        try:
            value = count(fsyst, 2.0)
        except BandEdgeError:
            continue
        # If Kwant rounds the edge mode away, it must be counted closed (mode_count's rule).
        assert np.size(value) == 1 if count is lead_velocities else value == mode_count(2.0, 3)


@pytest.mark.parametrize("width", [3, 5])
def test_open_modes_at_an_exact_edge_refuses_or_counts_the_side_asked_for(width):
    # Issue 20: open_modes counted a zero-velocity mode open where mode_count counts it
    # closed.  At the exact bottom of subband n (closed form, analysis.subband_edges) it
    # refuses; the one-sided counts equal the analytic N(E) just below and just above.
    fsyst = systems.wire(2, width).finalized()
    for edge in subband_edges(width)[1:3]:
        with pytest.raises(BandEdgeError):
            open_modes(fsyst, edge)
        below = mode_count(edge - 1e-6, width)
        above = mode_count(edge + 1e-6, width)
        assert above == below + 1
        assert open_modes(fsyst, edge, at_band_edge="below") == below
        assert open_modes(fsyst, edge, at_band_edge="above") == above
        assert lead_velocities(fsyst, edge, at_band_edge="above").size == above
