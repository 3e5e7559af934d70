"""Finite-bias current–voltage characteristics from the Landauer formula.

I(V) = (e/h) ∫ 𝒯(E; V) [f_s(E) − f_d(E)] dE  between ``source`` and ``sink``,

with electrochemical potentials μ_s = μ + η eV and μ_d = μ − (1 − η) eV
(μ the Fermi energy ``energy``, η = ``split``, default ½) and both reservoirs
at k_B T.  Units: eV and μ in t, the current in e·t/h (i.e. (e²/h) × (t/e)),
dI/dV in e²/h.  Positive V raises the source's electrochemical potential;
the current counts electrons flowing from source to sink (the electric
current of electrons of charge −e is its negative, as in :func:`analysis.solve_bias`).

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
* ``"self-consistent"`` — the Hartree potential at each bias
  (:mod:`workflows.studies.self_consistent_bias`): ``electrostatics`` (a
  :class:`workflows.electrostatics.HartreeDevice`) names the contact gate of
  each lead, which moves with its reservoir, μ_l = E_F − eV_l, and the
  leads' bands move with them.  The only model here whose currents do not
  change when every voltage is shifted by a constant (Christen and Büttiker,
  Europhys. Lett. 35, 523 (1996)); the rigid and linear drops fix the
  potential in the device while the reservoirs move.  Each bias warm-starts
  from the nearest bias solved before in the same process.

With more than two leads, the others float at every energy (as in
:mod:`workflows.studies.thermoelectric`).

:func:`iv_curve` runs its biases through :func:`workflows.scan`
(:class:`IVPoint`): in the rigid model 𝒯(E) does not depend on the bias, so
all biases are one task on one shared adaptive energy grid (a run resumed
with only some biases pending puts those on their own grid: equal within
``tol``); in the other models every bias is its own point (its own 𝒯(E; V)
and grid).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.energy_grid import check_grid_settings, window_grid
from analysis.heat import landauer_currents
from analysis.thermoelectric import landauer_moments
from systems.parameters import parameter_names, updated_params
from systems.validation import check_system, real
from systems.validation import energy as check_energy
from workflows.electrostatics.hartree import HartreeDevice
from workflows.runs.options import RunOptions, run_options
from workflows.scattering.band_edges import GRID_NODE_SIDE
from workflows.studies.landauer_window import two_terminal_matrix, window_current
from workflows.studies.self_consistent_bias import SelfConsistentIVPoint
from workflows.studies.study_runs import (
    StudySystem,
    observable,
    run_study_grid,
    study_attrs,
    study_system,
)
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


@dataclass(frozen=True, eq=False)
class IVPoint:
    """Point function of :func:`iv_curve`: current (and, rigid, dI/dV) at one bias.

    In the rigid model (``drop`` None) it offers ``bias`` as its scan's
    ``sweep_axis``: all biases from one 𝒯(E) grid (:meth:`sweep_points`).
    Otherwise each bias is computed alone, with the parameters
    ``drop(bias)`` merged into ``params``.

    Attributes
    ----------
    fsyst, energy, params, temperature, source, sink, split, tol
        As for :func:`iv_curve`.
    drop
        None (rigid) or a callable ``bias -> params update``.
    """

    fsyst: StudySystem
    energy: float
    params: Mapping[str, Any]
    temperature: float
    source: int
    sink: int
    drop: Callable[[float], Mapping[str, Any]] | None
    split: float
    tol: float

    def __call__(self, *, bias: float) -> dict[str, float]:
        """``current`` (e·t/h) at one bias; also ``dIdV`` (e²/h) in the rigid model."""
        if self.drop is None:
            return self.sweep_points("bias", [bias])[0]
        ms = self.energy + self.split * bias
        md = self.energy - (1 - self.split) * bias
        point_params = updated_params(self.params, dict(self.drop(float(bias))))
        current = window_current(
            study_system(self.fsyst),
            point_params,
            self.source,
            self.sink,
            (ms, md),
            self.temperature,
            self.tol,
        )
        return {"current": current}

    def sweep_axis(self, axes: Mapping[str, list[Any]]) -> str | None:
        """``"bias"`` in the rigid model (one 𝒯(E) for every bias), else None."""
        return "bias" if self.drop is None and "bias" in axes else None

    def sweep_points(self, axis: str, values: list[float]) -> list[dict[str, float]]:
        """Rigid model: ``current`` and ``dIdV`` at every bias in ``values``, one 𝒯(E) grid."""
        if axis != "bias" or self.drop is not None:
            raise ValueError(f"IVPoint sweeps the bias of the rigid model, not {axis!r}")
        biases = np.asarray(values, dtype=float)
        mu_source = self.energy + self.split * biases
        mu_sink = self.energy - (1 - self.split) * biases
        theta = self.temperature
        func = transmission_function(
            study_system(self.fsyst),
            params=self.params,
            source=self.source,
            sink=self.sink,
            at_band_edge=GRID_NODE_SIDE,
        )
        windows = [(m, theta) for m in np.concatenate([mu_source, mu_sink])]
        boxes = list(zip(mu_sink, mu_source, strict=True))
        energies, transmission = window_grid(func, windows, tol=self.tol, boxes=boxes)
        g = two_terminal_matrix(transmission)
        results = []
        for ms, md in zip(mu_source, mu_sink, strict=True):
            current = landauer_currents(energies, g, [ms, md], [theta, theta])[0][0]
            didv = (
                self.split * landauer_moments(energies, transmission, ms, theta, (0,))[0]
                + (1 - self.split) * landauer_moments(energies, transmission, md, theta, (0,))[0]
            )
            results.append({"current": current, "dIdV": float(didv)})
        return results


def iv_curve(
    fsyst: StudySystem,
    energy: float,
    biases: Iterable[float],
    *,
    params: Mapping[str, Any] | None = None,
    temperature: float,
    source: int = 0,
    sink: int = 1,
    drop: str | Callable[[float], Mapping[str, Any]] = "rigid",
    split: float = 0.5,
    tol: float = DEFAULT_TOL,
    electrostatics: HartreeDevice | None = None,
    tolerance: float = 1e-6,
    run: RunOptions | None = None,
) -> pd.DataFrame:
    """I(V) and dI/dV between two terminals at finite bias (see the module docstring).

    Parameters
    ----------
    fsyst
        A finalized Kwant system. Or its :class:`workflows.SystemRecipe` (finalized once per
        worker).
    energy
        Fermi energy: the reservoirs' common chemical potential μ at zero
        bias (t).
    biases
        eV values (t), any sign, distinct.
    params
        Kwant parameters (at zero bias).
    temperature
        k_B T of both reservoirs (t), > 0; use a small value for the T → 0 limit.
    source, sink
        Lead indices.
    drop
        ``"rigid"``, ``"linear"``, ``"self-consistent"`` or a callable
        ``bias -> params update``.
    split
        Fraction η of the bias applied to the source (0 … 1).
    tol
        Error target of the adaptive energy grid(s); with ``drop="self-consistent"`` the
        absolute error of the current's quadrature (e·t/h).
    electrostatics
        ``drop="self-consistent"`` only: the
        :class:`workflows.electrostatics.HartreeDevice` of ``fsyst`` (its
        ``voltages`` are the zero-bias voltages; ``energy`` is then E_F, the
        electrochemical potential of a contact at 0 V).
    tolerance
        ``drop="self-consistent"`` only: the Hartree tolerance, eV.
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).  The rigid model is one task.

    Returns
    -------
    pandas.DataFrame
        Columns ``bias`` (t/e), ``current`` (e·t/h), ``dIdV`` (e²/h); for the
        rigid model dI/dV = ∫ 𝒯 [η(−∂f_s/∂E) + (1 − η)(−∂f_d/∂E)] dE exactly,
        otherwise by finite differences of I(V) in order of increasing bias
        (sample densely); self-consistent: also ``iterations`` (Hartree, per
        bias).  ``attrs``: ``units``, ``drop``, the scan's
        ``provenance``, ``failed`` and ``errors``.
    """
    run = run_options(run)
    system, fsyst = fsyst, study_system(fsyst)
    check_system(fsyst)
    energy = check_energy("energy", energy)
    biases = np.asarray([check_energy("energy", v) for v in np.atleast_1d(biases)], dtype=float)
    if np.unique(biases).size != biases.size:
        raise ValueError(f"biases must be distinct, got {biases.tolist()}")
    temperature = real("temperature", temperature, minimum=0, strict=True, hint="k_B T in t")
    split = real("split", split, minimum=0, maximum=1, hint="share of the bias on the source")
    params = updated_params(params, {})
    model = drop if isinstance(drop, str) else getattr(drop, "__name__", "custom")
    if drop == "linear":
        if "V" not in params and "V" not in _parameter_names(fsyst):
            raise ValueError(
                "drop='linear' adds a potential to the parameter 'V', which this system does not "
                "have; pass drop=callable(bias) -> params instead"
            )
        drop = _linear_drop(fsyst, params.get("V", 0.0), split)
    elif drop == "self-consistent":
        _check_device(electrostatics, fsyst)
        tolerance = real("tolerance", tolerance, minimum=0, strict=True, hint="eV")
    elif not (drop == "rigid" or callable(drop)):
        raise ValueError(
            f"drop must be 'rigid', 'linear', 'self-consistent' or a callable, got {drop!r}"
        )
    if electrostatics is not None and model != "self-consistent":
        raise ValueError("electrostatics= is for drop='self-consistent' only")
    tol, _, _ = check_grid_settings(tol)  # before any point
    if model == "self-consistent":
        zero = electrostatics.params(np.zeros(len(fsyst.sites)), electrostatics.voltages, params)
        transmission_function(fsyst, params=zero, source=source, sink=sink)  # checks
        point = SelfConsistentIVPoint(
            device=electrostatics,
            energy=energy,
            params=params,
            temperature=float(temperature),
            source=source,
            sink=sink,
            split=float(split),
            tol=tol,
            tolerance=tolerance,
        )
    else:
        transmission_function(fsyst, params=params, source=source, sink=sink)  # checks
        point = IVPoint(
            fsyst=system,
            energy=energy,
            params=params,
            temperature=float(temperature),
            source=source,
            sink=sink,
            drop=None if drop == "rigid" else drop,
            split=float(split),
            tol=tol,
        )
    table = run_study_grid(
        "iv_curve",
        point,
        {"bias": biases},
        settings={
            "energy": energy,
            "temperature": float(temperature),
            "params": params,
            "source": source,
            "sink": sink,
            "drop": model,
            "split": float(split),
            "tol": tol,
            **_device_settings(electrostatics, tolerance),
        },
        run=run,
    )
    currents = np.array([observable(table, "current", i) for i in range(len(table))], dtype=float)
    if model == "rigid":
        slopes = np.array([observable(table, "dIdV", i) for i in range(len(table))], dtype=float)
    else:
        slopes = np.full(biases.size, np.nan)
        if biases.size > 1:  # differences in order of bias, put back in the caller's order
            order = np.argsort(biases)
            slopes[order] = np.gradient(currents[order], biases[order])
    frame = pd.DataFrame({"bias": table["bias"].astype(float), "current": currents, "dIdV": slopes})
    if model == "self-consistent":
        frame["iterations"] = [observable(table, "iterations", i) for i in range(len(table))]
    frame.attrs.update(
        study_attrs(table, ["bias"], units={"bias": "t/e", "current": "e t/h", "dIdV": "e^2/h"}),
        drop=model,
    )
    return frame


def _check_device(device, fsyst) -> None:
    """``electrostatics`` of the self-consistent model: a HartreeDevice of ``fsyst``."""
    if not isinstance(device, HartreeDevice):
        raise TypeError(
            "drop='self-consistent' needs electrostatics=HartreeDevice(...), got "
            f"{type(device).__name__}"
        )
    if device.fsyst is not fsyst:
        raise ValueError("electrostatics.fsyst must be the system of the I-V curve")


def _device_settings(device, tolerance) -> dict:
    """The recorded settings of a self-consistent run (contacts, voltages, tolerance)."""
    if device is None:
        return {}
    return {
        "contacts": list(device.contacts),
        "voltages": dict(device.voltages),
        "potential": device.potential,
        "tolerance": float(tolerance),
    }


def _parameter_names(fsyst) -> frozenset:
    names = parameter_names(fsyst)
    return names if names is not None else frozenset()
