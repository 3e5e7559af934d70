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
  from the nearest bias solved before in the same process; with ``sweep``
  the biases are swept up and/or down in order, each direction reported
  separately (a ``direction`` column), so that a self-consistent state that
  depends on the history (the intrinsic bistability of a resonant-tunnelling
  diode: Goldman, Tsui and Cunningham, Phys. Rev. Lett. 58, 1256 (1987);
  disputed by Sollner, Phys. Rev. Lett. 59, 1622 (1987)) shows as a difference
  between the sweeps, logged and in ``attrs["hysteresis"]``.

With more than two leads, the others float at every energy (as in
:mod:`workflows.studies.thermoelectric`).

:func:`iv_curve` runs its biases through :func:`workflows.scan`
(:class:`IVPoint`): in the rigid model 𝒯(E) does not depend on the bias, so
all biases are one task on one shared adaptive energy grid (a run resumed
with only some biases pending puts those on their own grid: equal within
``tol``); in the other models every bias is its own point (its own 𝒯(E; V)
and grid).  The up- and down-sweeps of the self-consistent model are one task per
direction, solved in order (:mod:`workflows.studies.self_consistent_bias`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.energy_grid import check_grid_settings, window_grid
from analysis.heat import landauer_currents
from analysis.thermoelectric import landauer_moments
from systems.parameters import parameter_names, updated_params
from systems.validation import check_system, choice, real
from systems.validation import energy as check_energy
from workflows.electrostatics.hartree import HartreeDevice
from workflows.runs.options import RunOptions, run_options
from workflows.scattering.band_edges import GRID_NODE_SIDE
from workflows.studies.landauer_window import two_terminal_matrix, window_current
from workflows.studies.self_consistent_bias import SWEEP_DIRECTIONS, SelfConsistentIVPoint
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
#: The self-consistent potentials of the up- and down-sweeps at one bias count as two
#: solutions (bistability) when they differ by more than this many Hartree tolerances
#: somewhere: two converged iterates of one stable solution differ by about the tolerance
#: times the norm of the inverse Jacobian, of order one away from a turning point.
HYSTERESIS_FACTOR = 100.0
#: The ``sweep`` choices of :func:`iv_curve` and the directions each runs.
SWEEPS = {"up": ("up",), "down": ("down",), "both": SWEEP_DIRECTIONS}

logger = logging.getLogger(__name__)


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
    density_tol: float = 1e-10,
    sweep: str | None = None,
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
    density_tol
        ``drop="self-consistent"`` only: the error target of the density, electrons
        per orbital (:func:`workflows.electrostatics.hartree`; small enough that the
        Newton–Krylov Jacobian's finite differences are not noise).
    sweep
        ``drop="self-consistent"`` only: None (default: each bias its own point,
        warm-started from the nearest bias solved), ``"up"`` (solved in order of
        increasing bias, each from the previous), ``"down"`` (decreasing) or
        ``"both"`` (both sweeps, independently).
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).  The rigid model is one task.

    Returns
    -------
    pandas.DataFrame
        Columns ``bias`` (t/e), ``current`` (e·t/h), ``dIdV`` (e²/h); for the
        rigid model dI/dV = ∫ 𝒯 [η(−∂f_s/∂E) + (1 − η)(−∂f_d/∂E)] dE exactly,
        otherwise by finite differences of I(V) in order of increasing bias
        (sample densely; per direction with ``sweep``); self-consistent: also
        ``iterations`` (Hartree, per bias), ``residual`` (``max |U − U₀ − K n|``, eV),
        ``charge`` (electrons in the scattering region, Σ n), and at every site
        ``potential`` (U, eV) and ``density`` (electrons) as arrays; with ``sweep``
        a ``direction`` column (``"up"``/``"down"``, rows in grid order:
        direction, then increasing bias).  ``attrs``: ``units``, ``drop``, the
        scan's ``provenance``, ``failed`` and ``errors``; with ``sweep="both"``,
        ``hysteresis`` (per bias the largest ``|U_up − U_down|`` in eV and
        ``|I_up − I_down|``, and the biases where the potentials differ by more than
        ``HYSTERESIS_FACTOR`` × ``tolerance``: two self-consistent states).
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
        density_tol = real("density_tol", density_tol, minimum=0, strict=True, hint="per orbital")
    elif not (drop == "rigid" or callable(drop)):
        raise ValueError(
            f"drop must be 'rigid', 'linear', 'self-consistent' or a callable, got {drop!r}"
        )
    if electrostatics is not None and model != "self-consistent":
        raise ValueError("electrostatics= is for drop='self-consistent' only")
    choice("sweep", sweep, (None, *SWEEPS), hint="None: each bias alone")
    if sweep is not None:
        if model != "self-consistent":
            raise ValueError(
                f"sweep={sweep!r} is for drop='self-consistent' only: the imposed drops have "
                "no history, both directions would give the same currents"
            )
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
            density_tol=density_tol,
            biases=() if sweep is None else tuple(float(b) for b in biases),
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
    grid = {"bias": biases} if sweep is None else {"direction": SWEEPS[sweep], "bias": biases}
    table = run_study_grid(
        "iv_curve",
        point,
        grid,
        settings={
            "energy": energy,
            "temperature": float(temperature),
            "params": params,
            "source": source,
            "sink": sink,
            "drop": model,
            "split": float(split),
            "tol": tol,
            **_device_settings(electrostatics, tolerance, density_tol, sweep),
        },
        run=run,
    )
    currents = np.array([observable(table, "current", i) for i in range(len(table))], dtype=float)
    if model == "rigid":
        slopes = np.array([observable(table, "dIdV", i) for i in range(len(table))], dtype=float)
    else:
        slopes = _slopes(table["bias"].to_numpy(dtype=float), currents, table.get("direction"))
    frame = pd.DataFrame({"bias": table["bias"].astype(float), "current": currents, "dIdV": slopes})
    units = {"bias": "t/e", "current": "e t/h", "dIdV": "e^2/h"}
    parameters = ["bias"]
    if model == "self-consistent":
        for name in ("iterations", "residual", "charge", "potential", "density"):
            frame[name] = [observable(table, name, i) for i in range(len(table))]
        units.update(residual="eV", charge="electrons", potential="eV", density="electrons")
    if sweep is not None:
        frame.insert(0, "direction", table["direction"])
        parameters = ["direction", "bias"]
    frame.attrs.update(study_attrs(table, parameters, units=units), drop=model)
    if sweep == "both":
        frame.attrs["hysteresis"] = _hysteresis(frame, HYSTERESIS_FACTOR * tolerance)
    return frame


def _slopes(biases: np.ndarray, currents: np.ndarray, directions) -> np.ndarray:
    """dI/dV by finite differences in order of bias (within each direction), in row order."""
    slopes = np.full(biases.size, np.nan)
    groups = (
        [np.arange(biases.size)]
        if directions is None
        else [np.flatnonzero(directions.to_numpy() == d) for d in SWEEP_DIRECTIONS]
    )
    for rows in groups:
        if rows.size > 1:
            order = rows[np.argsort(biases[rows])]
            slopes[order] = np.gradient(currents[order], biases[order])
    return slopes


def _hysteresis(frame: pd.DataFrame, threshold: float) -> dict[str, Any]:
    """Where the up- and down-sweeps differ: |ΔU| (eV, largest over the sites) and |ΔI|.

    Reported (and logged), never asserted: whether a resonant-tunnelling diode is
    intrinsically bistable (Goldman, Tsui and Cunningham 1987) or its hysteresis comes
    from the circuit (Sollner 1987) is the physics' question, not the code's.
    """
    up = frame[frame["direction"] == "up"].set_index("bias")
    down = frame[frame["direction"] == "down"].set_index("bias")
    biases = sorted(up.index)
    potential, current = [], []
    for bias in biases:
        u_up, u_down = up.at[bias, "potential"], down.at[bias, "potential"]
        both = isinstance(u_up, np.ndarray) and isinstance(u_down, np.ndarray)
        potential.append(float(np.max(np.abs(u_up - u_down))) if both else np.nan)
        current.append(float(abs(up.at[bias, "current"] - down.at[bias, "current"])))
    bistable = [b for b, du in zip(biases, potential, strict=True) if du > threshold]
    if bistable:
        logger.info(
            "iv_curve: the up- and down-sweeps reach different self-consistent states "
            "(|U_up - U_down| > %.3g eV) at %d biases, %.6g to %.6g t/e",
            threshold,
            len(bistable),
            min(bistable),
            max(bistable),
        )
    else:
        logger.info("iv_curve: the up- and down-sweeps agree at every bias where both converged")
    return {
        "bias": [float(b) for b in biases],
        "potential_difference": potential,
        "current_difference": current,
        "threshold": threshold,
        "bistable": [float(b) for b in bistable],
    }


def _check_device(device, fsyst) -> None:
    """``electrostatics`` of the self-consistent model: a HartreeDevice of ``fsyst``."""
    if not isinstance(device, HartreeDevice):
        raise TypeError(
            "drop='self-consistent' needs electrostatics=HartreeDevice(...), got "
            f"{type(device).__name__}"
        )
    if device.fsyst is not fsyst:
        raise ValueError("electrostatics.fsyst must be the system of the I-V curve")


def _device_settings(device, tolerance, density_tol, sweep) -> dict:
    """The recorded settings of a self-consistent run (contacts, voltages, tolerances, sweep)."""
    if device is None:
        return {}
    return {
        "contacts": list(device.contacts),
        "voltages": dict(device.voltages),
        "potential": device.potential,
        "tolerance": float(tolerance),
        "density_tol": float(density_tol),
        "sweep": sweep,
    }


def _parameter_names(fsyst) -> frozenset:
    names = parameter_names(fsyst)
    return names if names is not None else frozenset()
