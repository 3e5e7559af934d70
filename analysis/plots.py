"""The one plotting module: figure recipes compose these small functions.

Every function draws on a given matplotlib ``Axes`` (or a new one) and returns
it; nothing is shown or saved here.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = ["plot_conductance_steps", "plot_hall_resistances", "quantized_grid"]


def _axes(ax):
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.4), layout="constrained")
    return ax


def quantized_grid(ax, values, *, axis: str = "y") -> None:
    """Faint lines at integer values (conductance quanta or 1/ν) within the data range."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return
    draw = ax.axhline if axis == "y" else ax.axvline
    for level in range(int(np.floor(finite.min())), int(np.ceil(finite.max())) + 1):
        draw(level, color="0.85", lw=0.8, zorder=0)


def plot_conductance_steps(
    frame: pd.DataFrame, x: str, *, y: str = "G", prediction: str | None = None, ax=None,
    label: str | None = None, xlabel: str | None = None,
):
    """Conductance (e²/h) against ``x`` with integer gridlines; optional predicted staircase."""
    ax = _axes(ax)
    quantized_grid(ax, frame[y])
    ax.plot(frame[x], frame[y], lw=1.6, label=label or "simulation")
    if prediction is not None:
        ax.step(frame[x], frame[prediction], where="mid", ls="--", color="k", lw=1,
                label="Landauer N")
        ax.legend(frameon=False)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(r"$G$ ($e^2/h$)")
    return ax


def plot_hall_resistances(frame: pd.DataFrame, *, x: str = "B", ax=None):
    """R_xy and R_xx (h/e²) against field, with 1/ν guides from the ``nu`` column if present."""
    ax = _axes(ax)
    ax.plot(frame[x], frame["R_xy"], "o-", ms=3, label=r"$R_{xy}$")
    ax.plot(frame[x], frame["R_xx"], "s-", ms=3, label=r"$R_{xx}$")
    if "nu" in frame:
        with np.errstate(divide="ignore"):
            guide = np.where(frame["nu"] > 0, 1.0 / frame["nu"], np.nan)
        ax.plot(frame[x], np.sign(frame["R_xy"]) * guide, "k_", ms=10, label=r"$\pm 1/\nu$")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel(r"$B$ (flux quanta $h/e$ per plaquette)" if x == "B" else x)
    ax.set_ylabel(r"$R$ ($h/e^2$)")
    ax.legend(frameon=False)
    return ax
