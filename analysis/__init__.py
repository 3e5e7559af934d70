"""Predictions and comparisons: Landauer mode counting, analytic results, thermal averages."""

from .analytic import chain_barrier_transmission, chain_wavenumber
from .landauer import compare_with_landauer
from .modes import mode_count, open_modes, subband_edges
from .thermal import fermi, fermi_window, thermal_average

__all__ = [
    "chain_barrier_transmission",
    "chain_wavenumber",
    "compare_with_landauer",
    "fermi",
    "fermi_window",
    "mode_count",
    "open_modes",
    "subband_edges",
    "thermal_average",
]
