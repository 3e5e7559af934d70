"""Aharonov–Bohm harmonics: Fourier components of a quantity periodic in the flux, visibilities.

Convention.  A quantity X(φ) measured at fluxes φ (in h/e) is modelled as

    X(φ) = X₀ + Σ_n A_n cos(2πnφ + θ_n),   A_n >= 0,

so the order n = 1 is the h/e oscillation and n = 2 the h/2e (Altshuler–
Aronov–Spivak) oscillation.  The coefficients come from a linear least-squares
fit of X₀, a_n cos(2πnφ) and b_n sin(2πnφ) to the samples, which works on any
flux grid (uniform or not) that determines them; A_n = √(a_n² + b_n²) and
θ_n = atan2(−b_n, a_n).  On a uniform grid covering whole periods the fit is the
discrete Fourier transform, so the orders not fitted do not leak into those that
are (unless they alias onto them).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from systems.validation import flux_period, integer

__all__ = [
    "FluxHarmonics",
    "VisibilityDecayFit",
    "decay_lengths",
    "ensemble_harmonics",
    "flux_harmonics",
    "visibility",
    "visibility_decay_length",
]


@dataclass(frozen=True)
class FluxHarmonics:
    """Fourier components X(φ) = X₀ + Σ_n A_n cos(2πnφ + θ_n) of a flux-periodic quantity.

    The per-order fields are mappings keyed by the harmonic order n (1 = h/e,
    2 = h/2e, ...), in the order the orders were requested, so that
    ``harmonics.amplitude[2]`` is the h/2e amplitude whichever orders were fitted.

    Attributes
    ----------
    mean
        X₀, in the unit of X (e.g. e²/h for a conductance).
    amplitude
        {n: A_n}, A_n >= 0, in the unit of X.
    phase
        {n: θ_n} in radians, in (−π, π]; θ_n ∈ {0, π} for a two-terminal
        conductance (phase rigidity).
    visibility
        {n: A_n / |X₀|}, the harmonic visibility (dimensionless; NaN if X₀ = 0).
    residual
        Root-mean-square deviation of the samples from the fit, in the unit of
        X (non-zero when other harmonics or noise are present).
    """

    mean: float
    amplitude: Mapping[int, float]
    phase: Mapping[int, float]
    visibility: Mapping[int, float]
    residual: float

    @property
    def orders(self) -> tuple[int, ...]:
        """The fitted harmonic orders n, as requested."""
        return tuple(self.amplitude)


@dataclass(frozen=True)
class VisibilityDecayFit:
    """Exponential fit v(L) = v₀ exp(−L / L_φ) of visibilities against a length.

    Attributes
    ----------
    decay_length
        L_φ in the unit of the lengths (lattice constants for mesoflow's rings);
        inf if v does not decay.
    prefactor
        v₀, the visibility extrapolated to L = 0 (dimensionless).
    log_residual
        Root-mean-square deviation of ln v from the fitted line (dimensionless).
    """

    decay_length: float
    prefactor: float
    log_residual: float


def _check_orders(orders: Iterable[int]) -> tuple[int, ...]:
    try:
        orders = tuple(orders)
    except TypeError:
        raise TypeError(f"orders must be a sequence of positive integers, got {orders!r}") from None
    orders = tuple(
        integer(f"orders[{i}]", n, minimum=1, hint="1 = h/e, 2 = h/2e")
        for i, n in enumerate(orders)
    )
    if not orders or len(set(orders)) != len(orders):
        raise ValueError(f"orders must be a non-empty sequence without repeats, got {orders!r}")
    return orders


def flux_harmonics(
    flux, values, orders: Iterable[int] = (1, 2), *, period: float = 1.0
) -> FluxHarmonics:
    """Mean, amplitudes and phases of the flux harmonics of X(φ) (least squares).

    Parameters
    ----------
    flux
        Fluxes φ, any grid (1D array of n points), in the unit of ``period``:
        h/e with the default period 1 (mesoflow's systems), or the system's own
        unit (e.g. radians with ``period=2*numpy.pi``).
    values
        X(φ) at those fluxes, e.g. a conductance in e²/h (1D array of n).
    orders
        Harmonic orders n to fit: 1 for h/e, 2 for h/2e, ...
    period
        The flux period of the order-1 (h/e) harmonic, in the unit of ``flux``.

    Returns
    -------
    FluxHarmonics
        X₀ (``mean``), and per order n: A_n (``amplitude[n]``, unit of X), θ_n
        (``phase[n]``, radians) and A_n / |X₀| (``visibility[n]``); the rms
        deviation of the samples from the fit (``residual``).

    Raises
    ------
    ValueError
        If the arrays do not match, contain NaN, or the grid does not
        determine the requested harmonics (too few distinct fluxes, or
        aliasing, e.g. 4 points per period for n = 2).
    """
    period = flux_period("period", period)
    phi = np.asarray(flux, dtype=float)
    x = np.asarray(values, dtype=float)
    if phi.ndim != 1 or phi.shape != x.shape:
        raise ValueError(
            f"flux and values must be 1D arrays of the same length, got shapes {phi.shape} "
            f"and {x.shape}"
        )
    if not (np.all(np.isfinite(phi)) and np.all(np.isfinite(x))):
        raise ValueError("flux and values must be finite (no NaN or infinity)")
    orders = _check_orders(orders)
    phi = phi / period
    columns = [np.ones_like(phi)]
    for n in orders:
        columns += [np.cos(2 * np.pi * n * phi), np.sin(2 * np.pi * n * phi)]
    design = np.stack(columns, axis=1)
    n_unknowns = design.shape[1]
    if phi.size < n_unknowns or np.linalg.matrix_rank(design) < n_unknowns:
        raise ValueError(
            f"the flux grid ({phi.size} points, {np.unique(phi).size} distinct) does not "
            f"determine the harmonics {orders}: it needs at least {n_unknowns} fluxes that "
            "do not alias these orders onto each other (e.g. a uniform grid over one period "
            f"with more than {2 * max(orders)} points)"
        )
    coefficients, *_ = np.linalg.lstsq(design, x, rcond=None)
    mean = float(coefficients[0])
    amplitude, phase = {}, {}
    for k, n in enumerate(orders):
        a, b = coefficients[1 + 2 * k], coefficients[2 + 2 * k]
        amplitude[n] = float(np.hypot(a, b))
        phase[n] = float(np.arctan2(-b, a))
    residual = float(np.sqrt(np.mean((design @ coefficients - x) ** 2)))
    return FluxHarmonics(
        mean=mean,
        amplitude=amplitude,
        phase=phase,
        visibility={n: amplitude[n] / abs(mean) if mean else float("nan") for n in orders},
        residual=residual,
    )


def visibility(values) -> float:
    """Extremal visibility (X_max − X_min) / (X_max + X_min) of an interference trace.

    This is the textbook fringe contrast: for X = X₀ + A cos(2πφ + θ) sampled at
    its extrema it equals the harmonic visibility A/X₀ of :func:`flux_harmonics`;
    with higher harmonics or noise the two differ (the extremal one includes them).

    Parameters
    ----------
    values
        X(φ) >= 0 over at least one period (e.g. a conductance in e²/h).
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)):
        raise ValueError(f"values must be a finite 1D array of >= 2 samples, got shape {x.shape}")
    high, low = float(x.max()), float(x.min())
    if low < -1e-12 * max(1.0, abs(high)):  # allow rounding below zero
        raise ValueError(f"the extremal visibility needs values >= 0, got a minimum of {low}")
    return (high - low) / (high + low) if high + low > 0 else float("nan")


