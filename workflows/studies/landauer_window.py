"""The two-terminal Landauer current on one adaptive 𝒯(E) grid (for the I–V studies)."""

from __future__ import annotations

import numpy as np

from analysis.energy_grid import window_grid
from analysis.heat import landauer_currents
from workflows.scattering.band_edges import GRID_NODE_SIDE
from workflows.studies.thermoelectric import transmission_function

__all__ = ["two_terminal_matrix", "window_current"]


def two_terminal_matrix(values: np.ndarray) -> np.ndarray:
    """The conductance matrices [[T, −T], [−T, T]] of two terminals at each energy."""
    g = np.zeros((values.size, 2, 2))
    g[:, 0, 0] = g[:, 1, 1] = values
    g[:, 0, 1] = g[:, 1, 0] = -values
    return g


def window_current(fsyst, params, source, sink, mus, temperature, tol) -> float:
    """Landauer current (e·t/h) from ``source`` at μ_s to ``sink`` at μ_d, one 𝒯(E) grid."""
    ms, md = mus
    func = transmission_function(
        fsyst, params=params, source=source, sink=sink, at_band_edge=GRID_NODE_SIDE
    )
    low, high = min(ms, md), max(ms, md)
    energies, values = window_grid(
        func, [(ms, temperature), (md, temperature)], tol=tol, boxes=[(low, high)]
    )
    g = two_terminal_matrix(values)
    return landauer_currents(energies, g, [ms, md], [temperature, temperature])[0][0]
