"""Dephasing probes, ballistic to Ohmic: R(L), coherence length, localization, probe potentials."""

from __future__ import annotations

import pandas as pd

from analysis.plots.canvas import _axes, _pyplot_axes

__all__ = [
    "plot_coherence_length",
    "plot_localization",
    "plot_probe_potential",
    "plot_resistance_vs_length",
]


def plot_resistance_vs_length(
    frame: pd.DataFrame,
    *,
    by: str = "eta",
    prediction: str | None = None,
    ax=None,
    label: str = r"$\eta = {:g}\,t$",
):
    """R (h/e²) against L, one curve per value of ``by``; a ``prediction`` column drawn dashed."""
    ax = _axes(ax)
    for value, group in frame.sort_values("length").groupby(by, sort=True):
        (line,) = ax.plot(group["length"], group["R"], "o", ms=3.5, label=label.format(value))
        if prediction is not None:
            ax.plot(group["length"], group[prediction], "--", lw=1, color=line.get_color())
    if prediction is not None:
        ax.plot([], [], "k--", lw=1, label="weak-coupling theory")
    ax.set_xlabel(r"length $L$ ($a$)")
    ax.set_ylabel(r"$R$ ($h/e^2$)")
    ax.legend(frameon=False, fontsize="small")
    return ax


def plot_coherence_length(
    frame: pd.DataFrame,
    *,
    x: str = "eta",
    y: str = "coherence_length",
    prediction: str | None = None,
    ax=None,
):
    """Fitted l_φ (a) against η on log–log axes, with an optional predicted column."""
    ax = _axes(ax)
    ax.loglog(frame[x], frame[y], "o", label=r"fit of $R(L)$")
    if prediction is not None:
        ax.loglog(frame[x], frame[prediction], "k--", lw=1, label=r"$\hbar v/\eta$")
    ax.set_xlabel(r"probe coupling $\eta$ ($t$)")
    ax.set_ylabel(r"$l_\varphi$ ($a$)")
    ax.legend(frameon=False)
    return ax


def plot_localization(frame: pd.DataFrame, *, axes=None):
    """Disorder averages against L: ⟨ln G⟩ (left) and ⟨R⟩ (right), one curve per η.

    ``frame`` is a :func:`workflows.localization_study` table; error bars are
    standard errors of the mean over disorder realizations.
    """
    if axes is None:
        axes = _pyplot_axes(1, 2, figsize=(8.5, 3.4))
    for eta, group in frame.groupby("eta", sort=True):
        stats = group.groupby("length").agg(
            log_G=("log_G", "mean"),
            log_G_err=("log_G", "sem"),
            R=("R", "mean"),
            R_err=("R", "sem"),
        )
        label = "coherent" if eta == 0 else rf"probes, $\eta = {eta:g}\,t$"
        axes[0].errorbar(
            stats.index, stats["log_G"], stats["log_G_err"], fmt="o-", ms=3, capsize=2, label=label
        )
        axes[1].errorbar(
            stats.index, stats["R"], stats["R_err"], fmt="o-", ms=3, capsize=2, label=label
        )
    axes[0].set_ylabel(r"$\langle \ln G \rangle$ ($G$ in $e^2/h$)")
    axes[1].set_ylabel(r"$\langle R \rangle$ ($h/e^2$)")
    axes[1].set_yscale("log")
    for ax in axes:
        ax.set_xlabel(r"length $L$ ($a$)")
        ax.legend(frameon=False, fontsize="small")
    return axes


def plot_probe_potential(frame: pd.DataFrame, *, prediction=None, ax=None):
    """Probe potentials μ against x: every probe (dots) and the cross-section average (line).

    The contacts are drawn at μ = 1 (left) and 0 (right), so the contact jumps
    show.  ``prediction`` is an optional array of μ at the sorted unique x (dashed).
    """
    ax = _axes(ax)
    first, last = frame["x"].min(), frame["x"].max()
    ax.plot([first - 3, first - 0.5], [1, 1], "k-", lw=3, label="contacts (left 1, right 0)")
    ax.plot([last + 0.5, last + 3], [0, 0], "k-", lw=3)
    ax.plot(frame["x"], frame["mu"], ".", color="0.7", ms=3, label="probes")
    average = frame.groupby("x")["mu"].mean()
    ax.plot(average.index, average.values, "-", lw=1.6, label="cross-section average")
    if prediction is not None:
        ax.plot(average.index, prediction, "k--", lw=1, label="weak-coupling theory")
    ax.set_xlabel(r"$x$ ($a$)")
    ax.set_ylabel(r"$\mu$ (units of the bias)")
    ax.legend(frameon=False, fontsize="small")
    return ax