def visibility_decay_length(lengths, visibilities) -> VisibilityDecayFit:
    """Fit v(L) = v₀ exp(−L / L_φ) to visibilities against a length (least squares in log v).

    Parameters
    ----------
    lengths
        Lengths L (e.g. the arm length of a ring), in lattice constants.
    visibilities
        Visibilities > 0 at those lengths.

    Returns
    -------
    VisibilityDecayFit
        L_φ (``decay_length``, unit of ``lengths``; inf if v does not decay),
        v₀ (``prefactor``) and the rms deviation of ln v from the fit
        (``log_residual``).
    """
    length = np.asarray(lengths, dtype=float)
    v = np.asarray(visibilities, dtype=float)
    if length.ndim != 1 or length.shape != v.shape or np.unique(length).size < 2:
        raise ValueError(
            "lengths and visibilities must be 1D arrays of the same length with at least two "
            f"distinct lengths, got shapes {length.shape} and {v.shape}"
        )
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise ValueError(f"visibilities must be finite and > 0 for a log fit, got {v}")
    slope, intercept = np.polyfit(length, np.log(v), 1)
    residual = float(np.sqrt(np.mean((slope * length + intercept - np.log(v)) ** 2)))
    return VisibilityDecayFit(
        # no decay (to rounding) across the lengths: L_φ = inf
        decay_length=float(-1.0 / slope) if -slope * np.ptp(length) > 1e-12 else float("inf"),
        prefactor=float(np.exp(intercept)),
        log_residual=residual,
    )


