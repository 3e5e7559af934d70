"""Landauer mode counting from numbers: the analytic strip subbands, Landauer comparisons."""

import numpy as np
import pytest

import analysis
import systems
from analysis import compare_with_landauer, mode_count
from workflows import conductance_vs_energy, open_modes


def test_mode_count_closes_at_the_top_of_each_subband():
    # A 1-site-wide strip (on-site 4t) has one subband, 2t < E < 6t.
    assert mode_count(1.5, 1) == 0
    assert mode_count(4.5, 1) == 1
    assert mode_count(6.5, 1) == 0


def test_comparison_with_landauer_puts_simulation_next_to_the_count():
    width = 5
    energies = np.array([0.4, 1.2, 2.5])
    fsyst = systems.wire(6, width).finalized()
    frame = conductance_vs_energy(fsyst, energies)
    table = compare_with_landauer(energies, frame["G"], width=width)
    assert list(table.columns) == ["energy", "G", "N", "deviation"]
    assert np.abs(table["deviation"]).max() < 1e-10
    counted = [open_modes(fsyst, energy, lead=0) for energy in energies]
    from_leads = compare_with_landauer(energies, frame["G"], modes=counted)
    assert (from_leads["N"] == table["N"]).all()
    with pytest.raises(ValueError, match="exactly one"):
        compare_with_landauer(energies, frame["G"])
    with pytest.raises(ValueError, match="one count per energy"):
        compare_with_landauer(energies, frame["G"], modes=counted[:2])


@pytest.mark.parametrize("name", ["open_modes", "lead_velocities"])
def test_the_solving_mode_counters_moved_to_workflows_with_a_message(name):
    with pytest.raises(AttributeError, match=f"analysis.{name} moved to workflows.{name}"):
        getattr(analysis, name)
    with pytest.raises(AttributeError, match="has no attribute"):
        analysis.no_such_name  # noqa: B018
