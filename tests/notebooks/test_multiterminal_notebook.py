"""The multi-terminal notebook in quick mode: quantum Hall plateaus, Onsager–Büttiker
reciprocity and the Joule heat, checked on the numbers the notebook computed.

Plateaus: R_xy = −sgn(B) h/(ν e²) and R_xx = 0 on the ν-th plateau (von Klitzing,
Dorda & Pepper, PRL 45, 494 (1980); Büttiker, PRB 38, 9375 (1988)).  Reciprocity:
G_ij(B) = G_ji(−B) (Büttiker, PRL 57, 1761 (1986)).
"""

from __future__ import annotations

import numpy as np


def test_multiterminal_notebook_numbers(run_notebook):
    _, values = run_notebook(
        "multiterminal.ipynb",
        values={
            "B": "plateau['B']",
            "nu": "plateau['nu']",
            "R_xy": "plateau['R_xy']",
            "R_xx": "plateau['R_xx']",
            "cross_B": "cross_scan['B']",
            "cross_nu": "cross_scan['nu']",
            "R_H": "cross_scan['R_H']",
            "G_plus": "G_plus",
            "G_minus": "G_minus",
            "nu_joule": "nu",
            "joule": "analysis.joule_heat(bias)",
        },
    )
    B, nu = np.array(values["B"]), np.array(values["nu"])
    assert len(B) >= 5 and (nu >= 1).all() and set(nu) >= {1, 2}  # two plateaus are crossed
    # Plateau tolerance 1e-4 h/e²: backscattering between edges 12 sites apart at
    # l_B = 1/sqrt(2πB) <= 2.1 a is exponentially small (the notebook's own bound).
    assert np.abs(np.array(values["R_xy"]) + np.sign(B) / nu).max() < 1e-4
    assert np.abs(values["R_xx"]).max() < 1e-4
    # Landau levels rise with B: ν never grows along the field axis.
    assert (np.diff(nu[np.argsort(B)]) <= 0).all()
    # Cross: R_H = 0 at B = 0 by symmetry (1e-9: rounding), −1/ν deep in the plateau.
    cross_B, R_H = np.array(values["cross_B"]), np.array(values["R_H"])
    assert np.abs(R_H[cross_B == 0]).max() < 1e-9
    strong = cross_B > 0.06
    assert np.abs(R_H[strong] + 1 / np.array(values["cross_nu"])[strong]).max() < 1e-4
    # Reciprocity and current conservation of the disordered Hall bar to rounding (1e-9),
    # and the field does break G = G^T (else the check would be empty).
    G_plus, G_minus = np.array(values["G_plus"]), np.array(values["G_minus"])
    assert np.abs(G_plus - G_minus.T).max() < 1e-9
    assert np.abs(G_plus.sum(axis=0)).max() < 1e-9 and np.abs(G_plus.sum(axis=1)).max() < 1e-9
    assert np.abs(G_plus - G_plus.T).max() > 1e-2
    # Joule heat I² R on a plateau: R = h/(ν e²) two-terminal, so P = I²/ν (t²/h units).
    assert abs(values["joule"] - 0.1**2 / values["nu_joule"]) < 1e-8