def decay_lengths(
    frame: pd.DataFrame,
    *,
    by: str = "eta",
    length: str = "arm_length",
    visibility: str = "relative_visibility",
) -> pd.DataFrame:
    """:func:`visibility_decay_length` of ``visibility`` against ``length``, per value of ``by``.

    Parameters
    ----------
    frame
        A tidy table, e.g. from :func:`workflows.visibility_vs_dephasing`.
    by, length, visibility
        Column names: the grouping parameter, the length and the visibility.

    Returns
    -------
    pandas.DataFrame
        One row per value of ``by``: ``by``, ``decay_length`` (same unit as
        ``length``; inf without decay), ``prefactor`` and ``log_residual``.
    """
    missing = [c for c in (by, length, visibility) if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the column(s) {missing}; it has {list(frame.columns)}")
    rows = []
    for key, group in frame.groupby(by, sort=True):
        fit = visibility_decay_length(group[length].to_numpy(), group[visibility].to_numpy())
        rows.append({by: key, **dataclasses.asdict(fit)})
    return pd.DataFrame(rows)


def ensemble_harmonics(
    frame: pd.DataFrame,
    *,
    sample: str = "salt",
    flux: str = "phi",
    value: str = "G",
    orders: Iterable[int] = (1, 2),
) -> pd.DataFrame:
    """Flux harmonics of single samples against those of the ensemble-averaged trace.

    For an ensemble of disordered rings the h/e harmonic has a random phase from
    sample to sample and its amplitude in the averaged trace falls like
    N^(−1/2) with the number N of samples, whereas the h/2e (Altshuler–Aronov–
    Spivak) harmonic has the same phase in every sample and survives averaging.

    Parameters
    ----------
    frame
        Tidy table with one row per (sample, flux), e.g. from
        :func:`workflows.disorder_ensemble`; every sample on the same flux grid.
    sample, flux, value
        Column names of the sample label, the flux (h/e) and the observable.
    orders
        Harmonic orders, as in :func:`flux_harmonics`.

    Returns
    -------
    pandas.DataFrame
        Two rows, ``trace`` = ``"single sample (rms)"`` (root mean square over
        the samples of each sample's amplitude; mean of the means) and
        ``"ensemble average"`` (harmonics of the averaged trace).  Columns
        ``mean``, ``A<n>`` for each order, ``phase<n>`` (ensemble average only;
        radians, see :func:`flux_harmonics`) and, with at least two orders,
        ``ratio`` = A_{orders[1]} / A_{orders[0]}.  ``attrs["n_samples"]`` holds N.
    """
    orders = _check_orders(orders)
    missing = [c for c in (sample, flux, value) if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the column(s) {missing}; it has {list(frame.columns)}")
    table = frame.pivot_table(index=sample, columns=flux, values=value, aggfunc="mean")
    if table.isna().to_numpy().any():
        raise ValueError("every sample must be given on the same flux grid (some are missing)")
    phi = table.columns.to_numpy(dtype=float)
    traces = table.to_numpy(dtype=float)
    singles = [flux_harmonics(phi, trace, orders) for trace in traces]
    average = flux_harmonics(phi, traces.mean(axis=0), orders)
    single_row = {
        "trace": "single sample (rms)",
        "mean": float(np.mean([h.mean for h in singles])),
    }
    average_row = {"trace": "ensemble average", "mean": average.mean}
    for n in orders:
        single_row[f"A{n}"] = float(np.sqrt(np.mean([h.amplitude[n] ** 2 for h in singles])))
        average_row[f"A{n}"] = average.amplitude[n]
        single_row[f"phase{n}"] = float("nan")
        average_row[f"phase{n}"] = average.phase[n]
    if len(orders) >= 2:
        for row in (single_row, average_row):
            row["ratio"] = row[f"A{orders[1]}"] / row[f"A{orders[0]}"]
    result = pd.DataFrame([single_row, average_row])
    result.attrs["n_samples"] = int(traces.shape[0])
    return result
