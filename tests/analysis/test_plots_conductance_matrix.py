"""plot_conductance_matrix_map: G_ij(V, B) as an N × N grid of colour maps."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import plots


def test_each_panel_draws_its_matrix_element_on_a_zero_centred_scale():
    _, axes = plots.new_figure(2, 2)
    bias, field = np.array([-0.1, 0.0, 0.1]), np.array([0.0, 0.5])
    g = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 2, 2) - 10
    plots.plot_conductance_matrix_map(bias, field, g, axes=axes)
    for i in range(2):
        for j in range(2):
            mesh = axes[i, j].collections[0]
            np.testing.assert_allclose(mesh.get_array().reshape(2, 3), g[:, :, i, j])
            assert mesh.norm.vmin == -mesh.norm.vmax == -np.abs(g[:, :, i, j]).max()
    assert axes[1, 0].figure.axes[-1].get_ylabel() == r"$G_{RR}$ ($e^2/h$)"


def test_a_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="conductance must have shape"):
        plots.plot_conductance_matrix_map([0.0], [0.0], np.zeros((1, 1, 2)))
