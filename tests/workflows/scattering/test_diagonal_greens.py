"""The diagonal solver's helpers: a quadrature node on a band edge."""

from __future__ import annotations

import numpy as np
import pytest

from workflows.scattering.band_edges import BandEdgeError
from workflows.scattering.diagonal_greens import mean_across_band_edge


def _refusing(edge: float, width: float, safe: tuple[float, float]):
    """√(E − edge) (a band onset: integrable, kinked at the edge), refused within ``width``."""

    def evaluate(energy):
        if abs(energy - edge) < width:
            below, above = safe
            raise BandEdgeError("at a band edge", energy=energy, lead=0, below=below, above=above)
        return np.array([np.sqrt(max(energy - edge, 0.0))])

    return evaluate


def test_off_the_edge_the_value_itself():
    evaluate = _refusing(1.0, 1e-12, (0.9, 1.1))
    np.testing.assert_array_equal(mean_across_band_edge(evaluate, 1.25), [0.5])


def test_on_the_edge_the_mean_of_both_sides():
    """Refused at the edge only: the mean of √ at 1e-9 below (0) and above (√1e-9)."""
    value = mean_across_band_edge(_refusing(1.0, 1e-12, (0.9, 1.1)), 1.0)
    np.testing.assert_allclose(value, [0.5 * np.sqrt(1e-9)], rtol=1e-6)


def test_a_wide_refusal_takes_the_guards_safe_energies():
    """Refused 1e-9 either side too: the mean at the guard's ``below`` and ``above``."""
    value = mean_across_band_edge(_refusing(1.0, 1e-6, (0.99, 1.01)), 1.0)
    assert value == pytest.approx([0.5 * np.sqrt(0.01)], rel=1e-6)


def test_no_safe_energy_on_a_side_is_the_refusal_itself():
    """Where the guard found no safe energy (``below``/``above`` NaN), the refusal is raised
    as it is, not an evaluation at NaN."""
    with pytest.raises(BandEdgeError, match="at a band edge"):
        mean_across_band_edge(_refusing(1.0, 1e-6, (np.nan, np.nan)), 1.0)
