"""The one plotting module: figure recipes compose these small functions.

Every ``plot_*`` function draws on a given matplotlib ``Axes`` and returns it;
nothing is shown or saved here.  Figures are made in one of two ways:

* figures that are written to files (the demo, the figure gallery, TOML
  studies) are made by :func:`new_figure` (or the ``*_figure`` functions built
  on it): a plain :class:`matplotlib.figure.Figure`, not registered with
  pyplot, which ``savefig`` writes without a GUI backend — so nothing here
  switches the backend or leaves figures open in a user's session;
* called without ``ax`` in a notebook, a ``plot_*`` function opens a new
  pyplot figure, so that it is displayed inline as usual.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from systems.validation import choice

__all__ = [
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


# --- multi-terminal resistances (workflows.quantum_hall_scan, workflows.cross_resistance_scan)

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


# --- Aharonov–Bohm interference ------------------------------------------------------------

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


# --- Dephasing probes: ballistic to Ohmic transport -------------------------------------------


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


def plot_distribution_map(positions, energies, distribution, *, mu=None, ax=None):
    """The energy distribution f(x, E) along a device as a colour map (x horizontal, E vertical).

    Parameters
    ----------
    positions
        Position x of each site or cross-section (a), length n_x; sites with
        the same x are averaged.
    energies
        Energies (t), length n_E.
    distribution
        f_i(E), shape (n_E, n_x) (e.g. ``NonequilibriumDistribution.distribution``);
        NaN where no state lies (drawn blank).
    mu
        Reservoir chemical potentials (t), drawn as dashed lines.
    """
    ax = _axes(ax)
    positions = np.asarray(positions, dtype=float)
    values = np.asarray(distribution, dtype=float)
    xs, column = np.unique(positions, return_inverse=True)
    finite = np.isfinite(values)
    sums = np.zeros((values.shape[0], xs.size))
    counts = np.zeros_like(sums)
    for k in range(xs.size):  # mean over the sites at each x, ignoring NaN (no state)
        sums[:, k] = np.where(finite, values, 0.0)[:, column == k].sum(axis=1)
        counts[:, k] = finite[:, column == k].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns = np.where(counts > 0, sums / counts, np.nan)
    mesh = ax.pcolormesh(
        xs,
        np.asarray(energies, dtype=float),
        columns,
        shading="nearest",
        vmin=0,
        vmax=1,
        cmap="viridis",
    )
    ax.figure.colorbar(mesh, ax=ax, label=r"$f(x, E)$")
    for level in np.atleast_1d(mu if mu is not None else []):
        ax.axhline(level, color="w", ls="--", lw=0.8)
    ax.set_xlabel(r"$x$ ($a$)")
    ax.set_ylabel(r"$E$ ($t$)")
    return ax


def plot_conductance_matrix_map(
    bias, field, conductance, *, labels=("L", "R"), field_label=r"$E_Z$ ($t$)", axes=None
):
    """The local and non-local conductances G_ij(V, B) of a multi-terminal device as a grid
    of colour maps (bias horizontal, field vertical), one panel per matrix element.

    Parameters
    ----------
    bias
        Voltages eV (t), length n_V.
    field
        Field values (units of ``field_label``), length n_B.
    conductance
        G_ij, shape (n_B, n_V, N, N), e²/h (``conductance[b, v, i, j] = dI_i/dV_j``).
    labels
        Names of the N terminals, for the panel titles G_ij.
    field_label
        Label of the field axis.
    axes
        An N × N array of axes; default a new pyplot figure.

    Returns
    -------
    numpy.ndarray
        The N × N axes.  Every panel uses a diverging colour scale centred on zero
        (non-local conductances change sign).
    """
    values = np.asarray(conductance, dtype=float)
    n = values.shape[-1]
    if values.ndim != 4 or values.shape[-2] != n or len(labels) != n:
        raise ValueError(
            f"conductance must have shape (n_B, n_V, N, N) with N = len(labels) = "
            f"{len(labels)}, got shape {values.shape}"
        )
    if axes is None:
        axes = _pyplot_axes(n, n, figsize=(4.2 * n, 3.2 * n))
    axes = np.asarray(axes).reshape(n, n)
    for i in range(n):
        for j in range(n):
            ax = axes[i, j]
            panel = values[:, :, i, j]
            scale = max(float(np.nanmax(np.abs(panel))), 1e-12)
            mesh = ax.pcolormesh(
                np.asarray(bias, dtype=float),
                np.asarray(field, dtype=float),
                panel,
                shading="nearest",
                cmap="RdBu_r",
                vmin=-scale,
                vmax=scale,
            )
            ax.figure.colorbar(mesh, ax=ax, label=rf"$G_{{{labels[i]}{labels[j]}}}$ ($e^2/h$)")
            ax.set_xlabel(r"$eV$ ($t$)")
            ax.set_ylabel(field_label)
    return axes


# --- Maps over a system's shape: currents, densities, potentials, outline --------------------
#
# These take plain arrays (site positions, hopping index pairs, values), never a Kwant
# system: ``workflows`` turns a finalized system into those arrays.


def _map_grid(positions: np.ndarray, step: float | None):
    """A regular grid over the sites and, for each grid point, its nearest site and whether
    it lies outside the system.

    On a lattice whose sites all sit on a grid of the nearest-neighbour spacing (a square
    lattice) the grid is that one, so that each site is painted as exactly one cell;
    otherwise (e.g. a honeycomb lattice) a grid twice as fine is painted by nearest site.
    """
    from scipy.spatial import cKDTree

    positions = np.asarray(positions, dtype=float)[:, :2]
    tree = cKDTree(positions)
    if step is None:  # the nearest-neighbour distance (the lattice constant)
        distances, _ = tree.query(positions, k=2)
        step = float(np.median(distances[:, 1])) if len(positions) > 1 else 1.0
    lo, hi = positions.min(axis=0), positions.max(axis=0)
    offsets = (positions - lo) / step
    aligned = np.allclose(offsets, np.round(offsets), atol=1e-6)
    spacing = step if aligned else step / 2
    xs = np.arange(lo[0], hi[0] + spacing / 2, spacing)
    ys = np.arange(lo[1], hi[1] + spacing / 2, spacing)
    gx, gy = np.meshgrid(xs, ys)
    distance, nearest = tree.query(np.column_stack([gx.ravel(), gy.ravel()]))
    outside = (distance > (0.25 if aligned else 0.75) * step).reshape(gx.shape)
    return xs, ys, nearest.reshape(gx.shape), outside


def site_current_vectors(positions, hoppings, current) -> np.ndarray:
    """The current vector at every site from a map per directed hopping.

    For hopping (i, j) carrying J_ij from site j to site i, the vector
    J_ij (r_i − r_j)/|r_i − r_j| / 2 is added to site i; with both directions of
    every bond listed (J_ji = −J_ij), a uniform flow J along a chain gives J on
    every site.  Returns an (n_sites, 2) array in the unit of ``current``.
    """
    positions = np.asarray(positions, dtype=float)[:, :2]
    hoppings = np.asarray(hoppings, dtype=int).reshape(-1, 2)
    current = np.asarray(current, dtype=float)
    delta = positions[hoppings[:, 0]] - positions[hoppings[:, 1]]
    length = np.linalg.norm(delta, axis=1)
    length[length == 0] = 1.0
    contribution = 0.5 * current[:, None] * delta / length[:, None]
    vectors = np.zeros_like(positions)
    np.add.at(vectors, hoppings[:, 0], contribution)
    return vectors


def plot_site_map(
    positions,
    values,
    *,
    ax=None,
    cmap: str = "viridis",
    label: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    step: float | None = None,
):
    """A colour map of one value per site (density, potential) over the system's shape.

    Each site is painted as a square of the lattice spacing (nearest site on a
    fine grid; the outside of the system is left blank).  ``positions`` is
    (n_sites, 2) in lattice constants.
    """
    ax = _axes(ax)
    values = np.asarray(values, dtype=float)
    xs, ys, nearest, outside = _map_grid(positions, step)
    image = np.ma.masked_array(values[nearest], mask=outside | np.isnan(values[nearest]))
    mesh = ax.pcolormesh(xs, ys, image, cmap=cmap, vmin=vmin, vmax=vmax, shading="nearest")
    colorbar = ax.figure.colorbar(mesh, ax=ax, shrink=0.85)
    if label:
        colorbar.set_label(label)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$x$ ($a$)")
    ax.set_ylabel(r"$y$ ($a$)")
    return ax


def plot_current_map(
    positions,
    hoppings,
    current,
    *,
    ax=None,
    style: str = "streamlines",
    cmap: str = "inferno_r",
    label: str | None = r"$|j|$",
    step: float | None = None,
    density: float = 1.0,
):
    """Current over the system's shape: |j| as colour, direction as streamlines or arrows.

    Parameters
    ----------
    positions
        (n_sites, 2) site positions (lattice constants).
    hoppings
        (n, 2) site indices (i, j) of the directed hoppings of the map.
    current
        The current from j to i on each hopping (e.g. :func:`workflows.current_density`).
    style
        ``"streamlines"`` (line width ∝ |j|) or ``"arrows"`` (one arrow per site).
    """
    choice("style", style, ("streamlines", "arrows"))
    ax = _axes(ax)
    vectors = site_current_vectors(positions, hoppings, current)
    magnitude = np.linalg.norm(vectors, axis=1)
    plot_site_map(positions, magnitude, ax=ax, cmap=cmap, label=label, vmin=0, step=step)
    positions = np.asarray(positions, dtype=float)[:, :2]
    top = float(magnitude.max(initial=0.0))
    if top == 0:
        return ax
    if style == "arrows":
        shown = magnitude > 0.02 * top
        ax.quiver(
            *positions[shown].T, *vectors[shown].T, color="tab:blue", angles="xy", pivot="middle"
        )
        return ax
    xs, ys, nearest, outside = _map_grid(positions, step)
    speed = magnitude[nearest] / top
    hidden = outside | (speed < 0.02)  # no streamlines through (nearly) still regions
    u = np.ma.masked_array(vectors[nearest, 0], mask=hidden)
    v = np.ma.masked_array(vectors[nearest, 1], mask=hidden)
    ax.streamplot(
        xs,
        ys,
        u,
        v,
        color="tab:blue",
        linewidth=0.3 + 1.5 * speed,
        density=density,
        arrowsize=0.8,
    )
    return ax


def plot_outline(
    positions,
    terminals=None,
    *,
    probe_sites=None,
    ax=None,
    color: str = "0.8",
    show_sites: bool = True,
):
    """The system's sites with its leads and probes marked and labelled.

    Parameters
    ----------
    positions
        (n_sites, 2) site positions (lattice constants).
    terminals
        Mapping label -> (k, 2) positions of the sites a lead is attached to;
        each is marked and labelled outward from the system's centre.
    probe_sites
        (k, 2) positions of probe sites (e.g. dephasing probes), drawn as dots.
    show_sites
        Draw every site as a faint dot (False: only the labels, e.g. over a map).
    """
    ax = _axes(ax)
    positions = np.asarray(positions, dtype=float)[:, :2]
    if show_sites:
        ax.plot(*positions.T, ".", color=color, ms=2, zorder=1)
    centre = positions.mean(axis=0)
    label_points = []
    for number, (name, where) in enumerate((terminals or {}).items()):
        where = np.asarray(where, dtype=float).reshape(-1, 2)
        colour = f"C{number % 10}"
        ax.plot(*where.T, "s", color=colour, ms=3, zorder=3)
        middle = where.mean(axis=0)
        outward = middle - centre
        norm = np.linalg.norm(outward)
        offset = 2.5 * outward / norm if norm > 0 else np.zeros(2)
        label_points.append(middle + 1.6 * offset)
        ax.annotate(
            str(name),
            middle + offset,
            ha="center",
            va="center",
            color=colour,
            fontsize="small",
            weight="bold",
            annotation_clip=False,
        )
    if label_points:  # keep the labels inside the axes
        ax.update_datalim(np.asarray(label_points))
        ax.autoscale_view()
    if probe_sites is not None and len(probe_sites):
        probe_sites = np.asarray(probe_sites, dtype=float).reshape(-1, 2)
        ax.plot(*probe_sites.T, "o", mfc="none", color="tab:purple", ms=3, label="probes", zorder=2)
        ax.legend(frameon=False, fontsize="small", loc="upper right")
    ax.set_aspect("equal")
    ax.set_xlabel(r"$x$ ($a$)")
    ax.set_ylabel(r"$y$ ($a$)")
    return ax
