"""Aharonov–Bohm interference: flux traces, ensembles, visibility, reciprocity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.plots.canvas import _axes

__all__ = [
    "flux_label",
    "plot_ensemble_traces",
    "plot_flux_trace",
    "plot_reciprocity",
    "plot_visibility",
]


_AB_LABELS = {
    "phi": r"$\phi$ ($h/e$)",
    "eta": r"dephasing coupling $\eta$ ($t$)",
    "arm_length": r"arm length $L$ ($a$)",
    "temperature": r"$k_B T$ ($t$)",
}


def flux_label(frame: pd.DataFrame, x: str = "phi") -> str:
    """Axis label of the flux column ``x``, in the unit ``frame.attrs["units"]`` gives.

    mesoflow's studies record the unit of a user's own flux (e.g. ``"rad"``);
    without a record the flux is mesoflow's, in h/e.
    """
    unit = (frame.attrs.get("units") or {}).get(x, "h/e")
    unit = r"$h/e$" if unit == "h/e" else unit
    return rf"$\phi$ ({unit})" if x == "phi" else f"{x} ({unit})"


def plot_flux_trace(
    frame: pd.DataFrame,
    *,
    x: str = "phi",
    y: str = "G",
    ax=None,
    label: str | None = None,
    **style,
):
    """An interference trace y(φ) against the flux (conductance in e²/h by default).

    The flux axis is labelled in the unit recorded in ``frame.attrs["units"]``
    (h/e for mesoflow's rings, the system's own otherwise; see :func:`flux_label`).
    """
    ax = _axes(ax)
    ax.plot(frame[x], frame[y], **{"marker": "o", "ms": 3, "lw": 1.4, **style}, label=label)
    ax.set_xlabel(flux_label(frame, x))
    ax.set_ylabel(r"$G$ ($e^2/h$)" if y == "G" else y)
    if label:
        ax.legend(frameon=False)
    return ax


def plot_ensemble_traces(
    frame: pd.DataFrame,
    *,
    sample: str = "salt",
    x: str = "phi",
    y: str = "G",
    ax=None,
    max_samples: int = 20,
):
    """Single-sample traces (faint, at most ``max_samples``) and their ensemble average (bold)."""
    ax = _axes(ax)
    for count, (_, group) in enumerate(frame.groupby(sample, sort=False)):
        if count >= max_samples:
            break
        group = group.sort_values(x)
        ax.plot(group[x], group[y], color="0.75", lw=0.8)
    average = frame.groupby(x)[y].mean()
    ax.plot(
        average.index,
        average.to_numpy(),
        "o-",
        color="C3",
        ms=3,
        lw=1.8,
        label=f"average of {frame[sample].nunique()}",
    )
    ax.set_xlabel(flux_label(frame, x))
    ax.set_ylabel(r"$G$ ($e^2/h$)" if y == "G" else y)
    ax.legend(frameon=False)
    return ax


def plot_visibility(
    frame: pd.DataFrame,
    x: str,
    *,
    y: str = "visibility",
    by: str | None = None,
    ax=None,
    logy: bool = False,
    fits: pd.DataFrame | None = None,
):
    """Visibility against ``x``, one line per value of ``by``; optional exponential fits.

    ``fits`` is a table from :func:`analysis.decay_lengths` (columns ``by``,
    ``decay_length``, ``prefactor``), drawn as dashed v₀ exp(−x/L_φ).
    """
    ax = _axes(ax)
    groups = frame.groupby(by, sort=True) if by else [(None, frame)]
    for index, (key, group) in enumerate(groups):
        group = group.sort_values(x)
        label = None if by is None else f"{by} = {key:.3g}"
        ax.plot(group[x], group[y], "o-", ms=4, lw=1.2, color=f"C{index}", label=label)
        if fits is not None and by is not None:
            fit = fits[fits[by] == key]
            if len(fit) and np.isfinite(fit["decay_length"].iloc[0]):
                grid = np.linspace(group[x].min(), group[x].max(), 50)
                v0, length = fit["prefactor"].iloc[0], fit["decay_length"].iloc[0]
                ax.plot(
                    grid,
                    v0 * np.exp(-grid / length),
                    "--",
                    color=f"C{index}",
                    lw=1,
                    label=rf"fit $L_\phi$ = {length:.3g}",
                )
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(_AB_LABELS.get(x, x))
    ax.set_ylabel(y.replace("_", " "))
    if by or fits is not None:
        ax.legend(frameon=False, fontsize="small")
    return ax


def plot_reciprocity(frame: pd.DataFrame, *, ax=None):
    """R_{mn,kl}(φ), R_{mn,kl}(−φ) and R_{kl,mn}(−φ) (h/e²) from
    :func:`workflows.studies.four_terminal_reciprocity`: the first and last coincide."""
    ax = _axes(ax)
    ax.plot(frame["phi"], frame["R"], "-", lw=2, color="C0", label=r"$R_{mn,kl}(\phi)$")
    ax.plot(frame["phi"], frame["R_reciprocal"], "o", ms=4, color="C3", label=r"$R_{kl,mn}(-\phi)$")
    ax.plot(
        frame["phi"],
        frame["R_reversed_flux"],
        "--",
        lw=1.2,
        color="0.5",
        label=r"$R_{mn,kl}(-\phi)$",
    )
    ax.set_xlabel(flux_label(frame))
    ax.set_ylabel(r"$R$ ($h/e^2$)")
    ax.legend(frameon=False, fontsize="small")
    return ax
