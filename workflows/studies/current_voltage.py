"""Finite-bias current–voltage characteristics from the Landauer formula.

I(V) = (e/h) ∫ 𝒯(E; V) [f_s(E) − f_d(E)] dE  between ``source`` and ``sink``,

with electrochemical potentials μ_s = μ + η eV and μ_d = μ − (1 − η) eV
(η = ``split``, default ½) and both reservoirs at k_B T.  Units: eV and μ in
t, the current in e·t/h (i.e. (e²/h) × (t/e)), dI/dV in e²/h.  Positive V
raises the source's electrochemical potential; the current counts electrons
flowing from source to sink (the electric current of electrons of charge −e
is its negative, as in :func:`workflows.solve_bias`).

Voltage-drop models (``drop``):

* ``"rigid"`` — the leads' distributions shift, the potential in the
  scattering region does not change: 𝒯(E; V) = 𝒯(E; 0).  Exact when the
  bias drops at the contacts (or for a screened, symmetric device at small V).
* ``"linear"`` — the potential energy drops linearly across the scattering
  region along x, from +ηeV at its first site (source side) to −(1 − η)eV at
  its last (sink side), added to the system's parameter ``V`` (mesoflow's
  builders: a number or a function of position), so that it matches the
  electrochemical potentials of the reservoirs; the leads keep their bands.
  Requires a system with a ``V`` parameter read as a potential of position.
* a callable ``drop(bias) -> dict`` — the user's own model: the returned
  parameters are merged into ``params`` at each bias (e.g. a gate or a
  self-consistent potential).

With more than two leads, the others float at every energy (as in
:mod:`workflows.studies.thermoelectric`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import kwant
import numpy as np
import pandas as pd

from analysis.energy_grid import window_grid
from analysis.heat import landauer_currents
from analysis.thermoelectric import landauer_moments
from systems.parameters import parameter_names, updated_params
from workflows.scattering.conductance import _check_energy, _check_system
from workflows.studies.thermoelectric import transmission_function

__all__ = ["iv_curve"]

#: Default error target of the adaptive grid (absolute, e²/h per interval).
DEFAULT_TOL = 1e-5


def _linear_drop(fsyst, base_potential, split: float) -> Callable[[float], dict]:
    positions = np.array([site.pos[0] for site in fsyst.sites])
    x0, x1 = float(positions.min()), float(positions.max())
    length = x1 - x0

    def drop(bias: float) -> dict:
        def potential(*pos):
            base = base_potential(*pos) if callable(base_potential) else base_potential
            fraction = (pos[0] - x0) / length if length > 0 else 0.5
            return base + bias * (split - fraction)

        return {"V": potential}

    return drop


def _two_terminal_matrix(values: np.ndarray) -> np.ndarray:
    g = np.zeros((values.size, 2, 2))
    g[:, 0, 0] = g[:, 1, 1] = values
    g[:, 0, 1] = g[:, 1, 0] = -values
    return g


def iv_curve(
    fsyst: kwant.system.FiniteSystem,
    mu: float,
    biases: Iterable[float],
    *,
    params: Mapping[str, Any] | None = None,
    temperature: float,
    source: int = 0,
    sink: int = 1,
    drop: str | Callable[[float], Mapping[str, Any]] = "rigid",
    split: float = 0.5,
    tol: float = DEFAULT_TOL,
) -> pd.DataFrame:
    """I(V) and dI/dV between two terminals at finite bias (see the module docstring).

    Parameters
    ----------
    fsyst
        A finalized Kwant system.
    mu
        Equilibrium chemical potential (t).
    biases
        eV values (t), any sign.
    params
        Kwant parameters (at zero bias).
    temperature
        k_B T of both reservoirs (t), > 0; use a small value for the T → 0 limit.
    source, sink
        Lead indices.
    drop
        ``"rigid"``, ``"linear"`` or a callable ``bias -> params update``.
    split
        Fraction η of the bias applied to the source (0 … 1).
    tol
        Error target of the adaptive energy grid(s).

    Returns
    -------
    pandas.DataFrame
        Columns ``bias`` (t/e), ``current`` (e·t/h), ``dIdV`` (e²/h); for the
        rigid model dI/dV = ∫ 𝒯 [η(−∂f_s/∂E) + (1 − η)(−∂f_d/∂E)] dE exactly,
        otherwise by finite differences of I(V) in order of increasing bias
        (sample densely).
    """
    _check_system(fsyst)
    mu = _check_energy(mu)
    biases = np.asarray([_check_energy(v) for v in np.atleast_1d(biases)], dtype=float)
    if np.unique(biases).size != biases.size:
        raise ValueError(f"biases must be distinct, got {biases.tolist()}")
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, numbers.Real)
        or not temperature > 0
    ):
        raise ValueError(f"temperature must be > 0 (k_B T in t), got {temperature!r}")
    if not (isinstance(split, numbers.Real) and 0 <= split <= 1):
        raise ValueError(f"split must be between 0 and 1, got {split!r}")
    params = updated_params(params, {})
    model = drop if isinstance(drop, str) else getattr(drop, "__name__", "custom")
    if drop == "linear":
        if "V" not in params and "V" not in _parameter_names(fsyst):
            raise ValueError(
                "drop='linear' adds a potential to the parameter 'V', which this system does not "
                "have; pass drop=callable(bias) -> params instead"
            )
        drop = _linear_drop(fsyst, params.get("V", 0.0), split)
    elif not (drop == "rigid" or callable(drop)):
        raise ValueError(f"drop must be 'rigid', 'linear' or a callable, got {drop!r}")

    mu_source = mu + split * biases
    mu_sink = mu - (1 - split) * biases
    rows = []
    if drop == "rigid":
        func = transmission_function(fsyst, params=params, source=source, sink=sink)
        windows = [(m, temperature) for m in np.concatenate([mu_source, mu_sink])]
        boxes = list(zip(mu_sink, mu_source, strict=True))
        energies, values = window_grid(func, windows, tol=tol, boxes=boxes)
        g = _two_terminal_matrix(values)
        for v, ms, md in zip(biases, mu_source, mu_sink, strict=True):
            current = landauer_currents(energies, g, [ms, md], [temperature, temperature])[0][0]
            didv = (
                split * landauer_moments(energies, values, ms, temperature, (0,))[0]
                + (1 - split) * landauer_moments(energies, values, md, temperature, (0,))[0]
            )
            rows.append((v, current, float(didv)))
    else:
        currents = []
        for v, ms, md in zip(biases, mu_source, mu_sink, strict=True):
            point_params = updated_params(params, dict(drop(float(v))))
            func = transmission_function(fsyst, params=point_params, source=source, sink=sink)
            energies, values = window_grid(
                func, [(ms, temperature), (md, temperature)], tol=tol, boxes=[(md, ms)]
            )
            g = _two_terminal_matrix(values)
            currents.append(
                landauer_currents(energies, g, [ms, md], [temperature, temperature])[0][0]
            )
        currents = np.array(currents)
        slopes = np.full(biases.size, np.nan)
        if biases.size > 1:  # differences in order of bias, put back in the caller's order
            order = np.argsort(biases)
            slopes[order] = np.gradient(currents[order], biases[order])
        rows = list(zip(biases, currents, slopes, strict=True))
    frame = pd.DataFrame(rows, columns=["bias", "current", "dIdV"])
    frame.attrs["units"] = {"bias": "t/e", "current": "e t/h", "dIdV": "e^2/h"}
    frame.attrs["drop"] = model
    return frame


def _parameter_names(fsyst) -> frozenset:
    names = parameter_names(fsyst)
    return names if names is not None else frozenset()
