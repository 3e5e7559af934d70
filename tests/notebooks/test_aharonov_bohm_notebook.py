"""The Aharonov–Bohm notebook in quick mode: its numbers, checked again here.

* reduced flux sweep = plain ``kwant.smatrix`` loop (computed in the notebook) to 1e-8;
* two-terminal G(φ) = G(−φ) (Onsager–Büttiker phase rigidity, Büttiker PRL 57, 1761
  (1986)) and G(φ + 1) = G(φ) (period h/e), to rounding; 0 ≤ G ≤ N = 2 lead modes;
* visibility falls with the dephasing rate and with temperature;
* disorder average (Altshuler, Aronov & Spivak, JETP Lett. 33, 94 (1981)): the h/e
  harmonic averages down like 1/√N, the h/2e one survives with phase π (weak localization);
* four-terminal reciprocity R_ij,kl(φ) = R_kl,ij(−φ) (Büttiker 1986) to rounding.
"""

from __future__ import annotations

import numpy as np


def test_aharonov_bohm_notebook_numbers(run_notebook, study_store_lock):
    with study_store_lock("aas_ensemble-150.sqlite"):  # the run's AAS ensemble, shared
        _, values = run_notebook(
            "aharonov_bohm.ipynb",
            values={
                "difference": "difference",
                "G": "g",
                "arm_length": "dephasing['arm_length']",
                "eta": "dephasing['eta']",
                "visibility": "dephasing['visibility']",
                "temperature": "temperature['temperature']",
                "thermal_visibility": "temperature['visibility']",
                "average": "average[['A1', 'A2', 'phase2']].to_dict()",
                "single": "single[['A1', 'A2']].to_dict()",
                "n_salts": "N_SALTS",
                "onsager": "onsager",
                "even": "even",
            },
        )
    assert values["difference"] < 1e-8
    g = np.array(values["G"])  # φ = −1 … 1 in 81 steps
    assert np.abs(g - g[::-1]).max() < 1e-10
    assert np.abs(g[40:] - g[:41]).max() < 1e-10
    assert (g >= -1e-12).all() and (g <= 2 + 1e-12).all() and np.ptp(g) > 1e-2
    arm, eta, visibility = (np.array(values[k]) for k in ("arm_length", "eta", "visibility"))
    for length in set(arm):
        at = arm == length
        assert (np.diff(visibility[at][np.argsort(eta[at])]) < 0).all()
    thermal = np.array(values["thermal_visibility"])[np.argsort(values["temperature"])]
    assert (np.diff(thermal) < 0).all()
    average, single = values["average"], values["single"]
    floor = 2 / np.sqrt(values["n_salts"])
    assert average["A1"] / single["A1"] < floor
    assert average["A2"] / single["A2"] > floor
    assert average["A2"] > average["A1"]
    assert abs(abs(average["phase2"]) - np.pi) < 0.01 * np.pi
    assert values["onsager"] < 1e-9 and values["even"] > 1e-2
