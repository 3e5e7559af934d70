"""Landauer mode counting: lead band structure against the analytic strip subbands."""

import numpy as np
import pytest

import systems
from analysis import compare_with_landauer, mode_count, open_modes, subband_edges
from workflows import conductance_vs_energy


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


def test_mode_count_closes_at_the_top_of_each_subband():
    # A 1-site-wide strip (on-site 4t) has one subband, 2t < E < 6t.
    assert mode_count(1.5, 1) == 0
    assert mode_count(4.5, 1) == 1
    assert mode_count(6.5, 1) == 0


def test_open_modes_rejects_a_probe_lead_and_a_bad_index():
    builder = systems.wire(3, 2)
    systems.attach_dephasing_probes(builder, "all")
    fsyst = builder.finalized()
    with pytest.raises(ValueError, match="self-energy lead"):
        open_modes(fsyst, 1.0, lead=2)
    with pytest.raises(ValueError, match="out of range"):
        open_modes(fsyst, 1.0, lead=99)


def test_comparison_with_landauer_puts_simulation_next_to_the_count():
    width = 5
    energies = np.array([0.4, 1.2, 2.5])
    fsyst = systems.wire(6, width).finalized()
    frame = conductance_vs_energy(fsyst, energies)
    table = compare_with_landauer(energies, frame["G"], width=width)
    assert list(table.columns) == ["energy", "G", "N", "deviation"]
    assert np.abs(table["deviation"]).max() < 1e-10
    from_leads = compare_with_landauer(energies, frame["G"], fsyst=fsyst)
    assert (from_leads["N"] == table["N"]).all()
    with pytest.raises(ValueError, match="exactly one"):
        compare_with_landauer(energies, frame["G"])


def test_the_old_lead_first_call_of_open_modes_fails_instead_of_swapping():
    # open_modes(fsyst, energy, *, lead=...) since the one-style round: the old
    # open_modes(fsyst, lead, energy) must not silently read lead 0 as an energy.
    fsyst = systems.wire(2, 3).finalized()
    with pytest.raises(TypeError):
        open_modes(fsyst, 0, 1.0)
    assert open_modes(fsyst, 1.0) == open_modes(fsyst, 1.0, lead=1) == 1
    assert open_modes(fsyst.leads[0], 1.0) == 1
