"""plot_distribution_map: f(x, E) along a device."""

from __future__ import annotations

import numpy as np

from analysis import plots


def test_distribution_map_averages_sites_at_the_same_position_and_keeps_gaps_blank():
    _, ax = plots.new_figure()
    positions = np.array([0.0, 0.0, 1.0, 2.0])
    energies = np.array([-0.1, 0.0, 0.1])
    values = np.array([[1.0, 0.8, 0.5, np.nan], [0.6, 0.4, 0.5, 0.2], [0.0, 0.2, 0.1, 0.0]])
    plots.plot_distribution_map(positions, energies, values, mu=[0.05, -0.05], ax=ax)
    mesh = ax.collections[0].get_array().reshape(3, 3)
    np.testing.assert_allclose(mesh.filled(np.nan)[:, 0], [0.9, 0.5, 0.1])
    assert np.ma.is_masked(mesh[0, 2])  # no state: blank, not zero
    assert len(ax.lines) == 2 and ax.get_ylabel() == r"$E$ ($t$)"
