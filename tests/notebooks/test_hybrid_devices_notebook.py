"""The hybrid devices notebook in quick mode: the numbers it computed, against closed forms.

* BTK (Blonder, Tinkham & Klapwijk, PRB 25, 4515 (1982)): the chain is BTK's model up to
  O(Δ/μ) = 1e-3, so 1 % bounds the deviation.
* Beenakker, PRB 46, 12841 (1992): G_NS = 2 Σ T_n²/(2 − T_n)² at zero bias, recomputed
  here from the normal-state transmissions, to O(Δ/μ) = 1e-3.
* Majorana zero-bias peak 2e²/h (Law, Lee & Ng, PRL 103, 237001 (2009)), 0 when trivial.
* NSN: the superconductor's current (current operator) closes the balance to rounding.
"""

from __future__ import annotations

import numpy as np


def test_hybrid_devices_notebook_numbers(run_notebook):
    _, values = run_notebook(
        "hybrid_devices.ipynb",
        values={
            "btk_worst": "worst",
            "g_ns": "g_ns",
            "transmissions": "transmissions",
            "peak": "peak",
            "trivial": "trivial",
            "nsn": "nsn.conductance",
            "nsn_superconductor": "nsn.superconductor",
        },
    )
    assert values["btk_worst"] < 1e-2
    transmissions = np.array(values["transmissions"])
    assert (transmissions > 0.05).all() and (transmissions < 0.95).all()  # not a trivial limit
    beenakker = 2 * np.sum(transmissions**2 / (2 - transmissions) ** 2)
    assert abs(values["g_ns"] / beenakker - 1) < 1e-3
    assert abs(values["peak"] - 2.0) < 1e-3
    assert abs(values["trivial"]) < 1e-3
    nsn = np.array(values["nsn"])
    leak = nsn.sum(axis=1) + np.array(values["nsn_superconductor"])
    assert np.abs(leak).max() < 1e-8
    assert np.abs(nsn[:, 1, 0]).max() > 1e-2  # the non-local signal is there
