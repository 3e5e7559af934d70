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

import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import kwant
import numpy as np
import pandas as pd

from analysis.bias import SingularBiasError, _check_matrix, four_terminal_resistance
from analysis.modes import open_modes
from systems.multiterminal import CROSS_LEADS, HALL_BAR_LEADS
from systems.parameters import (
    SharedParams,
    parameter_names,
    parameter_owners,
    resolve_params,
    updated_params,
)
from workflows.runs.environment import environment_info
from workflows.scattering.conductance import _check_system, conductance_matrix

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


def _choice(name: str, value: str, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise ValueError(f"{name}={value!r} is not one of {valid}")
    return value


def hall_resistance(G, *, probes: str = "left") -> float:
    """Hall resistance R_xy of a Hall bar, in h/e².

    R_xy = (V_top − V_bottom)/I with the current I from the left lead (0) to the
    right lead (1), measured across the left (2, 4) or right (3, 5) pair of
    side probes.  On a quantum Hall plateau R_xy = −sign(B)/ν (see the module
    docstring for the sign).

    Parameters
    ----------
    G
        Conductance matrix (e²/h) of :func:`systems.hall_bar` (6 terminals or more).
    probes
        ``"left"`` (terminals 2, 4) or ``"right"`` (terminals 3, 5).
    """
    G = _check_terminal_count(G, 6, "hall_bar")
    side = _choice("probes", probes, ("left", "right"))
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
    edge = _choice("edge", edge, ("top", "bottom"))
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
        "R_xy": hall_resistance(G, probes="left"),
        "R_xy_right": hall_resistance(G, probes="right"),
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


def _describe(value: Any) -> Any:
    """A plain, printable form of a parameter value for provenance (functions by name)."""
    if callable(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}"
    if isinstance(value, np.generic):
        return value.item()
    return value


def _field_energy_scan(
    fsyst: kwant.system.FiniteSystem,
    fields: Iterable[float] | float,
    energies: Iterable[float] | float,
    params: Mapping[str, Any] | None,
    *,
    geometry: str,
    lead_names: tuple[str, ...],
    observe: Callable[[np.ndarray], dict[str, float]],
    workflow: str,
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
    params = params if isinstance(params, SharedParams) else dict(params or {})
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
    fixed = {name: _describe(value) for name, value in resolved.items() if name != "B"}

    rows = []
    for energy in energies:
        for field in fields:
            point = updated_params(params, {"B": float(field)})
            G = conductance_matrix(fsyst, float(energy), point)
            nu = open_modes(fsyst, 0, float(energy), point)
            rows.append({"energy": float(energy), "B": float(field), "nu": nu, **observe(G)})
    frame = pd.DataFrame(rows)
    frame.attrs.update(
        {
            "workflow": workflow,
            "geometry": geometry,
            "lead_order": list(lead_names),
            "params": fixed,
            "fields": fields.tolist(),
            "energies": energies.tolist(),
            "nu": "open modes of lead 0 (left current lead) at (energy, B)",
            "units": {
                "energy": "t",
                "B": field_unit,
                "resistances": "h/e^2",
                "transmissions": "e^2/h",
            },
            "environment": environment_info(),
        }
    )
    return frame


def _or_nan(function: Callable[[np.ndarray], dict[str, float]], keys: tuple[str, ...]):
    """Wrap an observable: NaN for every key where the bias problem is singular."""

    def observe(G: np.ndarray) -> dict[str, float]:
        try:
            return function(G)
        except SingularBiasError:
            return dict.fromkeys(keys, np.nan)

    return observe


def quantum_hall_scan(
    fsyst: kwant.system.FiniteSystem,
    fields: Iterable[float] | float,
    energies: Iterable[float] | float,
    *,
    params: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Hall and longitudinal resistance of a Hall bar over field and Fermi energy.

    Serial loop over the outer product ``energies × fields``: one conductance
    matrix and one lead mode count per point.

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

    Returns
    -------
    pandas.DataFrame
        One row per (energy, B): ``energy``, ``B``, ``nu`` (open modes of the
        left current lead: the filling, number of edge channels),
        ``R_xy``, ``R_xy_right``, ``R_xx``, ``R_xx_bottom`` (h/e², see
        :func:`hall_bar_resistances`; NaN where a probe has no open channel and
        the resistance is undefined).  On a plateau R_xy = −sign(B)/ν and
        R_xx = 0.  Provenance (parameters, grid, units, environment) in ``.attrs``.
    """
    keys = ("R_xy", "R_xy_right", "R_xx", "R_xx_bottom")
    return _field_energy_scan(
        fsyst,
        fields,
        energies,
        params,
        geometry="hall_bar",
        lead_names=HALL_BAR_LEADS,
        observe=_or_nan(hall_bar_resistances, keys),
        workflow="workflows.quantum_hall_scan",
    )


def cross_resistance_scan(
    fsyst: kwant.system.FiniteSystem,
    fields: Iterable[float] | float,
    energies: Iterable[float] | float,
    *,
    params: Mapping[str, Any] | None = None,
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

    Returns
    -------
    pandas.DataFrame
        One row per (energy, B): ``energy``, ``B``, ``nu`` (open modes of the
        left lead), ``R_H``, ``R_B`` (h/e²), ``T_straight``, ``T_left_turn``,
        ``T_right_turn`` (e²/h, out of the left lead); see
        :func:`cross_resistances`.  Provenance in ``.attrs``.
    """

    def observe(G: np.ndarray) -> dict[str, float]:
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

    return _field_energy_scan(
        fsyst,
        fields,
        energies,
        params,
        geometry="cross",
        lead_names=CROSS_LEADS,
        observe=observe,
        workflow="workflows.cross_resistance_scan",
    )
