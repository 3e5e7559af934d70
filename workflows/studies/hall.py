"""Hall-bar and cross studies: the four-terminal resistances over field and energy.

:func:`quantum_hall_scan` and :func:`cross_resistance_scan` solve the conductance
matrix of :func:`systems.hall_bar` or :func:`systems.cross` at each point and
read the resistances off it with :mod:`analysis.resistances` (Büttiker algebra
on G: lead order, sign convention and the quantum Hall plateaus
R_xy = −sign(B)/ν are documented there).
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import kwant
import numpy as np
import pandas as pd

from analysis.bias import SingularBiasError
from analysis.resistances import cross_resistances, hall_bar_resistances
from systems.multiterminal import CROSS_LEADS, HALL_BAR_LEADS
from systems.parameters import (
    parameter_names,
    parameter_owners,
    resolve_params,
    updated_params,
)
from systems.validation import check_system
from workflows.runs.options import RunOptions, run_options
from workflows.scattering.conductance import conductance_matrix
from workflows.scattering.mode_counts import open_modes
from workflows.studies.study_runs import (
    StudySystem,
    observable,
    run_study_grid,
    study_attrs,
    study_system,
)

__all__ = [
    "cross_resistance_scan",
    "quantum_hall_scan",
]

_CROSS = {name: index for index, name in enumerate(CROSS_LEADS)}


# ---------------------------------------------------------------------------------------
# scans over field and energy


def _real_values(name: str, values: Any) -> np.ndarray:
    if isinstance(values, numbers.Real) and not isinstance(values, bool):
        values = [values]
    try:
        array = np.asarray(list(values), dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a real number or an iterable of them, got {values!r}"
        ) from None
    if array.ndim != 1 or array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be a non-empty list of finite real numbers, got {values!r}")
    return array


def _hall_observables(G: np.ndarray) -> dict[str, float]:
    """The Hall-bar resistances of one point; NaN where the bias problem is singular."""
    try:
        return hall_bar_resistances(G)
    except SingularBiasError:
        return dict.fromkeys(_COLUMNS["hall_bar"], np.nan)


def _cross_observables(G: np.ndarray) -> dict[str, float]:
    """The cross resistances and transmissions of one point; R NaN where singular."""
    try:
        return cross_resistances(G)
    except SingularBiasError:
        source = _CROSS["left"]
        return {
            "R_H": np.nan,
            "R_B": np.nan,
            "T_straight": float(-G[_CROSS["right"], source]),
            "T_left_turn": float(-G[_CROSS["top"], source]),
            "T_right_turn": float(-G[_CROSS["bottom"], source]),
        }


_COLUMNS = {
    "hall_bar": ("R_xy", "R_xy_right", "R_xx", "R_xx_bottom"),
    "cross": ("R_H", "R_B", "T_straight", "T_left_turn", "T_right_turn"),
}

_OBSERVABLES: dict[str, Callable[[np.ndarray], dict[str, float]]] = {
    "hall_bar": _hall_observables,
    "cross": _cross_observables,
}


def field_energy_point(
    *,
    fsyst: kwant.system.FiniteSystem,
    params: Mapping[str, Any],
    geometry: str,
    energy: float,
    B: float,
) -> dict[str, float]:
    """Point function of :func:`quantum_hall_scan` and :func:`cross_resistance_scan`.

    Parameters
    ----------
    fsyst
        The finalized Hall bar or cross.
    params
        The fixed Kwant parameters (not ``B``).
    geometry
        ``"hall_bar"`` or ``"cross"``: which resistances to compute.
    energy, B
        Fermi energy (t) and field (the system's ``B``) of the point.

    Returns
    -------
    dict
        ``nu`` (open modes of lead 0) and the geometry's resistances
        (:func:`hall_bar_resistances` or :func:`cross_resistances`).
    """
    point = updated_params(params, {"B": float(B)})
    fsyst = study_system(fsyst)
    G = conductance_matrix(fsyst, float(energy), params=point)
    nu = open_modes(fsyst, float(energy), lead=0, params=point)
    return {"nu": nu, **_OBSERVABLES[geometry](G)}


def _field_energy_scan(
    fsyst: kwant.system.FiniteSystem,
    fields: Iterable[float] | float,
    energies: Iterable[float] | float,
    params: Mapping[str, Any] | None,
    *,
    geometry: str,
    lead_names: tuple[str, ...],
    workflow: str,
    run: RunOptions,
) -> pd.DataFrame:
    system, fsyst = fsyst, study_system(fsyst)
    check_system(fsyst)
    if len(fsyst.leads) < len(lead_names):
        raise ValueError(
            f"fsyst has {len(fsyst.leads)} leads, but a {geometry} has {len(lead_names)} "
            f"(lead order {lead_names})"
        )
    fields = _real_values("fields", fields)
    energies = _real_values("energies", energies)
    owners = parameter_owners(fsyst)
    own_field = owners.mesoflow.get("B") == "B" and "B" not in owners.user
    field_unit = "h/e per plaquette" if own_field else "units of the system's 'B'"
    params = updated_params(params, {})
    if "B" in params:
        raise ValueError(
            f"params contains B={params['B']!r}, but the field is scanned: give it in fields"
        )
    known = parameter_names(fsyst)
    if known is not None and "B" not in known:
        raise ValueError(
            f"this system has no field parameter 'B' (its parameters are {sorted(known)})"
        )
    resolved = resolve_params(
        fsyst, updated_params(params, {"B": fields[0]})
    )  # checks names before solving
    fixed = {name: value for name, value in resolved.items() if name != "B"}
    point = functools.partial(field_energy_point, fsyst=system, params=params, geometry=geometry)
    table = run_study_grid(
        workflow,
        point,
        {"energy": energies, "B": fields},
        settings={
            "geometry": geometry,
            "lead_order": list(lead_names),
            "params": fixed,
            "fields": fields,
            "energies": energies,
        },
        run=run,
    )
    names = ["nu", *_COLUMNS[geometry]]
    frame = pd.DataFrame(
        {
            "energy": table["energy"].astype(float),
            "B": table["B"].astype(float),
            **{name: [observable(table, name, i) for i in range(len(table))] for name in names},
        }
    )
    frame.attrs.update(
        study_attrs(
            table,
            ["energy", "B"],
            geometry=geometry,
            lead_order=list(lead_names),
            nu="open modes of lead 0 (left current lead) at (energy, B)",
            units={
                "energy": "t",
                "B": field_unit,
                "resistances": "h/e^2",
                "transmissions": "e^2/h",
            },
        )
    )
    return frame


def quantum_hall_scan(
    fsyst: StudySystem,
    fields: Iterable[float] | float,
    energies: Iterable[float] | float,
    *,
    params: Mapping[str, Any] | None = None,
    run: RunOptions | None = None,
) -> pd.DataFrame:
    """Hall and longitudinal resistance of a Hall bar over field and Fermi energy.

    A scan (:func:`workflows.scan`) over the outer product ``energies ×
    fields``: one conductance matrix and one lead mode count per point
    (:func:`field_energy_point`).

    Parameters
    ----------
    fsyst
        A finalized :func:`systems.hall_bar` (extra terminals after the six
        Hall-bar leads float). Or its :class:`workflows.SystemRecipe` (finalized once per worker).
    fields
        Values of ``B`` (flux per plaquette, h/e).
    energies
        Fermi energies (t).
    params
        Other fixed Kwant parameters (``V``, ``disorder``, ``salt``, ...);
        not ``B``.
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).

    Returns
    -------
    pandas.DataFrame
        One row per (energy, B): ``energy``, ``B``, ``nu`` (open modes of the
        left current lead: the filling, number of edge channels),
        ``R_xy``, ``R_xy_right``, ``R_xx``, ``R_xx_bottom`` (h/e², see
        :func:`hall_bar_resistances`; NaN where a probe has no open channel and
        the resistance is undefined).  On a plateau R_xy = −sign(B)/ν and
        R_xx = 0.  ``attrs``: the scan's ``provenance`` (its ``study`` entry
        holds the fixed parameters and the grid), ``failed``, ``errors``, and
        ``geometry``, ``lead_order``, ``units``.
    """
    run = run_options(run)
    return _field_energy_scan(
        fsyst,
        fields,
        energies,
        params,
        geometry="hall_bar",
        lead_names=HALL_BAR_LEADS,
        workflow="quantum_hall_scan",
        run=run,
    )


def cross_resistance_scan(
    fsyst: StudySystem,
    fields: Iterable[float] | float,
    energies: Iterable[float] | float,
    *,
    params: Mapping[str, Any] | None = None,
    run: RunOptions | None = None,
) -> pd.DataFrame:
    """Hall and bend resistance of a four-terminal cross over field and Fermi energy.

    Parameters
    ----------
    fsyst
        A finalized :func:`systems.cross`. Or its :class:`workflows.SystemRecipe` (finalized
        once per worker).
    fields
        Values of ``B`` (flux per plaquette, h/e).
    energies
        Fermi energies (t).
    params
        Other fixed Kwant parameters; not ``B``.
    run
        How the points run: :class:`workflows.runs.options.RunOptions` (default: in
        this process, no progress bar).

    Returns
    -------
    pandas.DataFrame
        One row per (energy, B): ``energy``, ``B``, ``nu`` (open modes of the
        left lead), ``R_H``, ``R_B`` (h/e²), ``T_straight``, ``T_left_turn``,
        ``T_right_turn`` (e²/h, out of the left lead); see
        :func:`cross_resistances`.  ``attrs`` as for :func:`quantum_hall_scan`.
    """
    run = run_options(run)
    return _field_energy_scan(
        fsyst,
        fields,
        energies,
        params,
        geometry="cross",
        lead_names=CROSS_LEADS,
        workflow="cross_resistance_scan",
        run=run,
    )
