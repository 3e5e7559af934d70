"""Hall and longitudinal resistances of the Hall bar, Hall and bend resistances of the cross.

All resistances are Büttiker four-terminal resistances R_{mn,kl} = (V_k − V_l)/I
(h/e²) computed from the conductance matrix with every other terminal floating
(:func:`workflows.four_terminal_resistance`).  Terminal indices follow the lead
order of the builders:

* :func:`systems.hall_bar`: 0 left, 1 right, 2 top_left, 3 top_right,
  4 bottom_left, 5 bottom_right;
* :func:`systems.cross`: 0 left, 1 right, 2 top, 3 bottom.

Extra terminals after these (e.g. dephasing probes attached later) float.

Sign convention.  The current I enters at the left lead and leaves at the right
one (along +x), and R_xy = (V_top − V_bottom)/I, the convention of the
resistivity tensor (ρ_xy = −E_y/j_x).  The Peierls phases of :mod:`systems`
make a counter-clockwise plaquette carry the phase +2πB, the coupling of a
charge +e to a field +B along z (equivalently: electrons in a field −B along z).
In this model carriers near the band bottom are therefore deflected to their
right for B > 0, the bottom edge charges up, and on a quantum Hall plateau

    R_xy = −sign(B) / ν  (h/e²),    R_xx = 0,

with ν the number of edge channels (open modes of a current lead).  R_xy is
odd in B, R_xx even (Onsager–Büttiker reciprocity and the mirror symmetry of a
clean bar).
"""

from __future__ import annotations

import concurrent.futures
import functools
import numbers
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import kwant
import numpy as np
import pandas as pd

from analysis.bias import SingularBiasError, _check_matrix, four_terminal_resistance
from systems.multiterminal import CROSS_LEADS, HALL_BAR_LEADS
from systems.parameters import (
    parameter_names,
    parameter_owners,
    resolve_params,
    updated_params,
)
from systems.validation import choice
from workflows.runs.options import RunOptions
from workflows.scattering.conductance import _check_system, conductance_matrix
from workflows.scattering.mode_counts import open_modes
from workflows.studies.study_runs import observable, run_study_grid, study_attrs

__all__ = [
    "bend_resistance",
    "cross_hall_resistance",
    "cross_resistance_scan",
    "cross_resistances",
    "hall_bar_resistances",
    "hall_resistance",
    "longitudinal_resistance",
    "quantum_hall_scan",
]

_BAR = {name: index for index, name in enumerate(HALL_BAR_LEADS)}
_CROSS = {name: index for index, name in enumerate(CROSS_LEADS)}


def _check_terminal_count(G, needed: int, geometry: str) -> np.ndarray:
    G = _check_matrix(G)
    if G.shape[0] < needed:
        raise ValueError(
            f"G has {G.shape[0]} terminals, but a {geometry} has {needed} "
            f"(lead order {HALL_BAR_LEADS if geometry == 'hall_bar' else CROSS_LEADS})"
        )
    return G


def hall_resistance(G, *, side: str = "left") -> float:
    """Hall resistance R_xy of a Hall bar, in h/e².

    R_xy = (V_top − V_bottom)/I with the current I from the left lead (0) to the
    right lead (1), measured across the left (2, 4) or right (3, 5) pair of
    side probes.  On a quantum Hall plateau R_xy = −sign(B)/ν (see the module
    docstring for the sign).

    Parameters
    ----------
    G
        Conductance matrix (e²/h) of :func:`systems.hall_bar` (6 terminals or more).
    side
        The pair of side probes: ``"left"`` (terminals 2, 4) or ``"right"``
        (terminals 3, 5).
    """
    G = _check_terminal_count(G, 6, "hall_bar")
    side = choice("side", side, ("left", "right"))
    return four_terminal_resistance(
        G,
        current=(_BAR["left"], _BAR["right"]),
        voltage=(_BAR[f"top_{side}"], _BAR[f"bottom_{side}"]),
    )


