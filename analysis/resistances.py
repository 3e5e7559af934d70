"""Four-terminal resistances of a Hall bar and a cross from their conductance matrix.

Hall and longitudinal resistances of the Hall bar, Hall and bend resistances
of the cross: Büttiker algebra on G, no solver.

All resistances are Büttiker four-terminal resistances R_{mn,kl} = (V_k − V_l)/I
(h/e²) computed from the conductance matrix with every other terminal floating
(:func:`analysis.four_terminal_resistance`).  Terminal indices follow the lead
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

import numpy as np

from analysis.bias import four_terminal_resistance
from systems.multiterminal import CROSS_LEADS, HALL_BAR_LEADS
from systems.validation import check_conductance_matrix, choice

__all__ = [
    "bend_resistance",
    "cross_hall_resistance",
    "cross_resistances",
    "hall_bar_resistances",
    "hall_resistance",
    "longitudinal_resistance",
]

_BAR = {name: index for index, name in enumerate(HALL_BAR_LEADS)}
_CROSS = {name: index for index, name in enumerate(CROSS_LEADS)}


def _check_terminal_count(G, needed: int, geometry: str) -> np.ndarray:
    G = check_conductance_matrix(G)
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
