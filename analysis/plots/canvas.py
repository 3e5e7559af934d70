"""Figures and axes: saved figures off pyplot, pyplot axes for notebooks, quantum grids."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

__all__ = ["new_figure", "quantized_grid"]


def new_figure(nrows: int = 1, ncols: int = 1, *, figsize=None, **subplots):
    """A figure with a grid of axes, not registered with pyplot: for figures that are saved.

    Parameters
    ----------
    nrows, ncols
        The grid of axes.
    figsize
        (width, height) in inches; default 4.5 × 3.4 inches per panel.
    **subplots
        Passed to :meth:`matplotlib.figure.Figure.subplots` (``sharex``,
        ``squeeze``, ``gridspec_kw``, …).

    Returns
    -------
    figure, axes
        A :class:`matplotlib.figure.Figure` with constrained layout and its
        axes (one ``Axes``, or an array of them, as ``pyplot.subplots`` gives).
        ``figure.savefig(path)`` needs no backend; nothing is left to close.
    """
    if figsize is None:
        figsize = (4.5 * ncols, 3.4 * nrows)
    figure = Figure(figsize=figsize, layout="constrained")
    return figure, figure.subplots(nrows, ncols, **subplots)


def _pyplot_axes(nrows: int = 1, ncols: int = 1, *, figsize=(4.5, 3.4)):
    """New axes on a pyplot figure: the default of a plot function called without ``ax``."""
    import matplotlib.pyplot as plt  # only here: interactive use, shown inline in notebooks

    return plt.subplots(nrows, ncols, figsize=figsize, layout="constrained")[1]


def _axes(ax):
    return _pyplot_axes() if ax is None else ax


def quantized_grid(ax, values, *, axis: str = "y") -> None:
    """Faint lines at integer values (conductance quanta or 1/ν) within the data range."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return
    draw = ax.axhline if axis == "y" else ax.axvline
    for level in range(int(np.floor(finite.min())), int(np.ceil(finite.max())) + 1):
        draw(level, color="0.85", lw=0.8, zorder=0)
