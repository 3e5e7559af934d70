"""The one plotting package: figure recipes compose these small functions.

Every ``plot_*`` function draws on a given matplotlib ``Axes`` and returns it;
nothing is shown or saved here.  Figures are made in one of two ways:

* figures that are written to files (the demo, the figure gallery, TOML
  studies) are made by :func:`new_figure` (or the ``*_figure`` functions built
  on it): a plain :class:`matplotlib.figure.Figure`, not registered with
  pyplot, which ``savefig`` writes without a GUI backend — so nothing here
  switches the backend or leaves figures open in a user's session;
* called without ``ax`` in a notebook, a ``plot_*`` function opens a new
  pyplot figure, so that it is displayed inline as usual.

One module per kind of figure: :mod:`.canvas` (figures and axes),
:mod:`.transport` (conductance steps, Hall and cross resistances, scans),
:mod:`.interference` (Aharonov–Bohm), :mod:`.dephasing` (ballistic to Ohmic)
and :mod:`.maps` (distributions, conductance matrices, maps over a system's
shape); every public name is exported here.
"""

from analysis.plots.canvas import new_figure, quantized_grid
from analysis.plots.dephasing import (
    plot_coherence_length,
    plot_localization,
    plot_probe_potential,
    plot_resistance_vs_length,
)
from analysis.plots.interference import (
    flux_label,
    plot_ensemble_traces,
    plot_flux_trace,
    plot_reciprocity,
    plot_visibility,
)
from analysis.plots.maps import (
    plot_conductance_matrix_map,
    plot_current_map,
    plot_distribution_map,
    plot_outline,
    plot_site_map,
    site_current_vectors,
)
from analysis.plots.transport import (
    plot_conductance_steps,
    plot_cross_resistances,
    plot_cross_transmissions,
    plot_hall_resistances,
    plot_scan,
    qpc_hall_figure,
    scan_figure,
)

__all__ = [
    "flux_label",
    "new_figure",
    "plot_coherence_length",
    "plot_conductance_matrix_map",
    "plot_conductance_steps",
    "plot_cross_resistances",
    "plot_cross_transmissions",
    "plot_current_map",
    "plot_distribution_map",
    "plot_ensemble_traces",
    "plot_flux_trace",
    "plot_hall_resistances",
    "plot_localization",
    "plot_outline",
    "plot_probe_potential",
    "plot_reciprocity",
    "plot_resistance_vs_length",
    "plot_scan",
    "plot_site_map",
    "plot_visibility",
    "qpc_hall_figure",
    "quantized_grid",
    "scan_figure",
    "site_current_vectors",
]
