"""Conductance steps, Hall and cross resistances, and any scanned column against its parameter."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.plots.canvas import _axes, new_figure, quantized_grid

__all__ = [
    "plot_conductance_steps",
    "plot_cross_resistances",
    "plot_cross_transmissions",
    "plot_hall_resistances",
    "plot_scan",
    "qpc_hall_figure",
    "scan_figure",
]


def plot_conductance_steps(
    frame: pd.DataFrame,
    x: str,
    *,
    y: str = "G",
    prediction: str | None = None,
    ax=None,
    label: str | None = None,
    xlabel: str | None = None,
):
    """Conductance (e²/h) against ``x`` with integer gridlines; optional predicted staircase."""
    ax = _axes(ax)
    quantized_grid(ax, frame[y])
    ax.plot(frame[x], frame[y], lw=1.6, label=label or "simulation")
    if prediction is not None:
        ax.step(
            frame[x], frame[prediction], where="mid", ls="--", color="k", lw=1, label="Landauer N"
        )
        ax.legend(frameon=False)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(r"$G$ ($e^2/h$)")
    return ax


def plot_hall_resistances(frame: pd.DataFrame, *, x: str = "B", ax=None):
    """R_xy and R_xx (h/e²) against field or energy, with plateau guides if ``nu`` is present.

    The guides are the quantized values −sign(B)/ν of :mod:`workflows.studies.hall` (from
    the ``B`` column; from the sign of R_xy if there is none).
    """
    ax = _axes(ax)
    ax.plot(frame[x], frame["R_xy"], "o-", ms=3, label=r"$R_{xy}$")
    ax.plot(frame[x], frame["R_xx"], "s-", ms=3, label=r"$R_{xx}$")
    _plateau_guides(ax, frame, x, "R_xy")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel(_scan_label(x, frame))
    ax.set_ylabel(r"$R$ ($h/e^2$)")
    ax.legend(frameon=False)
    return ax


def qpc_hall_figure(
    qpc: pd.DataFrame, hall: pd.DataFrame, *, x: str = "V_gate", modes: str | None = "N_leads"
) -> Figure:
    """Two panels: QPC conductance steps against the gate, and a Hall bar's R_xy, R_xx.

    The figure of ``mesoflow demo`` (:func:`workflows.app.demo.run_demo`).

    Parameters
    ----------
    qpc
        Table of :func:`workflows.qpc_conductance`: the gate column ``x``
        (potential energy on the gates, units of t) and ``G`` (e²/h).
    hall
        Table of :func:`workflows.quantum_hall_scan`: ``B`` (flux quanta h/e
        per plaquette), ``R_xy`` and ``R_xx`` (h/e²), optionally ``nu`` (the
        plateau guides −sign(B)/ν are drawn when present).
    x
        The gate column of ``qpc``.
    modes
        Column of ``qpc`` holding the number of open modes of the leads (e²/h),
        drawn as a dashed line (the conductance of the fully open QPC); None
        to leave it out.

    Returns
    -------
    matplotlib.figure.Figure
        Made by :func:`new_figure` (not registered with pyplot), ready for
        ``savefig``.
    """
    figure, (left, right) = new_figure(1, 2, figsize=(9, 3.6))
    gate_label = r"$V_\mathrm{gate}$ ($t$)" if x == "V_gate" else x
    plot_conductance_steps(qpc, x, ax=left, xlabel=gate_label)
    if modes is not None:
        left.axhline(qpc[modes].iloc[0], color="k", ls="--", lw=1, label="open modes of leads")
    left.legend(frameon=False)
    left.set_title("Quantum point contact")
    plot_hall_resistances(hall, ax=right)
    right.set_title("Hall bar")
    return figure


_SCAN_LABELS = {
    "B": r"$B$ (flux quanta $h/e$ per plaquette)",
    "energy": r"$E$ ($t$)",
}


def _scan_label(x: str, frame: pd.DataFrame | None = None) -> str:
    """Axis label of a scanned parameter column (field or energy), else the column name.

    A unit recorded in ``frame.attrs["units"]`` for a user's own parameter (e.g.
    a field ``B`` in tesla) replaces mesoflow's.
    """
    unit = ((frame.attrs.get("units") if frame is not None else None) or {}).get(x)
    if x == "B" and unit not in (None, "h/e per plaquette"):
        return f"$B$ ({unit})"
    return _SCAN_LABELS.get(x, x)


def _plateau_guides(ax, frame: pd.DataFrame, x: str, column: str) -> None:
    """Short bars at the quantum Hall values −sign(B)/ν (h/e²) where ν > 0 and B ≠ 0."""
    if "nu" not in frame:
        return
    nu = np.asarray(frame["nu"], dtype=float)
    sign = -np.sign(frame["B"]) if "B" in frame else np.sign(frame[column])
    with np.errstate(divide="ignore", invalid="ignore"):
        guide = np.where((nu > 0) & (sign != 0), sign / nu, np.nan)
    ax.plot(frame[x], guide, "k_", ms=10, label=r"$-\mathrm{sign}(B)/\nu$")


def plot_cross_resistances(frame: pd.DataFrame, *, x: str = "B", ax=None):
    """Hall resistance R_H and bend resistance R_B (h/e²) of a cross against field or energy.

    Expects the columns ``R_H`` and ``R_B`` of :func:`workflows.cross_resistance_scan`;
    draws the plateau values −sign(B)/ν if the ``nu`` column is present.
    """
    ax = _axes(ax)
    ax.plot(frame[x], frame["R_H"], "o-", ms=3, label=r"$R_H$ (Hall)")
    ax.plot(frame[x], frame["R_B"], "s-", ms=3, label=r"$R_B$ (bend)")
    _plateau_guides(ax, frame, x, "R_H")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel(_scan_label(x, frame))
    ax.set_ylabel(r"$R$ ($h/e^2$)")
    ax.legend(frameon=False)
    return ax


def plot_cross_transmissions(frame: pd.DataFrame, *, x: str = "B", ax=None):
    """Transmissions out of the left lead of a cross (e²/h): straight on, left and right turns."""
    ax = _axes(ax)
    quantized_grid(ax, frame[["T_straight", "T_left_turn", "T_right_turn"]].to_numpy().ravel())
    ax.plot(frame[x], frame["T_straight"], "-", lw=1.6, label="straight (right lead)")
    ax.plot(frame[x], frame["T_left_turn"], "--", lw=1.6, label="left turn (top lead)")
    ax.plot(frame[x], frame["T_right_turn"], ":", lw=1.8, label="right turn (bottom lead)")
    ax.set_xlabel(_scan_label(x, frame))
    ax.set_ylabel(r"$T$ from the left lead ($e^2/h$)")
    ax.legend(frameon=False, fontsize="small")
    return ax


def plot_scan(frame: pd.DataFrame, x: str, y: str, *, hue=(), ax=None, ylabel=None):
    """Observable ``y`` of a scan table against parameter ``x``, one line per ``hue`` value.

    ``hue`` lists the other scanned parameters (columns); with more than eight
    combinations the lines are coloured along viridis without a legend.
    Failed points (NaN) leave gaps.  ``ylabel`` defaults to ``y``.
    """
    ax = _axes(ax)
    hue = [hue] if isinstance(hue, str) else list(hue)
    groups = list(frame.groupby(hue, sort=True)) if hue else [((), frame)]
    colors = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, len(groups)))
    for color, (key, group) in zip(colors, groups, strict=True):
        key = key if isinstance(key, tuple) else (key,)
        label = (
            ", ".join(
                f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}"
                for name, value in zip(hue, key, strict=True)
            )
            or None
        )
        group = group.sort_values(x)
        ax.plot(group[x], group[y], "o-", ms=2.5, lw=1.2, color=color if hue else None, label=label)
    if hue and len(groups) <= 8:
        ax.legend(frameon=False, fontsize="small")
    ax.set_xlabel(_scan_label(x, frame))
    ax.set_ylabel(ylabel or y)
    return ax


def scan_figure(frame: pd.DataFrame, x: str, ys, *, hue=(), title: str | None = None, labels=None):
    """A figure with one :func:`plot_scan` panel per observable in ``ys``.

    ``labels`` maps observable names to axis labels (with units).  The figure
    is a plain :class:`matplotlib.figure.Figure`, not registered with pyplot
    (no global state; nothing to close), ready for ``savefig``.
    """
    ys = [ys] if isinstance(ys, str) else list(ys)
    figure, axes = new_figure(1, len(ys), squeeze=False)
    axes = axes[0]
    for ax, y in zip(axes, ys, strict=True):
        plot_scan(frame, x, y, hue=hue, ax=ax, ylabel=(labels or {}).get(y))
    if title:
        figure.suptitle(title)
    return figure