def longitudinal_resistance(G, *, edge: str = "top") -> float:
    """Longitudinal resistance R_xx of a Hall bar, in h/e².

    R_xx = (V_left probe − V_right probe)/I along the top (2, 3) or bottom
    (4, 5) edge, with the current I from the left lead (0) to the right lead (1):
    positive for an ordinary resistor, ≈ 0 on a quantum Hall plateau.

    Parameters
    ----------
    G
        Conductance matrix (e²/h) of :func:`systems.hall_bar` (6 terminals or more).
    edge
        ``"top"`` (terminals 2, 3) or ``"bottom"`` (terminals 4, 5).
    """
    G = _check_terminal_count(G, 6, "hall_bar")
    edge = choice("edge", edge, ("top", "bottom"))
    return four_terminal_resistance(
        G,
        current=(_BAR["left"], _BAR["right"]),
        voltage=(_BAR[f"{edge}_left"], _BAR[f"{edge}_right"]),
    )


def hall_bar_resistances(G) -> dict[str, float]:
    """All four Hall-bar resistances from one conductance matrix, in h/e².

    Returns
    -------
    dict
        ``R_xy`` (left probes 2, 4), ``R_xy_right`` (probes 3, 5), ``R_xx``
        (top edge 2, 3) and ``R_xx_bottom`` (bottom edge 4, 5).  The pairs
        agree in an ideal bar; their difference measures edge asymmetry.
    """
    G = _check_terminal_count(G, 6, "hall_bar")
    return {
        "R_xy": hall_resistance(G, side="left"),
        "R_xy_right": hall_resistance(G, side="right"),
        "R_xx": longitudinal_resistance(G, edge="top"),
        "R_xx_bottom": longitudinal_resistance(G, edge="bottom"),
    }


def cross_hall_resistance(G) -> float:
    """Hall resistance R_H of a four-terminal cross, in h/e².

    R_H = R_{01,23} = (V_top − V_bottom)/I with the current I from the left
    lead (0) to the right lead (1); the same sign convention as
    :func:`hall_resistance`.  Zero at B = 0 in a mirror-symmetric cross.

    Parameters
    ----------
    G
        Conductance matrix (e²/h) of :func:`systems.cross` (4 terminals or more).
    """
    G = _check_terminal_count(G, 4, "cross")
    return four_terminal_resistance(
        G, current=(_CROSS["left"], _CROSS["right"]), voltage=(_CROSS["top"], _CROSS["bottom"])
    )


def bend_resistance(G) -> float:
    """Bend resistance R_B of a four-terminal cross, in h/e².

    The current turns the corner: it enters at the left lead (0) and leaves
    at the top lead (2); the voltage is measured between the two other leads,
    R_B = R_{02,31} = (V_bottom − V_right)/I, the bottom lead being the
    neighbour of the source and the right lead that of the drain.  A diffusive
    junction gives R_B > 0; in a ballistic one, carriers shoot straight from
    the left into the right lead and raise its voltage: R_B < 0 (negative bend
    resistance).  For four terminals, Büttiker's formula reads
    R_B = (T_30 T_12 − T_32 T_10)/D, with T_ij the transmission from j to i.

    Parameters
    ----------
    G
        Conductance matrix (e²/h) of :func:`systems.cross` (4 terminals or more).
    """
    G = _check_terminal_count(G, 4, "cross")
    return four_terminal_resistance(
        G, current=(_CROSS["left"], _CROSS["top"]), voltage=(_CROSS["bottom"], _CROSS["right"])
    )


def cross_resistances(G) -> dict[str, float]:
    """Hall and bend resistance of a cross (h/e²) and the transmissions out of the left lead.

    Returns
    -------
    dict
        ``R_H`` (:func:`cross_hall_resistance`), ``R_B`` (:func:`bend_resistance`),
        and from the left lead (e²/h): ``T_straight`` (into the right lead),
        ``T_left_turn`` (into the top lead) and ``T_right_turn`` (into the bottom lead).
    """
    G = _check_terminal_count(G, 4, "cross")
    source = _CROSS["left"]
    return {
        "R_H": cross_hall_resistance(G),
        "R_B": bend_resistance(G),
        "T_straight": float(-G[_CROSS["right"], source]),
        "T_left_turn": float(-G[_CROSS["top"], source]),
        "T_right_turn": float(-G[_CROSS["bottom"], source]),
    }


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
    executor: concurrent.futures.Executor | None,
    store: str | os.PathLike | None,
    progress: bool,
    timeout: float | None,
) -> pd.DataFrame:
    _check_system(fsyst)
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
    point = functools.partial(field_energy_point, fsyst=fsyst, params=params, geometry=geometry)
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
        run=RunOptions(executor=executor, store=store, progress=progress, timeout=timeout),
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
    fsyst: kwant.system.FiniteSystem,
    fields: Iterable[float] | float,
    energies: Iterable[float] | float,
    *,
    params: Mapping[str, Any] | None = None,
    executor: concurrent.futures.Executor | None = None,
    store: str | os.PathLike | None = None,
    progress: bool = False,
    timeout: float | None = None,
) -> pd.DataFrame:
    """Hall and longitudinal resistance of a Hall bar over field and Fermi energy.

    A scan (:func:`workflows.scan`) over the outer product ``energies ×
    fields``: one conductance matrix and one lead mode count per point
    (:func:`field_energy_point`).

    Parameters
    ----------
    fsyst
        A finalized :func:`systems.hall_bar` (extra terminals after the six
        Hall-bar leads float).
    fields
        Values of ``B`` (flux per plaquette, h/e).
    energies
        Fermi energies (t).
    params
        Other fixed Kwant parameters (``V``, ``disorder``, ``salt``, ...);
        not ``B``.
    executor, store, progress, timeout
        How the points run (:func:`workflows.scan`): any executor (default:
        in this process, :class:`workflows.SerialExecutor`; pass e.g.
        :func:`workflows.process_pool` for large scans), a results store to
        persist and resume, a progress bar, a per-point time limit (s).

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
    return _field_energy_scan(
        fsyst,
        fields,
        energies,
        params,
        geometry="hall_bar",
        lead_names=HALL_BAR_LEADS,
        workflow="quantum_hall_scan",
        executor=executor,
        store=store,
        progress=progress,
        timeout=timeout,
    )


def cross_resistance_scan(
    fsyst: kwant.system.FiniteSystem,
    fields: Iterable[float] | float,
    energies: Iterable[float] | float,
    *,
    params: Mapping[str, Any] | None = None,
    executor: concurrent.futures.Executor | None = None,
    store: str | os.PathLike | None = None,
    progress: bool = False,
    timeout: float | None = None,
) -> pd.DataFrame:
    """Hall and bend resistance of a four-terminal cross over field and Fermi energy.

    Parameters
    ----------
    fsyst
        A finalized :func:`systems.cross`.
    fields
        Values of ``B`` (flux per plaquette, h/e).
    energies
        Fermi energies (t).
    params
        Other fixed Kwant parameters; not ``B``.
    executor, store, progress, timeout
        How the points run (:func:`workflows.scan`): any executor (default:
        in this process, :class:`workflows.SerialExecutor`; pass e.g.
        :func:`workflows.process_pool` for large scans), a results store to
        persist and resume, a progress bar, a per-point time limit (s).

    Returns
    -------
    pandas.DataFrame
        One row per (energy, B): ``energy``, ``B``, ``nu`` (open modes of the
        left lead), ``R_H``, ``R_B`` (h/e²), ``T_straight``, ``T_left_turn``,
        ``T_right_turn`` (e²/h, out of the left lead); see
        :func:`cross_resistances`.  ``attrs`` as for :func:`quantum_hall_scan`.
    """
    return _field_energy_scan(
        fsyst,
        fields,
        energies,
        params,
        geometry="cross",
        lead_names=CROSS_LEADS,
        workflow="cross_resistance_scan",
        executor=executor,
        store=store,
        progress=progress,
        timeout=timeout,
    )
